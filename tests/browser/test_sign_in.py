"""Sign-in end to end (issue 14): a real OpenID Connect provider (oidc-provider-mock, on this machine), the
app with Streamlit's st.login configured, and headless Chromium doing what a colleague does: open a shared
link signed out, sign in at the provider, land on that exact view; each role sees and may do only its part;
a forged identity cookie, an old sign-in and signing out all end at the sign-in screen; and every step is
in the audit trail, whose chain verifies."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard import audit, registry

from .harness import allow_local_service, assert_no_exception, free_port, goto_app, screenshot, wait_for_app_idle

USERS = {
    "ana": {"email": "ana@example.org", "name": "Ana Analyst", "groups": ["tideline-analysts"]},
    "vic": {"email": "vic@example.org", "name": "Vic Viewer", "groups": ["tideline-viewers"]},
    "ian": {"email": "ian@example.org", "name": "Ian Importer", "groups": ["tideline-importers"]},
    "ada": {"email": "ada@example.org", "name": "Ada Admin", "groups": ["tideline-admins"]},
    "fin": {"email": "fin@example.org", "name": "Fin Finance", "groups": ["finance"]},  # no Tideline group
}
ROUTE = "Central Mediterranean"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """oidc-provider-mock on a free port, with the users above and their groups in the ID token."""
    try:
        from oidc_provider_mock import run_server_in_thread
    except ImportError:
        if os.environ.get("CI"):  # CI installs requirements-test.txt: a missing provider is a failure there
            raise
        pytest.skip("oidc-provider-mock is not installed (pip install -r requirements-test.txt)")

    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on localhost, in the test only
    with run_server_in_thread(port=0) as server:
        url = f"http://localhost:{server.server_port}"
        allow_local_service(server.server_port)
        for sub, claims in USERS.items():
            req = urllib.request.Request(
                f"{url}/users/{sub}",
                data=json.dumps(claims).encode(),
                method="PUT",
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert resp.status == 204
        yield url


def secrets_file(path: Path, port: int, provider: str, max_hours: float = 12) -> Path:
    path.write_text(
        f"""
