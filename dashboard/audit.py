"""The audit trail: who did what and when, as a tamper-evident hash chain (JSONL file or PostgreSQL table).

Each record carries the sha256 of its own canonical JSON (``hash``) and of the record before it (``prev``),
so editing a record breaks its hash and deleting, inserting or moving one breaks the chain; ``verify``
names the first record that does not fit. The chain shows tampering, it does not prevent it: keep the
file (or the table, with an insert-only role: ``PostgresAuditLog.setup_sql``) where analysts cannot write.

No streamlit here: the app and the command line both append through ``open_log``.
"""

from __future__ import annotations

import abc
import csv
import getpass
import hashlib
import io
import json
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from .files import exclusive_lock, fsync_dir

log = logging.getLogger(__name__)

EVENTS: tuple[str, ...] = (
    "sign_in",
    "access_denied",
    "sign_out",
    "session_expired",
    "page_view",
    "export",
    "briefing_pack",
    "import",
    "saved_view",
    "sql",
)
GENESIS = "0" * 64
FILE_NAME = "audit.jsonl"
LOCK_NAME = ".audit.lock"
TABLE = "tideline_audit"
DATABASE_URL_ENV = "TIDELINE_DATABASE_URL"
AUDIT_DIR_ENV = "TIDELINE_AUDIT_DIR"
CSV_COLUMNS = ("time", "seq", "sub", "email", "roles", "event", "details", "prev", "hash")
KEYS = frozenset(("seq", "time", "sub", "email", "roles", "event", "details", "prev", "hash"))
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# Any fixed bigint: every Tideline process appending to the same database serialises on it.
ADVISORY_LOCK_KEY = 7_461_646_546_108_901
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_TAIL_CHUNK = 8192


class AuditError(RuntimeError):
    """The trail cannot be written or read; the message names the store (never a password) and why."""


class _BadRecord(ValueError):
    """One stored record that is not a well-formed record (the reason, without the position)."""


