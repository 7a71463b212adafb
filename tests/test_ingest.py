"""The import pipeline with a stand-in importer: supersede, no-op, partial, demo drop, empty store."""

from __future__ import annotations

import csv
from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest
import tiny

from dashboard import ingest, queries, schema
from dashboard.sources.base import ImportResult, Rejection, StructuralError
from dashboard.store import Store

SRC = "Stand-in publisher"


def fake_importer(rows: dict[str, int], rejected: int = 0):
    """An importer that 'reads' {iso date: people} into crossings_daily, with n rejected rows."""

    def read(path, *, regions=None, progress=None):
        frame = pd.DataFrame(
            {
                "date": [date.fromisoformat(d) for d in rows],
                "route": "English Channel",
                "people": list(rows.values()),
                "boats": 1,
                "source": SRC,
                "status": "provisional",
            }
        )
        bad = [
            Rejection(path.name, 10 + i, "Date", "not a date in a known form: 'soon'", value="=HYPERLINK(1)")
            for i in range(rejected)
        ]
        return ImportResult(
            format="fake", source=SRC, tables={"crossings_daily": frame}, rows_read=len(rows) + rejected, rejected=bad
        )

    return SimpleNamespace(NAME="fake", LABEL="Stand-in format", detect=lambda p: p.suffix == ".fake", read=read)


@pytest.fixture
def use(monkeypatch):
    def _use(importer):
        monkeypatch.setattr(ingest, "IMPORTERS", (importer,))

    return _use


def write(tmp_path, name: str, content: str):
    p = tmp_path / name
    p.write_text(content)
    return p


def people_by_source(store: Store, version: int | None = None) -> dict[str, int]:
    rows = store.connect(version).execute("SELECT source, sum(people) FROM crossings_daily GROUP BY 1").fetchall()
    return dict(rows)


def test_a_new_release_supersedes_the_same_source_and_keeps_others(tiny_store, tmp_path, use):
    use(fake_importer({"2025-03-01": 10, "2025-03-02": 20}))
    v2 = ingest.apply(tiny_store, ingest.plan(tiny_store, write(tmp_path, "r1.fake", "release 1")))
    assert people_by_source(tiny_store) == {tiny.SRC: 190, SRC: 30}
    use(fake_importer({"2025-03-01": 11, "2025-03-02": 21, "2025-03-03": 5}))  # revised and extended
    v3 = ingest.apply(tiny_store, ingest.plan(tiny_store, write(tmp_path, "r2.fake", "release 2")))
    assert (v2.id, v3.id) == (2, 3)
    assert people_by_source(tiny_store) == {tiny.SRC: 190, SRC: 37}
    assert people_by_source(tiny_store, 2) == {tiny.SRC: 190, SRC: 30}  # version 2 still readable
    prov = (
        tiny_store.connect()
        .execute("SELECT DISTINCT source, loaded_version, source_sha256 IS NULL FROM crossings_daily ORDER BY 1")
        .fetchall()
    )
    assert prov == [(SRC, 3, False), (tiny.SRC, 1, False)]  # every row keeps its own provenance


def test_reimporting_the_identical_file_is_a_no_op(tiny_store, tmp_path, use):
    use(fake_importer({"2025-03-01": 10}))
    path = write(tmp_path, "r1.fake", "same bytes")
    ingest.apply(tiny_store, ingest.plan(tiny_store, path))
    again = ingest.plan(tiny_store, path)
    assert again.duplicate_of == 2
    with pytest.raises(ingest.ImportRefused, match="already imported .*data version 2.*same sha256"):
        ingest.apply(tiny_store, again)
    assert [v.id for v in tiny_store.versions()] == [1, 2]


def test_rejected_rows_refuse_the_file_unless_partial_is_accepted(tiny_store, tmp_path, use):
    use(fake_importer({"2025-03-01": 10}, rejected=2))
    plan = ingest.plan(tiny_store, write(tmp_path, "bad.fake", "x"))
    with pytest.raises(ingest.ImportRefused, match="2 row.* rejected; nothing was imported"):
        ingest.apply(tiny_store, plan)
    assert tiny_store.current_id() == 1
    report = ingest.write_report(plan, tmp_path / "report.csv")
    rows = list(csv.DictReader(report.open()))
    assert [(r["row"], r["column"], r["reason"]) for r in rows] == [
        ("10", "Date", "not a date in a known form: 'soon'"),
        ("11", "Date", "not a date in a known form: 'soon'"),
    ]
    assert rows[0]["value"] == "'=HYPERLINK(1)"  # a spreadsheet will not run it
    v = ingest.apply(tiny_store, plan, accept_partial=True)
    assert v.id == 2 and people_by_source(tiny_store)[SRC] == 10 and "rejected" in v.note


