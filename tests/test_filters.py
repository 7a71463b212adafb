from dataclasses import replace
from datetime import date

import pytest

from dashboard.filters import FilterOptions, FilterState, format_period, params

OPTS = FilterOptions(
    regions=("Mediterranean", "UK & Channel"),
    routes=("Central Mediterranean", "English Channel"),
    types=("arrival", "rescue", "dead or missing"),
    versions=(1, 2, 3),
    current_version=3,
    data_start=date(2018, 1, 1),
    data_end=date(2026, 10, 31),
)


def test_default_is_latest_twelve_full_months():
    assert FilterState.default(OPTS).period == (date(2025, 11, 1), date(2026, 10, 31))
    mid_month = FilterOptions(**{**OPTS.__dict__, "data_end": date(2026, 11, 27)})
    assert mid_month.default_period() == (date(2025, 11, 1), date(2026, 10, 31))


def test_round_trip_through_query_params():
    state = FilterState(
        period=(date(2025, 1, 1), date(2025, 6, 30)),
        region=("UK & Channel",),
        route=("English Channel", "Central Mediterranean"),
        type=("arrival",),
        version=2,
    )
    params = state.to_query_params()
    assert params["period"] == ["2025-01-01", "2025-06-30"]
    assert params["route"] == ["English Channel", "Central Mediterranean"]
    back, notices = FilterState.from_query_params(params, OPTS)
    assert back == state and notices == []
    assert "period=2025-01-01&period=2025-06-30" in state.query_string()


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"period": ["20250101", "2025-02-01"]}, "is not a date in the form YYYY-MM-DD"),
        ({"period": ["2025-01-01 ", "2025-02-01"]}, "is not a date in the form YYYY-MM-DD"),
        ({"period": ["2025-W01-1", "2025-02-01"]}, "is not a date in the form YYYY-MM-DD"),
        ({"period": ["2025-13-01", "2025-02-01"]}, "is not a date"),
        ({"period": ["1066-10-14", "2025-02-01"]}, "outside"),
        ({"region": ["Atlantis"]}, "unknown region ignored: 'Atlantis'"),
        ({"route": ["<script>"]}, "unknown route ignored"),
        ({"type": ["shipwreck"]}, "unknown incident type ignored"),
        ({"version": ["99"]}, "data version '99' not found"),
        ({"version": ["abc"]}, "data version 'abc' not found"),
        ({"version": ["01"]}, "data version '01' not found"),
        ({"version": ["²"]}, "data version '²' not found"),
        ({"version": ["9" * 5000]}, "data version '999"),
        ({"colour": ["red"]}, "unknown parameter(s) not used for filtering: 'colour'"),
    ],
)
def test_junk_is_dropped_with_a_notice(params, fragment):
    state, notices = FilterState.from_query_params(params, OPTS)
    assert any(fragment in n for n in notices), notices
    default = FilterState.default(OPTS)
    key = next(iter(params))
    if key in ("period", "region", "route", "type", "version"):
        assert getattr(state, key) == getattr(default, key)


def test_good_values_survive_next_to_bad_ones():
    state, notices = FilterState.from_query_params(
        {"route": ["English Channel", "Nowhere", "English Channel"], "version": ["2"]}, OPTS
    )
    assert state.route == ("English Channel",) and state.version == 2
    assert notices == ["unknown route ignored: 'Nowhere'"]


def test_like_the_date_picker_more_than_two_dates_are_ignored():
    state, notices = FilterState.from_query_params(
        {"period": ["2025-1-1", "2025-03-01", "2025-04-01", "2025-05-01"]}, OPTS
    )
    assert state.period == FilterState.default(OPTS).period
    assert notices == [
        "period '2025-1-1', '2025-03-01', '2025-04-01', '2025-05-01' ignored: expected two dates (start and end), got 4"
    ]
    state, _ = FilterState.from_query_params({"period": ["2025-1-1", "2025-1-1", "2025-03-01", "2025-03-01"]}, OPTS)
    assert state.period == (date(2025, 1, 1), date(2025, 3, 1))  # unpadded, as the picker reads it


