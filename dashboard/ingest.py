"""The import pipeline: detect the format, read and validate, then commit a new data version in
which the file's source supersedes its earlier rows (and the synthetic demo rows go).

Nothing is written to the store until `apply`; a refused or failed import changes nothing."""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from . import schema, settings
from .exports import neutralise
from .files import sha256_file
from .sources import bounds, canonical, frontex, home_office, home_office_irregular, iom, region_shapes
from .sources.base import (
    Importer,
    ImportResult,
    Progress,
    Rejection,
    Staged,
    StructuralError,
    no_progress,
    unreadable,
)
from .store import Kept, Part, Store, StoreError, Version, os_error, read_demo_csvs, read_only_message

log = logging.getLogger(__name__)

# Most specific first: the canonical importer accepts anything shaped like a Tideline table.
IMPORTERS: tuple[Importer, ...] = (home_office, home_office_irregular, iom, frontex, canonical)
REFERENCE_SOURCE = "Tideline reference data (illustrative route corridors and label mappings)"
REFERENCE_TABLES = ("routes", "regions")
STAGED_MAX_AGE_S = 24 * 3600  # staged rows of an import nobody confirmed are removed after a day


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

    def discard(self) -> None:
        """Remove what the read staged on disk (a big file's checked rows); the plan cannot be applied after."""
        for frame in self.result.tables.values():
            if isinstance(frame, Staged):
                frame.discard()


def staging_dir(store: Store) -> Path:
    """Where reads stage a big file's checked rows: <data dir>/tmp/import, one folder per read. Folders of
    reads nobody applied are removed after STAGED_MAX_AGE_S."""
    folder = store.data_dir / "tmp" / "import"
    if folder.is_dir():
        now = time.time()
        for old in folder.iterdir():
            with contextlib.suppress(OSError):
                if now - old.stat().st_mtime > STAGED_MAX_AGE_S:
                    shutil.rmtree(old, ignore_errors=True)
    return folder


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
    limits = settings.import_limits()
    if size > limits.max_bytes:
        raise StructuralError(
            f"{path.name}: {size / 2**20:,.0f} MB is over the {limits.max_bytes / 2**20:,.0f} MB limit "
            f"(raise {limits.env_name('max_bytes')} for a file this big)"
        )
    bounds.check(path, limits)  # what it unpacks to, before anything reads it
    importer = importer_named(source) if source else detect(path)
    started = time.monotonic()
    store.ensure_initialised()
    con = store.connect()
    try:
        regions = con.execute("SELECT * FROM regions").df()
        if importer is canonical:  # a big Parquet file is checked set-based, its rows staged in the store
            try:
                result = canonical.read(path, regions=regions, progress=progress, staging=staging_dir(store))
            except duckdb.IOException as exc:  # the staging folder is full or read-only
                raise StoreError(read_only_message(store.data_dir, os_error(exc))) from exc
            except OSError as exc:
                raise StoreError(read_only_message(store.data_dir, exc)) from exc
        else:
            result = importer.read(path, regions=regions, progress=progress)
        try:
            _place_by_position(result, set(regions["region"]) | set(schema.REGIONS))
            digest = sha256_file(path)
            duplicate_of = _version_holding(con, digest)
            drops_demo = _has_demo_rows(con)
        except BaseException:  # no plan to hand back: what the read staged on disk goes now
            for frame in result.tables.values():
                if isinstance(frame, Staged):
                    frame.discard()
            raise
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


