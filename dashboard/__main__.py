"""Command line: python -m dashboard {demo,versions,sql,ingest,check,init,brief,diff,audit,engine} …"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO, cast

from . import analyst_sql, audit, diff, fmt, schema, settings
from .analyst_sql import check_read_only as check_read_only  # moved there; still importable from here
from .files import write_bytes_atomic, write_text_atomic
from .store import DEMO_DIR, Store, StoreError, UnknownVersionError, data_dir_from_env

log = logging.getLogger(__name__)

EXIT_REFUSED = 2


class Refused(Exception):
    """A request the CLI will not carry out (exit code 2)."""


def cmd_demo(args: argparse.Namespace) -> int:
    from . import demo  # numpy-heavy; only this command needs it

    paths = demo.write(DEMO_DIR)
    for table, path in paths.items():
        print(f"{table:<20} {path.stat().st_size:>12,} bytes  {path}")
    print(f"Synthetic demo data written to {DEMO_DIR} (seed {demo.SEED}).")
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    store = Store()
    store.ensure_initialised()
    current = store.current_id()
    versions = store.versions()
    revised = diff.revises(versions)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(
        ["id", "current", "created_at", "source_name", "file_name", "sha256", "rows", "synthetic", "note", "revises"]
    )
    for v in versions:
        w.writerow(
            [
                v.id,
                "*" if v.id == current else "",
                v.created_at,
                v.source_name,
                v.file_name or "",
                v.sha256 or "",
                v.rows,
                "yes" if v.synthetic else "no",
                v.note or "",
                revised.get(v.id, ""),
            ]
        )
    return 0


DIFF_HELP = """Compare two data versions, OLD and NEW, and print one CSV table (a header row, then the rows).

Rows are matched on each table's key plus `source`; a row is changed when any other column differs (NULL
equals NULL; the provenance columns source_sha256 and loaded_version never count).