def test_one_date_is_a_one_day_period():
    state, notices = FilterState.from_query_params({"period": ["2025-03-04"]}, OPTS)
    assert state.period == (date(2025, 3, 4), date(2025, 3, 4)) and notices == []


def test_reversed_period_is_swapped_with_notice():
    state, notices = FilterState.from_query_params({"period": ["2025-06-30", "2025-01-01"]}, OPTS)
    assert state.period == (date(2025, 1, 1), date(2025, 6, 30))
    assert "swapped" in notices[0]


def test_notice_shortens_huge_values():
    _, notices = FilterState.from_query_params({"region": ["x" * 10_000]}, OPTS)
    assert len(notices[0]) < 200


def test_where_fragment_uses_named_parameters_only():
    state = FilterState(
        period=(date(2025, 1, 1), date(2025, 1, 31)),
        region=("UK & Channel",),
        route=("English Channel",),
        type=("arrival", "rescue"),
    )
    sql, values = state.where("i", date_col="date", region_col="region", route_col="route", type_col="incident_type")
    assert sql == (
        "date BETWEEN $i_start AND $i_end AND region IN ($i_region_0) AND route IN ($i_route_0) "
        "AND incident_type IN ($i_type_0, $i_type_1)"
    )
    assert values == {
        "i_start": date(2025, 1, 1),
        "i_end": date(2025, 1, 31),
        "i_region_0": "UK & Channel",
        "i_route_0": "English Channel",
        "i_type_0": "arrival",
        "i_type_1": "rescue",
    }
    assert "English" not in sql
    sql, values = state.where("r")  # region via the routes table
    assert "SELECT route FROM routes WHERE region IN ($r_region_0)" in sql and "arrival" not in values.values()
    assert FilterState(period=state.period).where("x", date_col=None, route_col=None) == ("TRUE", {})


@pytest.mark.parametrize("prefix", ["", "a b", "1x", "x; DROP"])
def test_where_prefix_must_be_an_identifier(prefix):
    with pytest.raises(ValueError, match="identifier"):
        FilterState(period=(date(2025, 1, 1), date(2025, 1, 31))).where(prefix)


def test_params_merge_fragments_and_refuse_a_name_bound_twice():
    state = FilterState(period=(date(2025, 1, 15), date(2025, 3, 10)), route=("English Channel",))
    (_, day), (_, month) = state.where("c"), state.where("f", date_col="month", month_grain=True)
    merged = params(day, month, programme="BSC")
    assert merged["c_start"] == date(2025, 1, 15) and merged["f_start"] == date(2025, 1, 1)
    assert merged["programme"] == "BSC" and len(merged) == len(day) + len(month) + 1
    assert params(day, day) == day  # the same value twice is fine
    _, other_month = state.where("c", date_col="month", month_grain=True)  # same prefix, other start
    with pytest.raises(ValueError, match=r"\$c_start given two values"):
        params(day, other_month)


def test_month_grain_starts_on_the_first():
    state = FilterState(period=(date(2025, 1, 15), date(2025, 3, 10)))
    _, values = state.where("f", date_col="month", month_grain=True)
    assert (values["f_start"], values["f_end"]) == (date(2025, 1, 1), date(2025, 3, 10))


def test_previous_period_has_equal_length():
    state = FilterState(period=(date(2025, 1, 1), date(2025, 6, 30)))
    prev = state.previous()
    assert prev.period == (date(2024, 7, 4), date(2024, 12, 31))  # 181 days each and prev.days == state.days
    assert FilterState(period=(date(2024, 2, 29), date(2024, 3, 1))).shifted_years(-1).start == date(2023, 2, 28)


