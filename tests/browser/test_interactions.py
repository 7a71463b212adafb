"""What only a browser shows on the Map and Operations pages: a click on a map dot opens that
incident's details, month-by-month playback advances and pauses, layer toggles and the dark style
repaint the canvas, and selecting an operation opens its details with a small map.

Expected values come from the committed demo CSVs (data/demo), read with pandas here, so every
assertion compares what the page shows with what the data says.
"""

from __future__ import annotations

import math
import re
import time
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from playwright.sync_api import expect

from dashboard import maps
from dashboard.filters import format_date, format_period

from .harness import REPO_ROOT, assert_no_exception, goto_app, screenshot, wait_for_app_idle
from .test_map_render import project, share

DEMO = REPO_ROOT / "data" / "demo"
# An explicit year (the demo data's latest 12 full months), so no test depends on today's date.
PERIOD = (date(2025, 11, 1), date(2026, 10, 31))
MAP_WIDTH, MAP_HEIGHT = 1460, 640  # the Map page's deck canvas in a 1920x1080 window (to pick data)
LEGEND_CORNER = (270, 400)  # the legend box covers at most this much of the canvas's top-left corner
TYPE_TOL = 30  # points are drawn at alpha 230 over land or sea, so their colour shifts a little


# -- data -------------------------------------------------------------------------------------
def incidents() -> pd.DataFrame:
    return pd.read_csv(DEMO / "incidents.csv", parse_dates=["date"])


def operations() -> pd.DataFrame:
    return pd.read_csv(DEMO / "operations.csv", parse_dates=["start_date", "end_date"])


