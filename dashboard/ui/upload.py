"""The import widgets of the Data & sources page: read an upload once, show what was found, confirm."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from .. import ingest, reader
from ..auth import Permission, require
from ..clean import text
from ..sources.base import StructuralError
from . import access, session
from .layout import plain

log = logging.getLogger(__name__)
PLAN_KEY = "_plan_"


def plan_upload(upload: UploadedFile) -> tuple[ingest.Plan | None, str | None]:
    """Read and validate an uploaded file once per upload: (plan, None) or (None, error).

    The file is read in a separate process (dashboard/reader.py): other analysts' pages keep running
    while it parses, and a file that would need more memory than the import limit is stopped. The copy
    on disk lives only while it is read; messages name the file as the analyst uploaded it."""
    key = f"{PLAN_KEY}{upload.file_id}"
    for old in [k for k in st.session_state if str(k).startswith(PLAN_KEY) and k != key]:
        plan, _ = st.session_state.pop(old)  # another file replaced it: what its read staged on disk goes
        if plan is not None:
            plan.discard()
    if key not in st.session_state:
        require(access.current(), Permission.IMPORT)  # the server's check, whatever the page showed
        store = session.store()
        shutil.rmtree(store.data_dir / "uploads", ignore_errors=True)  # where older releases kept every upload
        bar = st.progress(0.0, text="Reading the file…")

        def progress(message: str, fraction: float) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)

        try:
            with tempfile.TemporaryDirectory(prefix="tideline-upload-") as tmp:
                path = Path(tmp) / upload_name(upload.name)
                path.write_bytes(upload.getvalue())
                plan = reader.plan_in_child(store, path, progress=progress)
            st.session_state[key] = (plan, None)
        except StructuralError as exc:
            st.session_state[key] = (None, str(exc))
        except Exception as exc:  # an unexpected reader failure is still a refusal, never a crash
            log.exception("reading upload %s failed unexpectedly", upload.name)
            st.session_state[key] = (None, f"{upload.name}: could not be read ({type(exc).__name__}: {exc})")
        finally:
            bar.empty()
        plan, error = st.session_state[key]
        if error is not None:  # a refused file is recorded once, when it is read
            _record(upload_name(upload.name), None, f"refused: {error}")
    result: tuple[ingest.Plan | None, str | None] = st.session_state[key]
    return result


def _record(file: str, plan: ingest.Plan | None, result: str, version: int | None = None) -> None:
    details: dict[str, object] = {"file": file, "result": result, "version": version}
    if plan is not None:
        details |= {
            "sha256": plan.sha256,
            "source": plan.importer.NAME,
            "rows": plan.result.rows_accepted,
            "rejected": plan.rejected,
        }
    access.record("import", access.current(), details)


def upload_name(name: str) -> str:
    """The uploaded file's own name, safe as a file name: no folders, control or bidi characters."""
    base = text(name).replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(ch if ch.isprintable() and ch not in '<>:"|?*' else "_" for ch in base).strip(" .")
    return kept[-120:] or "upload"


def show_plan(plan: ingest.Plan) -> None:
    """Detected format, preview, validation report and the confirm step of an import."""
    r = plan.result
    st.success(
        f"Detected format: **{plan.importer.LABEL}** · {r.rows_read:,} rows read, {r.rows_accepted:,} "
        f"accepted, {plan.rejected:,} rejected",
        icon="🔎",
    )
    for note in r.notes:
        st.caption(f"Note: {plain(note)}")
    if r.totals_by_year is not None and len(r.totals_by_year):
        st.dataframe(r.totals_by_year, hide_index=True, placeholder="–", width="content")
    for table, frame in r.tables.items():
        st.markdown(f"**Preview: {plain(table)}** ({len(frame):,} rows; first 20)")
        st.dataframe(frame.head(20), hide_index=True, placeholder="–", width="stretch")
    if plan.rejected:
        st.warning(f"{plan.rejected:,} rows were rejected (file, row, column and reason below).", icon="⚠️")
        report = ingest.rejection_report(plan)
        st.dataframe(report, hide_index=True, placeholder="–", width="stretch", height=240)
        name = f"{plan.path.stem}-rejected.csv"
        st.download_button(
            "Download the rejection report (CSV)",
            # recorded like any export when it is built (rows: the rejected rows of the file being imported)
            access.audited_build(
                access.current(), name, len(report), None, lambda: report.to_csv(index=False).encode()
            ),
            file_name=name,
            on_click="ignore",
            mime="text/csv",
            key="data_report",
        )
    if plan.duplicate_of is not None:
        st.info(f"This exact file (same sha256) is already in data version {plan.duplicate_of}: nothing to do.")
        return
    ok = True
    if plan.rejected:
        ok = st.checkbox(
            f"Import the {r.rows_accepted:,} good rows and leave the {plan.rejected:,} rejected ones out",
            key="data_accept_partial",
        )
    if plan.drops_demo:
        st.warning(
            "This store holds **synthetic demo data**. Importing real data removes every demo row in the "
            "new version, so synthetic and real figures never appear together.",
            icon="⚠️",
        )
        ok = st.checkbox("Remove the demo data and import", key="data_drop_demo") and ok
    if st.button("Import as a new data version", type="primary", disabled=not ok, key="data_import"):
        require(access.current(), Permission.IMPORT)
        try:
            version = ingest.apply(session.store(), plan, accept_partial=bool(plan.rejected))
        except ingest.ImportRefused as exc:
            _record(plan.path.name, plan, f"refused: {exc}")
            st.error(plain(str(exc)))
            return
        except Exception as exc:  # the store is unchanged (atomic commit): say so rather than crash the page
            log.exception("import of %s failed unexpectedly", plan.path.name)
            _record(plan.path.name, plan, f"failed: {type(exc).__name__}: {exc}")
            st.error(f"The import failed and nothing was changed ({plain(type(exc).__name__)}): {plain(str(exc))}")
            return
        _record(plan.path.name, plan, "accepted", version.id)
        st.session_state.pop("version", None)  # show the new current version
        session.leave_message(f"Imported {plan.path.name}: data version {version.id} is now current.")
        for key in [k for k in st.session_state if str(k).startswith(PLAN_KEY)]:
            del st.session_state[key]  # re-read on display: the same file is now a no-op
        st.rerun()
