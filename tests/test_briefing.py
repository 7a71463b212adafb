"""Briefing slides (dashboard/slides.py), the self-contained HTML pack (dashboard/pack.py) and its
offline map (dashboard/plotly_map.py); the `brief` command line."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from dashboard import fmt, plotly_map, queries, registry
from dashboard.pack import build_pack
from dashboard.saved_views import ViewStore
from dashboard.slides import build_slide, default_state
from dashboard.store import Store

REPO = Path(__file__).resolve().parent.parent
MARK = "OFFICIAL-SENSITIVE TEST"
WHEN = datetime(2025, 3, 4, 5, 6, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//""", re.I)


def saved(store: Store) -> list:
    """One saved view per page (five), with hostile text in a title and a note."""
    views = ViewStore(store.data_dir)
    state = default_state(store)
    for page, title in [
        ("", "Arrivals <b>&</b> boats"),
        ("map", "Where"),
        ("funding", "Money"),
        ("operations", "Operations"),
        ("data", "Data"),
    ]:
        views.add(title, f"Why {title}: {HOSTILE}\nsecond line", page, state)
    return views.list()


def sections(pack: str) -> list[str]:
    return re.findall(r"<section class=\"sheet (?:cover|view)\".*?</section>", pack, re.S)


def without_bundle(pack: str) -> str:
    # plotly.js carries URL strings in its code (unused links and tile styles); check everything else.
    return pack.replace(get_plotlyjs(), "")


def test_pack_shows_every_view_escaped_and_marked(tiny_store):
    views = saved(tiny_store)
    pack = build_pack(tiny_store, views, MARK, generated_at=WHEN)
    slides = [build_slide(tiny_store, v) for v in views]

    for view, slide in zip(views, slides, strict=True):
        assert f"<h2>{html.escape(view.title)}</h2>" in pack
        assert html.escape(view.note) in pack
        assert html.escape(slide.description) in pack
        assert html.escape(slide.source) in pack
        assert html.escape(view.link()) in pack
    assert HOSTILE not in pack and "<b>&</b>" not in pack
    assert "data version 1" in pack and "Data version 1" in pack
    assert pack.count("Generated 4 Mar 2025 05:06 UTC") == 1 + len(views)  # cover and every view

    marking = f'<div class="marking" role="note">{MARK}</div>'
    parts = sections(pack)
    assert len(parts) == 1 + len(views)
    assert [p.count(marking) for p in parts] == [2] * len(parts)
    assert all(p.lstrip().split("\n")[1] == marking and p.rstrip().split("\n")[-2] == marking for p in parts)
    assert pack.count(marking) == 2 * len(parts)
    assert "Synthetic demo data" not in pack  # the tiny fixture is not synthetic


def test_pack_is_one_offline_file_that_prints_one_view_per_page(tiny_store):
    views = saved(tiny_store)
    pack = build_pack(tiny_store, views, MARK, generated_at=WHEN)
    bundle = get_plotlyjs()
    assert pack.count(bundle) == 1 and pack.count(bundle[:400]) == 1  # plotly.js inlined exactly once
    rest = without_bundle(pack)
    assert not EXTERNAL.findall(rest)
    assert "<script src" not in rest and "<link" not in rest and "@import" not in rest
    assert rest.count('class="js-plotly-plot"') == 0 and rest.count("Plotly.newPlot(") == len(views)
    assert "@page" in pack and "size: A4 landscape" in pack and "break-after: page" in pack
    assert "Content-Security-Policy" in pack and "default-src 'none'" in pack


def test_marking_cannot_break_out_of_css_or_html(tiny_store):
    mark = 'SECRET"}</style><script>x()</script>'
    pack = build_pack(tiny_store, saved(tiny_store)[:1], mark, generated_at=WHEN)
    assert "<script>x()</script>" not in pack and "</style><script>" not in pack
    assert pack.count(html.escape(mark)) == 4  # two on the cover, two on the view


