"""Saved views: stored in the data directory, round-trip across instances, validated, written atomically."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from dashboard import registry
from dashboard.auth import LOCAL, Identity
from dashboard.filters import FilterState
from dashboard.saved_views import SavedView, ViewError, ViewStore, default_sequence

STATE = FilterState(
    period=(date(2025, 1, 1), date(2025, 6, 30)),
    region=("Mediterranean",),
    route=("Central Mediterranean", "English Channel"),
    type=("rescue",),
    version=3,
)


def test_round_trip_across_instances(tmp_path: Path):
    first = ViewStore(tmp_path)
    a = first.add("  Channel   first half ", "Why: arrivals\nrose", "map", STATE)
    b = first.add("Money", "", "funding", STATE)
    c = first.add("Ops", "", "operations", STATE)
    assert re.fullmatch(r"[0-9a-f]{8}", a.id) and len({a.id, b.id, c.id}) == 3
    assert a.title == "Channel first half" and a.note == "Why: arrivals\nrose"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a.created_at)

    again = ViewStore(tmp_path)  # a reload: a new object on the same directory
    assert again.list() == [a, b, c]
    assert again.get(b.id) == b
    parsed = FilterState.from_query_params(_params(again.get(a.id).query), _options())[0]
    assert parsed == STATE  # every filter and the pinned version survive

    renamed = again.update(a.id, title="Channel H1", note="", actor=LOCAL)
    assert (renamed.title, renamed.note, renamed.query, renamed.created_at) == ("Channel H1", "", a.query, a.created_at)
    again.move(c.id, -1, actor=LOCAL)
    assert [v.id for v in ViewStore(tmp_path).list()] == [a.id, c.id, b.id]
    again.move(a.id, -5, actor=LOCAL)  # clamped at the top: nothing moves
    again.move(b.id, +3, actor=LOCAL)
    assert [v.id for v in ViewStore(tmp_path).list()] == [a.id, c.id, b.id]
    again.move(a.id, +10, actor=LOCAL)
    assert [v.id for v in ViewStore(tmp_path).list()] == [c.id, b.id, a.id]

    again.delete(c.id, actor=LOCAL)
    assert [v.id for v in ViewStore(tmp_path).list()] == [b.id, a.id]
    assert ViewStore(tmp_path).get(a.id).title == "Channel H1"


def test_empty_store_lists_nothing(tmp_path: Path):
    assert ViewStore(tmp_path / "not-yet").list() == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.add("   ", "", "map", STATE), "title is empty"),
        (lambda s: s.add("x" * 121, "", "map", STATE), "at most 120"),
        (lambda s: s.add("ok", "n" * 2001, "map", STATE), "at most 2,000"),
        (lambda s: s.add("ok", "", "briefing", STATE), "unknown page 'briefing'"),
        (lambda s: s.add("ok", "", "map", FilterState(period=STATE.period)), "no data version"),
        (lambda s: s.get("deadbeef"), "no saved view with id 'deadbeef'"),
        (lambda s: s.update("deadbeef", title="x", actor=LOCAL), "no saved view"),
        (lambda s: s.update(s.list()[0].id, title="", actor=LOCAL), "title is empty"),
        (lambda s: s.move("deadbeef", 1, actor=LOCAL), "no saved view"),
        (lambda s: s.delete("deadbeef", actor=LOCAL), "no saved view"),
    ],
)
def test_validation_errors_say_what_and_why(tmp_path: Path, call, message):
    store = ViewStore(tmp_path)
    kept = store.add("Kept", "", "", STATE)
    with pytest.raises(ViewError, match=re.escape(message)):
        call(store)
    assert ViewStore(tmp_path).list() == [kept]  # a refused change leaves the file as it was


def test_limits_are_inclusive(tmp_path: Path):
    view = ViewStore(tmp_path).add("t" * 120, "n" * 2000, "data", STATE)
    assert len(view.title) == 120 and len(view.note) == 2000


def test_write_is_atomic_and_leaves_valid_json(tmp_path: Path):
    store = ViewStore(tmp_path)
    for i in range(3):
        store.add(f"View {i}", "", "", STATE)
    store.move(store.list()[0].id, 1, actor=LOCAL)
    store.delete(store.list()[-1].id, actor=LOCAL)
    doc = json.loads((tmp_path / "saved_views.json").read_text(encoding="utf-8"))
    assert doc["format"] == 2 and [v["title"] for v in doc["views"]] == ["View 1", "View 0"]
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_corrupt_file_is_reported_and_kept(tmp_path: Path):
    path = tmp_path / "saved_views.json"
    path.write_text('{"format": 1, "views": [', encoding="utf-8")
    store = ViewStore(tmp_path)
    with pytest.raises(ViewError, match="not valid JSON.*left untouched"):
        store.list()
    with pytest.raises(ViewError, match="saved_views.json"):
        store.add("New", "", "", STATE)  # never overwrites what it cannot read
    assert path.read_text(encoding="utf-8") == '{"format": 1, "views": ['
    path.write_text('{"format": 1, "views": [{"id": "x"}]}', encoding="utf-8")
    with pytest.raises(ViewError, match="entry 1 lacks"):
        store.list()


def test_link_format():
    base = dict(
        id="0a1b2c3d",
        title="t",
        note="",
        query="period=2025-01-01&period=2025-01-31&version=2",
        created_at="2025-02-01T00:00:00Z",
    )
    assert SavedView(page="map", **base).link() == "/map?period=2025-01-01&period=2025-01-31&version=2"
    assert SavedView(page="", **base).link() == "/?period=2025-01-01&period=2025-01-31&version=2"


def test_default_sequence_is_one_view_per_main_page():
    views = default_sequence(STATE)
    assert [(v.id, v.page, v.title) for v in views] == [
        ("default-overview", "", "Overview"),
        ("default-map", "map", "Map"),
        ("default-funding", "funding", "Funding & resources"),
        ("default-operations", "operations", "Operations"),
    ]
    assert all(v.note == "" and v.query == STATE.query_string() for v in views)
    assert set(registry.SAVEABLE) >= {v.page for v in views}


def _params(query: str) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return parse_qs(query)


def _options():
    from dashboard.filters import FilterOptions

    return FilterOptions(
        regions=("Mediterranean", "UK & Channel"),
        routes=("Central Mediterranean", "English Channel"),
        types=("rescue", "arrival"),
        versions=(1, 2, 3),
        current_version=3,
        data_start=date(2024, 1, 1),
        data_end=date(2025, 12, 31),
    )


def test_titles_and_notes_are_kept_without_bidi_controls(tmp_path: Path):
    view = ViewStore(tmp_path).add("\u202eexe.txt\u202c brief", "line\u2066 one\u2069", "map", STATE)
    assert (view.title, view.note) == ("exe.txt brief", "line one")


ANA = Identity(sub="ana", email="ana@example.org", name="Ana", roles=("analyst",))
BEN = Identity(sub="ben", email="ben@example.org", name="Ben", roles=("analyst",))
VIV = Identity(sub="viv", email="viv@example.org", name="Viv", roles=("viewer",))
ADA = Identity(sub="ada", email="ada@example.org", name="Ada", roles=("viewer", "admin"))


def test_views_have_owners_and_others_see_only_shared_ones(tmp_path: Path):
    store = ViewStore(tmp_path)
    mine = store.add("Ana's private", "", "map", STATE, owner=ANA, shared=False)
    shared = store.add("Ana's shared", "", "map", STATE, owner=ANA)
    assert (mine.owner, mine.owner_name, mine.shared) == ("ana", "Ana <ana@example.org>", False)
    assert [v.title for v in store.visible(ANA)] == ["Ana's private", "Ana's shared"]
    assert [v.title for v in store.visible(BEN)] == ["Ana's shared"]
    assert [v.title for v in store.visible(VIV)] == ["Ana's shared"]
    assert [v.title for v in store.visible(ADA)] == ["Ana's private", "Ana's shared"]  # admins see everyone's
    # Only the owner or an admin changes a view; a refusal changes nothing.
    for call in [
        lambda: store.update(shared.id, title="Ben's now", actor=BEN),
        lambda: store.delete(shared.id, actor=BEN),
        lambda: store.move(shared.id, -1, actor=VIV),
    ]:
        with pytest.raises(ViewError, match="only its owner or an admin"):
            call()
    assert [v.title for v in store.list()] == ["Ana's private", "Ana's shared"]
    store.update(mine.id, shared=True, actor=ANA)
    assert [v.title for v in store.visible(BEN)] == ["Ana's private", "Ana's shared"]
    store.update(shared.id, title="Renamed by admin", actor=ADA)
    store.delete(mine.id, actor=ADA)
    assert [v.title for v in store.list()] == ["Renamed by admin"]


def test_a_viewer_cannot_save_a_view(tmp_path: Path):
    from dashboard.auth import Forbidden

    with pytest.raises(Forbidden, match="needs the analyst role"):
        ViewStore(tmp_path).add("Viv's", "", "map", STATE, owner=VIV)
    assert ViewStore(tmp_path).list() == []


def test_format_1_views_are_shared_and_changed_by_admins_only(tmp_path: Path):
    (tmp_path / "saved_views.json").write_text(
        json.dumps(
            {
                "format": 1,
                "views": [
                    {"id": "a1", "title": "Old", "note": "", "page": "map", "query": "version=1", "created_at": "x"}
                ],
            }
        ),
        encoding="utf-8",
    )
    store = ViewStore(tmp_path)
    (old,) = store.visible(VIV)
    assert (old.owner, old.shared) == ("", True)
    with pytest.raises(ViewError, match="belongs to nobody"):
        store.delete("a1", actor=ANA)
    store.update("a1", title="Kept", actor=ADA)
    assert json.loads((tmp_path / "saved_views.json").read_text())["format"] == 2