def _place_by_position(result: ImportResult, known: set[str]) -> None:
    """Incidents with a position and a region label Tideline does not know get the region containing them
    (sources/region_shapes.py); the report says how many, from which labels. Rows staged on disk (a big
    canonical Parquet file) keep their labels: a canonical file names Tideline's regions itself."""
    frame = result.tables.get("incidents")
    if not isinstance(frame, pd.DataFrame):
        return
    placed_frame, placed, outside = region_shapes.place(frame, known)
    if not placed and not outside:
        return
    result.tables = {**result.tables, "incidents": placed_frame}
    if placed:
        listed = ", ".join(f"{label!r} → {region} ({n})" for (label, region), n in sorted(placed.items()))
        total = sum(placed.values())
        result.notes.append(
            f"{total:,} incident{'s' * (total != 1)} with a region label Tideline does not know placed in the "
            f"region that contains {'them' if total != 1 else 'it'}: {listed}"
        )
    if outside:
        one = outside == 1
        result.notes.append(
            f"{outside:,} incident{'' if one else 's'} with an unknown region label {'lies' if one else 'lie'} "
            f"outside every Tideline region and {'keeps its' if one else 'keep their'} own label"
        )


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
        r.sheet or (f"layer {r.layer}" if r.layer else ""),
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

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, list[Part]]:
        nonlocal removed_demo
        removed_demo = plan_.drops_demo and _has_demo_rows(con)
        return _new_tables(con, plan_, accept_partial)

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
    plan_.discard()  # committed: the staged rows are in the new version now
    log.info(
        "imported %s (sha256 %s) as data version %d: %d rows, %d rejected rows left out",
        plan_.path.name,
        plan_.sha256,
        version.id,
        plan_.result.rows_accepted,
        plan_.rejected,
    )
    return version


def _new_tables(con: duckdb.DuckDBPyConnection, plan_: Plan, accept_partial: bool) -> dict[str, list[Part]]:
    """Each touched table: the current rows minus this source's (and the demo's), plus the new rows, as parts
    the store writes without loading them into Python (the current rows read where they are stored)."""
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
    sources = {result.source} | {str(v) for frame in result.tables.values() for v in _distinct(frame, "source")}
    tables: dict[str, list[Part]] = {}
    touched = set(result.tables) | (set(schema.DATA_TABLES) if plan_.drops_demo else set())
    for table in sorted(touched):
        new = result.tables.get(table)
        key = schema.CLUSTER_BY[table] if table in REFERENCE_TABLES else None
        replaced = [] if new is None or key is None else sorted(str(v) for v in _distinct(new, key))
        where = "NOT list_contains(getvariable('sources'), source) AND NOT starts_with(source, getvariable('demo'))" + (
            f" AND NOT list_contains(getvariable('replaced'), {key}::VARCHAR)" if key else ""
        )  # a re-imported route replaces it
        demo = schema.DEMO_SOURCE if plan_.drops_demo else "\x00"  # "\x00": no source starts with it
        variables: dict[str, object] = {"sources": sorted(sources), "demo": demo, "replaced": replaced}
        parts: list[Part] = [Kept(where, variables)]
        if new is not None and len(new):
            parts.append(new)
        elif table in REFERENCE_TABLES and not _any_kept(con, table, variables, key):
            parts.append(reference_frames()[table])
        tables[table] = parts
    return tables


def _distinct(frame: pd.DataFrame | Staged, column: str) -> list:
    """A new table's distinct non-NULL values of one column."""
    if isinstance(frame, Staged):
        return frame.distinct(column)
    return [] if column not in frame else list(frame[column].dropna().unique())


def _any_kept(con: duckdb.DuckDBPyConnection, table: str, variables: dict[str, object], key: str | None) -> bool:
    """True when the current version keeps a row of `table` (the condition of its Kept part)."""
    same_key = f"AND NOT list_contains($replaced, {key}::VARCHAR)" if key else ""
    row = (
        con.cursor()
        .execute(
            f"SELECT count(*) FROM {table} WHERE NOT list_contains($sources, source) "
            f"AND NOT starts_with(source, $demo) {same_key}",
            {k: v for k, v in variables.items() if key or k != "replaced"},
        )
        .fetchone()
    )
    return bool(row and row[0])


def reference_frames() -> dict[str, pd.DataFrame]:
    """Routes and regions: Tideline's reference tables, the demo's own with a non-demo source."""
    demo = read_demo_csvs(tables=REFERENCE_TABLES)
    return {t: demo[t].assign(source=REFERENCE_SOURCE) for t in REFERENCE_TABLES}


def init_empty(store: Store) -> Version:
    """A store with no demo data: only the reference tables (routes, regions)."""
    if store.versions():
        raise StoreError(f"the store at {store.data_dir} already has data versions; choose an empty TIDELINE_DATA_DIR")
    return store.commit(reference_frames(), source_name="empty", note="empty store: reference tables only")