@pytest.mark.parametrize("page", list(registry.SAVEABLE))
def test_slide_per_page(tiny_store, page):
    view = replace(saved(tiny_store)[0], page=page)
    slide = build_slide(tiny_store, view)
    assert slide.state.version == 1 and slide.notices == [] and not slide.synthetic
    assert slide.source.startswith("Source: ") and "as of" in slide.source
    assert list(slide.kpis["key"])[:2] == ["people", "boats"]
    assert slide.figure.layout.title.text
    # No geo, mapbox or map traces: those fetch topojson, tiles or styles at run time.
    assert {t.type for t in slide.figure.data} <= {"scatter", "bar", "table"}


@pytest.mark.parametrize("version", ["99", "\u00b2", "\uff11", "1" * 5000, "-1", " 1"])
def test_slide_with_an_unusable_version_shows_the_current_one_and_says_so(tiny_store, version):
    """The version a saved view pins is parsed as everywhere else (filters.small_int): a superscript two
    or a 5,000-digit number once crashed the briefing (isdigit() then int())."""
    view = replace(saved(tiny_store)[0], query=f"period=2025-01-01&period=2025-01-31&version={version}")
    slide = build_slide(tiny_store, view)
    assert slide.state.version == 1
    assert any("not found" in n for n in slide.notices), slide.notices


def test_slide_of_a_page_that_no_longer_exists_falls_back_to_the_overview(tiny_store):
    slide = build_slide(tiny_store, replace(saved(tiny_store)[0], page="gone"))
    assert slide.page is registry.DEFAULT and any("unknown page 'gone'" in n for n in slide.notices)
    assert list(slide.shown_kpis["key"]) == list(registry.DEFAULT.slide.kpis)


@pytest.mark.parametrize("page", list(registry.SAVEABLE))
def test_slide_shows_the_kpis_its_page_registers(tiny_store, page):
    slide = build_slide(tiny_store, replace(saved(tiny_store)[0], page=page))
    assert list(slide.shown_kpis["key"]) == list(registry.page(page).slide.kpis)


def test_slide_with_an_unknown_version_says_so(tiny_store):
    view = replace(saved(tiny_store)[0], query="period=2025-01-01&period=2025-01-31&version=99")
    slide = build_slide(tiny_store, view)
    assert slide.state.version == 1
    assert any("data version '99' not found" in n for n in slide.notices)
    pack = build_pack(tiny_store, [view], MARK)
    assert html.escape("data version '99' not found") in pack


def test_map_figure_is_offline_and_escaped(tiny_store):
    view = replace(saved(tiny_store)[0], page="map")
    con = tiny_store.connect()
    state = build_slide(tiny_store, view).state
    routes = queries.routes_with_flows(con, state).assign(route=lambda d: d["route"] + " <img src=x>")
    kind, points = queries.map_incidents(con, state)
    fig = plotly_map.map_figure(routes, kind, points, "Source: test")
    land = fig.data[0]
    assert land.fill == "toself" and len(land.x) > 1000
    assert fig.layout.yaxis.scaleanchor == "x"
    text = fig.to_json()
    assert "<img" not in text and "\\u003cimg" not in text  # escaped to &lt;img before serialising
    assert len(text) < 1_000_000


@pytest.mark.parametrize(
    ("compare", "words", "short"),
    [
        ("year", "the same period a year earlier", "vs a year earlier"),
        ("previous", "the previous period of the same length", "vs previous period"),
    ],
)
def test_pack_states_each_views_baseline_in_words(tiny_store, compare, words, short):
    state = replace(default_state(tiny_store), compare=compare)
    view = ViewStore(tiny_store.data_dir).add("Baseline", "", "", state)
    pack = build_pack(tiny_store, [view], MARK, generated_at=WHEN)
    section = sections(pack)[1]
    assert f"compared with\n{html.escape(state.baseline_words())}" in section and words in section
    assert short in section
    other = "vs previous period" if compare == "year" else "vs a year earlier"
    assert other not in section


