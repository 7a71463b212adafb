"""Engines: the translation of DuckDB SQL to Spark SQL (always), and every named query proven equal on DuckDB and
on a real Spark Connect server over the tiny dataset, on several filter states (marker `spark`)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
import tiny
from spark_server import spark, spark_url  # noqa: F401  (fixtures)

from dashboard import __main__ as cli
from dashboard import engines, queries, schema
from dashboard.engines import translate
from dashboard.engines.translate import OVERRIDES, Override, Statement, TranslationError, to_spark
from dashboard.store import Store


@pytest.fixture(scope="module")
def recorded() -> list[Statement]:
    return engines.record_named_queries()


# -- translation ----------------------------------------------------------------------------------------
def test_named_parameters_become_spark_markers():
    sql = "SELECT route FROM crossings_daily WHERE date BETWEEN $c_start AND $c_end AND route IN ($c_route_0)"
    out = to_spark(sql)
    assert "$" not in out
    assert ":c_start AND :c_end" in out and "IN (:c_route_0)" in out


def test_duckdb_casts_and_functions_translate():
    out = to_spark("SELECT date_trunc($grain, date)::DATE AS period, strftime(date, '%Y-%m-%d') AS d FROM t")
    assert "CAST(DATE_TRUNC(:grain, date) AS DATE)" in out and "DATE_FORMAT(date, 'yyyy-MM-dd')" in out


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("SELECT * EXCLUDE (a) FROM t", "EXCLUDE"),
        ("SELECT a, sum(b) FROM t GROUP BY ALL", "GROUP BY ALL"),
        ("SELECT unnest(generate_series($a::DATE, $b::DATE, INTERVAL 1 MONTH))::DATE AS m", "generator"),
        ("SELECT a FROM t WHERE b = ?", "positional"),
        ("SELECT my_udf(a) FROM t", r"function my_udf\(\), unknown to sqlglot"),
    ],
)
def test_known_bad_constructs_are_refused_naming_the_query(sql, construct):
    with pytest.raises(TranslationError, match=construct) as caught:
        to_spark(sql, "my_query", overrides=())
    assert "named query my_query" in str(caught.value) and "OVERRIDES" in str(caught.value)


def test_duckdb_functions_sqlglot_does_not_know_are_renamed():
    assert to_spark("SELECT strlen(coalesce(location, '')) FROM incidents") == (
        "SELECT OCTET_LENGTH(COALESCE(location, '')) FROM incidents"
    )


def test_sql_that_does_not_parse_is_refused():
    with pytest.raises(TranslationError, match="named query broken: sqlglot cannot parse"):
        to_spark("SELECT FROM WHERE (", "broken")


def test_overrides_are_applied_before_translating():
    sql = """SELECT * EXCLUDE (source_sha256, loaded_version) FROM operations
             WHERE TRUE ORDER BY start_date DESC, operation_id"""
    out = to_spark(sql, "operations")
    assert "EXCEPT" not in out and "EXCLUDE" not in out
    assert out.startswith("SELECT operation_id, name, lead_agency, partners, region, route, start_date, end_date")
    assert "source_sha256" not in out
    columns = ", ".join(c.name for c in schema.columns("operations", provenance=False))  # the override's list
    assert f"SELECT {columns} FROM operations" in translate.apply_overrides(sql)[0]
    override = Override("q", "GROUP BY ALL ORDER BY a", "GROUP BY a ORDER BY a", "test")
    assert "GROUP BY a" in to_spark("SELECT a, count(*) FROM t GROUP BY ALL   ORDER BY a", "q", overrides=[override])


def test_every_named_query_translates_with_the_overrides(recorded):
    checked = translate.check_translations(recorded)
    assert len(engines.check_translations()) == len(checked)  # what a SparkEngine runs at start-up
    assert {s.query for s in checked} == {q.name for q in engines.NAMED_QUERIES}


def test_without_the_overrides_start_up_fails_naming_a_query(recorded):
    with pytest.raises(TranslationError, match=r"named query (operations|funding_by_year|staffing_series)"):
        translate.check_translations(recorded, overrides=())


def test_every_override_is_needed_and_used_by_the_query_it_names(recorded):
    for o in OVERRIDES:
        mine = [s for s in recorded if o.duckdb in translate.normalise(s.sql)]
        assert mine and {s.query for s in mine} == {o.query}, o.query
        with pytest.raises(TranslationError):  # without it, the query's translation is refused
            to_spark(mine[0].sql, o.query, overrides=())


def test_a_stale_override_fails_start_up(recorded):
    stale = Override("gone", "SELECT nothing FROM nowhere", "SELECT 1", "test")
    with pytest.raises(TranslationError, match="gone"):
        translate.check_translations(recorded, overrides=(*OVERRIDES, stale))


def test_overrides_mean_the_same_on_duckdb(tiny_store, recorded):
    """Each override's portable SQL gives DuckDB's own answer: it changes how the SQL is written, not what it means."""
    con = tiny_store.connect()
    for s in recorded:
        portable, used = translate.apply_overrides(s.sql)
        if used:
            want = con.cursor().execute(s.sql, s.params).df()
            got = con.cursor().execute(portable, s.params).df()
            assert engines.difference(want, got) is None, s.query


# -- the registry ---------------------------------------------------------------------------------------
def test_every_public_query_function_is_in_the_registry():
    missing = engines.query_functions() - {q.function for q in engines.NAMED_QUERIES}
    assert not missing, f"add these to dashboard.engines.NAMED_QUERIES: {sorted(missing)}"
    assert len({q.name for q in engines.NAMED_QUERIES}) == len(engines.NAMED_QUERIES)


def test_every_named_query_runs_sql(recorded):
    assert {s.query for s in recorded} == {q.name for q in engines.NAMED_QUERIES}


# -- engines and comparison -----------------------------------------------------------------------------
def test_engine_from_env():
    assert isinstance(engines.engine_from_env({}), engines.DuckDBEngine)
    assert isinstance(engines.engine_from_env({"TIDELINE_ENGINE": " DuckDB "}), engines.DuckDBEngine)
    spark_engine = engines.engine_from_env(
        {"TIDELINE_ENGINE": "sc://spark:15002", "TIDELINE_SPARK_BASE_URI": "s3a://bucket/tideline"}, check=False
    )
    assert isinstance(spark_engine, engines.SparkEngine)
    assert spark_engine.url == "sc://spark:15002" and spark_engine.base_uri == "s3a://bucket/tideline"
    for bad in ("postgres://x", "sc://no-port", "sc://:15002", "spark"):
        with pytest.raises(engines.EngineError, match="TIDELINE_ENGINE"):
            engines.engine_from_env({"TIDELINE_ENGINE": bad}, check=False)


@pytest.fixture(params=["per value", "vectorised"])
def comparison(request, monkeypatch):
    """Each comparison test both ways: per value (short frames) and in numpy (long frames)."""
    if request.param == "vectorised":
        monkeypatch.setattr(engines, "VECTOR_ROWS", 0)
    return request.param


def test_comparison_normalises_representations_not_values(comparison):
    a = pd.DataFrame(
        {
            "d": pd.to_datetime(["2025-01-01", "2025-02-01"]),
            "n": [1.0, np.nan],
            "s": ["x", None],
            "l": [np.array([1.0, 2.0]), np.array([])],
        }
    )
    b = pd.DataFrame(
        {
            "d": [date(2025, 1, 1), date(2025, 2, 1)],
            "n": pd.array([1, None], dtype="Int64"),
            "s": ["x", np.nan],
            "l": [[1.0, 2.0], []],
        }
    )
    assert engines.difference(a, b) is None
    assert "row 1 column d" in (engines.difference(a, b.assign(d=[date(2025, 1, 1), date(2025, 2, 2)])) or "")
    assert engines.difference(a, b.iloc[::-1].reset_index(drop=True), ordered=True)
    assert engines.difference(a, b.iloc[::-1].reset_index(drop=True), ordered=False) is None
    assert engines.difference(a, b.rename(columns={"n": "m"})).startswith("columns")
    assert engines.difference(pd.Timestamp("2025-01-01 12:00"), datetime(2025, 1, 1, 12)) is None
    assert engines.difference(("points", a), ("points", b)) is None
    assert engines.difference(3, 3.0) is None and engines.difference(3, 4)
    assert engines.difference(0.1 + 0.2, 0.3) is None
    inf = pd.DataFrame({"x": [np.inf, 1.0]})
    assert engines.difference(inf, inf.copy()) is None  # an infinity equals itself
    assert "row 0 column x" in (engines.difference(inf, pd.DataFrame({"x": [5.0, 1.0]})) or "")
    assert engines.difference(inf, pd.DataFrame({"x": [-np.inf, 1.0]}))


def test_long_results_are_compared_in_numpy_and_still_name_the_first_difference():
    """Ten thousand rows, unordered, with the representations the two engines use: equal; one cell changed: named
    by row and column, as the per-value way names it."""
    n = 10_000
    rng = np.random.default_rng(7)
    days = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), unit="D")
    a = pd.DataFrame(
        {
            "incident_id": [f"S{i}" for i in range(n)],
            "date": days,
            "people": rng.integers(0, 60, n).astype(float),
            "lat": rng.uniform(30, 55, n),
            "missing": np.full(n, np.nan),
            "note": [None if i % 3 else "x" for i in range(n)],
            "flag": rng.integers(0, 2, n).astype(bool),
        }
    )
    b = (
        pd.DataFrame(
            {
                "incident_id": a["incident_id"],
                "date": [d.date() for d in days],
                "people": pd.array(a["people"].astype(int), dtype="Int64"),
                "lat": a["lat"] * (1 + 1e-12),
                "missing": [None] * n,
                "note": a["note"].fillna(np.nan),
                "flag": a["flag"],
            }
        )
        .sample(frac=1, random_state=3)
        .reset_index(drop=True)
    )
    assert engines._vector_difference(a, b, ordered=False) is None  # the numpy way itself, not a fallback
    assert engines.difference(a, b, ordered=False) is None
    assert engines.difference(a, b, ordered=True)  # shuffled: unequal in order
    changed = b.copy()
    row = int(changed.index[changed["incident_id"] == "S5000"][0])
    changed.loc[row, "people"] = changed.loc[row, "people"] + 1
    at = sorted(a["incident_id"]).index("S5000")  # unordered: rows are counted in the sorted order
    assert engines.difference(a, changed, ordered=False) == (
        f"row {at} column people: {int(a.loc[5000, 'people'])} vs {int(a.loc[5000, 'people']) + 1}"
    )
    later = a.assign(date=a["date"] + pd.Timedelta(hours=12))  # a date is not the same as noon that day
    assert engines.difference(a, later).startswith("row 0 column date:")


def test_spark_types_and_table_uris(tiny_store):
    from dashboard.engines.spark import spark_type, table_uri

    assert spark_type("DOUBLE[][]") == "ARRAY<ARRAY<DOUBLE>>" and spark_type("VARCHAR[]") == "ARRAY<STRING>"
    assert {spark_type(c.type) for t in schema.DATA_TABLES for c in schema.columns(t)}  # every type maps
    v = tiny_store.version()
    info = v.tables["incidents"]
    assert table_uri(tiny_store, v.id, "incidents", info) == str((tiny_store.data_dir / info["file"]).resolve())
    assert table_uri(tiny_store, v.id, "incidents", info, "s3a://b/t/") == f"s3a://b/t/{info['file']}"


def test_engine_check_refuses_without_a_spark_engine(tiny_store, monkeypatch, capsys):
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(tiny_store.data_dir))
    monkeypatch.delenv("TIDELINE_ENGINE", raising=False)
    assert cli.main(["engine", "check"]) == cli.EXIT_REFUSED
    assert "TIDELINE_ENGINE" in capsys.readouterr().err
    monkeypatch.setenv("TIDELINE_ENGINE", "nonsense")
    assert cli.main(["engine", "check"]) == cli.EXIT_REFUSED
    assert "not an engine" in capsys.readouterr().err


# -- on a real Spark Connect server ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    """The tiny dataset (as tiny_store makes it), once for the module: the Spark views are made once."""
    s = Store(tmp_path_factory.mktemp("spark") / "store")
    s.commit(tiny.frames(), source_name="tiny", file_name="tiny.py", sha256="0" * 64)
    return s


@pytest.fixture(scope="module")
def duck(store):
    con = store.connect()
    yield con
    con.close()


@pytest.fixture(scope="module")
def on_spark(spark, store):  # noqa: F811  (the fixture imported above)
    from dashboard.engines.spark import SparkConnection

    con = SparkConnection(spark, store)
    yield con
    con.close()


@pytest.fixture(scope="module")
def states(duck) -> dict:
    return engines.sample_states(queries.filter_options(duck, (1,), 1), duck)


LABELS = ("all", "region", "route", "period")  # engines.sample_states
CASES = [
    pytest.param(q, label, id=f"{q.name}-{label}")
    for q in engines.NAMED_QUERIES
    for label in (LABELS if q.filtered else LABELS[:1])
]


@pytest.mark.spark
@pytest.mark.parametrize(("query", "label"), CASES)
def test_named_query_is_equal_on_spark(query, label, states, duck, on_spark):
    assert set(states) == set(LABELS)
    want, got = query.call(duck, states[label]), query.call(on_spark, states[label])
    assert engines.difference(want, got, query.ordered) is None


@pytest.mark.spark
def test_spark_views_have_duckdb_columns_and_types(duck, on_spark):
    for table in (*schema.DATA_TABLES, "snapshots"):
        want = duck.cursor().execute(f"SELECT * FROM {table} LIMIT 0").df()
        got = on_spark.cursor().execute(f"SELECT * FROM {table} LIMIT 0").df()
        assert list(got.columns) == list(want.columns), table
        assert got.dtypes.astype(str).tolist() == want.dtypes.astype(str).tolist(), table
    assert (
        engines.difference(
            duck.cursor().execute("SELECT * FROM snapshots").df(),
            on_spark.cursor().execute("SELECT * FROM snapshots").df(),
        )
        is None
    )


@pytest.mark.spark
def test_a_table_missing_from_a_version_is_an_empty_view(spark, tmp_path):  # noqa: F811
    from dashboard.engines.spark import SparkConnection

    s = Store(tmp_path / "store")
    s.commit(tiny.frames(), source_name="tiny")
    manifest = json.loads(s.manifest_path.read_text())
    del manifest["versions"][0]["tables"]["irregular_arrivals"]  # as written before the table existed
    s.manifest_path.write_text(json.dumps(manifest))
    con = SparkConnection(spark, s)
    try:
        df = con.cursor().execute("SELECT * FROM irregular_arrivals").df()
        assert df.empty and list(df.columns) == [c.name for c in schema.columns("irregular_arrivals")]
        assert con.cursor().execute("SELECT count(*) FROM incidents").fetchone() == (4,)
    finally:
        con.close()


@pytest.mark.spark
def test_engine_check_command(store, spark_url, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(store.data_dir))
    monkeypatch.setenv("TIDELINE_ENGINE", spark_url)
    assert cli.main(["engine", "check", "--query", "is_synthetic", "--query", "by_route"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "query,state,equal,rows_duckdb,rows_engine,seconds_duckdb,seconds_engine,difference"
    assert len(lines) == 1 + 1 + 4 and all(",yes," in line for line in lines[1:])


@pytest.mark.spark
def test_engine_check_does_not_collect_more_rows_than_asked(store, spark_url, monkeypatch, capsys):  # noqa: F811
    """The tiny store has 4, 2, 2 and 3 incidents on the four states: with --max-rows 2 the map's points are
    compared on the region and route states only, and with --max-rows 1 on none, which fails the check."""
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(store.data_dir))
    monkeypatch.setenv("TIDELINE_ENGINE", spark_url)
    assert cli.main(["engine", "check", "--query", "map_points", "--max-rows", "2"]) == 0
    rows = {r["state"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert {s: r["equal"] for s, r in rows.items()} == {
        "all": "not compared",
        "region": "yes",
        "route": "yes",
        "period": "not compared",
    }
    assert rows["all"]["rows_duckdb"] == "4" and "not compared: 4 rows, more than the 2" in rows["all"]["difference"]
    assert cli.main(["engine", "check", "--query", "map_points", "--max-rows", "1"]) == 1
    assert "not compared on any filter state (every result longer than --max-rows 1): map_points" in (
        capsys.readouterr().err
    )


def test_compare_engines_reports_each_difference(tiny_store, tmp_path):
    """Two DuckDB stores, one with a changed figure: the comparison names the queries and states that differ."""
    frames = tiny.frames()
    frames["crossings_daily"].loc[2, "people"] = 101  # 1 Jan 2025: 100 → 101
    other = Store(tmp_path / "other")
    other.commit(frames, source_name="tiny", file_name="tiny.py", sha256="0" * 64)
    a, b = tiny_store.connect(), other.connect()
    try:
        states = engines.sample_states(queries.filter_options(a, (1,), 1), a)
        same = list(engines.compare_engines(a, a, states))
        assert same and all(o.equal and o.compared and not o.difference for o in same)
        points = [q for q in engines.NAMED_QUERIES if q.name in ("map_points", "incidents_for_export")]
        bounded = {(o.query, o.state): o for o in engines.compare_engines(a, a, states, points, max_rows=2)}
        assert {k: o.compared for k, o in bounded.items()} == {
            (q, s): s in ("region", "route") for q in ("map_points", "incidents_for_export") for s in states
        }
        assert all(o.equal for o in bounded.values() if o.compared)
        skipped = bounded["incidents_for_export", "period"]
        assert not skipped.equal and skipped.rows_duckdb == 3 and skipped.difference.startswith("not compared: 3 rows")
        named = [q for q in engines.NAMED_QUERIES if q.name in ("kpis", "incident_count")]
        found = {(o.query, o.state): o for o in engines.compare_engines(a, b, states, named)}
        assert not found["kpis", "all"].equal and "row 0 column value: 190 vs 191" in found["kpis", "all"].difference
        assert found["incident_count", "all"].equal
    finally:
        a.close()
        b.close()
