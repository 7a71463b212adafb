"""The figures as Chromium draws them (plotly.js inline, no server): every category labelled, no tick label
or axis title over the source line, the right axis of "Spend next to outcomes" in whole counts."""

from __future__ import annotations

import re

import pandas as pd
import plotly.io as pio
import pytest

from dashboard import charts

SOURCE = "Source: Synthetic demo data (Tideline), not real figures · as of 19 Oct 2026"
HALF, FULL = 700, 1460  # px: a chart in st.columns(2), and one across the page, at 1920 px

BOXES_JS = """() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {text: e.textContent, x0: r.left, x1: r.right, y0: r.top, y1: r.bottom}; };
  const all = s => Array.from(document.querySelectorAll(s)).map(box);
  return {y: all('.ytick text'), y2: all('.y2tick text'), x: all('.xtick text'), xtitle: all('.g-xtitle text'),
          source: all('.annotation-text').filter(b => b.text.startsWith('Source')), title: all('.g-gtitle text'),
          legend: all('.legend .legendtext')};
}"""


def _draw(page, fig, width: int) -> dict[str, list[dict]]:
    html = pio.to_html(fig, include_plotlyjs=True, full_html=True, default_width=f"{width}px")
    page.set_viewport_size({"width": width + 40, "height": 1080})
    page.set_content(html)
    page.wait_for_selector(".main-svg")
    return page.evaluate(BOXES_JS)


def _overlap(a: dict, b: dict) -> bool:
    return not (a["x1"] <= b["x0"] or b["x1"] <= a["x0"] or a["y1"] <= b["y0"] or b["y1"] <= a["y0"])


def _clear_of_source(boxes: dict) -> list[str]:
    return [t["text"] for t in boxes["x"] + boxes["y"] + boxes["xtitle"] for s in boxes["source"] if _overlap(t, s)]


def _ops(n: int, regions: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "operation_id": [f"OP-{i:04d}" for i in range(n)],
            "name": [f"Operation {['Kestrel', 'Oystercatcher', 'Puffin'][i % 3]} Harbour {i}" for i in range(n)],
            "lead_agency": "NCA",
            "status": ["active", "concluded", "suspended"] * (n // 3) + ["active"] * (n % 3),
            "start_date": pd.date_range("2025-01-01", periods=n, freq="6D"),
            "end_date": [None] * n,
            "region": [
                ["Atlantic", "Balkans & Eastern Europe", "Mediterranean", "UK & Channel"][i % 4] for i in range(n)
            ]
            if regions == 4
            else [f"Region with a longer name {i % regions}" for i in range(n)],
            "arrests": [(i * 7) % 90 for i in range(n)],
            "charges": [(i * 5) % 60 for i in range(n)],
            "convictions": [(i * 3) % 30 for i in range(n)],
            "networks_disrupted": [(i * 2) % 20 for i in range(n)],
        }
    )


@pytest.mark.parametrize("rows", [8, 15, 60])
def test_timeline_labels_every_operation(page, rows):
    fig = charts.make_timeline_figure(_ops(rows, 4), SOURCE, pd.Timestamp("2026-10-31"))
    boxes = _draw(page, fig, HALF)
    assert len(boxes["y"]) == rows  # at ~15 rows plotly used to label every other bar
    ys = sorted(boxes["y"], key=lambda b: b["y0"])
    assert not [(a["text"], b["text"]) for a, b in zip(ys, ys[1:], strict=False) if a["y1"] > b["y0"] + 0.5]
    assert not _clear_of_source(boxes)


@pytest.mark.parametrize(("regions", "width"), [(4, HALF), (10, HALF), (4, FULL)])
def test_region_labels_stay_clear_of_the_source_line(page, regions, width):
    boxes = _draw(page, charts.make_outcomes_by_region_figure(_ops(40, regions), SOURCE), width)
    assert len(boxes["y"]) == regions
    assert not _clear_of_source(boxes)  # rotated region names once ran through it
    assert not [t["text"] for t in boxes["legend"] for h in boxes["title"] if _overlap(t, h)]


def test_spend_outcomes_axes_read_as_money_and_whole_counts(page):
    months = pd.date_range("2025-11-01", periods=12, freq="MS")
    df = pd.DataFrame(
        {
            "month": months,
            "spent_gbp": [9.4e6, 9.7e6, 10.1e6, 10.4e6, 10.6e6, 5.3e6, 5.7e6, 5.7e6, 5.7e6, 6.1e6, 6.0e6, 6.2e6],
            "networks_disrupted": [46, 3, 2, 0, 5, 3, 16, 1, 0, 20, 43, 47],
            "people_prevented": [1730, 2150, 1120, 298, 1080, 760, 2040, 1300, 850, 1400, 1590, 3319],
        }
    )
    boxes = _draw(page, charts.make_spend_outcomes_figure(df, SOURCE), FULL)
    assert boxes["y"] and all(re.fullmatch(r"£\d[\d,]*\.\dm", t["text"]) for t in boxes["y"]), boxes["y"]
    assert boxes["y2"] and all(re.fullmatch(r"\d[\d,]*", t["text"]) for t in boxes["y2"]), boxes["y2"]
    assert not _clear_of_source(boxes)
