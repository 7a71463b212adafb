"""The briefing pack: the briefing's views as one self-contained HTML file (plotly.js and every
figure inlined; nothing is fetched when it is opened offline). Pure: no streamlit.

The page, cover, view sections, stylesheet and print script are files in ``templates/``
(``string.Template``: ``$name`` placeholders, every value escaped here before it goes in). The
Content-Security-Policy in ``pack.html`` is a second line of defence: even a stray URL in a figure
cannot make the pack fetch anything. The pack prints to PDF from a browser one view per A4
landscape page, with the classification marking at the top and bottom of every page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from string import Template

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from . import charts, fmt, plotly_map, settings
from .filters import COMPARE_SHORT, FilterState
from .saved_views import SavedView
from .slides import Slide, build_slide
from .store import Store

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_HEIGHT = 520  # figure height on screen, px (the map: plotly_map.HEIGHT)
# On paper (A4 landscape minus margins, at 96 px per inch: 1054 x 703 px), below the title, note and KPI row.
# The print stylesheet holds every figure to this box, so the pages come out the same whether or not the
# browser lets the pack's script re-lay the figures out first.
PRINT_WIDTH = 1020
PRINT_HEIGHT = {"routes_map": 430}  # by SlideSpec.figure; others: DEFAULT_PRINT_HEIGHT
DEFAULT_PRINT_HEIGHT = 380


@cache
def template(name: str) -> str:
    """A template file's text (read once per process)."""
    return (TEMPLATES / name).read_text(encoding="utf-8")


def build_pack(
    store: Store,
    views: list[SavedView],
    classification: str,
    generated_at: datetime | None = None,
    base_url: str | None = None,
    produced_by: str = "",
) -> str:
    """The briefing pack: one self-contained HTML document (cover, then one section per view). Each view's
    link is absolute on `base_url` (default TIDELINE_PUBLIC_URL; relative when neither is known).
    `produced_by` (who asked for it) follows the time on the cover and under every view."""
    generated = _utc(generated_at or datetime.now(UTC)) + (
        f" by {' '.join(produced_by.split())}" if produced_by else ""
    )
    base = (base_url or settings.public_url() or "").rstrip("/")
    connections: dict[int, duckdb.DuckDBPyConnection] = {}
    try:
        slides = [build_slide(store, v, connections) for v in views]
    finally:
        for con in connections.values():
            con.close()
    marking = f'<div class="marking" role="note">{_e(classification)}</div>'
    sections = [_cover(store, slides, generated, marking)]
    sections += [_section(s, i, len(slides), generated, marking, base) for i, s in enumerate(slides, start=1)]
    return Template(template("pack.html")).substitute(
        title=_e(f"Tideline briefing pack · {generated}"),
        css=template("pack.css") + page_css(classification),
        plotlyjs=get_plotlyjs(),
        body="\n".join(sections),
        script=template("pack.js"),
    )


def page_css(classification: str) -> str:
    """On paper the marking is in the page margin boxes, so it is on every printed page, even when a
    long note pushes a view onto a second page."""
    mark = _css_string(classification)
    box = "font: 700 10pt Arial, Helvetica, sans-serif; letter-spacing: .12em; color: #6b0000;"
    return (
        f"@page {{ size: A4 landscape; margin: 12mm 9mm;"
        f" @top-center {{ content: {mark}; {box} }}"
        f" @bottom-center {{ content: {mark}; {box} }}"
        f' @bottom-right {{ content: counter(page) " / " counter(pages); font: 9pt Arial, sans-serif; }} }}\n'
    )


def _css_string(text: str) -> str:
    """A quoted CSS string; anything but plain characters as a hex escape (so no '</style>')."""
    return '"' + "".join(ch if ch.isalnum() or ch in " -_.,:;()/&" else f"\\{ord(ch):x} " for ch in text) + '"'


def _cover(store: Store, slides: list[Slide], generated: str, marking: str) -> str:
    used = sorted({s.state.version for s in slides if s.state.version is not None})
    versions = []
    for vid in used:
        v = store.version(vid)
        created = datetime.fromisoformat(v.created_at.replace("Z", "+00:00"))
        label = f"data version {v.id}: {v.source_name}, loaded {_utc(created)}" + (
            " (current)" if v.id == store.current_id() else " (not the current version)"
        )
        versions.append(f"<li>{_e(label)}</li>")
    contents = (
        "".join(
            f'<li><a href="#view-{i}">{_e(s.view.title)}</a> <span class="muted">· {_e(s.page.title)}'
            f" · {_e(s.description)}</span></li>"
            for i, s in enumerate(slides, start=1)
        )
        or "<li>No views</li>"
    )
    synthetic = (
        '<p class="synthetic">Synthetic demo data — not real figures</p>' if any(s.synthetic for s in slides) else ""
    )
    return Template(template("cover.html")).substitute(
        marking=marking,
        generated=_e(generated),
        count=f"{len(slides)} view{'s' if len(slides) != 1 else ''}",
        synthetic=synthetic,
        versions="".join(versions) or "<li>No data</li>",
        contents=contents,
    )


