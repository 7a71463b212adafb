"""IOM groups and incidents without a position in the real browser (issue 13): a map click on one record of
an event shows the group's other records under the map, and the map says how many incidents in the filters
it cannot place. The data is a hand-made IOM release imported through the command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from playwright.sync_api import expect

from dashboard import maps

from .harness import REPO_ROOT, assert_no_exception, goto_app, screenshot
from .test_interactions import click_dot, container_of, grid_texts, map_canvas, scroll_to_centre
from .test_map_render import project

HEADER = (
    "Main ID,Incident ID,Incident Type,Region of Incident,Incident date,Year,Month,No. dead,No. missing,"
    "No. dead/missing,No. survivors,Latitude,Longitude,Route,Country of Incident,Location,Cause of Death,URL"
)
ROWS = (
    "2025.MMP0001,2025.MMP0001-a,Incident,Europe,2025-03-01,2025,Mar,3,NA,3,NA,50.95,1.75,"
    "English Channel to the UK,France,Beach at Wimereux,Drowning,",
    "2025.MMP0001,2025.MMP0001-b,Incident,Europe,2025-03-02,2025,Mar,2,0,2,NA,51.05,2.35,"
    "English Channel to the UK,France,Beach at Dunkirk,Drowning,",
    "2025.MMP0002,2025.MMP0002,Incident,Europe,2025-03-05,2025,Mar,1,1,2,NA,NA,NA,"
    "English Channel to the UK,France,Unknown,Drowning,",
)


def cli(data_dir, *args: str) -> str:
    env = {**os.environ, "TIDELINE_DATA_DIR": str(data_dir)}
    r = subprocess.run(
        [sys.executable, "-m", "dashboard", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_a_click_on_one_record_shows_its_group_and_the_map_counts_what_it_cannot_place(page, start_app, tmp_path):
    data_dir = tmp_path / "store"
    release = tmp_path / "iom-2025.csv"
    release.write_text("\n".join((HEADER, *ROWS)) + "\n", encoding="utf-8")
    cli(data_dir, "init", "--empty")
    out = cli(data_dir, "ingest", str(release))
    assert "accepted: 3 · rejected: 0" in out, out  # the record without coordinates is kept
    server = start_app(data_dir=data_dir)
    query = {"period": ["2025-03-01", "2025-03-31"], "map.focus": "English Channel", "map.routes": "0"}
    goto_app(page, server.base_url, "/map", query=query)
    assert_no_exception(page)
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("2 incidents shown as points")
    expect(main).to_contain_text("1 incident in the filters has no position: counted, not mapped")
    canvas = map_canvas(page)
    scroll_to_centre(canvas)
    page.wait_for_timeout(3000)  # deck.gl paints after the script run
    box = canvas.bounding_box()
    x, y = project(50.95, 1.75, maps.FOCUS_VIEWS["English Channel"], round(box["width"]), round(box["height"]))
    page.mouse.move(box["x"] + x, box["y"] + y)
    expect(page.locator(".deck-tooltip")).to_contain_text("Beach at Wimereux", timeout=10_000)
    heading = main.get_by_text(re.compile(r"^Incident IOM-"))
    click_dot(page, box["x"] + x, box["y"] + y, heading, "Incident IOM-2025.MMP0001-a")
    expect(main).to_contain_text("Group IOM-2025.MMP0001: 2 records of one event")
    panel = container_of(page, page.get_by_text(re.compile(r"^Incident IOM-2025")))
    other = panel.locator('[role="gridcell"]').filter(has_text="IOM-2025.MMP0001-b")  # the other beach's record
    expect(other).to_have_count(1, timeout=15_000)
    assert "Beach at Dunkirk" in grid_texts(panel)
    scroll_to_centre(page.get_by_text(re.compile(r"^Group IOM-")))
    page.mouse.move(0, 0)
    screenshot(page, "map_group_details")
