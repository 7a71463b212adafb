"""Command line: python -m dashboard {demo,versions,sql} …"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence

import duckdb

from . import schema
from .store import DEMO_DIR, Store, StoreError, UnknownVersionError

EXIT_REFUSED = 2
READ_ONLY_TYPES = {duckdb.StatementType.SELECT}


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
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["id", "current", "created_at", "source_name", "file_name", "sha256", "rows", "synthetic", "note"])
    for v in store.versions():
        w.writerow([v.id, "*" if v.id == current else "", v.created_at, v.source_name, v.file_name or "",
                    v.sha256 or "", v.rows, "yes" if v.synthetic else "no", v.note or ""])
    return 0


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but plain SELECT statements."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise Refused(f"could not parse the SQL: {exc}") from exc
    if not statements:
        raise Refused("no SQL statement given")
    for st in statements:
        if st.type not in READ_ONLY_TYPES:
            kind = st.type.name.replace("_", " ")
            raise Refused(f"only read-only SELECT queries are allowed; refused a {kind} statement: "
                          f"{st.query.strip()[:80]}")
    try:
        names = con.get_table_names(sql)
    except duckdb.PermissionException as exc:
        raise Refused(f"reading or writing files is not allowed from the SQL command ({exc})") from exc
    except duckdb.Error:
        return  # let execution report the error
    files = sorted(n for n in names if n not in schema.ALL_TABLES and any(ch in n for ch in "/\\.:"))
    if files:
        raise Refused(f"reading files is not allowed from the SQL command: {', '.join(files)}")


def cmd_sql(args: argparse.Namespace) -> int:
    store = Store()
    store.ensure_initialised()
    try:
        con = store.connect(args.version)
    except UnknownVersionError as exc:
        raise Refused(str(exc)) from exc
    check_read_only(con, args.query)
    try:
        statements = con.extract_statements(args.query)
        for st in statements[:-1]:
            con.execute(st)
        cur = con.execute(statements[-1])
    except duckdb.PermissionException as exc:
        raise Refused(f"reading or writing files is not allowed from the SQL command ({exc})") from exc
    except duckdb.Error as exc:
        print(f"SQL error: {exc}", file=sys.stderr)
        return 1
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow([d[0] for d in cur.description])
    while rows := cur.fetchmany(10_000):
        w.writerows(rows)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dashboard", description="Tideline command line.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="regenerate the synthetic demo data in data/demo (deterministic)")
    sub.add_parser("versions", help="list data versions as CSV")
    q = sub.add_parser("sql", help="run a read-only SELECT; prints CSV with a header row",
                       description="Tables: " + ", ".join(schema.ALL_TABLES))
    q.add_argument("query", help='e.g. "SELECT route, sum(people) FROM crossings_daily GROUP BY 1"')
    q.add_argument("--version", type=int, help="data version id (default: current)")
    return p


COMMANDS = {"demo": cmd_demo, "versions": cmd_versions, "sql": cmd_sql}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
