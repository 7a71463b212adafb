"""The audit trail's hash chain, on both stores: the JSONL file and a real PostgreSQL server."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import threading
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from postgres import database_url, with_conninfo  # noqa: F401

from dashboard import audit
from dashboard.audit import EVENTS, GENESIS, AuditError, JsonlAuditLog, PostgresAuditLog


class Trail:
    """A store under test, with the means to tamper with it behind the log's back."""

    kind: str
    where: str  # the data directory or the database URL

    def open(self) -> audit.AuditLog:
        return open_store(self.kind, self.where)

    def edit_details(self, seq: int, details: dict) -> None: ...
    def delete(self, seq: int) -> None: ...
    def swap(self, a: int, b: int) -> None: ...


class JsonlTrail(Trail):
    kind = "jsonl"

    def __init__(self, data_dir: Path) -> None:
        self.where = str(data_dir)
        self.path = data_dir / audit.FILE_NAME

    def _lines(self) -> list[str]:
        return self.path.read_text(encoding="utf-8").splitlines(keepends=True)

    def edit_details(self, seq: int, details: dict) -> None:
        lines = self._lines()
        doc = json.loads(lines[seq - 1])
        doc["details"] = details
        lines[seq - 1] = json.dumps(doc) + "\n"
        self.path.write_text("".join(lines), encoding="utf-8")

    def delete(self, seq: int) -> None:
        lines = self._lines()
        del lines[seq - 1]
        self.path.write_text("".join(lines), encoding="utf-8")

    def swap(self, a: int, b: int) -> None:
        lines = self._lines()
        lines[a - 1], lines[b - 1] = lines[b - 1], lines[a - 1]
        self.path.write_text("".join(lines), encoding="utf-8")


class PostgresTrail(Trail):
    kind = "postgres"

    def __init__(self, url: str) -> None:
        self.where = url

    def sql(self, statement: str, params: tuple = ()) -> None:
        with psycopg.connect(self.where, autocommit=True) as con:  # as the superuser: nothing stops it
            con.execute(statement, params)

    def edit_details(self, seq: int, details: dict) -> None:
        self.sql("UPDATE tideline_audit SET details = %s WHERE seq = %s", (audit.canonical(details), seq))

    def delete(self, seq: int) -> None:
        self.sql("DELETE FROM tideline_audit WHERE seq = %s", (seq,))

    def swap(self, a: int, b: int) -> None:
        cols = "time, sub, email, roles, event, details, prev, hash"
        self.sql(
            f"UPDATE tideline_audit t SET ({cols}) = (SELECT {cols} FROM tideline_audit o "
            "WHERE o.seq = CASE WHEN t.seq = %s THEN %s ELSE %s END) WHERE t.seq IN (%s, %s)",
            (a, b, a, a, b),
        )


def open_store(kind: str, where: str) -> audit.AuditLog:
    return JsonlAuditLog(where) if kind == "jsonl" else PostgresAuditLog(where)


@pytest.fixture(params=["jsonl", "postgres"])
def trail(request, tmp_path) -> Trail:
    if request.param == "jsonl":
        return JsonlTrail(tmp_path / "data")  # not created yet: the first append makes it
    return PostgresTrail(request.getfixturevalue("database_url"))


def fill(log: audit.AuditLog, n: int) -> list[audit.Record]:
    return [log.append("page_view", sub=f"u{i}", details={"page": f"p{i}"}) for i in range(1, n + 1)]


