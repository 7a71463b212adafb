"""Analyst SQL, the `sql` command's engine: read-only checks, a time limit, and spilling confined to the store.

Pure (no streamlit). What it guarantees, each with its own exit code in the command line:

* **read-only** (refused, exit 2): every statement is a plain SELECT, with nothing that writes anywhere inside it.
  To DuckDB ``WITH d AS (DELETE … RETURNING *) SELECT …`` is a SELECT statement, so each statement is checked
  twice more, before anything runs: its parse tree (``json_serialize_sql``) may hold only the query nodes of a
  read (an allow-list: a node type DuckDB adds later is refused until it is listed), and its bound plan
  (``EXPLAIN``, which binds but does not run) may hold no operator that writes. Files may not be read.
* **time** (exit 2): DuckDB has no statement timeout, so a timer thread interrupts the connection
  (``con.interrupt()``) once the limit has passed, and keeps interrupting until the run ends.
* **disk** (exit 2 when exceeded): a query that does not fit in memory spills into a fresh folder
  ``<data_dir>/tmp/sql-<uuid>``, at most the temp limit, removed afterwards whatever happened; never into DuckDB's
  default ``<cwd>/.tmp``. A store that cannot be written runs queries with spilling off.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import logging
import math
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO, TypeVar

import duckdb

from . import schema
from .store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

TIMEOUT_ENV = "TIDELINE_SQL_TIMEOUT"
TEMP_LIMIT_ENV = "TIDELINE_SQL_TEMP_LIMIT"
MEMORY_LIMIT_ENV = "TIDELINE_SQL_MEMORY_LIMIT"
DEFAULT_TIMEOUT = 60.0  # seconds
DEFAULT_TEMP_LIMIT = "2GB"
DEFAULT_MEMORY_LIMIT = "2GB"  # as the app's connections
SPILL_PARENT = "tmp"  # <data_dir>/tmp/sql-<uuid>
REINTERRUPT_EVERY = 0.05  # seconds

READ_ONLY_TYPES = frozenset({duckdb.StatementType.SELECT})
# Query nodes a read may contain, as json_serialize_sql names them. DuckDB 2 adds INSERT_QUERY_NODE,
# UPDATE_QUERY_NODE, DELETE_QUERY_NODE, COPY_QUERY_NODE, STATEMENT_NODE… for data-modifying CTEs: all refused.
READ_ONLY_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})
# Physical operators that write, as EXPLAIN names them (exact names: table functions show under their own
# names, e.g. PRAGMA_TABLE_INFO, and must not match).
WRITE_OPERATORS = frozenset(
    {
        "INSERT",
        "BATCH_INSERT",
        "DELETE",
        "DELETE_OPERATOR",
        "UPDATE",
        "MERGE_INTO",
        "COPY_TO_FILE",
        "BATCH_COPY_TO_FILE",
        "FIXED_BATCH_COPY_TO_FILE",
        "COPY_DATABASE",
        "CREATE_TABLE",
        "CREATE_TABLE_AS",
        "BATCH_CREATE_TABLE_AS",
        "CREATE_INDEX",
        "CREATE_SEQUENCE",
        "CREATE_VIEW",
        "CREATE_SCHEMA",
        "CREATE_MACRO",
        "CREATE_TYPE",
        "CREATE_SECRET",
        "ALTER",
        "DROP",
        "ATTACH",
        "DETACH",
        "PRAGMA",
        "TRANSACTION",
        "VACUUM",
        "EXPORT",
        "SET",
        "SET_VARIABLE",
        "RESET",
        "LOAD",
        "UPDATE_EXTENSIONS",
    }
)
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)
_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}


class SqlRefused(Exception):
    """A query the command will not run, or stopped at a limit; the message says why (exit code 2)."""


class TimeLimitExceeded(SqlRefused):
    """The query ran past the time limit and was interrupted."""


class SqlError(Exception):
    """DuckDB rejected or failed the query (a typo, an unknown column…); the message is DuckDB's (exit code 1)."""


# -- limits ------------------------------------------------------------------------------------------------------
def parse_size(text: str) -> int:
    """Bytes in a size such as 2GB, 500 MB, 1.5GiB or 1048576 (KB/MB/GB/TB are powers of 1000, KiB… of 1024)."""
    m = _SIZE.fullmatch(text)
    unit = m.group(2).upper() if m else ""
    if not m or unit not in _UNITS:
        raise ValueError(f"not a size: {text!r} (e.g. 2GB, 500MB, 1GiB)")
    return int(float(m.group(1)) * _UNITS[unit])


