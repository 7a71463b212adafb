"""AppTest from the entry script for every page, on the tiny hand-made dataset."""

from __future__ import annotations

from pathlib import Path

import pytest
import tiny
from conftest import open_page
from streamlit.testing.v1 import AppTest

from dashboard import fmt, queries, registry
from dashboard.filters import FilterState
from dashboard.store import Store

# Every page with the shared filters, by the name open_page takes ('overview' for the default page).
PAGES = {p.url_path or "overview": p.title for p in registry.PAGES if p.shared_filters}


def markdown_text(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_with_marking_and_description(store, page):
    at = open_page(page, {"period": ["2025-01-01", "2025-01-31"]})
    assert not at.exception, [e.stack_trace for e in at.exception]
    assert [t.value for t in at.title] == [PAGES[page]]
    assert sum("OFFICIAL" in m for m in markdown_text(at)) == 2  # top and bottom
    assert any("All regions and routes · 1 – 31 Jan 2025 · data version 1" in c.value for c in at.caption)
    assert not any("Synthetic demo data" in i.value for i in at.info)  # the tiny data is not the demo


def test_deep_link_sets_filters_and_kpis_match_the_query_layer(store):
    params = {"period": ["2025-01-01", "2025-01-31"], "region": ["UK & Channel"], "version": "1"}
    at = open_page("overview", params)
    assert at.sidebar.date_input(key="period").value == (
        __import__("datetime").date(2025, 1, 1),
        __import__("datetime").date(2025, 1, 31),
    )
    assert at.sidebar.multiselect(key="region").value == ["UK & Channel"]
    state, _ = FilterState.from_query_params(params, queries.filter_options(store.connect(1), (1,), 1))
    expected = queries.kpis(store.connect(1), state)
    shown = {m.label: m.value for m in at.metric}
    for row in expected.to_dict("records"):
        assert shown[row["label"]] == fmt.kpi_value(row["key"], row["value"]), row["label"]
    assert shown["People arrived"] == "150" and shown["Dead and missing"] == "0"


def test_junk_parameters_give_a_visible_notice_and_no_crash(store):
    at = open_page("map", {"region": ["Atlantis"], "period": ["yesterday", "today"], "version": "99", "zoom": "11"})
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    for fragment in ("'Atlantis'", "'yesterday' is not a date", "data version '99' not found", "'zoom'"):
        assert fragment in warnings


def test_share_link_pins_every_filter_and_the_version(store):
    at = open_page("operations", {"period": ["2025-01-01", "2025-01-31"], "route": ["English Channel"]})
    links = [c.value for c in at.sidebar.code]
    assert links == [
        "/operations?period=2025-01-01&period=2025-01-31&route=English+Channel&version=1&compare=year&view=1"
    ]
    # after a new import the link still opens version 1's numbers
    store.commit({"crossings_daily": tiny.frames()["crossings_daily"].assign(people=1)}, source_name="rev")
    at = open_page("overview", {"period": ["2025-01-01", "2025-01-31"], "route": ["English Channel"], "version": "1"})
    assert {m.label: m.value for m in at.metric}["People arrived"] == "150"
    at = open_page("overview", {"period": ["2025-01-01", "2025-01-31"], "route": ["English Channel"]})
    assert {m.label: m.value for m in at.metric}["People arrived"] == "3"  # current version 2


def test_classification_comes_from_the_environment(store, monkeypatch):
    monkeypatch.setenv("TIDELINE_CLASSIFICATION", "OFFICIAL-SENSITIVE")
    at = open_page("data")
    assert sum("OFFICIAL\\-SENSITIVE" in m for m in markdown_text(at)) == 2


def test_empty_period_shows_empty_states_not_errors(store):
    at = open_page("overview", {"period": ["2019-01-01", "2019-01-31"]})
    assert not at.exception
    assert any("No Channel arrivals" in i.value for i in at.info)
    at = open_page("operations", {"period": ["2019-01-01", "2019-01-31"]})
    assert not at.exception and any("No operations" in i.value for i in at.info)
    # The empty page still ends like every page (it once st.stop()ped): bottom marking and share link.
    assert sum("OFFICIAL" in m for m in markdown_text(at)) == 2
    assert [c.value for c in at.sidebar.code] == [
        "/operations?period=2019-01-01&period=2019-01-31&version=1&compare=year&view=1"
    ]


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("fill", ["empty", "home_office_only"])
def test_partly_filled_stores_show_empty_states_not_errors(tmp_path, monkeypatch, page, fill):
    from dashboard import ingest

    store = Store(tmp_path / "partial")
    ingest.init_empty(store)
    if fill == "home_office_only":
        fixture = Path(__file__).resolve().parent / "fixtures" / "home_office" / "small_boats.ods"
        ingest.apply(store, ingest.plan(store, fixture))
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(store.data_dir))
    at = open_page(page)
    assert not at.exception, [e.stack_trace for e in at.exception]
    assert [t.value for t in at.title] == [PAGES[page]]
    if page in ("operations", "funding"):
        assert any("No " in i.value for i in at.info), [i.value for i in at.info]


def _deck_view(at: AppTest) -> dict:
    import json

    (deck,) = at.get("deck_gl_json_chart")
    return json.loads(deck.proto.json)["initialViewState"]