def test_describe():
    state = FilterState(period=(date(2025, 1, 1), date(2025, 6, 30)), route=("English Channel",))
    assert state.describe(with_version=False) == "English Channel · 1 Jan – 30 Jun 2025"
    assert FilterState(period=(date(2025, 11, 1), date(2026, 10, 31)), version=3).describe() == (
        "All regions and routes · 1 Nov 2025 – 31 Oct 2026 · data version 3"
    )
    assert format_period(date(2025, 3, 4), date(2025, 3, 4)) == "4 Mar 2025"
    assert format_period(date(2025, 1, 1), date(2025, 1, 31)) == "1 – 31 Jan 2025"


# -- comparison baseline, quick periods, conflicting filters (issue 12) --------------------------
OPTS_R = FilterOptions(
    regions=("Mediterranean", "UK & Channel"),
    routes=("Central Mediterranean", "English Channel"),
    types=("arrival",),
    versions=(1,),
    current_version=1,
    data_start=date(2018, 1, 1),
    data_end=date(2026, 10, 19),
    route_regions={"Central Mediterranean": "Mediterranean", "English Channel": "UK & Channel"},
)


def test_changes_are_measured_against_the_same_period_a_year_earlier_by_default():
    state = FilterState(period=(date(2026, 6, 1), date(2026, 10, 31)))
    assert state.compare == "year" and state.baseline().period == (date(2025, 6, 1), date(2025, 10, 31))
    assert state.baseline_words() == "1 Jun – 31 Oct 2025, the same period a year earlier"
    prev = replace(state, compare="previous")
    assert prev.baseline().period == (date(2025, 12, 30), date(2026, 5, 31))
    assert prev.baseline_words().endswith("the previous period of the same length")


def test_compare_in_the_url():
    state, notices = FilterState.from_query_params({"compare": ["previous"]}, OPTS_R)
    assert state.compare == "previous" and notices == []
    assert state.to_query_params()["compare"] == ["previous"]
    state, notices = FilterState.from_query_params({"compare": ["lastweek"]}, OPTS_R)
    assert state.compare == "year" and "compare 'lastweek' ignored" in notices[0]


@pytest.mark.parametrize(
    ("name", "period"),
    [
        ("last-12-months", (date(2025, 10, 1), date(2026, 9, 30))),
        ("ytd", (date(2026, 1, 1), date(2026, 10, 19))),
        ("last-month", (date(2026, 9, 1), date(2026, 9, 30))),
        ("last-quarter", (date(2026, 7, 1), date(2026, 9, 30))),
        ("this-fy", (date(2026, 4, 1), date(2026, 10, 19))),
    ],
)
def test_quick_periods_end_at_the_latest_data(name, period):
    assert OPTS_R.quick_period(name) == period
    state, notices = FilterState.from_query_params({"period": [name]}, OPTS_R)  # as a link
    assert state.period == period and notices == []


def test_quick_periods_at_the_turn_of_a_year_and_a_quarter():
    opts = replace(OPTS_R, data_end=date(2026, 3, 31))
    assert opts.quick_period("last-quarter") == (date(2026, 1, 1), date(2026, 3, 31))
    assert opts.quick_period("this-fy") == (date(2025, 4, 1), date(2026, 3, 31))
    assert replace(OPTS_R, data_end=date(2026, 1, 10)).quick_period("last-month") == (
        date(2025, 12, 1),
        date(2025, 12, 31),
    )


def test_every_active_filter_is_described_and_conflicts_are_named():
    both = FilterState(
        period=(date(2025, 1, 1), date(2025, 6, 30)), region=("Mediterranean",), route=("English Channel",)
    )
    assert both.describe(with_version=False) == "Mediterranean · route English Channel · 1 Jan – 30 Jun 2025"
    (conflict,) = both.conflicts(OPTS_R)
    assert "English Channel are not in the region(s) Mediterranean" in conflict
    fits = replace(both, route=("Central Mediterranean",))
    assert fits.conflicts(OPTS_R) == []
    assert OPTS_R.routes_in(["Mediterranean"]) == ("Central Mediterranean",) and OPTS_R.routes_in([]) == OPTS_R.routes