@dataclass(frozen=True)
class Record:
    """One entry of the trail."""

    seq: int
    time: str
    sub: str
    email: str
    roles: tuple[str, ...]
    event: str
    details: dict[str, Any]
    prev: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        """The record as its JSON object (roles as a list)."""
        return {
            "seq": self.seq,
            "time": self.time,
            "sub": self.sub,
            "email": self.email,
            "roles": list(self.roles),
            "event": self.event,
            "details": self.details,
            "prev": self.prev,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Verification:
    """The outcome of checking the whole chain."""

    ok: bool
    count: int
    first_broken: int | None
    reason: str
    head: str
    store: str


def canonical(obj: Any) -> str:
    """The canonical JSON text the hashes are taken over (sorted keys, no spaces, UTF-8 as is)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_hash(fields: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of a record without its ``hash`` key."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def format_time(moment: datetime) -> str:
    """A moment as the trail writes it: UTC, microseconds, ``Z`` (naive means UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(TIME_FORMAT)


def os_actor() -> tuple[str, str]:
    """The (sub, email) of a command-line record: the operating-system user."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        name = f"uid{os.getuid()}"
    return f"os:{name}", ""


def _checked(
    event: str, sub: str, email: str, roles: Sequence[str], details: Mapping[str, Any] | None
) -> tuple[list[str], dict[str, Any]]:
    """The roles and details as stored; ValueError for an unknown event or input that is not JSON."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}; known events: {', '.join(EVENTS)}")
    if not isinstance(sub, str) or not isinstance(email, str):
        raise ValueError("audit sub and email must be text")
    if isinstance(roles, str) or not all(isinstance(r, str) for r in roles):
        raise ValueError("audit roles must be a sequence of text")
    if details is not None and not isinstance(details, Mapping):
        raise ValueError(f"audit details must be a JSON object (a mapping), not {type(details).__name__}")
    try:
        # Round-tripped so the record holds what is stored (tuples as lists), and what is read back hashes alike.
        plain: dict[str, Any] = json.loads(canonical(dict(details or {})))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit details must be JSON-serialisable: {exc}") from exc
    return list(roles), plain


def _now() -> datetime:
    """The time a record is stamped with (a seam for tests)."""
    return datetime.now(UTC)


def _new_fields(
    seq: int, prev: str, event: str, sub: str, email: str, roles: list[str], details: dict[str, Any]
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "seq": seq,
        "time": format_time(_now()),
        "sub": sub,
        "email": email,
        "roles": roles,
        "event": event,
        "details": details,
        "prev": prev,
    }
    fields["hash"] = record_hash(fields)
    return fields


def _record(fields: Mapping[str, Any]) -> Record:
    """A Record from a stored JSON object, checking its shape (not its hashes)."""
    if not isinstance(fields, Mapping):
        raise _BadRecord("not a JSON object")
    keys = set(fields)
    if keys != KEYS:
        missing, extra = sorted(KEYS - keys), sorted(keys - KEYS)
        raise _BadRecord(
            "keys differ from a record's"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unexpected {', '.join(extra)}" if extra else "")
        )
    seq = fields["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise _BadRecord("seq is not a whole number")
    for key in ("time", "sub", "email", "event", "prev", "hash"):
        if not isinstance(fields[key], str):
            raise _BadRecord(f"{key} is not text")
    roles = fields["roles"]
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise _BadRecord("roles is not a list of text")
    if not isinstance(fields["details"], dict):
        raise _BadRecord("details is not a JSON object")
    return Record(
        seq=seq,
        time=fields["time"],
        sub=fields["sub"],
        email=fields["email"],
        roles=tuple(roles),
        event=fields["event"],
        details=fields["details"],
        prev=fields["prev"],
        hash=fields["hash"],
    )


def _bounds(since: datetime | date | None, until: datetime | date | None) -> tuple[str | None, str | None]:
    """(lowest time included, first time excluded) as trail time text; a date means its whole UTC day."""

    def start(d: datetime | date) -> datetime:
        if isinstance(d, datetime):
            return d.astimezone(UTC) if d.tzinfo is not None else d.replace(tzinfo=UTC)
        return datetime.combine(d, dtime(0), tzinfo=UTC)

    lo = format_time(start(since)) if since is not None else None
    hi = None
    if until is not None:
        step = timedelta(microseconds=1) if isinstance(until, datetime) else timedelta(days=1)
        hi = format_time(start(until) + step)
    return lo, hi


def _matches(r: Record, lo: str | None, hi: str | None, user: str | None, event: str | None) -> bool:
    # Trail times are fixed-width UTC text, so text order is time order.
    return (
        (lo is None or r.time >= lo)
        and (hi is None or r.time < hi)
        and (user is None or user in (r.sub, r.email))
        and (event is None or r.event == event)
    )


class _Checker:
    """Walks a trail in order and remembers the first record that does not fit the chain."""

    def __init__(self) -> None:
        self.count = 0
        self.head = GENESIS
        self.first_broken: int | None = None
        self.reason = ""

    def broken(self, reason: str) -> None:
        if self.first_broken is None:
            self.first_broken = self.count
            self.reason = f"record {self.count}: {reason}"

    def feed(self, fields: Any) -> None:
        self.count += 1
        n = self.count
        try:
            r = _record(fields)
        except _BadRecord as exc:
            self.broken(f"not a valid record ({exc})")
            self.head = ""
            return
        if self.first_broken is None:
            if r.hash != record_hash(r.as_dict()):
                self.broken("hash does not match its content (edited?)")
            elif r.prev != self.head:
                self.broken(f"prev does not match record {n - 1}'s hash (a record deleted, inserted or moved?)")
            elif r.seq != n:
                self.broken(f"seq is {r.seq}, expected {n}")
        self.head = r.hash

    def result(self, store: str) -> Verification:
        return Verification(
            ok=self.first_broken is None,
            count=self.count,
            first_broken=self.first_broken,
            reason=self.reason,
            head=self.head,
            store=store,
        )


class AuditLog(abc.ABC):
    """Where the trail is kept: append a record, read records back, verify the chain."""

    @abc.abstractmethod
    def append(
        self,
        event: str,
        *,
        sub: str,
        email: str = "",
        roles: Sequence[str] = (),
        details: Mapping[str, Any] | None = None,
    ) -> Record:
        """Add the next record (ValueError for an unknown event or details that are not JSON; AuditError)."""

    @abc.abstractmethod
    def records(
        self,
        *,
        since: datetime | date | None = None,
        until: datetime | date | None = None,
        user: str | None = None,
        event: str | None = None,
    ) -> list[Record]:
        """Records in seq order; ``user`` matches sub or email; since/until inclusive, a date a whole UTC day."""

    @abc.abstractmethod
    def verify(self) -> Verification:
        """Check every record's hash, prev and seq; the first one that does not fit."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the trail is, for people (never a password)."""

    @abc.abstractmethod
    def ready(self) -> None:
        """AuditError unless a record could be appended now: checked before work whose record comes after it
        (a query's rows), so nothing is done that cannot be recorded."""


# One lock per file per process: flock alone orders processes, the thread lock keeps a process's threads in line.
_FILE_LOCKS: dict[Path, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _thread_lock(path: Path) -> threading.Lock:
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(path, threading.Lock())


class JsonlAuditLog(AuditLog):
    """The trail as ``<data_dir>/audit.jsonl``: one record per line, appended under a file lock."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / FILE_NAME
        self._lock = _thread_lock(self.path.absolute())

    def describe(self) -> str:
        """The file's path."""
        return str(self.path)

    def append(
        self,
        event: str,
        *,
        sub: str,
        email: str = "",
        roles: Sequence[str] = (),
        details: Mapping[str, Any] | None = None,
    ) -> Record:
        """Add the next record: lock, read the last line, write one line with one write, fsync."""
        role_list, plain = _checked(event, sub, email, roles, details)  # bad input refused before any lock
        try:
            with self._lock, exclusive_lock(self.data_dir / LOCK_NAME):
                seq, prev = self._tail()
                fields = _new_fields(seq + 1, prev, event, sub, email, role_list, plain)
                self._write(json.dumps(fields, separators=(",", ":"), ensure_ascii=False) + "\n")
        except OSError as exc:
            raise AuditError(f"the audit trail {self.path} cannot be written: {exc.strerror or exc}") from exc
        return _record(fields)

    def ready(self) -> None:
        """The folder exists and the file opens for appending (nothing written)."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640))
            self._tail()  # a damaged last line would refuse the append too
        except OSError as exc:
            raise AuditError(f"the audit trail {self.path} cannot be written: {exc.strerror or exc}") from exc

    def _write(self, line: str) -> None:
        data = line.encode("utf-8")
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            # One write on an O_APPEND descriptor: the line lands whole at the end, never inside another.
            written = os.write(fd, data)
            if written != len(data):
                raise AuditError(
                    f"the audit trail {self.path}: only {written} of {len(data)} bytes written (disk full?); "
                    "the last line is now incomplete and must be removed by an administrator"
                )
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.data_dir)

    def _tail(self) -> tuple[int, str]:
        """(seq, hash) of the last record, reading back from the end of the file; (0, GENESIS) when empty."""
        try:
            f = self.path.open("rb")
        except FileNotFoundError:
            return 0, GENESIS
        with f:
            end = f.seek(0, os.SEEK_END)
            if end == 0:
                return 0, GENESIS
            f.seek(end - 1)
            if f.read(1) != b"\n":
                raise self._damaged("does not end with a newline (a torn write?)")
            tail = b""
            pos = end - 1  # the final newline
            while True:
                step = min(_TAIL_CHUNK, pos)
                pos -= step
                f.seek(pos)
                tail = f.read(step) + tail
                cut = tail.rfind(b"\n")
                if cut >= 0:
                    last = tail[cut + 1 :]
                    break
                if pos == 0:
                    last = tail
                    break
            try:
                r = _record(json.loads(last.decode("utf-8")))
            except (UnicodeDecodeError, ValueError) as exc:
                reason = str(exc) if isinstance(exc, _BadRecord) else "not valid JSON"
                raise self._damaged(f"is not a valid record ({reason}; a torn write or a hand edit?)") from exc
            if not _HEX64.fullmatch(r.hash):
                raise self._damaged("has no valid hash")
            return r.seq, r.hash

    def _damaged(self, what: str) -> AuditError:
        line = self._line_count()
        return AuditError(
            f"the audit trail {self.path} is damaged: its last line (line {line}) {what}; nothing was appended, "
            "so the chain is not restarted: an administrator must inspect the file (python -m dashboard audit verify)"
        )

    def _line_count(self) -> int:
        """Lines in the file, counting an unfinished last line (only on the error path: reads the whole file)."""
        count, last = 0, b"\n"
        with self.path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                count += chunk.count(b"\n")
                last = chunk[-1:]
        return count + (last != b"\n")

    def _lines(self) -> Iterator[tuple[int, Any]]:
        """(line number, parsed JSON or the _BadRecord why not) for each line, streaming."""
        try:
            f = self.path.open("rb")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise AuditError(f"the audit trail {self.path} cannot be read: {exc.strerror or exc}") from exc
        with f:
            for n, raw in enumerate(f, 1):
                if not raw.endswith(b"\n"):
                    yield n, _BadRecord("the line is unfinished (no newline: a torn write?)")
                    continue
                try:
                    yield n, json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    yield n, _BadRecord("not valid JSON (a torn write or a hand edit?)")

    def records(
        self,
        *,
        since: datetime | date | None = None,
        until: datetime | date | None = None,
        user: str | None = None,
        event: str | None = None,
    ) -> list[Record]:
        """Records in file order, filtered; AuditError naming the line when one cannot be read."""
        lo, hi = _bounds(since, until)
        out: list[Record] = []
        for n, fields in self._lines():
            try:
                if isinstance(fields, _BadRecord):
                    raise fields
                r = _record(fields)
            except _BadRecord as exc:
                raise AuditError(f"the audit trail {self.path}: line {n} is not a valid record ({exc})") from exc
            if _matches(r, lo, hi, user, event):
                out.append(r)
        return out

    def verify(self) -> Verification:
        """Stream the file and check the chain."""
        checker = _Checker()
        for _, fields in self._lines():
            if isinstance(fields, _BadRecord):
                checker.count += 1
                checker.broken(str(fields))
                checker.head = ""
            else:
                checker.feed(fields)
        return checker.result(self.describe())


def insert_only_role_sql(role: str) -> str:
    """SQL for an administrator: the audit table, and a login role that may read and append but never change it."""
    if not _ROLE_NAME.fullmatch(role):
        raise ValueError(f"role name {role!r}: use lower-case letters, digits and _ (at most 63, not a digit first)")
    # The role name is checked above (an identifier) and is the only text put into this SQL.
    return f"""\
{_create_table_sql()}
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE "{role}" LOGIN; END IF;
END $$;
REVOKE ALL ON {TABLE} FROM PUBLIC;
REVOKE ALL ON {TABLE} FROM "{role}";
GRANT SELECT, INSERT ON {TABLE} TO "{role}";
-- Then give the role a password (ALTER ROLE "{role}" PASSWORD '…') and set TIDELINE_DATABASE_URL to connect as it.
"""  # noqa: S608


def _create_table_sql() -> str:
    # time, roles and details are TEXT as written: jsonb and timestamptz would normalise them and break the hashes.
    return f"""\
CREATE TABLE IF NOT EXISTS {TABLE} (
  seq bigint PRIMARY KEY,
  time text NOT NULL,
  sub text NOT NULL,
  email text NOT NULL,
  roles text NOT NULL,
  event text NOT NULL,
  details text NOT NULL,
  prev char(64) NOT NULL,
  hash char(64) NOT NULL
);
CREATE INDEX IF NOT EXISTS {TABLE}_time ON {TABLE} (time);"""


# One fixed statement: a filter left NULL matches everything (trail times are fixed-width text, so text order is
# time order).
_SELECT = """\
SELECT seq, time, sub, email, roles, event, details, prev, hash FROM tideline_audit
WHERE (%(lo)s::text IS NULL OR time >= %(lo)s::text)
  AND (%(hi)s::text IS NULL OR time < %(hi)s::text)
  AND (%(user)s::text IS NULL OR sub = %(user)s::text OR email = %(user)s::text)
  AND (%(event)s::text IS NULL OR event = %(event)s::text)
ORDER BY seq"""


def _row_fields(row: Sequence[Any]) -> dict[str, Any] | _BadRecord:
    """A stored row as a record's JSON object, or why it cannot be one."""
    seq, at, sub, email, roles, event, details, prev, digest = row
    try:
        return {
            "seq": seq,
            "time": at,
            "sub": sub,
            "email": email,
            "roles": json.loads(roles),
            "event": event,
            "details": json.loads(details),
            "prev": prev,
            "hash": digest,
        }
    except (TypeError, ValueError):
        return _BadRecord("roles or details is not valid JSON")


class PostgresAuditLog(AuditLog):
    """The trail as the table ``tideline_audit``: appended under an advisory lock, one record per transaction."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: Any = None
        self._lock = threading.Lock()
        self._table_ready = False
        self._where = self._describe_url(url)

    @staticmethod
    def setup_sql(role: str) -> str:
        """The table and an insert-only role (SELECT, INSERT; no UPDATE, DELETE or TRUNCATE)."""
        return insert_only_role_sql(role)

    @staticmethod
    def _describe_url(url: str) -> str:
        try:
            from psycopg.conninfo import conninfo_to_dict

            info = conninfo_to_dict(url)
        except Exception:  # a malformed URL: say so without repeating it (it may hold a password)
            return f"PostgreSQL (unreadable connection URL) table {TABLE}"
        host = str(info.get("host") or info.get("hostaddr") or "localhost")
        port = f":{info['port']}" if info.get("port") else ""
        db = str(info.get("dbname") or info.get("user") or "")
        return f"PostgreSQL {host}{port}/{db} table {TABLE}"

    def describe(self) -> str:
        """Host, database and table (never the password)."""
        return self._where

    def close(self) -> None:
        """Close the connection (a later call opens a new one)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _error(self, doing: str, exc: Exception) -> AuditError:
        return AuditError(f"the audit trail in {self._where} {doing}: {str(exc).strip() or type(exc).__name__}")

    def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        if not self._table_ready:
            with self._conn.transaction():
                row = self._conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone()
                if row is None or row[0] is None:
                    # Checked first, so a role that may only insert into an existing table never needs CREATE.
                    self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
                    self._conn.execute(_create_table_sql())
            self._table_ready = True
        return self._conn

    def ready(self) -> None:
        """The server answers and this role may insert into the table."""

        def work(conn: Any) -> None:
            row = conn.execute("SELECT has_table_privilege(%s, 'INSERT')", (TABLE,)).fetchone()
            if not row or not row[0]:
                raise AuditError(f"the audit trail in {self._where}: this role may not insert into {TABLE}")

        self._run("cannot be reached", work)

    def _run(self, doing: str, work: Any) -> Any:
        """work(connection) under the lock; once more on a new connection when the old one was lost."""
        import psycopg

        with self._lock:
            for attempt in (1, 2):
                try:
                    return work(self._connection())
                except psycopg.Error as exc:
                    lost = self._conn is not None and (self._conn.broken or self._conn.closed)
                    if lost:
                        try:
                            self._conn.close()
                        finally:
                            self._conn = None
                    if attempt == 1 and lost:
                        log.warning("audit: connection to %s lost (%s); reconnecting", self._where, exc)
                        continue
                    raise self._error(doing, exc) from exc
        raise AssertionError("unreachable")

    def append(
        self,
        event: str,
        *,
        sub: str,
        email: str = "",
        roles: Sequence[str] = (),
        details: Mapping[str, Any] | None = None,
    ) -> Record:
        """Add the next record in one transaction under the advisory lock."""
        role_list, plain = _checked(event, sub, email, roles, details)  # bad input refused before connecting

        def work(conn: Any) -> dict[str, Any]:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
                last = conn.execute("SELECT seq, hash FROM tideline_audit ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (int(last[0]), str(last[1])) if last else (0, GENESIS)
                f = _new_fields(seq + 1, prev, event, sub, email, role_list, plain)
                conn.execute(
                    "INSERT INTO tideline_audit (seq, time, sub, email, roles, event, details, prev, hash) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        f["seq"],
                        f["time"],
                        f["sub"],
                        f["email"],
                        canonical(f["roles"]),
                        f["event"],
                        canonical(f["details"]),
                        f["prev"],
                        f["hash"],
                    ),
                )
                return f

        return _record(self._run("cannot be written", work))

    def _rows(self, conn: Any, filters: Mapping[str, Any] | None = None) -> Iterator[Sequence[Any]]:
        """Stored rows in seq order (streamed through a server-side cursor, never held whole in memory)."""
        params = {"lo": None, "hi": None, "user": None, "event": None, **(filters or {})}
        with conn.transaction(), conn.cursor(name="tideline_audit_read") as cur:
            cur.execute(_SELECT, params)
            while rows := cur.fetchmany(5000):
                yield from rows

    def records(
        self,
        *,
        since: datetime | date | None = None,
        until: datetime | date | None = None,
        user: str | None = None,
        event: str | None = None,
    ) -> list[Record]:
        """Records in seq order, filtered in the database."""
        lo, hi = _bounds(since, until)
        filters = {"lo": lo, "hi": hi, "user": user, "event": event}

        def work(conn: Any) -> list[Record]:
            out = []
            for row in self._rows(conn, filters):
                try:
                    fields = _row_fields(row)
                    if isinstance(fields, _BadRecord):
                        raise fields
                    out.append(_record(fields))
                except _BadRecord as exc:
                    raise AuditError(
                        f"the audit trail in {self._where}: seq {row[0]} is not a valid record ({exc})"
                    ) from exc
            return out

        result: list[Record] = self._run("cannot be read", work)
        return result

    def verify(self) -> Verification:
        """Stream the table in seq order and check the chain."""

        def work(conn: Any) -> Verification:
            checker = _Checker()
            for row in self._rows(conn):
                fields = _row_fields(row)
                if isinstance(fields, _BadRecord):
                    checker.count += 1
                    checker.broken(str(fields))
                    checker.head = ""
                else:
                    checker.feed(fields)
            return checker.result(self._where)

        result: Verification = self._run("cannot be read", work)
        return result


def open_log(data_dir: Path | str, database_url: str | None = None) -> AuditLog:
    """The trail: PostgreSQL when a database URL is given (or in $TIDELINE_DATABASE_URL), else the JSONL file."""
    url = os.environ.get(DATABASE_URL_ENV, "") if database_url is None else database_url
    if url.strip():
        return PostgresAuditLog(url.strip())
    # A store mounted read-only (or shared by hosts) keeps its trail elsewhere: $TIDELINE_AUDIT_DIR.
    return JsonlAuditLog(os.environ.get(AUDIT_DIR_ENV, "").strip() or data_dir)


def _neutralise_json(value: Any) -> Any:
    from .exports import neutralise

    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, list):
        return [_neutralise_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _neutralise_json(v) for k, v in value.items()}
    return value


def to_csv_bytes(records: Sequence[Record]) -> bytes:
    """The records as UTF-8 CSV with a header row; every text cell (and text inside details) formula-safe."""
    from .exports import neutralise  # pandas and openpyxl: loaded only when exporting

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in records:
        w.writerow(
            [
                neutralise(r.time),
                r.seq,
                neutralise(r.sub),
                neutralise(r.email),
                neutralise(";".join(r.roles)),
                neutralise(r.event),
                neutralise(canonical(_neutralise_json(r.details))),
                neutralise(r.prev),
                neutralise(r.hash),
            ]
        )
    return out.getvalue().encode("utf-8")
