"""Figure builders (pure): a title with units, the source line, and no meaning by colour alone."""

from datetime import date

import pandas as pd
import pytest
from conftest import JAN

from dashboard import charts, fmt
from dashboard import queries as q
from dashboard.clean import BIDI_CHARACTERS

SOURCE = "Source: Test fixture · as of 1 Feb 2025"


def build_all(con):
    ops = q.operations(con, JAN)
    return {
        "weekly": charts.make_weekly_trend_figure(q.weekly_trend(con, JAN), SOURCE),
        "routes": charts.make_routes_figure(
            q.by_route(con, JAN), "detections", "detections", SOURCE, "Routes by detections (detections)"
        ),
        "funding": charts.make_funding_figure(q.funding_by_year(con), SOURCE),
        "burnup": charts.make_burnup_figure(q.funding_burnup(con), SOURCE, "Burn-up (£ million)"),
        "staffing": charts.make_staffing_figure(q.staffing_series(con), SOURCE),
        "units": charts.make_staffing_units_figure(q.staffing_by_unit(con, date(2025, 1, 31)), SOURCE, "1 Jan 2025"),
        "outcomes": charts.make_spend_outcomes_figure(q.spend_and_outcomes(con, JAN), SOURCE),
        "timeline": charts.make_timeline_figure(ops, SOURCE, pd.Timestamp("2025-01-31")),
        "by_region": charts.make_outcomes_by_region_figure(ops, SOURCE),
    }


def test_every_figure_has_units_in_its_title_and_a_source_line(con):
    for name, fig in build_all(con).items():
        title = fig.layout.title.text
        assert "(" in title and ")" in title, (name, title)  # units in brackets
        assert any(a.text == SOURCE for a in fig.layout.annotations), name


def test_series_differ_by_more_than_colour(con):
    figs = build_all(con)
    weekly = figs["weekly"].data
    assert {t.line.dash for t in weekly} == {"dash", None}  # previous year dashed
    staffing = figs["staffing"].data
    assert {t.mode for t in staffing} == {"lines", "lines+markers"}  # planned vs in post
    funding = figs["funding"].data
    assert [t.marker.pattern.shape for t in funding] == [None, "/"]  # spend hatched
    routes = figs["routes"].data[0]
    assert list(routes.text) == ["100", "200"]  # values written on the bars


def test_route_values_are_readable_at_full_scale(con):
    fig = build_all(con)["routes"]
    assert fig.layout.xaxis.range[1] > 200  # room for the largest label


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (150_000_000, "£150m"),
        (1_250_000, "£1.25m"),
        (12_500, "£12.5k"),
        (950, "£950"),
        (2.1e9, "£2.1bn"),
        (-3400, "-£3.4k"),
        (None, "–"),
    ],
)
def test_money(value, text):
    assert fmt.gbp(value) == text


def test_change_percent_number():
    assert fmt.change(150, 30) == "+400%" and fmt.change(27, 30) == "-10%" and fmt.change(0, 0) is None
    assert fmt.change(5, 0) == "+5 (none before)" and fmt.change(None, 3) is None
    assert fmt.percent(12.345) == "12.3%" and fmt.number(12345.6) == "12,346" and fmt.number(pd.NA) == "–"


def test_long_source_lines_wrap_and_data_text_is_escaped():
    text = "Source: A very long publisher name, with a series title · as of 31 Oct 2026 · detections, not people"
    assert charts.wrap(text, 60) == (
        "Source: A very long publisher name, with a series title<br>as of 31 Oct 2026 · detections, not people"
    )
    assert charts.wrap("Source: <a href='javascript:alert(1)'>x</a>") == (
        "Source: &lt;a href='javascript:alert(1)'&gt;x&lt;/a&gt;"
    )


