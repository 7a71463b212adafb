"""Who arrives, and how: the nationality list, the shared nationality filter (URL ⇄ state ⇄ SQL), the
arrivals queries on the tiny dataset (numbers worked out by hand in tests/tiny.py), and the page."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import open_page

from dashboard import nationality, queries
from dashboard.filters import FilterState

Q1_2025 = FilterState(period=(date(2025, 1, 1), date(2025, 3, 31)))


# --- one list of nationalities --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "name", "code"),
    [
        ("Albania", "Albania", "ALB"),
        ("ALB", "Albania", "ALB"),
        ("Iran, Islamic Republic of", "Iran", "IRN"),
        ("Iran", "Iran", "IRN"),
        ("IRN", "Iran", "IRN"),
        ("Türkiye", "Turkey", "TUR"),
        ("Turkey", "Turkey", "TUR"),
        ("Viet Nam", "Vietnam", "VNM"),
        ("Syrian Arab Republic", "Syria", "SYR"),
        ("Congo (Democratic Republic)", "Democratic Republic of the Congo", "COD"),
        ("Stateless", "Stateless", "STL"),
        ("Not known", "Unknown", "UNK"),
        ("UNK", "Unknown", "UNK"),
        ("Other", "Other", "OTH"),
        ("Kosovo", "Kosovo", "XKX"),
    ],
)
def test_home_office_names_and_frontex_codes_map_to_one_list(label, name, code):
    assert (nationality.name_of(label), nationality.code_of(label)) == (name, code)


def test_a_name_neither_pycountry_nor_the_table_knows_is_none():
    assert nationality.resolve("Narnia") is None and nationality.resolve("") is None


# --- the shared filter ----------------------------------------------------------------------------


def test_nationality_in_the_url_by_name_or_iso3_code(con):
    options = queries.filter_options(con, (1,), 1)
    assert {"Afghanistan", "Albania", "Eritrea", "Iran"} <= set(options.nationalities)  # HO names and Frontex codes
    state, notices = FilterState.from_query_params({"nationality": ["ALB", "Iran", "Albania", "Narnia"]}, options)
    assert state.nationality == ("Albania", "Iran")  # ISO-3 read as its name, repeated once
    assert notices == ["nationality not in this data version ignored: 'Narnia'"]
    assert state.to_query_params()["nationality"] == ["Albania", "Iran"]
    assert "nationalities Albania, Iran" in state.describe()


def test_the_filter_uses_names_on_home_office_tables_and_codes_on_frontex(con):
    state = FilterState(period=Q1_2025.period, nationality=("Iran",))
    w, p = state.where("x", date_col=None, route_col=None, nationality_col="nationality", nationality_codes=True)
    assert (w, p) == ("nationality IN ($x_nationality_0)", {"x_nationality_0": "IRN"})
    fx = queries.frontex_nationalities(con, state)
    assert fx.to_dict("records") == [{"nationality": "Iran", "code": "IRN", "detections": 40}]
    albania = FilterState(period=Q1_2025.period, nationality=("Albania",))
    by_method = queries.arrivals_by_method(con, albania)
    assert dict(zip(by_method["method"], by_method["detections"], strict=True)) == {
        "Recorded detections in the UK": 15,
        "Small boat arrivals": 10,
    }
    assert queries.frontex_nationalities(con, albania).empty  # no Albanians in the tiny Frontex rows


# --- the queries, by hand ---------------------------------------------------------------------------


def test_arrivals_by_method_per_quarter(con):
    df = queries.arrivals_by_method(con, Q1_2025)
    assert df.assign(quarter_start=df["quarter_start"].dt.date).to_dict("records") == [
        {"quarter_start": date(2025, 1, 1), "method": "Recorded detections in the UK", "detections": 15},
        {"quarter_start": date(2025, 1, 1), "method": "Small boat arrivals", "detections": 75},  # 60 + 10 + 5
    ]
    a_year = queries.arrivals_by_method(con, FilterState(period=(date(2024, 2, 1), date(2025, 1, 31))))
    assert a_year.groupby(a_year["quarter_start"].dt.year)["detections"].sum().to_dict() == {2024: 65, 2025: 90}


def test_a_period_inside_a_quarter_shows_that_quarter():
    assert queries.quarter_of(date(2025, 2, 14)) == date(2025, 1, 1)
    assert queries.quarter_of(date(2025, 12, 31)) == date(2025, 10, 1)


def test_top_nationalities_against_the_same_quarter_a_year_earlier(con):
    top = queries.arrivals_top_nationalities(con, Q1_2025)
    boats = top[top["method"] == "Small boat arrivals"]
    assert boats[["rank", "nationality", "detections", "year_earlier", "change"]].values.tolist() == [
        [1, "Afghanistan", 65, 40, 25],  # 60 + 5 against 40
        [2, "Albania", 10, 20, -10],
    ]
    in_uk = top[top["method"] == "Recorded detections in the UK"]
    assert in_uk["nationality"].tolist() == ["Albania"] and in_uk["year_earlier"].isna().all()  # none a year earlier


def test_not_available_counts_are_not_zero(con):
    df = queries.arrivals_by_method(con, FilterState(period=(date(2025, 4, 1), date(2025, 6, 30))))
    assert len(df) == 1 and df["detections"].isna().all()  # Eritrea's NULL stays unknown


def test_sex_and_age_split(con):
    df = queries.arrivals_by_sex_age(con, Q1_2025, "Small boat arrivals")
    assert df.values.tolist() == [["Female", "Under 18", 5], ["Male", "18 to 24", 60], ["Male", "25 to 39", 10]]
    everything = queries.arrivals_by_sex_age(con, Q1_2025)
    assert int(everything["detections"].sum()) == 90


def test_asylum_applications_against_small_boat_arrivals(con):
    df = queries.asylum_against_arrivals(con, Q1_2025)
    row = df.iloc[0]
    assert len(df) == 1
    assert (row["small_boat_arrivals"], row["applications"], row["main_applicants"], row["uasc"]) == (75, 60, 60, 5)


# --- the page ---------------------------------------------------------------------------------------


def test_the_page_answers_from_a_link_with_a_nationality(store):
    at = open_page("arrivals", {"period": ["2025-01-01", "2025-03-31"], "nationality": ["AFG"]})
    assert not at.exception, [e.stack_trace for e in at.exception]
    assert at.sidebar.multiselect(key="nationality").value == ["Afghanistan"]  # the ISO-3 code read as its name
    shown = {m.label: m.value for m in at.metric}
    assert shown["Detected irregular arrivals, 2025 Q1"] == "65"  # 60 + 5, Afghans only
    assert shown["Small-boat arrivals"] == "65"
    assert shown["Asylum applications from small-boat arrivals"] == "60"
    assert shown["of which unaccompanied children (UASC)"] == "5"
    captions = " ".join(c.value for c in at.caption)
    assert "nationality Afghanistan" in captions
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 5  # by method, top nationalities, sex and age, asylum, Frontex
    for chart in charts:  # every figure names its source and as-of date
        notes = " ".join(a.get("text", "") for a in chart["layout"].get("annotations", []))
        assert "Source: Test fixture" in notes and "as of" in notes, notes
    titles = [c["layout"]["title"]["text"] for c in charts]
    assert titles[0].endswith("small boats 100% of the total"), titles[0]
    links = [c.value for c in at.sidebar.code]
    assert any("nationality=Afghanistan" in link for link in links), links


def test_the_page_without_the_dataset_says_what_to_import(store):
    at = open_page("arrivals", {"period": ["2019-01-01", "2019-03-31"]})
    assert not at.exception
    assert any("No irregular-arrivals data for these filters" in i.value for i in at.info), [i.value for i in at.info]
