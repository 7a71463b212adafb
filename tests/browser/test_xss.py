"""XSS corpus: a data version whose every text field (route and region names, locations, causes,
operation names, sources, funding and staffing labels, saved-view titles and notes) holds an
injection payload (tests/xss_corpus.py), shown on every page, in the map tooltip and details
panel, the operation details, plotly hovers, expanders and the briefing.

Every payload would set ``window.__xss`` to a non-zero number if it ran. After each step the test
asserts: window.__xss is still 0, no dialog opened, no Streamlit exception box, no page error,
no data-born markup in the DOM (img[src=x], svg[onload], javascript: links, on* handlers), no
right-to-left override or isolate character in the page text, the page has its h1 and nothing
is wider than the window (the 5,000-character strings must wrap or scroll inside their own box).
"""

from __future__ import annotations

import json
import re

import pytest
import xss_corpus
from playwright.sync_api import expect

from dashboard import maps

from . import harness
from .harness import assert_no_exception, goto_app, screenshot, wait_for_app_idle
from .test_map_render import project

PERIOD = {"period": [d.isoformat() for d in xss_corpus.PERIOD]}


# Elements that only a payload would have put in the DOM.
def _markup_js(selector: str) -> str:
    return """() => {
  const found = [];
  const where = el => { const box = el.closest('[data-testid]');
    const text = ((el.parentElement || el).innerText || '').slice(0, 80);
    return (box ? box.getAttribute('data-testid') : '?') + ' in "' + text + '"'; };
  for (const el of document.querySelectorAll(SELECTOR))
    found.push(el.outerHTML.slice(0, 120) + ' @ ' + where(el));
  return found;
}""".replace("SELECTOR", json.dumps(selector))


# Elements that only a payload would have put in the DOM (as script-capable markup).
MARKUP_JS = _markup_js('img[src="x"], svg[onload], a[href^="javascript:" i], [onerror], [onload], iframe[srcdoc]')
SCRIPTS_JS = "() => [...document.scripts].filter(s => s.textContent.includes('__xss')).map(s => s.outerHTML)"
# Data that became a live link to another host (=HYPERLINK("http://evil") in a source name) or
# was typeset as maths ($\\href{…}$): markdown/LaTeX from data, not a script, but markup all the same.
RENDERED_JS = _markup_js('a[href*="evil"]:not([href^="#"]), [data-testid="stMain"] .katex')


# Layout: the document must not scroll sideways, and no text box may spill past the window.
OVERFLOW_JS = """() => {
  const w = window.innerWidth, out = [];
  const sw = document.documentElement.scrollWidth;
  if (sw > w + 2) out.push('document scrollWidth ' + sw);
  const boxes = '[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"], h1, h2, h3';
  for (const el of document.querySelectorAll(boxes)) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 2)
      out.push(el.tagName + ' right=' + Math.round(r.right) + ': ' + el.innerText.slice(0, 60));
  }
  return out;
}"""


# Bidi embedding/override/isolate controls anywhere in the page's text, SVG (plotly) included.
BIDI_JS = r"""() => { const m = document.body.textContent.match(/[\u202a-\u202e\u2066-\u2069]/g);
  return m ? m.length : 0; }"""


