"""The briefing pack opened from disk in headless Chromium: no request leaves the file, every view
renders with its marking, and it prints to PDF one view per page."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from dashboard.pack import build_pack
from dashboard.saved_views import ViewStore
from dashboard.slides import default_state
from dashboard.store import Store

from . import harness

MARK = "OFFICIAL-SENSITIVE"
VIEWS = [
    ("", "Arrivals against last year"),
    ("map", "Where the routes run"),
    ("funding", "Money against plan"),
    ("operations", "Operations in the period"),
    ("data", "What data this is"),
]


@pytest.fixture(scope="module")
def pack_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A five-view pack on the demo data, written to a temp file."""
    root = tmp_path_factory.mktemp("pack")
    store = Store(root / "data")
    store.ensure_initialised()
    saved = ViewStore(store.data_dir)
    state = default_state(store)
    for page, title in VIEWS:
        saved.add(title, f"Why this matters: {title.lower()} <script>alert(1)</script>", page, state)
    t0 = time.perf_counter()
    html = build_pack(store, saved.list(), MARK)
    path = root / "briefing.html"
    path.write_text(html, encoding="utf-8")
    print(f"\npack: {path.stat().st_size:,} bytes, generated in {time.perf_counter() - t0:.2f} s")
    return path


@pytest.fixture
def offline_page(browser):
    """A 1920x1080 page whose context records every request, console error and page error."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(30_000)
    log = {"requests": [], "errors": []}
    context.on("request", lambda req: log["requests"].append(req.url))
    page = context.new_page()
    page.on("console", lambda msg: log["errors"].append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: log["errors"].append(str(err)))
    page.on("websocket", lambda ws: log["requests"].append(ws.url))
    yield page, log
    context.close()


def test_pack_offline_from_disk(offline_page, pack_file: Path):
    page, log = offline_page
    page.goto(pack_file.as_uri(), wait_until="load")
    plots = page.locator(".js-plotly-plot")
    page.wait_for_function("n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=len(VIEWS))
    assert plots.count() == len(VIEWS)
    for _, title in VIEWS:
        heading = page.get_by_role("heading", name=title, exact=True)
        assert heading.count() == 1 and heading.is_visible()
    # The note is shown as text, never run as a tag.
    assert page.get_by_text("<script>alert(1)</script>", exact=False).count() == len(VIEWS)

    markings = page.locator("section .marking")
    assert markings.count() == 2 * (len(VIEWS) + 1)
    assert set(markings.all_inner_texts()) == {MARK}
    for section in page.locator("section.sheet").all():
        assert section.locator(".marking").count() == 2

    # The map view draws the committed basemap as filled land, not through plotly geo (a CDN fetch).
    assert page.locator("#plot-2 .scatterlayer path.js-fill").count() >= 1
    assert page.locator("#plot-2 .geolayer > *").count() == 0

    page.evaluate("document.getElementById('view-1').scrollIntoView()")
    harness.screenshot(page, "pack")
    page.evaluate("document.getElementById('view-2').scrollIntoView()")
    harness.screenshot(page, "pack-map")

    # Printing lays every figure out to the page width; then one view per A4 landscape page.
    page.emulate_media(media="print")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot')).every(p => p._fullLayout.width === 1020)"
    )
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    assert len(VIEWS) + 1 <= pages <= 2 * (len(VIEWS) + 1), pages

    foreign = [url for url in log["requests"] if not url.startswith(("file://", "data:", "blob:"))]
    assert not foreign, foreign
    assert log["requests"][0] == pack_file.as_uri()
    assert not log["errors"], log["errors"]


def test_pack_has_no_serious_accessibility_findings(offline_page, pack_file: Path):
    """The pack is read away from the app (and printed): axe-core on it, as on the pages."""
    from .test_accessibility import BLOCKING_IMPACTS, describe, run_axe

    page, _ = offline_page
    page.goto(pack_file.as_uri(), wait_until="load")
    page.wait_for_function("n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=len(VIEWS))
    blocking = [v for v in run_axe(page) if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, "serious/critical axe violations:\n" + describe(blocking, "briefing pack")


# -- printing: one view per A4 landscape page, however the browser prints ----------------------------
A4_LANDSCAPE_PT = (841.9, 595.3)
LONG_NOTE = ("Crossings rose after the French beaches were patrolled less at night; " * 40)[:2000]
CHANNEL_VIEWS = [
    ("", "Arrivals against last year", "Why: the headline."),
    ("map", "Channel crossings", LONG_NOTE),
    ("funding", "Money against plan", "Why: the plan."),
    ("operations", "Operations in the period", ""),
    ("data", "What data this is", "Why: the sources."),
]


def pdf_pages(pdf: bytes) -> int:
    """Pages in a PDF: its /Type /Page objects (not the /Pages tree nodes)."""
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def print_to_pdf(page, plots: int) -> bytes:
    """Chromium's PDF of the pack as printed: A4 landscape, backgrounds on, the pack's own @page size."""
    page.wait_for_function("n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=plots)
    page.emulate_media(media="print")
    page.wait_for_timeout(500)
    return page.pdf(format="A4", landscape=True, print_background=True, prefer_css_page_size=True)


@pytest.fixture(scope="module")
def channel_pack_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five views on the demo data; the second is the Map filtered to the Channel, with a 2,000-character note."""
    from dataclasses import replace

    root = tmp_path_factory.mktemp("pack-channel")
    store = Store(root / "data")
    store.ensure_initialised()
    saved = ViewStore(store.data_dir)
    state = default_state(store)
    for page, title, note in CHANNEL_VIEWS:
        saved.add(title, note, page, replace(state, route=("English Channel",)) if page == "map" else state)
    path = root / "briefing.html"
    path.write_text(build_pack(store, saved.list(), MARK), encoding="utf-8")
    return path