Default: one row per table and source present in either version:
  table, source, rows_before, rows_after, added, removed, changed, as_of_before, as_of_after
  (as_of: the latest date of the table's main count, empty for tables without one)
--totals: the main count of each table that has one, before and after, by year and, for the last year
  present, by month:
  table, source, measure, period_type (year | month), period (2024 | 2024-03), before, after, difference
  (difference = after - before, a missing side counted as 0; empty when both are)
--revisions: the changed rows with the largest change of the main count, at most --top per table and source:
  table, source, date, key, measure, before, after, change, columns_changed

Text cells that a spreadsheet could read as a formula start with an apostrophe. Exit 2 for an unknown version."""


def cmd_diff(args: argparse.Namespace) -> int:
    from .clean import is_missing
    from .exports import safe_frame

    store = Store()
    try:
        result = diff.compare(store, args.old, args.new, top=args.top)
    except UnknownVersionError as exc:
        raise Refused(str(exc)) from exc
    frame = result.totals if args.totals else result.revisions if args.revisions else result.changes
    safe = safe_frame(frame)  # text neutralised, numbers kept, dates as ISO text
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(list(safe.columns))
    for row in safe.itertuples(index=False, name=None):
        w.writerow(["" if is_missing(v) else v for v in row])
    if args.out:
        path = Path(args.out)
        try:
            write_text_atomic(path, out.getvalue())
        except OSError as exc:
            raise Refused(f"cannot write {path}: {exc.strerror or exc}") from exc
        print(
            f"Data version {result.old.id} against {result.new.id}: {result.summary()}. "
            f"{len(frame):,} rows written to {path}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(out.getvalue())
    return 0


def _top(value: str) -> int:
    n = int(value) if value.strip().isdigit() else 0
    if not 1 <= n <= 10_000:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 10000, not {value!r}")
    return n


def _audit(event: str, details: Mapping[str, Any]) -> bool:
    """Append a command-line record (the OS user); False, after saying why on stderr, when it cannot be written."""
    sub, email = audit.os_actor()
    try:
        audit.open_log(data_dir_from_env()).append(event, sub=sub, email=email, roles=(), details=details)
    except audit.AuditError as exc:
        print(f"error: the audit record could not be written: {exc}", file=sys.stderr)
        return False
    return True


def _audit_ready() -> None:
    """Refuse (exit 2) before doing anything when the trail could not record it."""
    try:
        audit.open_log(data_dir_from_env()).ready()
    except audit.AuditError as exc:
        raise Refused(
            f"the audit trail cannot be written, so nothing was run: {exc} (a read-only store keeps its trail "
            f"elsewhere: set ${audit.AUDIT_DIR_ENV} or ${audit.DATABASE_URL_ENV})"
        ) from exc


class _RowCounter:
    """Passes CSV text through to ``out`` and counts the rows (csv.writer writes each row with one write)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return self.out.write(text)

    @property
    def rows(self) -> int:
        return max(self.writes - 1, 0)  # the header row is not a data row


def cmd_sql(args: argparse.Namespace) -> int:
    details: dict[str, Any] = {"query": args.query, "rows": 0, "version": args.version}
    out = _RowCounter(sys.stdout)
    _audit_ready()
    try:
        limits = analyst_sql.Limits.from_env(timeout=args.timeout)
        store = Store()
        store.ensure_initialised()
        details["version"] = args.version if args.version is not None else store.current_id()
        analyst_sql.run(store, args.query, cast(TextIO, out), version_id=args.version, limits=limits)
    except (UnknownVersionError, analyst_sql.SqlRefused) as exc:
        _audit("sql", {**details, "rows": out.rows, "result": f"refused: {exc}"})
        raise Refused(str(exc)) from exc
    except analyst_sql.SqlError as exc:
        print(f"SQL error: {exc}", file=sys.stderr)
        audited = _audit("sql", {**details, "rows": out.rows, "result": f"refused: SQL error: {exc}"})
        return 1 if audited else EXIT_REFUSED
    except StoreError as exc:
        _audit("sql", {**details, "result": f"refused: {exc}"})
        raise
    sys.stdout.flush()
    return 0 if _audit("sql", {**details, "rows": out.rows}) else EXIT_REFUSED


class _Progress:
    """Prints a progress line to stderr each time the import passes another tenth."""

    def __init__(self) -> None:
        self.last = -1

    def __call__(self, message: str, fraction: float) -> None:
        step = int(fraction * 10)
        if step != self.last:
            self.last = step
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def cmd_ingest(args: argparse.Namespace) -> int:
    from . import ingest
    from .files import sha256_file
    from .sources.base import StructuralError

    path = Path(args.file)
    details: dict[str, Any] = {
        "file": path.name,
        "sha256": None,
        "source": args.source,
        "result": "",
        "version": None,
        "rows": 0,
    }

    def refused(reason: str) -> None:
        if details["sha256"] is None:
            try:
                details["sha256"] = sha256_file(path)
            except OSError:
                pass  # an unreadable or missing file: the record says so through the reason
        details["result"] = f"refused: {reason}"
        _audit("import", details)

    _audit_ready()
    store = Store()
    try:
        plan = ingest.plan(store, path, source=args.source, progress=_Progress())
    except StructuralError as exc:
        refused(f"file refused: {exc}")
        raise Refused(f"file refused: {exc}") from exc
    except StoreError as exc:
        refused(str(exc))
        raise
    try:
        r = plan.result
        details.update(sha256=plan.sha256, source=plan.importer.NAME, rows=r.rows_accepted)
        detected = "given with --source" if args.source else "detected"
        print(f"Format: {plan.importer.LABEL} [{plan.importer.NAME}] ({detected})")
        print(f"File: {plan.path.name} · sha256 {plan.sha256}")
        print(f"Rows read: {r.rows_read:,} · accepted: {r.rows_accepted:,} · rejected: {plan.rejected:,}")
        for table, frame in r.tables.items():
            print(f"  {table}: {len(frame):,} rows")
        if r.totals_by_year is not None and len(r.totals_by_year):
            value = [c for c in r.totals_by_year.columns if c != "year"][0]
            print(f"Totals by year ({value.replace('_', ' ')}):")
            for year, total in r.totals_by_year[["year", value]].itertuples(index=False):
                print(f"  {year}: {fmt.number(total)}")
        for note in r.notes:
            print(f"Note: {note}")
        if plan.rejected:
            report = Path(args.report) if args.report else ingest.default_report_path(store, plan)
            ingest.write_report(plan, report)
            for rej in r.rejected[:10]:
                print(f"Rejected: {rej.where()}: {rej.reason}", file=sys.stderr)
            if plan.rejected > 10:
                print(f"… and {plan.rejected - 10:,} more", file=sys.stderr)
            print(f"Rejection report: {report}")
        if plan.duplicate_of is not None:
            print(f"No change: this exact file (same sha256) is already in data version {plan.duplicate_of}.")
            details["result"] = f"refused: no change, this exact file is already in data version {plan.duplicate_of}"
            return 0 if _audit("import", details) else EXIT_REFUSED
        if plan.drops_demo:
            print(
                "The store holds synthetic demo data: the new version drops every demo row, so synthetic and "
                "real figures never appear together."
            )
        try:
            version = ingest.apply(store, plan, accept_partial=args.accept_partial)
        except (ingest.ImportRefused, StoreError) as exc:
            refused(str(exc))
            if isinstance(exc, StoreError):
                raise
            raise Refused(str(exc)) from exc
        print(f"New data version: {version.id} (previous versions stay readable by id)")
        details.update(result="accepted", version=version.id)
        if not _audit("import", details):
            # The data is in; the missing record must not go unnoticed.
            print(
                f"error: the import DID happen (data version {version.id} is current), but its audit record is missing",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        return 0
    finally:
        plan.discard()  # staged rows of a big file: in the new version now, or not wanted


def cmd_check(args: argparse.Namespace) -> int:
    """Verify the whole store; exit 0 when sound, 2 when anything is damaged."""
    store = Store()
    result = store.check()
    print(f"Store at {store.data_dir}")
    if result.manifest_problem:
        print(f"manifest.json: DAMAGED: {result.manifest_problem}")
        return EXIT_REFUSED
    count = len(result.versions)
    print(f"manifest.json: sound ({count} data version{'' if count == 1 else 's'})")
    for v in result.versions:
        label = f"data version {v.id}{' (current)' if v.current else ''}"
        if v.problems:
            print(f"{label}: DAMAGED")
            for problem in v.problems:
                print(f"  - {problem}")
        else:
            print(f"{label}: sound ({v.rows:,} rows)")
        for note in v.notes[:3]:
            print(f"  note: {note}")
        if len(v.notes) > 3:
            print(f"  note: … and {len(v.notes) - 3} more like it")
    for name in result.stale:
        print(f"note: versions/{name} was left by an import that did not finish; the next import removes it")
    damaged = [v.id for v in result.versions if v.problems]
    if damaged:
        print(
            f"{len(damaged)} of {len(result.versions)} data versions damaged ({', '.join(map(str, damaged))}): "
            "restore the data directory from a backup; versions not listed here can still be opened by id"
        )
        return EXIT_REFUSED
    print("The store is sound.")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from . import ingest

    store = Store()
    if args.empty:
        version = ingest.init_empty(store)
        print(f"Empty store created at {store.data_dir}: data version {version.id} (reference tables only).")
    else:
        version = store.ensure_initialised()
        print(f"Store at {store.data_dir}: current data version {version.id}.")
    return 0


def cmd_brief(args: argparse.Namespace) -> int:
    from . import pack, slides
    from .saved_views import ViewError, ViewStore

    store = Store()
    store.ensure_initialised()
    t0 = time.perf_counter()
    try:
        saved = ViewStore(store.data_dir).list()
    except ViewError as exc:
        raise Refused(str(exc)) from exc
    defaults = slides.default_views(store)
    if args.views is None:
        views = saved or defaults
    else:
        known = {v.id: v for v in [*saved, *defaults]}
        ids = [i.strip() for i in args.views.split(",") if i.strip()]
        unknown = [i for i in ids if i not in known]
        if unknown or not ids:
            raise Refused(f"unknown view id(s): {', '.join(unknown) or '(none given)'}; known ids: " + ", ".join(known))
        views = [known[i] for i in ids]
    html = pack.build_pack(store, views, settings.classification())
    out = Path(args.out)
    # Written next to the target and renamed: a scheduled run never leaves half a pack behind.
    try:
        write_text_atomic(out, html)
    except OSError as exc:
        raise Refused(f"cannot write the pack to {out}: {exc.strerror or exc}") from exc
    log.info("briefing pack %s written: %d views, %d bytes", out, len(views), out.stat().st_size)
    print(
        f"Briefing pack: {out} · {out.stat().st_size:,} bytes · {len(views)} views · "
        f"generated in {time.perf_counter() - t0:.2f} s"
    )
    return 0


EXPORT_FORMATS = (".gpkg", ".geojson", ".kml", ".csv", ".xlsx")


def _link_params(link: str) -> dict[str, list[str]]:
    """A share link's (or a bare query string's) parameters; Refused when it does not parse."""
    from urllib.parse import parse_qs, urlsplit

    link = link.strip()
    try:
        query = urlsplit(link).query if ("://" in link or link.startswith("/") or "?" in link) else link
        return parse_qs(query, keep_blank_values=False, strict_parsing=bool(query))
    except ValueError as exc:
        raise Refused(f"the link does not parse as a Tideline share link ({exc}): {link[:120]!r}") from exc


def cmd_export(args: argparse.Namespace) -> int:
    """The map's incidents for a share link's filters and pinned version (default: the current version, the
    default filters) as GeoPackage, GeoJSON, KML, CSV or XLSX, marked and described; written atomically."""
    from datetime import UTC, datetime

    from . import exports, gis_export, queries, viewstate
    from .filters import FilterState, small_int

    out = Path(args.out)
    ext = out.suffix.lower()
    if ext not in EXPORT_FORMATS:
        raise Refused(f"{out.name}: unknown export format {ext or '(no extension)'}; use {', '.join(EXPORT_FORMATS)}")
    raw = _link_params(args.link) if args.link else {}
    _audit_ready()
    store = Store()
    store.ensure_initialised()
    ids = tuple(v.id for v in store.versions())
    current = ids[-1]
    pinned = small_int(raw.get("version", [""])[-1])
    if "version" in raw and pinned not in ids:
        raise Refused(f"the link pins data version {raw['version'][-1]!r}, which this store does not have")
    version = pinned if pinned in ids else current
    con = store.connect(version)
    try:
        options = queries.filter_options(con, ids, current)
        known = set().union(*(viewstate.keys(p) for p in viewstate.PARAMS)) | {"embed", "embed_options"}
        state, notices = FilterState.from_query_params({**raw, "version": [str(version)]}, options, known=known)
        if notices:  # a scheduled job must not quietly export other rows than the link names
            raise Refused("the link's filters do not all apply to this store: " + "; ".join(notices))
        incidents = queries.incidents_for_export(con, state)
        routes = queries.routes_with_flows(con, state)
        source = queries.source_text(con, queries.is_synthetic(con), {"incidents": "", "routes": ""})
    finally:
        con.close()
    meta: dict[str, Any] = {
        "classification": settings.classification(),
        "description": state.describe(with_version=False),
        "version": version,
        "source": source,
        "generated_at": datetime.now(UTC),
        "produced_by": f"{audit.os_actor()[0]} (command line)",
    }
    if ext == ".csv":
        data = exports.to_csv_bytes(incidents, **meta)
    elif ext == ".xlsx":
        data = exports.to_xlsx_bytes(incidents, sheet_name="incidents", **meta)
    else:
        data = gis_export.build(ext, {"incidents": incidents, "routes": routes}, **meta)
    try:
        write_bytes_atomic(out, data)
    except OSError as exc:
        raise Refused(f"cannot write {out}: {exc.strerror or exc}") from exc
    placed = int((incidents["lat"].notna() & incidents["lon"].notna()).sum())
    audited = _audit("export", {"file": out.name, "rows": len(incidents), "version": version, "bytes": len(data)})
    unplaced = len(incidents) - placed
    left_out = f"; {unplaced:,} without one left out" if ext in gis_export.FORMATS and unplaced else ""
    print(
        f"Export: {out} · {len(data):,} bytes · {len(incidents):,} incidents ({placed:,} with a position{left_out})"
        f" · data version {version} · {meta['description']}"
    )
    return 0 if audited else EXIT_REFUSED  # the file is written; its missing record must not go unnoticed


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {value!r}") from None


def cmd_audit(args: argparse.Namespace) -> int:
    """verify: the hash chain, exit 2 when broken; export: the records as CSV; setup-sql: the SQL for PostgreSQL."""
    if args.audit_command == "setup-sql":
        try:
            print(audit.insert_only_role_sql(args.role), end="")
        except ValueError as exc:
            raise Refused(str(exc)) from exc
        return 0
    log_ = audit.open_log(data_dir_from_env())
    try:
        if args.audit_command == "verify":
            v = log_.verify()
            print(f"Audit trail: {v.store}")
            print(f"Records: {v.count:,}")
            print(f"Head: {v.head or '(unreadable)'}")
            if not v.ok:
                print(f"BROKEN at record {v.first_broken}: {v.reason}", file=sys.stderr)
                print(
                    "The trail has been changed since it was written: restore it from a backup, "
                    "and keep the broken copy as evidence.",
                    file=sys.stderr,
                )
                return EXIT_REFUSED
            print("OK: every record's hash, prev and seq fit the chain")
            return 0
        if args.since and args.until and args.since > args.until:
            raise Refused(f"--since {args.since} is after --until {args.until}")
        records = log_.records(since=args.since, until=args.until, user=args.user, event=args.event)
    except audit.AuditError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    data = audit.to_csv_bytes(records)
    if args.out:
        out = Path(args.out)
        try:
            write_text_atomic(out, data.decode("utf-8"))
        except OSError as exc:
            raise Refused(f"cannot write {out}: {exc.strerror or exc}") from exc
        print(f"{len(records):,} audit records written to {out}", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


ENGINE_CHECK_HELP = """Run every named query (dashboard.engines.NAMED_QUERIES) on DuckDB and on the engine that
$TIDELINE_ENGINE names (a Spark Connect URL, sc://host:port), over the configured store (TIDELINE_DATA_DIR), on
several filter states (all the data; the region with the most incidents; the route with the most arrivals; the
last full month; queries that ignore the filters run once, state "-"), and compare the results. Prints one CSV table:
  query, state, equal (yes | no | not compared), rows_duckdb, rows_engine, seconds_duckdb, seconds_engine,
  difference
A query with a row per incident, which the app runs only on a bounded set (the map's points and file export), is
not compared on a state where it would return more than --max-rows rows (default {max_rows:,}): collecting ten
million rows from a one-machine Spark server runs it out of memory. Each query must be compared on at least one
state.
Exit 0 when every compared result is equal and every query was compared, 1 when any differs, fails or was never
compared, 2 when refused (no Spark engine configured, an unknown version or query, a named query without a
correct translation, the server not reachable)."""


def cmd_engine(args: argparse.Namespace) -> int:
    """check: every named query on DuckDB and on the configured engine, compared (exit 1 on any difference)."""
    from . import engines, queries

    try:
        engine = engines.engine_from_env(check=False)
    except engines.EngineError as exc:
        raise Refused(str(exc)) from exc
    if not isinstance(engine, engines.SparkEngine):
        raise Refused(
            "engine check compares DuckDB with a Spark Connect engine: set TIDELINE_ENGINE=sc://host:port "
            "(it is unset or 'duckdb', so there is nothing to compare with)"
        )
    named = engines.NAMED_QUERIES
    if args.query:
        known = {q.name: q for q in named}
        unknown = [name for name in args.query if name not in known]
        if unknown:
            raise Refused(f"unknown named query: {', '.join(unknown)}; known: {', '.join(known)}")
        named = tuple(known[name] for name in dict.fromkeys(args.query))
    try:
        engines.check_translations()
    except engines.TranslationError as exc:
        raise Refused(str(exc)) from exc
    store = Store()
    store.ensure_initialised()
    try:
        version = store.version(args.version)
    except UnknownVersionError as exc:
        raise Refused(str(exc)) from exc
    duck = store.connect(version.id)
    try:
        other = engine.connect(store, version.id)
    except ImportError as exc:
        raise Refused(f"pyspark is not installed ({exc}): pip install -r requirements-spark.txt") from exc
    except Exception as exc:  # pyspark's errors for an unreachable or failing server have no common base
        raise Refused(
            f"Spark Connect at {engine.url}: {type(exc).__name__}: {' '.join(str(exc).split())[:500]}"
        ) from exc
    try:
        options = queries.filter_options(duck, tuple(v.id for v in store.versions()), version.id)
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(
            ["query", "state", "equal", "rows_duckdb", "rows_engine", "seconds_duckdb", "seconds_engine", "difference"]
        )
        unequal = 0
        compared: set[str] = set()
        states = engines.sample_states(options, duck)
        for o in engines.compare_engines(duck, other, states, named, max_rows=args.max_rows):
            unequal += o.compared and not o.equal
            if o.compared:
                compared.add(o.query)
            w.writerow(
                [
                    o.query,
                    o.state,
                    ("yes" if o.equal else "no") if o.compared else "not compared",
                    o.rows_duckdb,
                    o.rows_engine,
                    f"{o.seconds_duckdb:.3f}",
                    f"{o.seconds_engine:.3f}",
                    o.difference,
                ]
            )
            sys.stdout.flush()
    finally:
        other.close()
        duck.close()
    never = [q.name for q in named if q.name not in compared]
    if unequal:
        print(f"{unequal} result(s) differ between DuckDB and {engine.url}", file=sys.stderr)
    if never:
        print(
            f"not compared on any filter state (every result longer than --max-rows {args.max_rows:,}): "
            + ", ".join(never),
            file=sys.stderr,
        )
    return 1 if unequal or never else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dashboard", description="Tideline command line.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="regenerate the synthetic demo data in data/demo (deterministic)")
    sub.add_parser("versions", help="list data versions as CSV (with the release each import revises)")
    q = sub.add_parser(
        "sql",
        help="run a read-only SELECT; prints CSV with a header row",
        description="Tables: " + ", ".join(schema.ALL_TABLES),
    )
    q.add_argument("query", help='e.g. "SELECT route, sum(people) FROM crossings_daily GROUP BY 1"')
    q.add_argument("--version", type=int, help="data version id (default: current)")
    q.add_argument(
        "--timeout",
        type=analyst_sql.timeout_arg,
        metavar="SECONDS",
        help=f"stop the query after this many seconds (default: ${analyst_sql.TIMEOUT_ENV}, "
        f"or {analyst_sql.DEFAULT_TIMEOUT:g})",
    )
    i = sub.add_parser("ingest", help="import an official release or a canonical table as a new data version")
    i.add_argument("file", help="ODS/XLSX/CSV/Parquet/GeoJSON file")
    i.add_argument(
        "--source",
        help="format name, if detection should be skipped "
        "(home_office_small_boats, iom_missing_migrants, frontex_detections, canonical)",
    )
    i.add_argument(
        "--accept-partial",
        action="store_true",
        help="import the good rows even when some rows are rejected (they are listed in the report)",
    )
    i.add_argument("--report", help="where to write the CSV of rejected rows (default: in the data directory)")
    sub.add_parser("check", help="verify the store: manifest, every version's files and checksums (exit 2 if damaged)")
    n = sub.add_parser("init", help="create the store (with the demo data, or --empty)")
    n.add_argument("--empty", action="store_true", help="no demo data: only the reference tables")
    b = sub.add_parser("brief", help="export the briefing pack: one self-contained HTML file (works offline)")
    b.add_argument("--out", required=True, help="the HTML file to write, e.g. briefing.html")
    b.add_argument(
        "--views",
        help="comma-separated view ids in order (default: the saved views, or the "
        "default sequence when none are saved)",
    )
    x = sub.add_parser(
        "export",
        help="export the map's incidents (GeoPackage, GeoJSON, KML, CSV or XLSX) for a share link's filters",
    )
    x.add_argument("what", choices=["incidents"], help="what to export")
    x.add_argument(
        "--out", required=True, help="the file to write; its extension is the format: " + ", ".join(EXPORT_FORMATS)
    )
    x.add_argument("--link", help="a share link or its query string: the filters and the pinned data version")
    d = sub.add_parser(
        "diff",
        help="what changed between two data versions, as CSV (rows added, removed, changed; totals; revisions)",
        description=DIFF_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("old", type=int, metavar="OLD", help="the earlier data version id")
    d.add_argument("new", type=int, metavar="NEW", help="the later data version id")
    part = d.add_mutually_exclusive_group()
    part.add_argument("--totals", action="store_true", help="print the totals by year and month, before and after")
    part.add_argument("--revisions", action="store_true", help="print the largest revisions")
    d.add_argument(
        "--top",
        type=_top,
        default=diff.TOP,
        metavar="N",
        help=f"revisions listed per table and source (default: {diff.TOP})",
    )
    d.add_argument("--out", metavar="FILE", help="write the CSV to FILE instead of printing it")
    a = sub.add_parser(
        "audit",
        help="the audit trail: verify its hash chain (exit 2 if broken), export records as CSV, setup-sql",
        description=f"The trail is {audit.FILE_NAME} in the data directory, or the PostgreSQL table "
        f"{audit.TABLE} when ${audit.DATABASE_URL_ENV} is set.",
    )
    asub = a.add_subparsers(dest="audit_command", required=True)
    asub.add_parser("verify", help="check every record's hash and the chain; exit 2 naming the first broken record")
    e = asub.add_parser("export", help="records as CSV (time,seq,sub,email,roles,event,details,prev,hash)")
    e.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="from this UTC day (inclusive)")
    e.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="to this UTC day (inclusive)")
    e.add_argument("--user", help="only records whose sub or email is exactly this")
    e.add_argument("--event", choices=audit.EVENTS, help="only records of this event")
    e.add_argument("--out", metavar="FILE", help="write the CSV to FILE instead of printing it")
    q = asub.add_parser(
        "setup-sql",
        help="print the SQL an administrator runs once: the audit table and an insert-only role for the app",
    )
    q.add_argument("role", help="the login role the app connects as (it may read and append, never change)")
    g = sub.add_parser(
        "engine", help="the query engine: check that $TIDELINE_ENGINE (Spark Connect) gives DuckDB's results"
    )
    gsub = g.add_subparsers(dest="engine_command", required=True)
    c = gsub.add_parser(
        "check",
        help="run every named query on DuckDB and on the engine; CSV; exit 0 only when all are equal",
        description=ENGINE_CHECK_HELP.format(max_rows=settings.COMPARE_MAX_ROWS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("--version", type=int, help="data version id (default: current)")
    c.add_argument("--query", action="append", metavar="NAME", help="only this named query (repeatable)")
    c.add_argument(
        "--max-rows",
        type=int,
        default=settings.COMPARE_MAX_ROWS,
        metavar="N",
        help="the longest result of a row-per-incident query to collect and compare (default: %(default)s)",
    )
    return p


COMMANDS = {
    "demo": cmd_demo,
    "versions": cmd_versions,
    "sql": cmd_sql,
    "ingest": cmd_ingest,
    "init": cmd_init,
    "check": cmd_check,
    "brief": cmd_brief,
    "diff": cmd_diff,
    "audit": cmd_audit,
    "engine": cmd_engine,
    "export": cmd_export,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings.configure_logging(default="WARNING")
    try:
        return COMMANDS[args.command](args)
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