def expected_hash(record: audit.Record) -> str:
    body = {k: v for k, v in record.as_dict().items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_every_event_is_appended_read_back_and_verified(trail):
    log = trail.open()
    assert log.verify() == audit.Verification(True, 0, None, "", GENESIS, log.describe())
    written = []
    for i, event in enumerate(EVENTS):
        details = {"i": i, "text": 'café ⚓ \u2028 "quoted"\n', "nested": {"list": [1, 2.5, None, True]}}
        written.append(
            log.append(event, sub=f"sub-{i}", email=f"u{i}@example.org", roles=("analyst",), details=details)
        )
    assert [r.seq for r in written] == list(range(1, len(EVENTS) + 1))
    assert written[0].prev == GENESIS and all(b.prev == a.hash for a, b in zip(written, written[1:], strict=False))
    assert all(r.hash == expected_hash(r) for r in written)
    assert all(r.time.endswith("Z") and len(r.time) == len("2026-11-30T01:02:03.123456Z") for r in written)
    assert set(written[0].as_dict()) == {"seq", "time", "sub", "email", "roles", "event", "details", "prev", "hash"}
    assert written[0].as_dict()["roles"] == ["analyst"]
    assert written[3].details["nested"] == {"list": [1, 2.5, None, True]}
    # A new object reads what was written, exactly.
    again = trail.open()
    assert again.records() == written
    v = again.verify()
    assert v.ok and v.count == len(EVENTS) and v.first_broken is None and v.reason == ""
    assert v.head == written[-1].hash and v.store == again.describe()


def test_details_are_kept_as_given(trail):
    log = trail.open()
    r = log.append("export", sub="s", details={"rows": (1, 2), "format": "=xlsx"})
    assert r.details == {"rows": [1, 2], "format": "=xlsx"}  # stored as JSON, not neutralised
    assert trail.open().records()[0].details == r.details and log.append("sql", sub="s").details == {}


@pytest.mark.parametrize(
    ("tamper", "broken", "fragment"),
    [
        (lambda t: t.edit_details(4, {"page": "edited"}), 4, "record 4: hash does not match its content (edited?)"),
        (lambda t: t.delete(4), 4, "record 4: prev does not match record 3's hash"),
        (lambda t: t.swap(3, 5), 3, "record 3: "),
    ],
    ids=["edit", "delete", "swap"],
)
def test_tampering_is_found_at_the_right_record(trail, tamper, broken, fragment):
    log = trail.open()
    fill(log, 6)
    assert log.verify().ok
    tamper(trail)
    v = trail.open().verify()
    assert not v.ok and v.first_broken == broken, v
    assert v.reason.startswith(fragment), v.reason


def test_a_rehashed_edit_still_breaks_the_chain(tmp_path):
    log = JsonlAuditLog(tmp_path)
    fill(log, 3)
    path = tmp_path / audit.FILE_NAME
    lines = path.read_text().splitlines()
    doc = json.loads(lines[1])
    doc["details"] = {"page": "forged"}
    doc["hash"] = audit.record_hash(doc)  # a careful forger recomputes the hash
    lines[1] = json.dumps(doc)
    path.write_text("\n".join(lines) + "\n")
    v = log.verify()
    assert (v.ok, v.first_broken) == (False, 3) and "prev does not match record 2's hash" in v.reason


def test_a_renumbered_record_is_found(tmp_path):
    log = JsonlAuditLog(tmp_path)
    fill(log, 2)
    path = tmp_path / audit.FILE_NAME
    lines = path.read_text().splitlines()
    doc = json.loads(lines[1])
    doc["seq"] = 7
    doc["hash"] = audit.record_hash(doc)
    lines[1] = json.dumps(doc)
    path.write_text("\n".join(lines) + "\n")
    assert log.verify().reason == "record 2: seq is 7, expected 2"


def test_unknown_events_and_bad_details_are_refused(trail):
    log = trail.open()
    with pytest.raises(ValueError, match="unknown audit event 'sign_in_as_root'"):
        log.append("sign_in_as_root", sub="s")
    with pytest.raises(ValueError, match="JSON-serialisable"):
        log.append("export", sub="s", details={"when": datetime.now(UTC)})
    with pytest.raises(ValueError, match="JSON-serialisable"):
        log.append("export", sub="s", details={"x": float("nan")})
    with pytest.raises(ValueError, match="JSON object"):
        log.append("export", sub="s", details=["not", "a", "mapping"])  # type: ignore[arg-type]
    assert log.records() == [] and log.verify().count == 0


def test_records_are_filtered(trail, monkeypatch):
    moments = iter(
        [
            datetime(2026, 1, 1, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(2026, 1, 2, 0, 0, 0, tzinfo=UTC),
            datetime(2026, 1, 2, 12, 30, 0, 5, tzinfo=UTC),
            datetime(2026, 1, 2, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(2026, 1, 3, 0, 0, 0, tzinfo=UTC),
        ]
    )
    monkeypatch.setattr(audit, "_now", lambda: next(moments))
    log = trail.open()
    log.append("sign_in", sub="alice-sub", email="alice@example.org")
    log.append("page_view", sub="alice-sub", email="alice@example.org")
    log.append("sql", sub="os:bob")
    log.append("export", sub="carol-sub", email="carol@example.org")
    log.append("sign_out", sub="alice-sub", email="alice@example.org")

    def seqs(**kw) -> list[int]:
        return [r.seq for r in log.records(**kw)]

    assert seqs() == [1, 2, 3, 4, 5]
    assert seqs(user="alice@example.org") == seqs(user="alice-sub") == [1, 2, 5]
    assert seqs(user="alice") == [] and seqs(user="os:bob") == [3]
    assert seqs(event="sql") == [3] and seqs(event="export", user="alice-sub") == []
    assert seqs(since=date(2026, 1, 2), until=date(2026, 1, 2)) == [2, 3, 4]  # whole UTC days
    assert seqs(since=date(2026, 1, 2)) == [2, 3, 4, 5] and seqs(until=date(2026, 1, 1)) == [1]
    noon = datetime(2026, 1, 2, 12, 30, 0, 5, tzinfo=UTC)
    assert seqs(since=noon) == [3, 4, 5] and seqs(until=noon) == [1, 2, 3]  # inclusive to the microsecond
    assert seqs(since=datetime(2026, 1, 2, 12, 30)) == [3, 4, 5]  # naive means UTC
    assert seqs(since=date(2026, 1, 2), user="alice-sub", event="page_view") == [2]
    assert log.verify().ok


def _append_many(kind: str, where: str, worker: int, n: int) -> None:
    log = open_store(kind, where)
    for i in range(n):
        log.append("page_view", sub=f"worker-{worker}", details={"i": i})


def test_four_processes_append_to_one_chain(trail):
    """Four spawned processes, 50 appends each, on a store none of them has seen yet (PostgreSQL: no table)."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(trail.kind, trail.where, w, 50)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    v = trail.open().verify()
    assert v.ok and v.count == 200, v
    records = trail.open().records()
    assert [r.seq for r in records] == list(range(1, 201))
    for w in range(4):  # each writer's records in the order it wrote them
        assert [r.details["i"] for r in records if r.sub == f"worker-{w}"] == list(range(50))


def test_concurrent_threads_keep_one_chain(trail):
    shared = trail.open()
    errors: list[BaseException] = []

    def work(w: int) -> None:
        log = shared if w % 2 else trail.open()  # one object shared by threads, and objects of their own
        try:
            for i in range(25):
                log.append("page_view", sub=f"thread-{w}", details={"i": i})
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    v = trail.open().verify()
    assert v.ok and v.count == 200, v


@pytest.mark.parametrize("tail", [b'{"seq":4,"time":"2026-', b"not json\n", b'{"seq": 4}\n', b"\n"])
def test_a_damaged_last_line_stops_appends_with_a_clear_error(tmp_path, tail):
    log = JsonlAuditLog(tmp_path)
    fill(log, 3)
    path = tmp_path / audit.FILE_NAME
    with path.open("ab") as f:
        f.write(tail)
    before = path.read_bytes()
    with pytest.raises(AuditError) as info:
        log.append("page_view", sub="s")
    message = str(info.value)
    assert str(path) in message and "line 4" in message and "damaged" in message
    assert path.read_bytes() == before  # nothing appended, no new chain started
    v = log.verify()
    assert (v.ok, v.first_broken, v.count) == (False, 4, 4) and v.reason.startswith("record 4: "), v
    with pytest.raises(AuditError, match="line 4"):
        log.records()


def test_a_long_last_record_is_read_back_from_the_end(tmp_path):
    log = JsonlAuditLog(tmp_path)
    first = log.append("sql", sub="s", details={"query": "x" * 50_000})
    second = log.append("sql", sub="s", details={"query": "y" * 20_000})
    third = log.append("sql", sub="s")
    assert (second.prev, third.prev) == (first.hash, second.hash) and log.verify().ok


def test_the_data_directory_is_created(tmp_path):
    log = audit.open_log(tmp_path / "new" / "dir", database_url="")
    log.append("sign_in", sub="s")
    assert (tmp_path / "new" / "dir" / audit.FILE_NAME).is_file()


def test_open_log_chooses_the_store(tmp_path, monkeypatch):
    monkeypatch.delenv(audit.DATABASE_URL_ENV, raising=False)
    assert isinstance(audit.open_log(tmp_path), JsonlAuditLog)
    assert audit.open_log(tmp_path).describe() == str(tmp_path / audit.FILE_NAME)
    monkeypatch.setenv(audit.DATABASE_URL_ENV, "postgresql://tideline:s3cret@db.example.org:5433/tl")
    log = audit.open_log(tmp_path)
    assert isinstance(log, PostgresAuditLog)
    assert log.describe() == "PostgreSQL db.example.org:5433/tl table tideline_audit"
    assert isinstance(audit.open_log(tmp_path, database_url=""), JsonlAuditLog)
    monkeypatch.setenv(audit.DATABASE_URL_ENV, "  ")
    assert isinstance(audit.open_log(tmp_path), JsonlAuditLog)


def test_an_unreachable_database_is_an_audit_error_without_the_password():
    log = PostgresAuditLog("postgresql://tideline:s3cret@127.0.0.1:1/tl?connect_timeout=3")
    with pytest.raises(AuditError) as info:
        log.append("sign_in", sub="s")
    assert "PostgreSQL 127.0.0.1:1/tl table tideline_audit" in str(info.value)
    assert "s3cret" not in str(info.value)


def test_the_postgres_store_keeps_hashed_text_exactly(database_url):  # noqa: F811
    log = PostgresAuditLog(database_url)
    r = log.append("export", sub="s", details={"b": 1.10, "a": "ü", "big": 12345678901234567890})
    with psycopg.connect(database_url) as con:
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'tideline_audit'"
            ).fetchall()
        )
        stored = con.execute("SELECT time, details FROM tideline_audit").fetchone()
    assert types["time"] == types["details"] == types["roles"] == "text"
    assert stored == (r.time, audit.canonical(r.details)) and log.verify().ok


def test_the_postgres_store_reconnects_once_after_a_lost_connection(database_url):  # noqa: F811
    log = PostgresAuditLog(database_url)
    log.append("sign_in", sub="s")
    with psycopg.connect(database_url, autocommit=True) as con:
        killed = con.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    assert killed == [(True,)]
    assert log.append("sign_out", sub="s").seq == 2 and log.verify().ok


def test_an_insert_only_role_appends_and_verifies_but_cannot_change_the_trail(database_url):  # noqa: F811
    role = f"tl_audit_{uuid.uuid4().hex[:12]}"
    sql = PostgresAuditLog.setup_sql(role)
    assert "GRANT SELECT, INSERT ON tideline_audit" in sql and "UPDATE" not in sql.split("GRANT")[1]
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql)
    try:
        as_role = with_conninfo(database_url, user=role)
        log = PostgresAuditLog(as_role)
        fill(log, 3)
        assert log.verify().ok and len(log.records()) == 3
        with psycopg.connect(as_role, autocommit=True) as con:
            assert con.execute("SELECT current_user").fetchone() == (role,)
            for statement in (
                "UPDATE tideline_audit SET details = '{}' WHERE seq = 2",
                "DELETE FROM tideline_audit WHERE seq = 2",
                "TRUNCATE tideline_audit",
                "DROP TABLE tideline_audit",
            ):
                with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.DependentObjectsStillExist)):
                    con.execute(statement)
        assert log.verify().ok and log.verify().count == 3
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(sql)  # run twice: the role exists already, nothing fails
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f'REVOKE ALL ON tideline_audit FROM "{role}"')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_setup_sql_refuses_a_role_name_that_is_not_an_identifier():
    with pytest.raises(ValueError, match="role name"):
        PostgresAuditLog.setup_sql('x"; DROP TABLE tideline_audit; --')


def test_the_csv_export_is_formula_safe(trail):
    log = trail.open()
    query = "=cmd|' /C calc'!A0"
    log.append("sql", sub='=HYPERLINK("http://evil")', email="+1@x", roles=("-a", "b"), details={"query": query})
    log.append("page_view", sub="alice", details={"page": "map"})
    data = audit.to_csv_bytes(trail.open().records())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["time", "seq", "sub", "email", "roles", "event", "details", "prev", "hash"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["sub"] == '\'=HYPERLINK("http://evil")' and first["email"] == "'+1@x" and first["roles"] == "'-a;b"
    assert json.loads(first["details"]) == {"query": "'" + query}
    assert first["seq"] == "1" and rows[2][6] == '{"page":"map"}'
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert audit.to_csv_bytes([]) == b"time,seq,sub,email,roles,event,details,prev,hash\n"


def test_os_actor_names_the_operating_system_user():
    sub, email = audit.os_actor()
    assert sub.startswith("os:") and len(sub) > 3 and email == ""