[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "tideline-test"
client_secret = "not-a-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[tideline]
max_session_hours = {max_hours}

[tideline.roles]
claim = "groups"
viewer = ["tideline-viewers"]
analyst = ["tideline-analysts"]
importer = ["tideline-importers"]
admin = ["tideline-admins"]
""",
        encoding="utf-8",
    )
    return path


def start_signed_app(start_app, tmp: Path, provider: str, max_hours: float = 12):
    port = free_port()
    path = secrets_file(tmp / "secrets.toml", port, provider, max_hours)
    server = start_app(data_dir=tmp / "data", args=["--secrets.files", str(path)], port=port)
    return server, f"http://localhost:{port}"


@pytest.fixture(scope="module")
def signed_app(provider, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """One app with sign-in on for the module: (base URL on localhost, data dir)."""
    from . import harness

    tmp = tmp_path_factory.mktemp("signed-app")
    port = free_port()
    path = secrets_file(tmp / "secrets.toml", port, provider)
    server = harness.start_app(tmp / "data", args=["--secrets.files", str(path)], port=port)
    try:
        yield f"http://localhost:{port}", server.data_dir
    finally:
        server.stop()


def sign_in(page, base: str, provider: str, sub: str) -> None:
    """Click Sign in, pick the user at the provider, come back to the app."""
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(provider) + r"/oauth2/authorize"), timeout=30_000)
    page.fill('input[name="sub"]', sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/"), timeout=30_000)
    page.wait_for_selector('[data-testid="stApp"]')
    wait_for_app_idle(page)


def new_page(browser):
    """A fresh browser profile; the provider's own page loads a stylesheet from a CDN, which is refused (the
    app's pages are checked separately: nothing they load leaves this machine)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
    context.set_default_timeout(30_000)
    app_requests: list[str] = []
    context.route(re.compile(r"^https://cdn\.jsdelivr\.net/"), lambda route: route.abort())

    def seen(req) -> None:
        frame_url = req.frame.url if req.frame else ""
        if "/oauth2/" not in frame_url and "/end_session" not in frame_url:
            app_requests.append(req.url)

    context.on("request", seen)
    page = context.new_page()
    page.app_requests = app_requests  # type: ignore[attr-defined]
    return page


def assert_stayed_local(page) -> None:
    foreign = [
        u
        for u in page.app_requests
        if not re.match(r"^(https?|wss?)://(localhost|127\.0\.0\.1)(:\d+)?/", u)
        and not u.startswith(("data:", "blob:", "about:"))
    ]
    assert not foreign, foreign


def records(data_dir: Path) -> list[audit.Record]:
    return audit.JsonlAuditLog(data_dir).records()


def assert_sign_in_screen(page) -> None:
    expect(page.get_by_text("Sign in to continue")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    for testid in (
        "stMetric",
        "stPlotlyChart",
        "stDeckGlJsonChart",
        "stDataFrame",
        "stSidebarNav",
        "stMultiSelect",
        "stDateInput",
        "stDownloadButton",
    ):
        assert page.locator(f'[data-testid="{testid}"]').count() == 0, testid


pytestmark = pytest.mark.browser


def test_signed_out_sees_no_data_on_any_page(browser, signed_app):
    base, data_dir = signed_app
    page = new_page(browser)
    for p in registry.PAGES:
        goto_app(page, base, p.link, {"version": "1", "route": ROUTE})
        assert_sign_in_screen(page)
        assert_no_exception(page)
    screenshot(page, "signed_out")
    assert not [r for r in records(data_dir) if r.sub not in ("",)], "nothing recorded for nobody"
    assert_stayed_local(page)
    page.context.close()


def test_a_shared_link_opens_after_sign_in_and_the_analyst_may_export(browser, provider, signed_app):
    base, data_dir = signed_app
    page = new_page(browser)
    goto_app(page, base, "/map", {"version": "1", "route": ROUTE, "map.zoom": "5"})
    assert_sign_in_screen(page)
    sign_in(page, base, provider, "ana")
    # Streamlit lands on "/", the kept link takes the tab on to the view that was shared
    expect(page).to_have_url(re.compile(r"/map\?.*route=Central\+Mediterranean"), timeout=30_000)
    wait_for_app_idle(page)
    expect(page.get_by_role("heading", name="Map", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Central Mediterranean · .*data version 1"))).to_be_visible()
    expect(page.get_by_text("Signed in as Ana Analyst")).to_be_visible()
    assert "map.zoom=5" in page.url
    # the shot after deck.gl has drawn: its canvas, then a moment for the first frame of tiles and layers
    expect(page.locator('[data-testid="stDeckGlJsonChart"] canvas#deckgl-overlay').first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)
    screenshot(page, "signed_in_shared_link")
    # An analyst exports: the file says who produced it, and the trail has it
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download CSV").first.click()
    body = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert "by Tideline for Ana Analyst <ana@example.org>" in body
    events = [(r.event, r.email) for r in records(data_dir)]
    assert ("sign_in", "ana@example.org") in events and ("export", "ana@example.org") in events
    views = [r for r in records(data_dir) if r.event == "page_view" and r.email == "ana@example.org"]
    assert any(r.details["page"] == "/map" and "route=Central+Mediterranean" in r.details["query"] for r in views)
    assert_stayed_local(page)
    page.context.close()


@pytest.mark.parametrize(
    ("sub", "downloads", "uploader", "audit_page"),
    [("vic", False, False, False), ("ana", True, False, False), ("ian", True, True, False), ("ada", True, True, True)],
)
def test_each_role_sees_and_may_do_only_its_part(browser, provider, signed_app, sub, downloads, uploader, audit_page):
    base, data_dir = signed_app
    page = new_page(browser)
    goto_app(page, base, "/")
    sign_in(page, base, provider, sub)
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible()
    expect(page.get_by_text("Where it happened")).to_be_visible()  # the page is drawn to its end
    wait_for_app_idle(page)
    assert (page.get_by_role("button", name="Download CSV").count() > 0) == downloads
    assert (page.get_by_role("button", name="Save view for briefing").count() > 0) == downloads
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert (nav.get_by_text("Audit trail").count() > 0) == audit_page
    goto_app(page, base, "/data")
    if uploader:
        expect(page.locator('[data-testid="stFileUploader"]')).to_be_visible()
    else:
        expect(page.get_by_text("Imports need the importer role")).to_be_visible()
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
    # the audit page by its address: refused on the server unless admin, and recorded
    goto_app(page, base, "/audit")
    if audit_page:
        expect(page.get_by_text("Chain intact")).to_be_visible()
        expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible()
        screenshot(page, "audit_page")
    else:
        expect(page.get_by_role("heading", name="No access", exact=True)).to_be_visible()
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
        denied = [r for r in records(data_dir) if r.event == "access_denied" and r.sub == sub]
        assert denied and denied[-1].details["page"] == "/audit"
    assert_no_exception(page)
    assert_stayed_local(page)
    page.context.close()


def test_a_user_without_a_tideline_group_sees_no_access(browser, provider, signed_app):
    base, data_dir = signed_app
    page = new_page(browser)
    goto_app(page, base, "/funding")
    sign_in(page, base, provider, "fin")
    expect(page.get_by_role("heading", name="No access", exact=True)).to_be_visible()
    for testid in ("stMetric", "stPlotlyChart", "stDeckGlJsonChart", "stDataFrame"):
        assert page.locator(f'[data-testid="{testid}"]').count() == 0
    screenshot(page, "no_access")
    assert any(r.event == "access_denied" and r.sub == "fin" for r in records(data_dir))
    page.context.close()


def test_a_forged_identity_cookie_is_rejected(browser, signed_app):
    from streamlit.web.server.starlette.starlette_auth_routes import create_signed_value  # type: ignore[attr-defined]

    base, _ = signed_app
    forged = {
        "email": "ada@example.org",
        "sub": "ada",
        "groups": ["tideline-admins"],
        "is_logged_in": True,
        "iat": int(time.time()),
        "origin": base,
        "provider": "default",
    }
    for value in (
        json.dumps(forged),  # not signed at all
        create_signed_value("a-different-secret", "_streamlit_user", json.dumps(forged)).decode(),  # wrong key
    ):
        page = new_page(browser)
        page.context.add_cookies([{"name": "_streamlit_user", "value": value, "url": base}])
        goto_app(page, base, "/audit")
        assert_sign_in_screen(page)
        page.context.close()


def test_sign_out_ends_the_session(browser, provider, signed_app):
    base, data_dir = signed_app
    page = new_page(browser)
    goto_app(page, base, "/")
    sign_in(page, base, provider, "ana")
    page.get_by_role("button", name="Sign out").click()
    # the provider's end-session page (RP-initiated logout), then back to the app
    page.wait_for_url(re.compile(re.escape(provider) + r"/oauth2/end_session"), timeout=30_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/"), timeout=30_000)
    page.wait_for_selector('[data-testid="stApp"]')
    wait_for_app_idle(page)
    assert_sign_in_screen(page)
    goto_app(page, base, "/map")  # the cookie is gone: a link does not open either
    assert_sign_in_screen(page)
    assert any(r.event == "sign_out" and r.sub == "ana" for r in records(data_dir))
    page.context.close()


def test_the_session_age_limit_signs_out(browser, provider, start_app, tmp_path):
    hours = 0.01  # 36 seconds
    _, base = start_signed_app(start_app, tmp_path, provider, max_hours=hours)
    page = new_page(browser)
    goto_app(page, base, "/")
    signed_at = time.time()
    sign_in(page, base, provider, "ana")
    expect(page.get_by_text("Signed in as Ana Analyst")).to_be_visible()
    time.sleep(max(0.0, signed_at + hours * 3600 + 2 - time.time()))
    page.goto(f"{base}/map", wait_until="domcontentloaded")
    # the gate signs out: Streamlit's logout route, the provider's end-session page
    page.wait_for_url(re.compile(re.escape(provider) + r"/oauth2/end_session"), timeout=30_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/"), timeout=30_000)
    page.wait_for_selector('[data-testid="stApp"]')
    wait_for_app_idle(page)
    assert_sign_in_screen(page)
    expired = [r for r in records(tmp_path / "data") if r.event == "session_expired"]
    assert expired and expired[0].sub == "ana" and expired[0].details["max_session_hours"] == hours
    page.context.close()


def test_the_trail_of_all_this_verifies(signed_app):
    _, data_dir = signed_app
    check = audit.JsonlAuditLog(data_dir).verify()
    assert check.ok, check.reason
    events = {r.event for r in records(data_dir)}
    assert {"sign_in", "page_view", "access_denied", "export", "sign_out"} <= events
