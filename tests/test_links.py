"""Links that open the same view (issue 12): the URL always holds the whole view (filters at their
defaults, the pinned version, the comparison and each page's own state), written back after every run;
page state (map focus, zoom, layers, style, month; the Operations table's filters and selection) round
trips through links and saved views. AppTest; the browser side is in tests/browser/test_links.py."""

from __future__ import annotations

from datetime import date

import tiny
from conftest import open_page
from streamlit.testing.v1 import AppTest

from dashboard.saved_views import ViewStore
from dashboard.slides import build_slide
from dashboard.store import Store


def url(at: AppTest) -> dict[str, list[str]]:
    return {
        k: at.query_params[k] if isinstance(at.query_params[k], list) else [at.query_params[k]] for k in at.query_params
    }


def warnings(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning).replace("\\", "")


def test_the_url_holds_the_whole_view_even_at_the_defaults(store):
    at = open_page("overview")
    assert not at.exception
    assert url(at) == {"period": ["2024-02-01", "2025-01-31"], "version": ["1"], "compare": ["year"]}


def test_a_pinned_link_keeps_its_version_and_period_after_a_new_import(store):
    params = {"period": ["2025-01-01", "2025-01-31"], "version": "1"}
    store.commit(tiny.frames(), source_name="tiny again")  # version 2 is now current
    at = open_page("overview", params)
    assert at.sidebar.selectbox(key="version").value == 1
    assert url(at)["version"] == ["1"] and url(at)["period"] == ["2025-01-01", "2025-01-31"]


def test_map_state_round_trips_through_the_link(store):
    link = {
        "period": ["2025-01-01", "2025-01-31"],
        "map.focus": "English Channel",
        "map.zoom": "2",
        "map.routes": "0",
        "map.style": "dark",
    }
    at = open_page("map", link)
    assert not at.exception and not at.warning
    assert at.selectbox(key="map_focus").value == "English Channel"
    assert at.toggle(key="map_routes").value is False and at.button_group(key="map_style").value == "dark"
    assert at.session_state["map_zoom_steps"] == 2
    written = url(at)
    assert written["map.focus"] == ["English Channel"] and written["map.zoom"] == ["2"]
    assert written["map.routes"] == ["0"] and written["map.style"] == ["dark"] and written["view"] == ["1"]
    # a change made on the page goes back into the URL
    at.toggle(key="map_routes").set_value(True).run()
    assert url(at)["map.routes"] == ["1"]


def test_unusable_page_values_are_ignored_with_a_notice(store):
    at = open_page("map", {"map.zoom": "99", "map.style": "neon", "map.focus": "Atlantis"})
    assert not at.exception
    text = warnings(at)
    for fragment in ("map.zoom '99' ignored", "map.style 'neon' ignored", "map.focus 'Atlantis' ignored"):
        assert fragment in text
    assert at.button_group(key="map_style").value == "light" and "unknown parameter" not in text


def test_operations_state_and_selection_round_trip(store):
    link = {"period": ["2025-01-01", "2025-01-31"], "ops.q": "One", "ops.op": "OP1"}
    at = open_page("operations", link)
    assert not at.exception
    assert at.text_input(key="operations_search").value == "One"
    assert any("(OP1)" in h.value for h in at.subheader), [
        h.value for h in at.subheader
    ]  # the selected operation's details are open
    assert url(at)["ops.q"] == ["One"] and url(at)["ops.op"] == ["OP1"]


def test_a_saved_view_keeps_the_page_state_and_its_slide_reads_it_without_notices(store):
    at = open_page("map", {"period": ["2025-01-01", "2025-01-31"], "map.style": "dark"})
    at.text_input(key="save_view_title").input("Dark map")
    at.button[[b.label for b in at.button].index("Save view")].click().run()
    (view,) = ViewStore(store.data_dir).list()
    assert "map.style=dark" in view.query and "view=1" in view.query and "compare=year" in view.query
    assert build_slide(Store(store.data_dir), view).notices == []


def test_quick_period_sets_the_period(store):
    at = open_page("overview")
    at.sidebar.button_group(key="quick_period").set_value("ytd").run()
    assert at.sidebar.date_input(key="period").value == (date(2025, 1, 1), date(2025, 2, 1))
    assert url(at)["period"] == ["2025-01-01", "2025-02-01"]


def test_kpis_say_what_they_compare_with_and_no_change_is_neutral(store):
    at = open_page("overview", {"period": ["2025-01-01", "2025-01-31"]})
    assert any("compared with 1 – 31 Jan 2024, the same period a year earlier" in c.value for c in at.caption)
    at = open_page("overview", {"period": ["2025-01-01", "2025-01-31"], "compare": "previous"})
    assert any("the previous period of the same length" in c.value for c in at.caption)


def test_conflicting_filters_are_explained(store):
    at = open_page("overview", {"region": ["Mediterranean"], "route": ["English Channel"]})
    text = " ".join(w.value for w in at.sidebar.warning).replace("\\", "")
    assert "Filters exclude each other" in text and "English Channel" in text
    assert any("Mediterranean · route English Channel" in c.value for c in at.caption)