def test_importing_real_data_drops_every_demo_row(tmp_path, use):
    store = Store(tmp_path / "demo")
    store.commit(
        {t: f.assign(source=schema.DEMO_SOURCE) for t, f in tiny.frames().items()}, source_name="demo", synthetic=True
    )
    use(fake_importer({"2025-03-01": 10}))
    plan = ingest.plan(store, write(tmp_path, "r.fake", "x"))
    assert plan.drops_demo
    ingest.apply(store, plan)
    con = store.connect()
    assert not queries.is_synthetic(con)
    for table in schema.DATA_TABLES:
        n = con.execute(f"SELECT count(*) FROM {table} WHERE starts_with(source, ?)", [schema.DEMO_SOURCE]).fetchone()[
            0
        ]
        assert n == 0, table
    assert people_by_source(store) == {SRC: 10}
    assert con.execute("SELECT count(*), min(source) FROM routes").fetchone() == (8, ingest.REFERENCE_SOURCE)
    assert queries.is_synthetic(store.connect(1))  # the demo version itself is untouched


def test_init_empty_has_reference_tables_only(tmp_path):
    store = Store(tmp_path / "empty")
    v = ingest.init_empty(store)
    assert v.id == 1 and store.ensure_initialised().id == 1  # no demo load on top
    counts = {table: int(info["rows"]) for table, info in v.tables.items()}
    assert counts["routes"] == 8 and counts["regions"] == 4
    assert sum(n for t, n in counts.items() if t not in ingest.REFERENCE_TABLES) == 0
    with pytest.raises(Exception, match="already has data versions"):
        ingest.init_empty(store)


def test_structural_problems_change_nothing(tiny_store, tmp_path, use):
    use(fake_importer({"2025-03-01": 10}))
    with pytest.raises(StructuralError, match="empty"):
        ingest.plan(tiny_store, write(tmp_path, "zero.fake", ""))
    with pytest.raises(StructuralError, match="not a format Tideline can import"):
        ingest.plan(tiny_store, write(tmp_path, "notes.txt", "hello"))
    with pytest.raises(StructuralError, match="unknown source format 'nope'"):
        ingest.plan(tiny_store, write(tmp_path, "a.fake", "x"), source="nope")
    assert [v.id for v in tiny_store.versions()] == [1]


SNEAKY = [" =1+1", "\uff1d1+1", "\u200b=1+1", "\t=1", "@SUM(A1)", "-2+3", "=HYPERLINK(1)"]


def test_rejection_report_neutralises_every_formula_the_exports_do(tiny_store, tmp_path, use):
    """The report and the upload page's table use exports.neutralise, the one neutraliser: leading spaces,
    full-width and zero-width-prefixed formulas get the apostrophe too (the report once had its own,
    weaker copy)."""
    importer = fake_importer({"2025-03-01": 10}, rejected=len(SNEAKY))
    read = importer.read

    def sneaky_read(path, **kw):
        result = read(path, **kw)
        result.rejected = [Rejection(path.name, 10 + i, "Date", "bad", value=v) for i, v in enumerate(SNEAKY)]
        return result

    use(SimpleNamespace(**{**vars(importer), "read": sneaky_read}))
    plan = ingest.plan(tiny_store, write(tmp_path, "bad.fake", "x"))
    rows = list(csv.DictReader(ingest.write_report(plan, tmp_path / "report.csv").open(encoding="utf-8")))
    assert [r["value"] for r in rows] == ["'" + v for v in SNEAKY]
    assert list(ingest.rejection_report(plan)["value"]) == ["'" + v for v in SNEAKY]


def test_plan_and_commit_are_logged(tiny_store, tmp_path, use, caplog):
    use(fake_importer({"2025-03-01": 10}))
    with caplog.at_level("INFO", logger="dashboard"):
        plan = ingest.plan(tiny_store, write(tmp_path, "ok.fake", "x"))
        version = ingest.apply(tiny_store, plan)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "read ok.fake as fake" in text and plan.sha256 in text and "1 rows read, 1 accepted, 0 rejected" in text
    assert f"data version {version.id} committed" in text and "'crossings_daily': " in text
    assert f"imported ok.fake (sha256 {plan.sha256}) as data version {version.id}" in text
    caplog.clear()
    with caplog.at_level("INFO", logger="dashboard"), pytest.raises(ingest.ImportRefused):
        ingest.apply(tiny_store, ingest.plan(tiny_store, write(tmp_path, "ok.fake", "x")))
    assert any("import refused, store unchanged" in r.getMessage() for r in caplog.records)
