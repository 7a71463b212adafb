"""A sample of the nastiest fuzzed links in the real browser: no exception, no page error, no dialog,
the "Link parameter ignored" notice where something was ignored, nothing requested off the host
(the page fixture checks that at teardown)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from .harness import assert_no_exception, goto_app

NOTICE = "Link parameter ignored"
XSS = "<script>alert(1)</script>"

# (id, path, raw query string, notice expected?, xfail reason or None)
CASES = [
    ("script-region", "/", urlencode({"region": [XSS, "<img src=x onerror=alert(1)>"]}, doseq=True), True, None),
    ("md-js-link-route", "/map", urlencode({"route": ["[x](javascript:alert(1))"]}), True, None),
    ("katex-href-type", "/funding", urlencode({"type": ["$\\href{javascript:alert(1)}{x}$"]}), True, None),
    (
        "nul-rtl-zwj-emoji",
        "/operations",
        "region=a%00b&route=%E2%80%AEevil%E2%80%AC&type=%E2%80%8B%F0%9F%8C%8A&%F0%9F%8C%8A=1",
        True,
        None,
    ),
    ("broken-percent", "/data", "region=%ZZ&route=%&type=%E2%80&zoom=%25%32%30", True, None),
    ("huge-region-and-key", "/", urlencode({"region": ["x" * 10_000], "k" * 2000: "1"}), True, None),
    (
        "fifty-regions-five-periods",
        "/map",
        urlencode(
            {"region": ["UK & Channel", XSS] * 25, "period": ["2025-01-01"] * 3 + ["2025-01-31"] * 2}, doseq=True
        ),
        True,
        None,
    ),
    ("dates-out-of-range", "/funding", urlencode({"period": ["0001-01-01", "9999-12-31"]}, doseq=True), True, None),
    (
        "impossible-date-unknown-version",
        "/operations",
        urlencode({"period": ["2025-02-30", "2025-03-01"], "version": str(10**12)}, doseq=True),
        True,
        None,
    ),
    ("version-junk", "/data", "version=-1&version=1.5&version=abc", True, None),
    # these two crashed once (int() after str.isdigit()): kept as regressions
    ("version-superscript", "/", "version=%C2%B2", True, None),
    ("briefing-slide-junk", "/briefing", "slide=-1&auto=-5&period=notadate", True, None),
    ("briefing-slide-huge", "/briefing", urlencode({"slide": str(10**9), "auto": str(10**9)}), True, None),
    ("briefing-slide-4301-digits", "/briefing", "slide=" + "9" * 5000, True, None),
]


@pytest.mark.parametrize(
    ("path", "query", "notice"),
    [
        pytest.param(path, query, notice, id=name, marks=[pytest.mark.xfail(strict=True, reason=bug)] if bug else [])
        for name, path, query, notice, bug in CASES
    ],
)
def test_fuzzed_link_in_the_browser(page, base_url, browser_log, path, query, notice):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    goto_app(page, base_url, path, query=query)
    assert_no_exception(page)
    app = page.locator('[data-testid="stApp"]')
    if notice:
        expect(app).to_contain_text(NOTICE)
        expect(page.locator("h1").first).to_be_visible()
    elif path == "/briefing":
        expect(page.locator('[data-testid="stMain"]')).to_contain_text("Slide ")
    page.wait_for_timeout(300)  # give an injected script a moment to misbehave
    assert page.locator("script:not([src])").filter(has_text="alert(1)").count() == 0
    assert not dialogs, dialogs
    assert not browser_log.page_errors, browser_log.page_errors