def test_data_text_in_labels_is_escaped(con):
    ops = q.operations(con, JAN).assign(name="<img src=x onerror=alert(1)>")
    fig = charts.make_timeline_figure(ops, SOURCE, pd.Timestamp("2025-01-31"))
    labels = [v for t in fig.data for v in t.y]
    assert labels and all(v == "&lt;img src=x onerror=alert(1)&gt;" for v in labels)
    fig = charts.make_burnup_figure(q.funding_burnup(con), SOURCE, "<b>Prog</b>: burn-up (£ million)")
    assert fig.layout.title.text.startswith("&lt;b&gt;Prog")


RLO, PDF_, LRI, PDI = "\u202e", "\u202c", "\u2066", "\u2069"


def test_bidi_controls_are_dropped_and_rtl_text_and_joiners_kept():
    assert fmt.text(f"{RLO}exe.txt{PDF_} {LRI}x{PDI}") == "exe.txt x"
    assert fmt.text("لندن · ‌می‌خواهم") == "لندن · ‌می‌خواهم"  # Arabic, Persian with ZWNJ: untouched
    assert fmt.esc(f"<b>{RLO}x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    assert fmt.short("x" * 36) == "x" * 36 and fmt.short("x" * 37) == "x" * 35 + "…"
    assert fmt.short(f"{RLO}{'y' * 40}") == "y" * 35 + "…"  # counted after the controls are gone


def test_long_labels_are_cut_on_the_axis_but_kept_whole_in_the_data(con):
    ops = q.operations(con, JAN)
    long_a, long_b = "Operation " + "A" * 80 + " north", "Operation " + "A" * 80 + " south"
    ops = ops.assign(name=[long_a, long_b, *ops["name"].iloc[2:]])
    fig = charts.make_timeline_figure(ops, SOURCE, pd.Timestamp("2025-01-31"))
    axis = fig.layout.yaxis
    assert len(axis.tickvals) == len(axis.ticktext) == len(set(axis.tickvals))  # the two long names stay apart
    assert len(set(axis.ticktext)) == len(axis.ticktext)  # ... and read apart
    assert all(len(t) <= fmt.LABEL_MAX for t in axis.ticktext)
    shown = dict(zip(axis.tickvals, axis.ticktext, strict=True))
    assert shown[long_a].endswith("north") and shown[long_b].endswith("south")
    labels = {v for t in fig.data for v in t.y}
    assert {long_a, long_b} <= labels  # the hover still says the whole name
    short_only = charts.make_timeline_figure(q.operations(con, JAN), SOURCE, pd.Timestamp("2025-01-31"))
    assert short_only.layout.yaxis.tickvals is None  # names that fit are left to plotly


def test_rtl_overrides_do_not_reach_figures(con):
    ops = q.operations(con, JAN).assign(name=f"Op {RLO}gnp.exe{PDF_}", lead_agency=f"{LRI}NCA{PDI}")
    fig = charts.make_timeline_figure(ops, SOURCE, pd.Timestamp("2025-01-31"))
    shown = [v for t in fig.data for v in t.y] + [str(v) for t in fig.data for v in t.customdata.ravel()]
    shown += [a.text for a in fig.layout.annotations] + [fig.layout.title.text]
    controls = set(BIDI_CHARACTERS)
    assert "Op gnp.exe" in shown
    assert not [s for s in shown if controls & set(s)]


def test_every_figure_uses_the_white_template_whatever_the_default(con, monkeypatch):
    import plotly.io as pio

    monkeypatch.setattr(pio.templates, "default", "ggplot2")  # grey: importing streamlit sets its own, too
    for name, fig in build_all(con).items():
        assert fig.layout.template.layout.plot_bgcolor == "white", name
        assert fig.layout.template.layout.xaxis.gridcolor == "#EBF0F8", name  # plotly_white's grid


def test_cut_labels_never_read_alike():
    assert charts._distinct_short(["short", "x" * 40]) == ["short", "x" * 35 + "…"]
    labels = charts._distinct_short(["x" * 50 + "a", "x" * 50 + "b", "x" * 60 + "a"])
    assert labels[0].endswith("…" + "x" * 17 + "a") and labels[1].endswith("b")
    assert labels[2] == labels[0] + " (2)"  # the same start and the same end: numbered
    assert len(set(labels)) == 3