def in_period(df: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    return df[df["date"].between(pd.Timestamp(start), pd.Timestamp(end))]


def points_caption(n: int) -> str:
    return f"{n:,} incident{'' if n == 1 else 's'} shown as points"


def under_label(lat: float, lon: float, zoom: float, margin: float = 10) -> bool:
    """Whether a point lies under (or within margin px of) a place name, which the map draws on top."""
    x, y = (v * maps.TILE_PX * 2**zoom for v in maps._mercator(lon, lat))
    return any(
        left - margin <= x <= right + margin and top - margin <= y <= bottom + margin
        for left, top, right, bottom in (maps.label_box(p, zoom) for p in maps.label_places(zoom))
    )


def quiet_window(margin: int = 80, min_apart: int = 80) -> tuple[date, date, pd.DataFrame]:
    """The latest two-day period with one or two incidents (any type), each well inside the map, clear of
    the legend box and the place names (drawn over the dots), big enough for its fill to show, and far
    enough from the other to be clicked on its own. Two days, not one: a period of one
    day does not survive the URL (see test_single_day_period_from_a_link_is_kept)."""
    df = incidents()
    zoom = maps.VIEW_EUROPE["zoom"]
    for end in sorted(df["date"].unique(), reverse=True):
        end = pd.Timestamp(end).date()
        start = end - timedelta(days=1)
        window = in_period(df, start, end)
        if not 1 <= len(window) <= 2:
            continue
        px = [project(r.lat, r.lon, maps.VIEW_EUROPE, MAP_WIDTH, MAP_HEIGHT) for r in window.itertuples()]
        big = all(  # a dot whose fill shows inside its ring at the centre pixels the test reads
            maps.incident_radius_px(r.people) - (2.5 if r.incident_type == "dead or missing" else 1.0) >= 3.5
            for r in window.itertuples()
        )
        inside = (
            big
            and all(
                margin <= x <= MAP_WIDTH - margin
                and margin <= y <= MAP_HEIGHT - margin
                and not (x < LEGEND_CORNER[0] + 10 and y < LEGEND_CORNER[1] + 10)  # not under the legend
                for x, y in px
            )
            and not any(under_label(r.lat, r.lon, zoom) for r in window.itertuples())
        )
        if inside and (len(px) == 1 or math.dist(px[0], px[1]) >= min_apart):
            return start, end, window.sort_values("incident_id")
    raise AssertionError("no quiet two-day window in the demo incidents")


def active_operations(start: date, end: date) -> pd.DataFrame:
    """As queries.operations: active at any time in the period, newest start first."""
    ops = operations()
    active = (ops["start_date"] <= pd.Timestamp(end)) & (
        ops["end_date"].isna() | (ops["end_date"] >= pd.Timestamp(start))
    )
    return ops[active].sort_values(["start_date", "operation_id"], ascending=[False, True]).reset_index(drop=True)


def nearby_count(op: pd.Series, start: date, end: date, radius: float = 1.5) -> int:
    """As queries.operation_incidents: incidents within radius° during the operation and the period."""
    df = incidents()
    lo = max(op["start_date"], pd.Timestamp(start))
    hi = min(op["end_date"] if pd.notna(op["end_date"]) else pd.Timestamp.max, pd.Timestamp(end))
    near = (
        df["date"].between(lo, hi)
        & ((df["lat"] - op["lat"]).abs() <= radius)
        & ((df["lon"] - op["lon"]).abs() <= radius)
    )
    return int(near.sum())


# -- browser helpers --------------------------------------------------------------------------
def period_query(start: date, end: date, **extra) -> dict:
    return {"period": [start.isoformat(), end.isoformat()], **extra}


def settle(page) -> None:
    """Wait for the rerun an interaction started. wait_for_app_idle alone can return before the
    rerun has begun (the app was idle a moment ago), so restart its stability clock first
    (harness._IDLE_JS keeps it in window.__tidelineIdleSince)."""
    page.evaluate("window.__tidelineIdleSince = undefined")
    wait_for_app_idle(page)


def flip(page, name: str) -> None:
    """Toggle a st.toggle by keyboard (a click can land on its label) and wait for the rerun."""
    switch = page.get_by_role("switch", name=name, exact=True)
    expect(switch).to_be_visible()
    was = switch.is_checked()
    switch.focus()
    page.keyboard.press("Space")
    expect(switch).to_be_checked(checked=not was)
    settle(page)


def map_canvas(page):
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas#deckgl-overlay').first
    expect(canvas).to_be_visible(timeout=30_000)
    return canvas


def canvas_rgb(canvas) -> np.ndarray:
    return np.asarray(Image.open(BytesIO(canvas.screenshot())).convert("RGB")).astype(int)


def wait_for_pixels(canvas, ok, what: str, timeout: float = 20) -> np.ndarray:
    """Screenshot the canvas until ok(pixels) holds (deck.gl paints after the script run)."""
    deadline = time.monotonic() + timeout
    while True:
        pixels = canvas_rgb(canvas)
        if ok(pixels):
            return pixels
        if time.monotonic() > deadline:
            pytest.fail(f"the map never showed {what} within {timeout:.0f}s", pytrace=False)
        time.sleep(0.5)


def type_share(pixels: np.ndarray) -> float:
    """Share of the canvas in any incident-type colour."""
    return sum(share(pixels, rgb, tol=TYPE_TOL) for rgb in maps.TYPE_COLOURS.values())


def grid_texts(locator) -> list[str]:
    """Cell texts of Streamlit dataframes: the glide grid keeps an accessible table beside its canvas."""
    return [t.strip() for t in locator.locator('[role="gridcell"]').all_text_contents()]


def click_dot(page, x: float, y: float, heading, text: str) -> None:
    """Click a map dot as soon as its tooltip shows, once, and wait for its details heading.

    No pause before the click: with deck.gl's hover highlight on, a click that came within
    about a second of the pointer arriving on a dot was dropped (the page turns it off)."""
    page.mouse.click(x, y)
    expect(heading).to_contain_text(text, timeout=30_000)
    settle(page)


def container_of(page, locator):
    """The innermost block holding locator (blocks nest; ancestors come first in document order).
    locator must be page-relative (page.get_by_…): it is looked up inside each block."""
    return page.locator('[data-testid="stVerticalBlock"]').filter(has=locator).last


def scroll_to_centre(locator) -> None:
    locator.evaluate("el => el.scrollIntoView({block: 'center'})")


def assert_clean(page, browser_log) -> None:
    assert_no_exception(page)
    assert not browser_log.page_errors, browser_log.page_errors
    assert not browser_log.unexpected_console_errors(), browser_log.unexpected_console_errors()


# -- 1. map click → details -------------------------------------------------------------------
def test_click_on_an_incident_dot_opens_its_details(page, base_url, browser_log):
    start, end, window = quiet_window()
    goto_app(page, base_url, "/map", period_query(start, end))
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text(points_caption(len(window)))
    expect(main).to_contain_text("Click an incident dot to see its details here.")
    canvas = map_canvas(page)
    scroll_to_centre(canvas)
    box = canvas.bounding_box()
    width, height = round(box["width"]), round(box["height"])
    legend = page.locator(".st-key-map_legend").bounding_box()
    assert legend["x"] + legend["width"] - box["x"] <= LEGEND_CORNER[0], (legend, box)
    assert legend["y"] + legend["height"] - box["y"] <= LEGEND_CORNER[1], (legend, box)
    dots = [(r, project(r.lat, r.lon, maps.VIEW_EUROPE, width, height)) for r in window.itertuples()]
    assert all(10 < x < width - 10 and 10 < y < height - 10 for _, (x, y) in dots), (box, dots)

    def dots_drawn(pixels) -> bool:  # each dot's colour at its projected pixel: painted, and where expected
        return all(
            share(pixels[y - 2 : y + 3, x - 2 : x + 3], maps.TYPE_COLOURS[r.incident_type], TYPE_TOL) > 0.3
            for r, (x, y) in dots
        )

    wait_for_pixels(canvas, dots_drawn, "the incident dots at their projected pixels")

    for r, (x, y) in dots:
        page.mouse.move(box["x"] + x, box["y"] + y)
        tooltip = page.locator(".deck-tooltip")
        expect(tooltip).to_be_visible(timeout=10_000)
        expect(tooltip).to_contain_text(f"{r.incident_type.capitalize()} · {format_date(r.date.date())}")
        expect(tooltip).to_contain_text(r.location)

        heading = main.get_by_text(re.compile(r"^Incident DEMO-INC-\d+"))
        click_dot(page, box["x"] + x, box["y"] + y, heading, f"Incident {r.incident_id}")
        expect(heading).to_have_count(1)
        expect(main.get_by_text("Click an incident dot to see its details here.")).to_have_count(0)
        panel = container_of(page, page.get_by_text(re.compile(r"^Incident DEMO-INC-\d+")))
        expect(panel.locator('[role="gridcell"]').first).to_have_text("Date")
        cells = grid_texts(panel)
        assert cells[:4] == ["Date", format_date(r.date.date()), "Type", r.incident_type.capitalize()], cells
        assert r.location in cells and r.route in cells, cells
        assert_no_exception(page)

    scroll_to_centre(page.get_by_text(re.compile(r"^Incident DEMO-INC-\d+")))
    page.mouse.move(0, 0)  # no tooltip over the details in the screenshot
    screenshot(page, "interactions_map_details")

    # A click on open sea clears the selection (as the panel says).
    scroll_to_centre(canvas)
    box = canvas.bounding_box()
    sea_x, sea_y = project(45.5, -12.0, maps.VIEW_EUROPE, width, height)  # Atlantic, west of Biscay
    cleared = main.get_by_text("Click an incident dot to see its details here.")
    for attempt in range(3):  # a click on the sea only ever clears: one a busy browser's deck.gl dropped (CI, once) is
        page.mouse.click(box["x"] + sea_x, box["y"] + sea_y)  # made again, and never clearing fails all three
        try:
            expect(cleared).to_be_visible(timeout=20_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
            settle(page)
    expect(main.get_by_text(re.compile(r"^Incident DEMO-INC-\d+"))).to_have_count(0)
    settle(page)
    assert_clean(page, browser_log)


# -- 2. month-by-month playback ---------------------------------------------------------------
def month_label(month: pd.Timestamp) -> str:
    return f"Showing {format_period(month.date(), (month + pd.offsets.MonthEnd(0)).date())}"


def month_caption(month: pd.Timestamp) -> str:
    return points_caption(len(in_period(incidents(), month.date(), (month + pd.offsets.MonthEnd(0)).date())))


def unchanged_for(locator, text: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert locator.inner_text() == text, f"changed from {text!r} to {locator.inner_text()!r} while paused"
        time.sleep(0.25)


def test_month_by_month_playback_advances_and_pauses(page, base_url, browser_log):
    goto_app(page, base_url, "/map", period_query(*PERIOD))
    main = page.locator('[data-testid="stMain"]')
    months = list(pd.date_range(PERIOD[0], PERIOD[1], freq="MS"))
    expect(page.get_by_role("switch", name="▶ Play", exact=True)).to_have_count(0)  # only month by month plays

    flip(page, "Month by month")
    shown = main.get_by_text(re.compile(r"^Showing "))
    expect(shown).to_have_text(month_label(months[0]))  # "Showing 1 – 30 Nov 2025"
    expect(main).to_contain_text(month_caption(months[0]))  # the map holds that month's incidents only

    flip(page, "▶ Play")
    pressed = time.monotonic()
    steps = []
    for month in months[1:3]:
        expect(shown).to_have_text(month_label(month), timeout=10_000)
        steps.append(time.monotonic() - pressed)
    assert steps[0] >= 1.0, f"Play skipped the first month: the next one came {steps[0]:.1f}s after the press"
    assert steps[1] <= 10, f"two steps took {steps[1]:.1f}s (one month every 2s expected)"
    scroll_to_centre(map_canvas(page))
    screenshot(page, "interactions_playback")

    flip(page, "▶ Play")  # pause
    paused = shown.inner_text()
    assert paused in {month_label(m) for m in months}, paused
    unchanged_for(shown, paused, 5)  # 2.5 steps
    month = next(m for m in months if month_label(m) == paused)
    expect(main).to_contain_text(month_caption(month))
    assert_clean(page, browser_log)


# -- 3. layer toggles -------------------------------------------------------------------------
def test_layer_toggles_change_the_map_and_the_legend(page, base_url, browser_log):
    goto_app(page, base_url, "/map", period_query(*PERIOD))
    canvas = map_canvas(page)
    routes = [label for label, _ in maps.legend_items("routes")]
    types = [label for label, _ in maps.legend_items("incident_types")]

    def legend_shows(expected: list[str]) -> None:
        if not expected:
            expect(page.locator(".st-key-map_legend")).to_have_count(0)
            return
        items = page.locator(".st-key-map_legend").get_by_role("listitem")
        expect(items).to_have_count(len(expected))
        assert items.all_inner_texts() == expected, items.all_inner_texts()

    legend_shows(routes + types)
    # A route colour no incident type uses. At the Europe view the Atlantic route is short and the year's
    # incidents and place names sit on it: about 0.028% of the canvas is this orange (under 0.005% without it).
    orange = maps.ROUTE_COLOURS["Atlantic (Canary Islands)"]
    wait_for_pixels(canvas, lambda p: type_share(p) > 0.002 and share(p, orange, 6) > 0.0002, "routes and incidents")

    flip(page, "Routes")
    legend_shows(types)
    with_incidents = wait_for_pixels(canvas, lambda p: share(p, orange, 6) < 0.00005, "the map without routes")
    # At the Europe view (zoom 2.7, wide enough for the Atlantic route) the dots are small and their
    # outlines take a good part of them: about 0.18% of the canvas is in a type colour here.
    assert type_share(with_incidents) > 0.001, "no incident colours with incidents on"

    flip(page, "Incidents")
    legend_shows([])
    bare = wait_for_pixels(canvas, lambda p: type_share(p) < 0.0002, "the map without incidents")
    assert type_share(with_incidents) > 20 * max(type_share(bare), 1e-6)
    light = maps.STYLES["light"]
    assert share(bare, light["land"]) > 0.15 and share(bare, light["sea"]) > 0.15, "the basemap went too"

    flip(page, "Routes")
    legend_shows(routes)
    wait_for_pixels(canvas, lambda p: share(p, orange, 6) > 0.0002, "the routes again")
    assert_clean(page, browser_log)


# -- 4. operations: selection and page filters ------------------------------------------------
def test_operation_selection_shows_details_and_search_narrows_the_table(page, base_url, browser_log):
    ops = active_operations(*PERIOD)
    assert len(ops) > 7, "the demo year should have more than 7 active operations"
    goto_app(page, base_url, "/operations", period_query(*PERIOD))
    main = page.locator('[data-testid="stMain"]')
    count = main.get_by_text(re.compile(r"^\d[\d,]* of \d[\d,]* operations running at any time in the period"))
    expect(count).to_contain_text(f"{len(ops)} of {len(ops)} operations")
    table = page.locator('[data-testid="stDataFrame"]').first
    first_id = table.locator('[role="gridcell"]').filter(has_text=re.compile(r"^OP-\d+$")).first
    expect(first_id).to_have_text(ops.loc[0, "operation_id"])  # the table's order is the query's
    expect(main).to_contain_text("Select an operation in the table to see its details")

    def select_row(i: int) -> None:  # the row-marker (checkbox) column at the grid's left edge
        table.scroll_into_view_if_needed()
        box = table.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * i + 17)

    heading = main.locator("h3").filter(has_text=re.compile(r"\(OP-\d+\)$"))
    for i in (6, 0):
        op = ops.loc[i]
        select_row(i)
        expect(heading).to_have_text(f"{op['name']} ({op['operation_id']})", timeout=30_000)
        settle(page)
    op = ops.loc[0]
    details = container_of(page, page.locator("h3").filter(has_text=op["operation_id"]))
    small_map = details.locator('[data-testid="stDeckGlJsonChart"] canvas#deckgl-overlay')
    expect(small_map).to_be_visible()
    map_box = small_map.bounding_box()
    assert map_box["height"] == pytest.approx(360, abs=2), map_box
    assert map_box["width"] < 0.7 * table.bounding_box()["width"], map_box  # the right-hand column
    n = nearby_count(op, *PERIOD)
    expect(details).to_contain_text(f"The ring marks the operation's focus; {n:,} incidents within 1.5° of it")
    scroll_to_centre(small_map)
    light = maps.STYLES["light"]
    wait_for_pixels(
        small_map,
        lambda p: (
            share(p, light["sea"]) > 0.05 and share(p, light["land"]) > 0.05 and (n == 0 or type_share(p) > 0.0005)
        ),
        "the operation's area with its incidents",
    )
    screenshot(page, "interactions_operations_details")

    # Page-local search: a word from an operation's name narrows the table and its caption.
    word = op["name"].split()[1]
    ids = operations().set_index("operation_id")
    text = ids[["name", "description", "partners"]].fillna("").agg(" ".join, axis=1) + " " + ids.index
    matching = [i for i in ops["operation_id"] if word.lower() in text[i].lower()]
    assert 0 < len(matching) < len(ops)
    select_row(6)  # a selection past the end of the narrowed table must not survive the search
    expect(heading).to_have_text(f"{ops.loc[6, 'name']} ({ops.loc[6, 'operation_id']})", timeout=30_000)
    settle(page)
    search = page.get_by_label("Search name, description, partners")
    search.fill(word)
    search.press("Enter")
    expect(count).to_contain_text(f"{len(matching)} of {len(ops)} operations", timeout=30_000)
    settle(page)
    assert_no_exception(page)
    expect(heading).to_have_count(0)
    expect(main).to_contain_text("Select an operation in the table to see its details")
    select_row(0)
    expect(heading).to_have_text(f"{ids.loc[matching[0], 'name']} ({matching[0]})", timeout=30_000)
    settle(page)
    assert_clean(page, browser_log)


# -- 5. dark map style ------------------------------------------------------------------------
def test_dark_style_repaints_the_sea_and_land(page, base_url, browser_log):
    goto_app(page, base_url, "/map", period_query(*PERIOD))
    canvas = map_canvas(page)
    scroll_to_centre(canvas)
    light, dark = maps.STYLES["light"], maps.STYLES["dark"]
    wait_for_pixels(canvas, lambda p: share(p, light["sea"]) > 0.15, "the light sea")

    page.get_by_role("radio", name="Dark").click()
    expect(page.get_by_role("radio", name="Dark")).to_be_checked()
    settle(page)
    pixels = wait_for_pixels(
        canvas, lambda p: share(p, dark["sea"]) > 0.15 and share(p, light["sea"]) < 0.001, "the dark sea"
    )
    assert share(pixels, dark["land"]) > 0.15 and share(pixels, light["land"]) < 0.001
    h, w = pixels.shape[:2]
    for name, lat, lon, expected in [
        ("Bay of Biscay", 45.5, -4.5, dark["sea"]),
        ("central France", 46.8, 2.4, dark["land"]),
    ]:
        x, y = project(lat, lon, maps.VIEW_EUROPE, w, h)
        assert share(pixels[y - 3 : y + 4, x - 3 : x + 4], expected, 8) > 0.8, f"{name} at {x},{y}: {pixels[y, x]}"
    assert type_share(pixels) > 0.002, "the incidents went with the light style"
    screenshot(page, "interactions_dark_map")
    assert_clean(page, browser_log)


# -- found on the way: links that opened a different view than they named (fixed in dashboard/ui/session.py) ----
def test_incident_type_in_a_share_link_filters_the_map(page, base_url):
    goto_app(page, base_url, "/map", period_query(*PERIOD, type=["dead or missing"]))
    main = page.locator('[data-testid="stMain"]')
    n = (in_period(incidents(), *PERIOD)["incident_type"] == "dead or missing").sum()
    expect(main).to_contain_text(points_caption(n), timeout=5_000)
    expect(main).to_contain_text("Dead or missing · 1 Nov 2025 – 31 Oct 2026", timeout=1_000)


def test_single_day_period_from_a_link_is_kept(page, base_url):
    day = date(2026, 4, 10)
    goto_app(page, base_url, "/map", period_query(day, day))
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text(f"All regions and routes · {format_date(day)} · data version", timeout=5_000)
    expect(main).to_contain_text(points_caption(len(in_period(incidents(), day, day))), timeout=1_000)


def test_download_csv_is_built_on_click_and_marked(page, base_url):
    """The export buttons hand the browser a file built on the click (a deferred download): it
    arrives, carries the marking and the filters, and its cells cannot run as formulas."""
    goto_app(page, base_url, "/", {"period": ["2025-01-01", "2025-06-30"], "region": "UK & Channel"})
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Download CSV").first.click()
    download = info.value
    assert download.suggested_filename.startswith("OFFICIAL-tideline-overview-kpis-")
    lines = Path(download.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "# OFFICIAL"
    assert lines[1].startswith("# UK & Channel · 1 Jan – 30 Jun 2025")
    assert len(lines) > 6
    assert_no_exception(page)


def test_download_geopackage_from_the_map_opens_as_qgis_would(page, base_url):
    """The Map's GeoPackage button: a file built on the click that GDAL opens, in WGS84, with the map's incidents
    of the period as points, the routes as lines and the marking on every feature."""
    import geopandas as gpd
    import pyogrio

    goto_app(page, base_url, "/map", period_query(*PERIOD))
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text(points_caption(len(in_period(incidents(), *PERIOD))), timeout=10_000)
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="GeoPackage").first.click()
    download = info.value
    assert download.suggested_filename.startswith("OFFICIAL-tideline-map-incidents-")
    assert download.suggested_filename.endswith(".gpkg")
    path = Path(download.path())
    assert dict(pyogrio.list_layers(path).tolist()) == {"incidents": "Point", "routes": "LineString"}
    points = gpd.read_file(path, layer="incidents")
    assert points.crs.to_epsg() == 4326
    shown = in_period(incidents(), *PERIOD)
    assert len(points) == int(shown["lat"].notna().sum())
    assert set(points["classification"]) == {"OFFICIAL"}
    assert pyogrio.read_info(path, layer="incidents")["dataset_metadata"]["CLASSIFICATION"] == "OFFICIAL"
    assert_no_exception(page)