class Guard:
    """Records dialogs on a page (and dismisses them) and checks the page after each step."""

    def __init__(self, page, browser_log) -> None:
        self.page, self.log, self.dialogs = page, browser_log, []
        page.on("dialog", self._on_dialog)
        page.add_init_script("window.__xss = 0")

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def check(self, step: str, layout: bool = True) -> None:
        page = self.page
        page.wait_for_timeout(300)  # let onerror/onload handlers of anything just inserted fire
        flags = [page.evaluate("window.__xss")]
        for frame in page.frames[1:]:  # component iframes, if any
            try:
                flags.append(frame.evaluate("window.__xss === undefined ? 0 : window.__xss"))
            except Exception:
                pass
        assert all(f == 0 for f in flags), f"{step}: a payload ran (window.__xss = {flags})"
        assert not self.dialogs, f"{step}: dialog(s) opened: {self.dialogs}"
        assert_no_exception(page)
        assert not self.log.page_errors, f"{step}: page errors {self.log.page_errors}"
        assert not self.log.unexpected_console_errors(), f"{step}: {self.log.unexpected_console_errors()}"
        markup = page.evaluate(MARKUP_JS)
        markup += page.evaluate(SCRIPTS_JS)
        assert not markup, f"{step}: data rendered as markup: {markup}"
        assert page.evaluate(BIDI_JS) == 0, f"{step}: bidi override/isolate characters reached the page"
        expect(page.locator("h1").first).to_be_visible()
        if layout:
            overflow = page.evaluate(OVERFLOW_JS)
            assert not overflow, f"{step}: layout broken by long/RTL text: {overflow}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """An app server on a data dir holding only the hostile version and two hostile saved views."""
    data_dir = tmp_path_factory.mktemp("tideline-xss")
    xss_corpus.build(data_dir)
    server = harness.start_app(data_dir)
    yield server
    server.stop()


@pytest.fixture
def guard(page, browser_log):
    return Guard(page, browser_log)


def settle(page) -> None:
    page.evaluate("window.__tidelineIdleSince = undefined")
    wait_for_app_idle(page)


def open_expanders(page) -> None:
    for summary in page.locator('[data-testid="stExpander"] summary').all():
        if summary.is_visible():
            summary.click()
    page.wait_for_timeout(300)


def hover_plotly(page, guard: Guard, name: str) -> int:
    """Move the pointer across each plotly chart's plot area so its hover labels show."""
    charts = page.locator(".js-plotly-plot")
    n = charts.count()
    for i in range(n):
        layer = charts.nth(i).locator(".nsewdrag").first
        if not layer.count():
            continue
        layer.scroll_into_view_if_needed()
        box = layer.bounding_box()
        for fx in (0.1, 0.3, 0.5, 0.7, 0.9):
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + 0.5 * box["height"])
            page.wait_for_timeout(120)
        guard.check(f"{name}: hover over plotly chart {i}")
    return n


PAGES = [
    ("/", PERIOD),
    ("/map", PERIOD),
    ("/funding", PERIOD),
    ("/operations", PERIOD),
    ("/arrivals", PERIOD),
    ("/data", PERIOD),
    ("/briefing", PERIOD),
    ("/briefing", {"slide": "1"}),
    ("/briefing", {"slide": "2"}),
]


@pytest.mark.parametrize(("path", "query"), PAGES, ids=[f"{p}{q.get('slide', '')}" for p, q in PAGES])
def test_every_page_keeps_payloads_inert(page, hostile, guard, path, query):
    goto_app(page, hostile.base_url, path, query)
    name = path.strip("/") or "overview"
    name += f"_slide{query['slide']}" if "slide" in query else ""
    guard.check(f"{path}?{query}: first render")
    if path == "/map" or "slide" in query:
        page.wait_for_timeout(2500)  # deck.gl paints after the script run
    hover_plotly(page, guard, f"{path}?{query}")
    open_expanders(page)
    guard.check(f"{path}?{query}: expanders open")
    page.mouse.move(0, 0)
    screenshot(page, f"xss_{name}", full_page=True)
    if path == "/briefing" and "slide" not in query:  # the manager lists the hostile titles as text
        expect(page.locator('[data-testid="stMain"]')).to_contain_text(xss_corpus.IMG)


