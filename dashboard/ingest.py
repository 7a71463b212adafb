"""The import pipeline: detect the format, read and validate, then commit a new data version in
which the file's source supersedes its earlier rows (and the synthetic demo rows go).

Nothing is written to the store until `apply`; a refused or failed import changes nothing."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from . import schema, settings
from .exports import neutralise
from .files import sha256_file
from .sources import bounds, canonical, frontex, home_office, home_office_irregular, iom
from .sources.base import Importer, ImportResult, Progress, Rejection, StructuralError, no_progress, unreadable
from .store import Store, StoreError, Version, read_demo_csvs, typed_table

log = logging.getLogger(__name__)

# Most specific first: the canonical importer accepts anything shaped like a Tideline table.
IMPORTERS: tuple[Importer, ...] = (home_office, home_office_irregular, iom, frontex, canonical)
REFERENCE_SOURCE = "Tideline reference data (illustrative route corridors and label mappings)"
REFERENCE_TABLES = ("routes", "regions")
MAX_BYTES = 200 * 1024 * 1024


class ImportRefused(Exception):
    """The file was read but will not be imported as it is (e.g. rejected rows without
    --accept-partial); the store is unchanged."""


@dataclass
class Plan:
    """A file read and validated, ready to commit."""

    path: Path
    importer: Importer
    result: ImportResult
    sha256: str
    duplicate_of: int | None  # a version whose rows from this very file are still current
    drops_demo: bool  # the store holds synthetic demo rows, which this import removes

    @property
    def rejected(self) -> int:
        return len(self.result.rejected)


def importer_named(name: str) -> Importer:
    for imp in IMPORTERS:
        if imp.NAME == name:
            return imp
    known = ", ".join(imp.NAME for imp in IMPORTERS)
    raise StructuralError(f"unknown source format {name!r} (known: {known})")


def detect(path: Path) -> Importer:
    """The importer whose format this file is in, judged from its sheets or headers. When none takes it,
    StructuralError says why: unreadable (truncated, UTF-16, binary, …) if it is, else not a known format."""
    for imp in IMPORTERS:
        if imp.detect(path):
            return imp
    problem = unreadable(path)
    if problem:
        raise StructuralError(f"{path.name}: {problem}")
    raise StructuralError(
        f"{path.name}: not a format Tideline can import. Expected one of: " + "; ".join(imp.LABEL for imp in IMPORTERS)
    )


def plan(store: Store, path: Path, source: str | None = None, progress: Progress = no_progress) -> Plan:
    """Detect (or take) the format, read and validate the file. Raises StructuralError."""
    path = Path(path)
    if not path.is_file():
        raise StructuralError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise StructuralError(f"{path.name}: the file is empty (0 bytes)")
    if size > MAX_BYTES:
        raise StructuralError(f"{path.name}: {size / 2**20:,.0f} MB is over the {MAX_BYTES // 2**20} MB limit")
    bounds.check(path, settings.import_limits())  # what it unpacks to, before anything reads it
    importer = importer_named(source) if source else detect(path)
    started = time.monotonic()
    store.ensure_initialised()
    con = store.connect()
    try:
        regions = con.execute("SELECT * FROM regions").df()
        result = importer.read(path, regions=regions, progress=progress)
        digest = sha256_file(path)
        duplicate_of = _version_holding(con, digest)
        drops_demo = _has_demo_rows(con)
    finally:
        con.close()
    log.info(
        "read %s as %s in %.2f s: sha256 %s, %d rows read, %d accepted, %d rejected",
        path.name,
        importer.NAME,
        time.monotonic() - started,
        digest,
        result.rows_read,
        result.rows_accepted,
        len(result.rejected),
    )
    return Plan(path, importer, result, digest, duplicate_of, drops_demo)


def _version_holding(con: duckdb.DuckDBPyConnection, digest: str) -> int | None:
    """The version that loaded rows from the file with this sha256, if they are still current."""
    for table in schema.DATA_TABLES:
        row = (
            con.cursor()
            .execute(f"SELECT min(loaded_version) FROM {table} WHERE source_sha256 = $sha", {"sha": digest})
            .fetchone()
        )
        found = row[0] if row else None
        if found is not None:
            return int(found)
    return None


def _has_demo_rows(con: duckdb.DuckDBPyConnection) -> bool:
    for t in schema.DATA_TABLES:
        row = (
            con.cursor()
            .execute(f"SELECT count(*) FROM {t} WHERE starts_with(source, $demo)", {"demo": schema.DEMO_SOURCE})
            .fetchone()
        )
        if row and row[0]:
            return True
    return False


def write_report(plan_: Plan, out: Path) -> Path:
    """The rejected rows as CSV: file, sheet, row, column, reason, value."""
    out.parent.mkdir(parents=True, exist_ok=True)
    rejection_report(plan_).to_csv(out, index=False, encoding="utf-8")
    return out


REPORT_COLUMNS = ("file", "sheet", "row", "column", "reason", "value")


def rejection_row(r: Rejection) -> tuple[object, ...]:
    """One rejected row as the report's columns (REPORT_COLUMNS); cells are neutralised by the writer."""
    return (
        r.file,
        r.sheet or "",
        "" if r.row is None else r.row,
        r.column or "",
        r.reason,
        "" if r.value is None else r.value,
    )