def parse_timeout(text: str) -> float:
    """Seconds, more than 0 (e.g. 60 or 2.5)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (0 < seconds <= threading.TIMEOUT_MAX):  # also refuses nan and inf
        raise ValueError(f"not a number of seconds above 0: {text!r}")
    return seconds


def timeout_arg(text: str) -> float:
    """`parse_timeout` for argparse (--timeout): a bad value is a usage error naming the option."""
    try:
        return parse_timeout(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


@dataclass(frozen=True)
class Limits:
    """What one run may use: wall-clock seconds, bytes of memory and bytes of spilled temp files."""

    timeout: float = DEFAULT_TIMEOUT
    memory_bytes: int = parse_size(DEFAULT_MEMORY_LIMIT)
    temp_bytes: int = parse_size(DEFAULT_TEMP_LIMIT)

    @classmethod
    def from_env(cls, timeout: float | None = None) -> Limits:
        """$TIDELINE_SQL_TIMEOUT (unless `timeout` is given, from --timeout), $TIDELINE_SQL_MEMORY_LIMIT and
        $TIDELINE_SQL_TEMP_LIMIT, or the defaults; SqlRefused naming the variable when one is not valid."""

        def read(name: str, default: str, parse: Callable[[str], T]) -> T:
            value = os.environ.get(name, "").strip() or default
            try:
                return parse(value)
            except ValueError as exc:
                raise SqlRefused(f"{name}: {exc}") from exc

        return cls(
            timeout=timeout if timeout is not None else read(TIMEOUT_ENV, str(DEFAULT_TIMEOUT), parse_timeout),
            memory_bytes=read(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT, parse_size),
            temp_bytes=read(TEMP_LIMIT_ENV, DEFAULT_TEMP_LIMIT, parse_size),
        )


def _size(n: int) -> str:
    for unit, factor in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} bytes"


# -- read-only check ---------------------------------------------------------------------------------------------
def _refuse_write(what: str, query: str) -> SqlRefused:
    return SqlRefused(f"only read-only SELECT queries are allowed; refused {what}: {' '.join(query.split())[:80]}")


def parse_tree_writes(con: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    """The query node types in one SELECT statement's parse tree that are not a read (e.g. DELETE_QUERY_NODE for a
    data-modifying CTE, at any depth); SqlRefused when the tree cannot be had, since then nothing is known."""
    row = con.execute("SELECT json_serialize_sql($q)", {"q": query}).fetchone()
    try:
        tree = json.loads(row[0]) if row else {"error": True}
    except (ValueError, RecursionError) as exc:
        raise SqlRefused(f"the query could not be checked ({type(exc).__name__}): {query.strip()[:80]}") from exc
    if not isinstance(tree, dict) or tree.get("error") or not isinstance(tree.get("statements"), list):
        reason = (tree.get("error_message") if isinstance(tree, dict) else None) or "no parse tree"
        raise SqlRefused(f"the query could not be checked ({reason}): {query.strip()[:80]}")
    found: set[str] = set()
    stack: list[Any] = [tree["statements"]]
    while stack:  # iterative: a deeply nested query must not meet Python's recursion limit
        item = stack.pop()
        if isinstance(item, dict):
            kind = item.get("type")
            if isinstance(kind, str) and kind.endswith("_NODE") and kind not in READ_ONLY_NODES:
                found.add(kind)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return sorted(found)


def plan_writes(con: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    """The operators that write in one statement's bound plan (EXPLAIN binds, it does not run). DuckDB errors
    (binding, permission, interrupt) propagate: a statement that cannot be explained is never run."""
    explain = "EXPLAIN (FORMAT json) " + query
    parsed = con.extract_statements(explain)
    if len(parsed) != 1 or parsed[0].type != duckdb.StatementType.EXPLAIN:  # never run more than the EXPLAIN
        raise SqlRefused(f"the query could not be checked (it does not explain as one statement): {query[:80]}")
    rows = con.execute(parsed[0]).fetchall()
    found: set[str] = set()
    for _, plan in rows:
        try:
            stack: list[Any] = [json.loads(plan)]
        except (ValueError, RecursionError) as exc:
            raise SqlRefused(f"the query could not be checked (its plan is unreadable): {query.strip()[:80]}") from exc
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                if item.get("name") in WRITE_OPERATORS:
                    found.add(str(item["name"]))
                stack.extend(item.get("children") or [])
            elif isinstance(item, list):
                stack.extend(item)
    return sorted(found)


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> list[duckdb.Statement]:
    """The statements of `sql` when every one is a read-only SELECT that writes nothing anywhere and reads no
    files; SqlRefused otherwise. Runs nothing: a DuckDB error from binding (duckdb.Error) propagates."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlRefused(f"could not parse the SQL: {exc}") from exc
    if not statements:
        raise SqlRefused("no SQL statement given")
    for st in statements:
        if st.type not in READ_ONLY_TYPES:
            raise _refuse_write(f"a {st.type.name.replace('_', ' ')} statement", st.query)
    for st in statements:
        nodes = parse_tree_writes(con, st.query)
        if nodes:
            kinds = ", ".join(n.removesuffix("_NODE").removesuffix("_QUERY").replace("_", " ") for n in nodes)
            raise _refuse_write(f"a statement that contains {kinds}", st.query)
    try:
        names = con.get_table_names(sql)
    except duckdb.PermissionException as exc:
        raise SqlRefused(f"reading or writing files is not allowed from the SQL command ({exc})") from exc
    except duckdb.Error:
        names = set()  # binding below reports it
    files = sorted(n for n in names if n not in schema.ALL_TABLES and any(ch in n for ch in "/\\.:"))
    if files:
        raise SqlRefused(f"reading files is not allowed from the SQL command: {', '.join(files)}")
    for st in statements:
        operators = plan_writes(con, st.query)
        if operators:
            raise _refuse_write(f"a statement whose plan writes ({', '.join(operators)})", st.query)
    return statements


