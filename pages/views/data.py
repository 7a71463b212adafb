"""Data & sources: what data is this, how fresh, how reliable?"""

import pandas as pd
import streamlit as st

from dashboard import catalog, fmt, queries, schema
from dashboard.ui import layout, session, upload

state = session.current_state()
layout.page_header("Data & sources", state)
layout.flash()

st.subheader("Sources")
st.dataframe(
    pd.DataFrame([s.__dict__ for s in catalog.SOURCES]),
    hide_index=True,
    placeholder="–",
    width="stretch",
    column_config={
        "tables": st.column_config.ListColumn("Tables"),
        "caveats": st.column_config.TextColumn("Caveats", width="large"),
    },
)

st.subheader(f"What is in data version {state.version}")
st.caption(
    "Per source and table: the latest date in the data (its as-of), when and from which file it was "
    "imported, and the caveats to read with it."
)
prov = session.cached_version(queries.provenance, state.version)
info = [catalog.info_for(src) for src in prov["source"]]
prov["status"] = [i.status if i else "" for i in info]
prov["caveats"] = [i.caveats if i else "" for i in info]
prov["as_of"] = prov["as_of"].map(fmt.as_of)
prov["imported_at"] = prov["imported_at"].map(lambda t: "–" if fmt.is_missing(t) else f"{t:%d %b %Y %H:%M} UTC")
st.dataframe(
    prov.drop(columns=["sha256"]),
    hide_index=True,
    placeholder="–",
    width="stretch",
    column_config={
        "table_name": "Table",
        "source": "Source",
        "rows": st.column_config.NumberColumn("Rows", format="%,d"),
        "as_of": "As of (latest date)",
        "loaded_version": "Loaded in version",
        "imported_at": "Imported",
        "file_name": "File",
        "status": "Status",
        "caveats": st.column_config.TextColumn("Caveats", width="large"),
    },
)

st.subheader("Data versions")
st.caption("Every load creates a new, immutable version; share links pin one so their numbers never move.")
versions = pd.DataFrame(
    [
        {
            "version": v.id,
            "created (UTC)": v.created_at[:19].replace("T", " "),
            "source": v.source_name,
            "file": v.file_name,
            "rows": v.rows,
            "synthetic": "yes" if v.synthetic else "no",
            "sha256": (v.sha256 or "")[:16],
            "note": v.note,
        }
        for v in reversed(session.versions())
    ]
)
st.dataframe(
    versions,
    hide_index=True,
    placeholder="–",
    width="stretch",
    column_config={"rows": st.column_config.NumberColumn(format="%,d")},
)

st.subheader("Data dictionary")
table = st.selectbox("Table", schema.ALL_TABLES, key="data_table")
cols = schema.SNAPSHOT_COLUMNS if table == "snapshots" else schema.columns(table)
st.dataframe(
    pd.DataFrame(
        [
            {"column": c.name, "type": c.type, "required": "yes" if not c.nullable else "", "meaning": c.doc}
            for c in cols
        ]
    ),
    hide_index=True,
    placeholder="–",
    width="stretch",
)
st.caption(
    "Query these tables read-only from the command line: "
    '`python -m dashboard sql "SELECT … FROM crossings_daily" [--version ID]`.'
)

st.subheader("Import a file")
st.caption(
    "Home Office small-boats tables (ODS, XLSX or CSV), IOM Missing Migrants CSV, Frontex detections "
    "CSV, or any CSV/XLSX/Parquet/GeoJSON with a canonical table's columns. Nothing changes until you "
    "confirm; the import then becomes a new data version and earlier versions stay readable."
)
file = st.file_uploader("File to import", type=["ods", "xlsx", "csv", "parquet", "geojson", "json"], key="data_upload")
if file is not None:
    plan, error = upload.plan_upload(file)
    if plan is None:
        st.error(f"File refused — {layout.plain(error)}", icon="⛔")
    else:
        upload.show_plan(plan)
