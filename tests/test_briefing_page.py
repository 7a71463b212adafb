"""The Briefing page through AppTest: save views from pages, manage them, present slides."""

from __future__ import annotations

import conftest
from streamlit.testing.v1 import AppTest

from dashboard.saved_views import ViewStore


def open_page(page: str, params: dict | None = None) -> AppTest:
    at = conftest.open_page(page, params)
    assert not at.exception, [e.stack_trace for e in at.exception]
    return at


def test_save_a_view_and_it_round_trips_with_filters_and_version(store):
    at = open_page("operations", {"period": ["2025-01-01", "2025-01-31"], "route": ["English Channel"]})
    at.text_input(key="save_view_title").input("Channel operations in January")
    at.text_area(key="save_view_note").input("Why: <b>record</b> arrests")
    at.button[[b.label for b in at.button].index("Save view")].click().run()
    assert not at.exception
    (view,) = ViewStore(store.data_dir).list()  # a fresh store object: it was written to disk
    assert view.title == "Channel operations in January" and view.page == "operations"
    assert view.link() == (
        "/operations?period=2025-01-01&period=2025-01-31&route=English+Channel&version=1&compare=year&view=1"
    )
    # reload the app from the view's link: same filters and version
    at = open_page("operations", {"period": ["2025-01-01", "2025-01-31"], "route": ["English Channel"], "version": "1"})
    assert at.sidebar.multiselect(key="route").value == ["English Channel"]


def test_manage_page_lists_default_sequence_without_saved_views(store):
    at = open_page("briefing")
    assert [t.value for t in at.title] == ["Briefing"]
    assert any("No saved views yet" in i.value for i in at.info)
    assert len(at.sidebar.multiselect) == 0  # no filters on the briefing page


def test_present_slides_by_url_and_move_with_buttons(store):
    views = ViewStore(store.data_dir)
    from datetime import date

    from dashboard.filters import FilterState

    for i, page in enumerate(["", "funding", "operations"]):
        views.add(f"Slide {i + 1}", "note", page, FilterState(period=(date(2025, 1, 1), date(2025, 1, 31)), version=1))
    at = open_page("briefing", {"slide": "2"})
    assert [t.value for t in at.title] == ["Slide 2"]
    assert any("Slide 2 of 3" in m.value for m in at.markdown)
    assert sum("OFFICIAL" in m.value for m in at.markdown) == 2
    at.button(key="brief_next").click().run()
    assert [t.value for t in at.title] == ["Slide 3"] and at.query_params["slide"] in ("3", ["3"])
    at.button(key="brief_next").click().run()  # wraps round
    assert [t.value for t in at.title] == ["Slide 1"]
    at.button(key="brief_prev").click().run()
    assert [t.value for t in at.title] == ["Slide 3"]
    at = open_page("briefing", {"slide": "junk"})
    assert [t.value for t in at.title] == ["Slide 1"]


def test_reorder_rename_delete(store):
    from datetime import date

    from dashboard.filters import FilterState

    views = ViewStore(store.data_dir)
    a = views.add("A", "", "", FilterState(period=(date(2025, 1, 1), date(2025, 1, 31)), version=1))
    b = views.add("B", "", "map", FilterState(period=(date(2025, 1, 1), date(2025, 1, 31)), version=1))
    at = open_page("briefing")
    at.button(key=f"brief_up_{b.id}").click().run()
    assert [v.title for v in ViewStore(store.data_dir).list()] == ["B", "A"]
    at.button(key=f"brief_del_{a.id}").click().run()
    assert [v.title for v in ViewStore(store.data_dir).list()] == ["B"]


def test_damaged_saved_views_file_does_not_crash(store):
    (store.data_dir / "saved_views.json").write_text("{not json")
    at = open_page("briefing")
    assert any("Saved views could not be read" in e.value for e in at.error)
    assert (store.data_dir / "saved_views.json").read_text() == "{not json"  # kept as it was
