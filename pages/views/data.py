"""Data & sources: what data is this, how fresh, how reliable?"""

import pandas as pd
import streamlit as st

from dashboard import catalog, diff, queries, schema
from dashboard.auth import Permission, least_role
from dashboard.ui import access, diffview, layout, session, upload

state = session.current_state()
layout.page_header("Data & sources", state)
layout.flash()

# Column widths (px) chosen so each table fits the page at 1920 px with the sidebar open (~1,450 px): the
# long text (caveats, notes, meanings) takes what is left, cut with an ellipsis (click a cell to read it all).
DATE_PX = 110  # "19 Oct 2026" whole

st.subheader("Sources")
st.dataframe(
    pd.DataFrame([s.__dict__ for s in catalog.SOURCES]),
    hide_index=True,
    placeholder="–",
    width="stretch",
    # Not the `source` value the rows carry: the next table shows it per table.
    column_order=["name", "publisher", "tables", "licence", "status", "caveats"],
    column_config={
        "name": st.column_config.TextColumn("Source", width=180),
        "publisher": st.column_config.TextColumn("Publisher", width=260),
        "tables": st.column_config.ListColumn("Tables", width=260),
        "licence": st.column_config.TextColumn("Licence", width=200),
        "status": st.column_config.TextColumn("Status", width=150),
        "caveats": st.column_config.TextColumn("Caveats", width=380),
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
st.dataframe(
    prov.drop(columns=["sha256"]),
    hide_index=True,
    placeholder="–",
    width="stretch",
    column_config={
        "table_name": st.column_config.TextColumn("Table", width=150),
        "source": st.column_config.TextColumn("Source", width=250),
        "rows": st.column_config.NumberColumn("Rows", format="%,d", width=90),
        "as_of": st.column_config.DateColumn(
            "As of", format="D MMM YYYY", width=DATE_PX, help="The latest date in the data"
        ),
        "loaded_version": st.column_config.NumberColumn(
            "Version", format="%d", width=80, help="The data version that loaded these rows"
        ),
        "imported_at": st.column_config.DatetimeColumn("Imported (UTC)", format="D MMM YYYY, HH:mm", width=160),
        "file_name": st.column_config.TextColumn("File", width=180),
        "status": st.column_config.TextColumn("Status", width=150),
        "caveats": st.column_config.TextColumn("Caveats", width=250),
    },
)

st.subheader("Data versions")
st.caption(
    "Every load creates a new, immutable version; share links pin one so their numbers never move. An import of "
    "a newer release of a source says which release it revises."
)
all_versions = session.versions()
revised = diff.revises(all_versions)
versions = pd.DataFrame(
    [
        {
            "version": v.id,
            "created": pd.to_datetime(v.created_at[:19], errors="coerce"),  # "–" if unreadable
            "source": v.source_name,
            "file": v.file_name,
            "rows": v.rows,
            "synthetic": "yes" if v.synthetic else "no",
            "sha256": (v.sha256 or "")[:16],
            "revises": revised.get(v.id),
            "note": v.note,
        }
        for v in reversed(all_versions)
    ]
)
st.dataframe(
    versions,
    hide_index=True,
    placeholder="–",
    width="stretch",
    column_config={
        "version": st.column_config.NumberColumn("Version", format="%d", width=80),
        "created": st.column_config.DatetimeColumn("Created (UTC)", format="D MMM YYYY, HH:mm", width=160),
        "source": st.column_config.TextColumn("Source", width=210),
        "file": st.column_config.TextColumn("File", width=180),
        "rows": st.column_config.NumberColumn("Rows", format="%,d", width=90),
        "synthetic": st.column_config.TextColumn("Synthetic", width=90),
        "sha256": st.column_config.TextColumn("SHA-256 (first 16)", width=150),
        "revises": st.column_config.TextColumn(
            "Revises",
            width=230,
            help="The earlier release of the same source that this import superseded",
        ),
        "note": st.column_config.TextColumn("Note", width=240),
    },
)

st.subheader("Compare two data versions")
st.caption(
    "What an import changed: rows added, removed and revised per table and source, and the totals before and "
    "after (official releases revise earlier figures: the Home Office's daily counts are provisional). Every date "
    "and region: the sidebar's filters do not apply here."
)
diffview.compare_section()

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
    column_config={
        "column": st.column_config.TextColumn("Column", width=220),
        "type": st.column_config.TextColumn("Type", width=140),
        "required": st.column_config.TextColumn("Required", width=100),
        "meaning": st.column_config.TextColumn("Meaning", width=960),
    },
)
st.caption(
    "Query these tables read-only from the command line: "
    '`python -m dashboard sql "SELECT … FROM crossings_daily" [--version ID]`.'
)

st.subheader("Import a file")
st.caption(
    "Home Office small-boats tables (ODS, XLSX or CSV), IOM Missing Migrants CSV, Frontex detections "
    "CSV, or any CSV/XLSX/Parquet with a canonical table's columns; spatial files from QGIS or ArcGIS too "
    "(GeoJSON, GeoPackage with a layer per table, zipped Shapefile or File Geodatabase, FlatGeobuf, KML), in any "
    "coordinate system. Nothing changes until you confirm; the import then becomes a new data version and "
    "earlier versions stay readable."
)
if not access.can(Permission.IMPORT):
    st.info(f"Imports need the {least_role(Permission.IMPORT)} role: ask your Tideline administrator.", icon="🔒")
    file = None
else:
    file = st.file_uploader(
        "File to import",
        type=["ods", "xlsx", "csv", "parquet", "geojson", "json", "gpkg", "zip", "fgb", "kml"],
        key="data_upload",
    )
if file is not None:
    plan, error = upload.plan_upload(file)
    if plan is None:
        st.error(f"File refused — {layout.plain(error)}", icon="⛔")
    else:
        upload.show_plan(plan)
