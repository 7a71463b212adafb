"""Sign-in and roles in the app, through AppTest: what each role sees on each page, what the server refuses
whatever the page showed, the session-age limit, and the audit records a session leaves."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import APP, script
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from dashboard import audit, registry
from dashboard.ui import session

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 32,
    "client_id": "tideline",
    "client_secret": "s",
    "server_metadata_url": "http://localhost:9400/.well-known/openid-configuration",
}
TIDELINE = {
    "max_session_hours": 12,
    "roles": {
        "claim": "groups",
        "viewer": ["v"],
        "analyst": ["a"],
        "importer": ["i"],
        "admin": ["adm"],
    },
}
GROUP = {"viewer": "v", "analyst": "a", "importer": "i", "admin": "adm"}


def user(role: str | None, *, iat: float | None = None, sub: str | None = None) -> dict:
    name = role or "nobody"
    return {
        "is_logged_in": True,
        "sub": sub or f"sub-{name}",
        "email": f"{name}@example.org",
        "name": name.title(),
        "groups": [GROUP[role]] if role else ["finance"],
        "iat": int(time.time() - 60) if iat is None else iat,
    }


def signed(page: str, who: dict | None, params: dict | None = None, fresh: bool = True) -> AppTest:
    """A first run on `page` with sign-in configured, as `who` (None: signed out); `fresh`: as on a new server
    process (no sign-ins seen yet)."""
    if fresh:
        session.sign_ins_seen.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.secrets["tideline"] = TIDELINE
    at.user = who if who is not None else {"is_logged_in": False}
    if page != "overview":
        at._page_hash = calc_hash(page)  # st.Page's hash of its url path (no run: no audit record)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.stack_trace for e in at.exception]
    return at


def records(store) -> list[audit.Record]:
    return audit.JsonlAuditLog(store.data_dir).records()


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
    return "\n".join([*parts, *(i.value for i in at.info), *(t.value for t in at.title)])


PAGES = [p.url_path or "overview" for p in registry.PAGES]


@pytest.mark.parametrize("page", PAGES)
def test_signed_out_sees_only_the_sign_in_screen(store, page):
    at = signed(page, None, {"version": "1", "route": "Central Mediterranean"})
    assert [t.value for t in at.title] == ["Tideline"]
    assert [b.label for b in at.button] == ["Sign in"]
    # no figures, no filters, no data: nothing but the marking, the words and the button
    assert not at.metric and not at.dataframe and not at.multiselect and not at.date_input and not at.selectbox
    assert not at.get("plotly_chart") and not at.get("deck_gl_json_chart") and not at.get("download_button")
    assert "Sign-in is off" not in texts(at)
    assert not records(store)  # nobody to record yet
    assert_marked_top_and_bottom(at)


def assert_marked_top_and_bottom(at: AppTest) -> None:
    """The protective marking is the first and the last thing in the page, on every screen."""
    shown = [at.main.children[i] for i in sorted(at.main.children)]
    marked = [getattr(e, "value", None) == "**:red-background[OFFICIAL]**" for e in shown]
    assert marked[0] and marked[-1] and sum(marked) == 2, shown


def test_sign_in_off_is_the_local_demo_and_says_so(store):
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert "Sign-in is off — local demo" in texts(at)
    assert at.get("download_button"), "the local demo keeps its exports"
    (view,) = records(store)
    assert (view.event, view.sub, view.details["page"]) == ("page_view", "local", "/")


def role_sees(at: AppTest) -> dict[str, bool]:
    return {
        "downloads": bool(at.get("download_button")),
        "save view": any(p.proto.popover.label == "Save view for briefing" for p in at.get("popover")),
    }


@pytest.mark.parametrize(
    ("role", "downloads", "save_view"),
    [("viewer", False, False), ("analyst", True, True), ("importer", True, True), ("admin", True, True)],
)
def test_each_role_sees_the_controls_it_may_use(store, role, downloads, save_view):
    at = signed("map", user(role))
    assert at.title[0].value == "Map"
    assert role_sees(at) == {"downloads": downloads, "save view": save_view}
    assert f"Signed in as **{role.title()} \\<{role}@example\\.org\\>** · {role}" in texts(at)


@pytest.mark.parametrize(
    ("role", "uploader"), [("viewer", False), ("analyst", False), ("importer", True), ("admin", True)]
)
def test_only_importers_see_the_upload(store, role, uploader):
    at = signed("data", user(role))
    assert bool(at.get("file_uploader")) == uploader
    if not uploader:
        assert "Imports need the importer role" in texts(at)


@pytest.mark.parametrize(
    ("role", "allowed"), [("viewer", False), ("analyst", False), ("importer", False), ("admin", True)]
)
def test_the_audit_page_is_for_admins_and_a_forged_link_is_refused_and_recorded(store, role, allowed):
    at = signed("audit", user(role))
    if allowed:
        assert at.title[0].value == "Audit trail"
        assert any("Chain intact" in s.value for s in at.success)
        assert not any(r.event == "access_denied" for r in records(store))
    else:
        assert at.title[0].value == "No access"
        assert_marked_top_and_bottom(at)
        assert not at.dataframe
        denied = [r for r in records(store) if r.event == "access_denied"]
        assert [(r.sub, r.details["page"]) for r in denied] == [(f"sub-{role}", "/audit")]
        assert "the page needs the admin role" in denied[0].details["why"]


def test_a_user_without_a_mapped_group_gets_no_access_and_is_recorded(store):
    at = signed("overview", user(None))
    assert at.title[0].value == "No access"
    assert not at.metric and not at.get("plotly_chart")
    assert "none of the user's groups is mapped" in texts(at)
    events = [r.event for r in records(store)]
    assert events == ["sign_in", "access_denied"]


def test_an_old_sign_in_is_signed_out_and_recorded(store):
    at = signed("overview", user("analyst", iat=time.time() - 13 * 3600))
    assert not at.metric  # nothing drawn
    (expired,) = [r for r in records(store) if r.event == "session_expired"]
    assert expired.sub == "sub-analyst" and expired.details["max_session_hours"] == 12


def test_the_session_age_is_configurable(store):
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.secrets["tideline"] = {**TIDELINE, "max_session_hours": 0.5}
    at.user = user("analyst", iat=time.time() - 45 * 60)
    at.run()
    assert [r.event for r in records(store)] == ["session_expired"]


def test_a_misconfigured_role_section_shows_nothing(store):
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.secrets["tideline"] = {"roles": {"superuser": ["x"]}}
    at.user = user("admin")
    at.run()
    assert any("Sign-in is misconfigured" in e.value for e in at.error)
    assert not at.metric


def test_a_second_tab_on_the_same_sign_in_is_not_a_new_sign_in(store):
    ana = user("analyst")
    signed("overview", ana)
    signed("map", ana, fresh=False)  # a new session (tab), the same identity cookie
    signed("map", {**ana, "iat": ana["iat"] + 5}, fresh=False)  # signed in again at the provider
    assert [r.event for r in records(store)] == ["sign_in", "page_view", "page_view", "sign_in", "page_view"]


def test_a_session_records_sign_in_and_each_distinct_view_once(store):
    at = signed("overview", user("analyst"))
    at.run()  # a rerun with the same view: no new record
    at.switch_page(script("map")).run()
    got = [(r.event, r.details.get("page")) for r in records(store)]
    assert got == [("sign_in", None), ("page_view", "/"), ("page_view", "/map")]
    view = records(store)[1]
    assert view.email == "analyst@example.org" and view.roles == ("analyst",)
    assert "version=1" in view.details["query"] and "period=" in view.details["query"]
    assert audit.JsonlAuditLog(store.data_dir).verify().ok


def test_exports_are_refused_on_the_server_for_a_viewer_and_recorded_for_an_analyst(store):
    from dashboard.auth import Forbidden, Identity
    from dashboard.ui import access  # noqa: F401  (imported for the builder under test)

    at = signed("overview", user("analyst"))
    button = at.get("download_button")[0]
    assert button.proto.label == "Download CSV"
    # The builder the button carries, called as Streamlit's download thread calls it
    analyst = Identity(sub="sub-analyst", email="analyst@example.org", roles=("analyst",))
    viewer = Identity(sub="sub-viewer", email="viewer@example.org", roles=("viewer",))
    built = _builder(store, analyst)()
    assert b"by Tideline for analyst@example.org" in built
    with pytest.raises(Forbidden, match="needs the analyst role"):
        _builder(store, viewer)()
    exports_ = [r for r in records(store) if r.event == "export"]
    assert [(r.sub, r.details["rows"]) for r in exports_] == [("sub-analyst", 2)]


def _builder(store, who):
    """access.audited_build outside a page (the same function the buttons use)."""
    from datetime import UTC, datetime

    import pandas as pd

    from dashboard import exports
    from dashboard.ui import access, session

    session._audit_log.clear()
    return access.audited_build(
        who,
        "x.csv",
        2,
        1,
        exports.to_csv_bytes,
        df=pd.DataFrame({"a": [1, 2]}),
        generated_at=datetime.now(UTC),
        classification="OFFICIAL",
        description="d",
        version=1,
        source="s",
        produced_by=who.email,
    )


def test_a_viewer_cannot_save_views_or_build_the_pack(store):
    at = signed("briefing", user("viewer"))
    assert not any(b.label == "Prepare the briefing pack" for b in at.button)
    assert "Preparing the pack needs the analyst role" in texts(at)


def test_views_are_owned_and_shared(store):
    from dashboard.saved_views import ViewStore

    at = signed("map", user("analyst", sub="ana"))
    at.text_input(key="save_view_title").set_value("Ana's private view")
    at.checkbox(key="save_view_shared").uncheck()
    submit = [b for b in at.button if b.label == "Save view"]
    assert submit, "the save-view form is shown to an analyst"
    submit[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (view,) = ViewStore(store.data_dir).list()
    assert (view.title, view.owner, view.shared) == ("Ana's private view", "ana", False)
    assert [r.details["action"] for r in records(store) if r.event == "saved_view"] == ["add"]
    # another analyst's briefing does not list it; an admin's does
    assert "Ana's private view" not in texts(signed("briefing", user("analyst", sub="ben")))
    assert "Ana's private view" in texts(signed("briefing", user("admin", sub="ada")))


def test_an_importer_upload_is_recorded_with_file_sha256_result_and_version(store):
    from dashboard.files import sha256_file

    fixture = Path(__file__).resolve().parent / "fixtures" / "iom" / "current.csv"
    at = signed("data", user("importer"))
    at.file_uploader(key="data_upload").set_value((fixture.name, fixture.read_bytes(), "text/csv")).run()
    at.button(key="data_import").click().run()
    assert not at.exception, [e.stack_trace for e in at.exception]
    assert store.current_id() == 2
    (rec,) = [r for r in records(store) if r.event == "import"]
    assert rec.sub == "sub-importer" and rec.roles == ("importer",)
    assert rec.details["file"] == "current.csv" and rec.details["sha256"] == sha256_file(fixture)
    assert (rec.details["result"], rec.details["version"]) == ("accepted", 2)


def test_a_refused_upload_is_recorded(store):
    at = signed("data", user("importer"))
    at.file_uploader(key="data_upload").set_value(("notes.csv", b"nothing,we,know\n1,2,3\n", "text/csv")).run()
    (rec,) = [r for r in records(store) if r.event == "import"]
    assert rec.details["file"] == "notes.csv" and rec.details["result"].startswith("refused: ")
    assert store.current_id() == 1


def test_the_briefing_pack_says_who_and_is_recorded(store):
    at = signed("briefing", user("analyst"))
    at.button(key="brief_pack").click().run()
    assert not at.exception, [e.stack_trace for e in at.exception]
    (rec,) = [r for r in records(store) if r.event == "briefing_pack"]
    assert rec.email == "analyst@example.org" and len(rec.details["views"]) == len(registry.default_briefing())


def test_the_pack_and_exports_name_who_produced_them(tiny_store):
    from datetime import UTC, date, datetime

    import pandas as pd
    from openpyxl import load_workbook

    from dashboard import exports, pack
    from dashboard.filters import FilterState
    from dashboard.saved_views import default_sequence

    at = datetime(2026, 11, 30, 9, 14, tzinfo=UTC)
    who = "Ana Analyst <ana@example.org>"
    meta = dict(classification="OFFICIAL", description="d", version=1, source="s", generated_at=at, produced_by=who)
    csv = exports.to_csv_bytes(pd.DataFrame({"a": [1]}), **meta).decode("utf-8-sig")
    assert "# Generated 2026-11-30T09:14:00Z by Tideline for Ana Analyst <ana@example.org>" in csv.splitlines()
    import io

    about = load_workbook(io.BytesIO(exports.to_xlsx_bytes(pd.DataFrame({"a": [1]}), **meta)))["About"]
    assert [r[1] for r in about.iter_rows(values_only=True) if r[0] == "Generated (UTC)"] == [
        "2026-11-30T09:14:00Z by Tideline for Ana Analyst <ana@example.org>"
    ]
    views = default_sequence(FilterState(period=(date(2025, 1, 1), date(2025, 1, 31)), version=1))[:1]
    html = pack.build_pack(tiny_store, views, "OFFICIAL", generated_at=at, produced_by=who)
    assert html.count("30 Nov 2026 09:14 UTC by Ana Analyst &lt;ana@example.org&gt;") >= 2  # cover and the view


def test_the_audit_page_shows_a_broken_chain_and_a_damaged_line(store):
    signed("overview", user("analyst"))
    path = store.data_dir / audit.FILE_NAME
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[1] + lines[0] + "".join(lines[2:]), encoding="utf-8")  # two records swapped
    at = signed("audit", user("admin"))
    assert any("Chain broken" in e.value and "record 1" in e.value for e in at.error), [e.value for e in at.error]
    assert at.dataframe  # the records are still listed for the admin to see
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0] + "{not json\n" + "".join(lines[1:]), encoding="utf-8")  # a mangled line
    at = signed("audit", user("admin"))
    assert any("cannot be listed" in e.value and "line 2" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.exception


def test_a_trail_that_cannot_be_appended_to_shows_nothing(store):
    signed("overview", user("analyst"))
    with (store.data_dir / audit.FILE_NAME).open("a", encoding="utf-8") as f:
        f.write('{"torn": ')  # a torn last write: the chain cannot be continued
    at = signed("overview", user("admin"))
    assert any("The audit trail cannot be written" in e.value for e in at.error)
    assert not at.metric and not at.get("plotly_chart")  # fail closed: nothing shown that is not recorded