def test_map_tooltip_and_details_keep_payloads_inert(page, hostile, guard):
    goto_app(page, hostile.base_url, "/map", PERIOD)
    main = page.locator('[data-testid="stMain"]')
    guard.check("/map")
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas#deckgl-overlay').first
    expect(canvas).to_be_visible(timeout=30_000)
    canvas.evaluate("el => el.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(2500)
    box = canvas.bounding_box()
    incidents = xss_corpus.frames()["incidents"].set_index(xss_corpus.frames()["incidents"]["incident_id"].str[:4])
    r = incidents.loc["INC2"]  # off Libya, well apart from the others at Europe zoom
    x, y = project(r["lat"], r["lon"], maps.VIEW_EUROPE, round(box["width"]), round(box["height"]))
    page.mouse.move(box["x"] + x, box["y"] + y)
    tooltip = page.locator(".deck-tooltip")
    expect(tooltip).to_be_visible(timeout=10_000)
    expect(tooltip).to_contain_text(r["location"][:20])  # shown as text
    guard.check("/map: incident tooltip")
    screenshot(page, "xss_map_tooltip")

    page.mouse.click(box["x"] + x, box["y"] + y)
    heading = main.get_by_text(re.compile(r"^Incident INC2"))
    expect(heading).to_be_visible(timeout=30_000)
    expect(heading).to_contain_text(r["incident_id"])  # the id's <img …> is text, verbatim
    settle(page)
    guard.check("/map: incident details panel")
    heading.evaluate("el => el.scrollIntoView({block: 'center'})")
    page.mouse.move(0, 0)
    screenshot(page, "xss_map_details")

    # route lines carry hostile names in their tooltips too: hover along the Channel route
    canvas.evaluate("el => el.scrollIntoView({block: 'center'})")
    box = canvas.bounding_box()
    for lat, lon in ((51.0, 1.5), (50.9, 1.8), (35.5, 12.6), (33.5, 12.2)):
        x, y = project(lat, lon, maps.VIEW_EUROPE, round(box["width"]), round(box["height"]))
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(300)
        guard.check(f"/map: hover at {lat},{lon}")


def test_operation_details_keep_payloads_inert(page, hostile, guard):
    goto_app(page, hostile.base_url, "/operations", PERIOD)
    main = page.locator('[data-testid="stMain"]')
    guard.check("/operations")
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_be_visible()
    ops = xss_corpus.frames()["operations"]
    heading = main.locator("h3").filter(has_text=re.compile(r"\(OP\d"))
    for i in range(3):
        table.scroll_into_view_if_needed()
        box = table.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * i + 17)  # the row-marker column
        expect(heading).to_be_visible(timeout=30_000)
        settle(page)
        text = heading.inner_text()
        assert any(op in text for op in ops["operation_id"]), text
        guard.check(f"/operations: details of row {i} ({text[:40]!r})")
        open_expanders(page)
        guard.check(f"/operations: details of row {i}, expanders open")
    heading.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.mouse.move(0, 0)
    screenshot(page, "xss_operations_details")


SOURCE_CAPTION_BUG = (
    "The 'Source: …' caption (layout.source_line / queries.source_text → st.caption) puts the raw "
    '`source` column into markdown on /, /map and /operations: =HYPERLINK("http://evil") becomes '
    "a live <a href=http://evil target=_blank>, $\\href{javascript:…}{x}$ is typeset by KaTeX and "
    "[click](javascript:…) loses its syntax (shown as 'click'). No script runs."
)


@pytest.mark.parametrize("path", ["/", "/map", "/operations"])  # regression: SOURCE_CAPTION_BUG (fixed)
def test_source_caption_shows_the_source_verbatim(page, hostile, guard, path):
    goto_app(page, hostile.base_url, path, PERIOD)
    guard.check(path)
    rendered = page.evaluate(RENDERED_JS)
    assert not rendered, f"{path}: data rendered as markdown/maths: {rendered}"
    caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Source: Source").first
    expect(caption).to_contain_text(f"{xss_corpus.MD_LINK} {xss_corpus.LATEX} {xss_corpus.FORMULA}")


@pytest.mark.parametrize(
    ("path", "query"),
    [p for p in PAGES if p[0] not in {"/", "/map", "/operations"}],
    ids=lambda v: v if isinstance(v, str) else v.get("slide", ""),
)
def test_no_data_rendered_as_markdown_elsewhere(page, hostile, guard, path, query):
    goto_app(page, hostile.base_url, path, query)
    open_expanders(page)
    guard.check(f"{path}?{query}")
    rendered = page.evaluate(RENDERED_JS)
    assert not rendered, f"{path}?{query}: data rendered as markdown/maths: {rendered}"