def test_pack_links_are_absolute_on_the_public_address(tiny_store, monkeypatch):
    view = ViewStore(tiny_store.data_dir).add("Linked", "", "map", default_state(tiny_store))
    monkeypatch.delenv("TIDELINE_PUBLIC_URL", raising=False)
    assert f'<span class="link">{html.escape(view.link())}</span>' in build_pack(tiny_store, [view], MARK)
    given = build_pack(tiny_store, [view], MARK, base_url="http://10.1.2.3:8501")
    assert f'<span class="link">http://10.1.2.3:8501{html.escape(view.link())}</span>' in given
    monkeypatch.setenv("TIDELINE_PUBLIC_URL", "https://tideline.example.org/")
    configured = build_pack(tiny_store, [view], MARK)
    assert f'<span class="link">https://tideline.example.org{html.escape(view.link())}</span>' in configured


def test_kpi_text_formats_like_the_app():
    assert fmt.kpi_value("spent_gbp", 1_250_000) == "£1.25m"
    assert fmt.kpi_value("people_per_boat", 64.56) == "64.6"
    assert fmt.kpi_value("people", 40010) == "40,010"
    assert fmt.kpi_value("people", None) == "–"


def test_five_view_pack_on_the_demo_data(tmp_path):
    store = Store(tmp_path / "demo")
    store.ensure_initialised()
    views = saved(store)
    times, pack = [], ""
    for _ in range(3):
        t0 = time.perf_counter()
        pack = build_pack(store, views, MARK)
        times.append(time.perf_counter() - t0)
    size = len(pack.encode("utf-8"))
    print(f"\nfive-view pack on the demo data: {size:,} bytes; generated in {sorted(times)[1]:.2f} s (median of 3)")
    assert pack.count("Synthetic demo data — not real figures") == 1 + len(views)  # cover and every view
    assert pack.count(queries.SYNTHETIC_SOURCE) >= len(views)
    assert not EXTERNAL.findall(without_bundle(pack))
    per_view = [len(s) for s in sections(pack)[1:]]
    assert max(per_view) < 1_000_000, per_view  # the map view, with the basemap and every incident


# -- command line ---------------------------------------------------------------------------------
def run(store: Store, *args: str, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "TIDELINE_DATA_DIR": str(store.data_dir), **env}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", "brief", *args],
        cwd=REPO,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_brief_default_sequence(tiny_store, tmp_path):
    out = tmp_path / "pack.html"
    r = run(tiny_store, "--out", str(out), TIDELINE_CLASSIFICATION="OFFICIAL-SENSITIVE CLI")
    assert r.returncode == 0, r.stderr
    assert str(out) in r.stdout and f"{out.stat().st_size:,} bytes" in r.stdout and "generated in" in r.stdout
    pack = out.read_text(encoding="utf-8")
    for title in ("Overview", "Map", "Funding &amp; resources", "Operations"):
        assert f"<h2>{title}</h2>" in pack
    assert pack.count('<div class="marking" role="note">OFFICIAL-SENSITIVE CLI</div>') == 2 * 5
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_brief_saved_views_in_the_order_given(tiny_store, tmp_path):
    views = saved(tiny_store)
    out = tmp_path / "pack.html"
    r = run(tiny_store, "--out", str(out), "--views", f"{views[2].id},{views[0].id},default-map")
    assert r.returncode == 0, r.stderr
    pack = out.read_text(encoding="utf-8")
    titles = re.findall(r"<h2>(.*?)</h2>", pack)
    assert titles[-3:] == ["Money", html.escape(views[0].title), "Map"]
    assert '<div class="marking" role="note">OFFICIAL</div>' in pack  # the default marking

    r = run(tiny_store, "--out", str(tmp_path / "all.html"))
    assert r.returncode == 0 and "5 views" in r.stdout  # no --views: the saved sequence


def test_cli_brief_unknown_view(tiny_store, tmp_path):
    out = tmp_path / "pack.html"
    r = run(tiny_store, "--out", str(out), "--views", "nope")
    assert r.returncode == 2
    assert "unknown view id(s): nope" in r.stderr and "default-overview" in r.stderr
    assert not out.exists()