# -- time limit and spill folder ---------------------------------------------------------------------------------
class Deadline:
    """Interrupts `con` once `seconds` have passed, then again every 50 ms until the block ends: an interrupt
    that lands while no query runs (between two statements, between two fetches) is otherwise lost."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self.con = con
        self.seconds = seconds
        self.expired = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="sql-time-limit", daemon=True)

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired.set()
        while True:
            self.con.interrupt()
            if self._done.wait(REINTERRUPT_EVERY):
                return

    def check(self) -> None:
        """TimeLimitExceeded once the limit has passed."""
        if self.expired.is_set():
            raise TimeLimitExceeded(self.message())

    def message(self) -> str:
        return (
            f"the query was stopped at the time limit of {self.seconds:g} s (set with --timeout, or "
            f"{TIMEOUT_ENV}; default {DEFAULT_TIMEOUT:g} s)"
        )

    def __enter__(self) -> Deadline:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        self._thread.join()


def _make_folder(folder: Path) -> bool:
    for _attempt in range(3):
        try:
            folder.mkdir(parents=True)
            return True
        except FileNotFoundError:  # another run removed an empty tmp/ between our two mkdirs: again
            continue
        except OSError as exc:
            log.warning("no spill folder in %s (%s): the query runs with spilling to disk off", folder.parent, exc)
            return False
    return False


@contextlib.contextmanager
def spill_folder(data_dir: Path) -> Iterator[Path | None]:
    """A fresh folder <data_dir>/tmp/sql-<uuid> to spill into, removed afterwards (also after an error or an
    interrupt), with tmp/ when no other run is using it; None when the store cannot be written."""
    parent = data_dir / SPILL_PARENT
    folder = parent / f"sql-{uuid.uuid4().hex}"
    if not _make_folder(folder):
        yield None
        return
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            parent.rmdir()  # only if empty: another run may be spilling next to us


# -- running ----------------------------------------------------------------------------------------------------
def _limit_message(exc: duckdb.Error, limits: Limits, folder: Path | None) -> str:
    spill = (
        f"plus the temp space limit of {_size(limits.temp_bytes)} ({TEMP_LIMIT_ENV})"
        if folder is not None
        else "(spilling to disk is off: the store cannot be written)"
    )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"the query needs more than the memory limit of {_size(limits.memory_bytes)} ({MEMORY_LIMIT_ENV}) "
        f"{spill}: {first}"
    )


def run(store: Store, sql: str, out: TextIO, *, version_id: int | None = None, limits: Limits | None = None) -> None:
    """Check `sql` (check_read_only), run its statements on a connection to one data version, and write the last
    statement's result to `out` as CSV with a header row, all within the limits. SqlRefused (incl.
    TimeLimitExceeded) or SqlError otherwise; UnknownVersionError from the store. On a time limit, `out` may
    already hold part of the rows."""
    limits = limits or Limits()
    with spill_folder(store.data_dir) as folder:
        con = store.connect(
            version_id,
            memory_limit=f"{limits.memory_bytes}B",
            temp_directory=folder,
            temp_limit_bytes=limits.temp_bytes,
        )
        try:
            with Deadline(con, limits.timeout) as deadline:
                try:
                    statements = check_read_only(con, sql)
                    for st in statements[:-1]:
                        deadline.check()
                        con.execute(st)
                    deadline.check()
                    cur = con.execute(statements[-1])
                    w = csv.writer(out, lineterminator="\n")
                    w.writerow([d[0] for d in cur.description or []])
                    while rows := cur.fetchmany(10_000):
                        w.writerows(rows)
                        deadline.check()
                except duckdb.InterruptException as exc:
                    if deadline.expired.is_set():
                        raise TimeLimitExceeded(deadline.message()) from exc
                    raise SqlError(str(exc)) from exc
                except duckdb.OutOfMemoryException as exc:
                    raise SqlRefused(_limit_message(exc, limits, folder)) from exc
                except duckdb.PermissionException as exc:
                    raise SqlRefused(f"reading or writing files is not allowed from the SQL command ({exc})") from exc
                except duckdb.Error as exc:
                    raise SqlError(str(exc)) from exc
        finally:
            con.close()