def test_pack_prints_cover_and_each_view_on_one_a4_landscape_page(offline_page, pack_file: Path):
    page, log = offline_page
    page.goto(pack_file.as_uri(), wait_until="load")
    pdf = print_to_pdf(page, len(VIEWS))
    pages = pdf_pages(pdf)
    print(f"\nfive-view pack: {pages} printed pages")
    assert pages == len(VIEWS) + 1, pages  # the cover, then one page per view
    for w, h in re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf):
        assert (float(w), float(h)) == pytest.approx(A4_LANDSCAPE_PT, abs=1), (w, h)
    assert not log["errors"], log["errors"]


def test_pack_pages_hold_without_the_print_script(browser, pack_file: Path):
    """Printed from a narrow window, and the figures not re-laid out for paper (a browser that prints before the
    script runs, or without it): the print stylesheet alone still gives one page per view."""
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        page = context.new_page()
        page.goto(pack_file.as_uri(), wait_until="load")
        page.wait_for_function("n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=5)
        page.evaluate("Plotly.relayout = () => Promise.resolve()")
        pages = pdf_pages(print_to_pdf(page, len(VIEWS)))
        assert pages == len(VIEWS) + 1, pages  # before the stylesheet held the figures: most views took two
    finally:
        context.close()


def test_a_view_with_a_long_note_takes_two_whole_pages(offline_page, channel_pack_file: Path):
    """A note of the longest length allowed leaves no room for the figure: the view's title, note and KPIs
    fill one page and its figure, source and footer move whole to the next; every other view keeps one page."""
    page, _ = offline_page
    page.goto(channel_pack_file.as_uri(), wait_until="load")
    pages = pdf_pages(print_to_pdf(page, len(CHANNEL_VIEWS)))
    print(f"\nfive-view pack with a 2,000-character note: {pages} printed pages")
    assert pages == len(CHANNEL_VIEWS) + 2, pages
    harness.screenshot(page, "pack-print-long-note")


def test_pack_map_is_fitted_to_the_views_data_with_a_legend(offline_page, channel_pack_file: Path):
    """The Channel view's map shows the Channel (not the world), on screen and as laid out for paper."""
    page, _ = offline_page
    page.goto(channel_pack_file.as_uri(), wait_until="load")
    page.wait_for_function("() => document.querySelector('#plot-2 .main-svg') !== null")
    ranges = "() => { const l = document.getElementById('plot-2')._fullLayout; return [l.xaxis.range, l.yaxis.range]; }"
    for media in ("screen", "print"):
        page.emulate_media(media=media)
        page.wait_for_timeout(500)
        (x0, x1), (y0, y1) = page.evaluate(ranges)
        assert -8 < x0 < 0.8 and 2.4 < x1 < 12, (media, x0, x1)  # the Channel's incidents, 0.8°E to 2.4°E
        assert 47 < y0 < 50.4 and 51.2 < y1 < 54, (media, y0, y1)
    legend = page.locator("#plot-2 .legend").text_content() or ""
    assert "English Channel" in legend and "Central Mediterranean" not in legend
    page.emulate_media(media="screen")
    page.evaluate("document.getElementById('view-2').scrollIntoView()")
    harness.screenshot(page, "pack-map-channel")