def test_map_focus_and_zoom_buttons_move_the_map_without_dragging(store):
    from dashboard import maps

    at = open_page("map", {"period": ["2025-01-01", "2025-01-31"]})
    assert not at.exception
    start = _deck_view(at)
    europe = maps.VIEW_EUROPE
    assert (start["latitude"], start["longitude"], start["zoom"]) == (europe["lat"], europe["lon"], europe["zoom"])
    at.button(key="map_zoom_in").click().run()
    at.button(key="map_zoom_in").click().run()
    view = _deck_view(at)
    assert view["zoom"] == europe["zoom"] + 2 and (view["latitude"], view["longitude"]) == (
        europe["lat"],
        europe["lon"],
    )
    assert any(f"Zoom level {europe['zoom'] + 2:g}" in c.value for c in at.caption)
    at.button(key="map_zoom_out").click().run()
    assert _deck_view(at)["zoom"] == europe["zoom"] + 1
    at.selectbox(key="map_focus").set_value("English Channel").run()
    view = _deck_view(at)
    assert (view["latitude"], view["longitude"], view["zoom"]) == (50.9, 1.5, 7.5)  # a new focus resets the zoom
    for _ in range(4):  # 7.5 → 8.5 → 9.5 → 10.5 → 11 (the limit)
        at.button(key="map_zoom_in").click().run()
    assert _deck_view(at)["zoom"] == maps.MAX_ZOOM and at.button(key="map_zoom_in").disabled
    assert not at.button(key="map_zoom_out").disabled
    assert not at.exception


# -- partly filled stores, empty states and tables (issue items 13 and 15) --------------------------
@pytest.fixture
def operations_only(tmp_path, monkeypatch) -> Store:
    """An operations-only import: no crossings, incidents, flows, preventions, funding or staffing."""
    store = Store(tmp_path / "ops_only")
    store.commit({"operations": tiny.frames()["operations"]}, source_name="ops-only")
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(store.data_dir))
    return store


def test_operations_only_store_opens_on_its_operations_and_says_what_is_missing(operations_only):
    from datetime import date

    at = open_page("overview")
    assert not at.exception, [e.stack_trace for e in at.exception]
    assert at.sidebar.date_input(key="period").value == (date(2024, 6, 1), date(2024, 12, 31))
    captions = [c.value for c in at.caption]
    assert not [c for c in captions if "no data" in c or "as of –" in c], captions
    assert any("No arrivals" in c and "data in data version 1" in c for c in captions), captions
    at = open_page("operations")
    assert not at.exception and "Operation" in at.dataframe[0].proto.columns  # the default period holds them
    assert any("as of 20 Jan 2025" in c.value for c in at.caption)


def test_empty_states_use_a_material_icon_not_an_emoji(store):
    at = open_page("overview", {"period": ["2019-01-01", "2019-01-31"]})
    empty = [i for i in at.info if "No Channel arrivals" in i.value]
    assert empty and all(i.icon == ":material/search_off:" for i in empty)


DATE_COLUMNS = ("date", "start_date", "end_date", "as_of", "created", "imported_at")


def _shown_columns(df) -> dict[str, dict]:
    """The columns a st.dataframe shows, with their column config (label, width, type)."""
    import json

    config = json.loads(df.proto.columns or "{}")
    shown = list(df.proto.column_order) or [str(c) for c in df.value.columns]
    return {c: config.get(c, {}) for c in shown if not config.get(c, {}).get("hidden")}


@pytest.mark.parametrize("page", ["data", "funding", "operations", "map"])
def test_tables_show_friendly_labels_and_whole_dates(store, page):
    at = open_page(page, {"period": ["2025-01-01", "2025-01-31"]})
    assert not at.exception, [e.stack_trace for e in at.exception]
    assert len(at.dataframe)
    for df in at.dataframe:
        for name, config in _shown_columns(df).items():
            label = config.get("label") or name
            assert "_" not in label and label[:1].isupper(), (page, name, label)  # not 'lead_agency'
            if name in DATE_COLUMNS:
                assert config["type_config"]["type"] in ("date", "datetime"), (page, name)
                assert config["type_config"]["format"].startswith("D MMM YYYY"), (page, name)
                assert config.get("width", 0) >= 105, (page, name)  # '19 Oct 2026' whole, not '19 Oct 2'


def test_operations_table_fits_the_page_at_1920_px(store):
    at = open_page("operations")
    widths = [config.get("width") for config in _shown_columns(at.dataframe[0]).values()]
    assert len(widths) == 14 and all(isinstance(w, int) for w in widths), widths
    assert sum(widths) <= 1415, widths  # ~1,460 px less the row-selection markers


def test_data_and_sources_tables_fit_the_page_at_1920_px(store):
    at = open_page("data")
    assert len(at.dataframe) == 4
    for df in at.dataframe:
        widths = [config.get("width") for config in _shown_columns(df).values()]
        assert all(isinstance(w, int) for w in widths), widths  # sized, not sized to their text
        # The main column at 1920 px with the sidebar open is ~1,460 px wide (measured in Chromium).
        assert sum(widths) <= 1450, widths