def _section(slide: Slide, n: int, total: int, generated: str, marking: str, base: str) -> str:
    view, state = slide.view, slide.state
    notices = "".join(f"<li>{_e(x)}</li>" for x in slide.notices)
    assert slide.page.slide is not None
    figure_key = slide.page.slide.figure
    return Template(template("section.html")).substitute(
        n=n,
        total=total,
        marking=marking,
        page_title=_e(slide.page.title),
        synthetic='<span class="badge">Synthetic demo data — not real figures</span>' if slide.synthetic else "",
        title=_e(view.title),
        note=f'<p class="note">{_e(view.note)}</p>' if view.note else "",
        description=_e(slide.description),
        previous=_e(state.baseline_words()),
        notices=f'<ul class="notices" aria-label="Link parameters ignored">{notices}</ul>' if notices else "",
        kpis=_kpi_tiles(slide.kpis, state),
        plot=_plot(slide, n, figure_key),
        print_width=PRINT_WIDTH,
        print_height=min(_screen_height(slide, figure_key), PRINT_HEIGHT.get(figure_key, DEFAULT_PRINT_HEIGHT)),
        source=_e(slide.source),
        version=_e(state.version),
        generated=_e(generated),
        link=_e(base + view.link()),
    )


def _screen_height(slide: Slide, figure_key: str) -> int:
    """A figure's height on screen, px: the table's is sized to its rows."""
    if figure_key == "provenance_table":
        return int(slide.figure.layout.height or DEFAULT_HEIGHT)
    return plotly_map.HEIGHT if figure_key == "routes_map" else DEFAULT_HEIGHT


def _plot(slide: Slide, n: int, figure_key: str) -> str:
    fig = go.Figure(slide.figure)
    # The source is written under the figure in the page, so not a second time inside it.
    wrapped = charts.wrap(slide.source)
    fig.layout.annotations = [a for a in fig.layout.annotations if a.text != wrapped]
    fig.update_layout(
        height=_screen_height(slide, figure_key), margin={"b": 10 if figure_key == "provenance_table" else 60}
    )
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=f"plot-{n}",
        config={
            "displaylogo": False,
            "responsive": True,
            "modeBarButtonsToRemove": ["lasso2d", "select2d"],
            "toImageButtonOptions": {
                "format": "png",
                "scale": 2,
                "filename": f"tideline-{n}-{_slug(slide.view.title)}",
            },
        },
    )


def _kpi_tiles(kpis: pd.DataFrame, state: FilterState) -> str:
    """KPI tiles with the change against the view's baseline, named in words (as on the pages)."""
    tiles = []
    vs = f'<span class="vs"> {_e(state.vs_words())}</span>'
    before = COMPARE_SHORT[state.compare]
    for r in kpis.to_dict("records"):
        delta = fmt.change(r["value"], r["previous"])
        same = delta is not None and float(r["value"]) == float(r["previous"])
        lines = [
            f"no change{vs}" if same else f"{_e(delta)}{vs}" if delta else "no comparison",
            f"{before}: {_e(fmt.kpi_value(r['key'], r['previous']))}",
        ]
        share = fmt.target_share(r["value"], r["target"])
        if r["target_label"] and share != "–":
            lines[1] = f"{_e(share)} of {_e(r['target_label'])} ({_e(fmt.kpi_value(r['key'], r['target']))})"
        tiles.append(
            f'<div class="kpi"><div class="label">{_e(r["label"])}</div>'
            f'<div class="value">{_e(fmt.kpi_value(r["key"], r["value"]))}</div>'
            f'<div class="delta">{lines[0]}</div><div class="delta muted">{lines[1]}</div></div>'
        )
    return "".join(tiles)


def _e(text: object) -> str:
    return fmt.esc(text, quote=True)


def _utc(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{moment.day} {moment:%b %Y %H:%M} UTC"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "view"
