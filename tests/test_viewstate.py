"""Each page's own view state in the URL (dashboard/viewstate.py): parsed, written back, validated."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard import maps, viewstate


def test_round_trip_of_every_map_parameter():
    raw = {
        "view": ["1"],
        "map.focus": ["English Channel"],
        "map.zoom": ["-2"],
        "map.routes": ["0"],
        "map.incidents": ["1"],
        "map.style": ["dark"],
        "map.by_month": ["1"],
        "map.month": ["2025-03"],
    }
    values, notices = viewstate.parse("map", raw)
    assert notices == []
    assert values == {
        "map_focus": "English Channel",
        "map_zoom_steps": -2,
        "map_routes": False,
        "map_incidents": True,
        "map_style": "dark",
        "map_by_month": True,
        "map_month": date(2025, 3, 1),
    }
    assert viewstate.to_query("map", values) == raw


def test_defaults_are_written_in_full_so_a_link_never_depends_on_todays_defaults():
    assert viewstate.to_query("map", {}) == {
        "view": ["1"],
        "map.focus": [next(iter(maps.FOCUS_VIEWS))],
        "map.zoom": ["0"],
        "map.routes": ["1"],
        "map.incidents": ["1"],
        "map.style": ["light"],
        "map.by_month": ["0"],
    }
    assert viewstate.to_query("data", {}) == {}  # a page without view state adds nothing


def test_operations_parameters():
    raw = {
        "ops.status": ["active", "active", "concluded"],
        "ops.agency": ["NCA"],
        "ops.q": ["Kestrel"],
        "ops.op": ["OP-0126"],
    }
    values, notices = viewstate.parse("operations", raw)
    assert notices == [] and values == {
        "operations_status": ["active", "concluded"],
        "operations_agency": ["NCA"],
        "operations_search": "Kestrel",
        "operations_selected": "OP-0126",
    }
    assert viewstate.to_query("operations", values)["ops.status"] == ["active", "concluded"]


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("map.focus", "Atlantis", "not one of"),
        ("map.zoom", "99", "from -12 to 12"),
        ("map.zoom", "²", "-12 to 12"),
        ("map.routes", "yes", "use 1 (on) or 0 (off)"),
        ("map.style", "neon", "not one of light, dark"),
        ("map.month", "2025-13", "YYYY-MM"),
        ("map.month", "March", "YYYY-MM"),
    ],
)
def test_unusable_values_are_dropped_with_a_notice(key, value, why):
    values, notices = viewstate.parse("map", {key: [value]})
    assert values == {} and len(notices) == 1 and key in notices[0] and why in notices[0]


def test_long_or_control_text_is_refused():
    _, notices = viewstate.parse("operations", {"ops.q": ["x" * 101], "ops.status": ["a\x00b"]})
    assert len(notices) == 2


def test_another_format_is_not_misread():
    values, notices = viewstate.parse("map", {"view": ["2"], "map.style": ["dark"]})
    assert values == {} and "view format '2'" in notices[0]


def test_other_pages_keys_are_not_this_pages():
    assert viewstate.parse("map", {"ops.q": ["x"]}) == ({}, [])
    assert "map.focus" in viewstate.keys("map") and "ops.q" not in viewstate.keys("map")
    assert viewstate.keys("data") == {"view"}