def rejection_report(plan_: Plan) -> pd.DataFrame:
    """The rejected rows as a table (file, sheet, row, column, reason, value), cells formula-safe."""
    rows = [[neutralise(x) for x in rejection_row(r)] for r in plan_.result.rejected]
    return pd.DataFrame(rows, columns=list(REPORT_COLUMNS))


def default_report_path(store: Store, plan_: Plan) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return store.data_dir / "reports" / f"{stamp}-{plan_.path.stem}-{plan_.sha256[:8]}-rejected.csv"


def apply(store: Store, plan_: Plan, *, accept_partial: bool = False) -> Version:
    """Commit the plan as a new data version; ImportRefused (store unchanged) when it must not."""
    try:
        return _apply(store, plan_, accept_partial)
    except ImportRefused as exc:
        log.info("import refused, store unchanged: %s", exc)
        raise


def _apply(store: Store, plan_: Plan, accept_partial: bool) -> Version:
    # Built and committed under the store's lock, on the version current at that moment: an import that
    # landed since the plan was read is kept, never overwritten (and the same file twice is refused).
    removed_demo = False

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Table]:
        nonlocal removed_demo
        removed_demo = plan_.drops_demo and _has_demo_rows(con)
        return _new_tables(con, plan_, accept_partial, store.spill_dir())

    def note() -> str:
        notes = [f"{plan_.result.rows_accepted:,} rows from {plan_.path.name}"]
        if plan_.rejected:
            notes.append(f"{plan_.rejected:,} rejected rows left out (--accept-partial)")
        if removed_demo:
            notes.append("synthetic demo rows removed")
        return "; ".join(notes)

    try:
        version = store.commit_on_current(
            build, source_name=plan_.importer.NAME, file_name=plan_.path.name, sha256=plan_.sha256, note=note
        )
    except StoreError as exc:
        raise ImportRefused(f"{plan_.path.name}: {exc}") from exc
    log.info(
        "imported %s (sha256 %s) as data version %d: %d rows, %d rejected rows left out",
        plan_.path.name,
        plan_.sha256,
        version.id,
        plan_.result.rows_accepted,
        plan_.rejected,
    )
    return version


def _new_tables(
    con: duckdb.DuckDBPyConnection, plan_: Plan, accept_partial: bool, spill: Path | None = None
) -> dict[str, pa.Table]:
    """Each touched table: the current rows minus this source's (and the demo's), plus the new rows."""
    result = plan_.result
    duplicate_of = plan_.duplicate_of or _version_holding(con, plan_.sha256)  # another import may have landed
    if duplicate_of is not None:
        raise ImportRefused(
            f"{plan_.path.name} was already imported (data version {duplicate_of}, same sha256): nothing to do"
        )
    if plan_.rejected and not accept_partial:
        raise ImportRefused(
            f"{plan_.rejected:,} row(s) of {plan_.path.name} were rejected; nothing was imported. "
            "Fix the file, or import the good rows with --accept-partial"
        )
    if result.rows_accepted == 0:
        raise ImportRefused(f"{plan_.path.name}: no rows to import")
    # A release supersedes every source it carries (a canonical file may carry several).
    sources = {result.source} | {
        str(v) for df in result.tables.values() if "source" in df for v in df["source"].dropna().unique()
    }
    frames: dict[str, pa.Table] = {}
    touched = set(result.tables) | (set(schema.DATA_TABLES) if plan_.drops_demo else set())
    for table in sorted(touched):
        new = result.tables.get(table)
        key = schema.CLUSTER_BY[table] if table in REFERENCE_TABLES else None
        replaced = [] if new is None or key is None else sorted(new[key].dropna().astype(str).unique())
        same_key = f"AND NOT list_contains($replaced, {key}::VARCHAR)" if key else ""  # a re-imported route replaces it
        demo = schema.DEMO_SOURCE if plan_.drops_demo else "\x00"  # "\x00": no source starts with it
        values: dict[str, object] = {"sources": sorted(sources), "demo": demo}
        if key:
            values["replaced"] = replaced
        kept = (
            con.cursor()
            .sql(
                f"SELECT * FROM {table} WHERE NOT list_contains($sources, source) AND NOT starts_with(source, $demo) "
                f"{same_key}",
                params=values,
            )
            .to_arrow_table()
        )
        parts = [kept]
        if new is not None and len(new):
            parts.append(typed_table(table, new, sha256=None, version_id=None, spill=spill))
        elif table in REFERENCE_TABLES and kept.num_rows == 0:
            parts.append(typed_table(table, reference_frames()[table], sha256=None, version_id=None))
        frames[table] = pa.concat_tables(parts)
    return frames


def reference_frames() -> dict[str, pd.DataFrame]:
    """Routes and regions: Tideline's reference tables, the demo's own with a non-demo source."""
    demo = read_demo_csvs()
    return {t: demo[t].assign(source=REFERENCE_SOURCE) for t in REFERENCE_TABLES}


def init_empty(store: Store) -> Version:
    """A store with no demo data: only the reference tables (routes, regions)."""
    if store.versions():
        raise StoreError(f"the store at {store.data_dir} already has data versions; choose an empty TIDELINE_DATA_DIR")
    return store.commit(reference_frames(), source_name="empty", note="empty store: reference tables only")
