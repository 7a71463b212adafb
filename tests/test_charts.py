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


# -- axes, labels and the source line (issue items 10 and 11) -------------------------------------------
def _ops(n: int, regions: int = 4) -> pd.DataFrame:
    """n operations over `regions` regions, newest last, with outcomes."""
    return pd.DataFrame(
        {
            "operation_id": [f"OP{i}" for i in range(n)],
            "name": [f"Operation {i}" for i in range(n)],
            "lead_agency": "NCA",
            "status": ["active", "concluded", "suspended"] * (n // 3) + ["active"] * (n % 3),
            "start_date": pd.date_range("2024-01-01", periods=n, freq="5D"),
            "end_date": [None] * n,
            "region": [f"Region {i % regions}" for i in range(n)],
            "arrests": range(n),
            "charges": 1,
            "convictions": 1,
            "networks_disrupted": 2,
        }
    )


def _plot_px_per_row(fig, rows: int) -> float:
    m = fig.layout.margin
    return (fig.layout.height - m.t - m.b) / rows


def _labels_every_category(axis, rows: int) -> bool:
    if axis.tickmode == "array":
        return len(axis.tickvals) == rows
    return axis.tickmode == "linear" and axis.dtick == 1 and axis.tick0 == 0


def test_spend_outcomes_left_axis_is_money_and_right_axis_whole_counts(con):
    fig = charts.make_spend_outcomes_figure(q.spend_and_outcomes(con, JAN), SOURCE)
    bar, *lines = fig.data
    assert bar.type == "bar" and bar.yaxis in (None, "y") and {t.yaxis for t in lines} == {"y2"}
    left, right = fig.layout.yaxis, fig.layout.yaxis2
    assert left.title.text == "Spend (£ million)"
    assert (left.tickprefix, left.ticksuffix, left.tickformat) == ("£", "m", ",.1f")  # £1.5m
    assert right.side == "right" and right.overlaying == "y"
    assert "count" in right.title.text and "£" not in right.title.text
    assert right.tickformat == ",d"  # whole numbers with separators, never '45.4841222165'
    assert right.tickmode == "auto"  # its own steps, not synced to the £ axis (9.128… steps)
    assert right.dtick == 1  # tiny counts (1 network, 0.4 hundred people): no '0, 1, 1, 2'


def test_spend_outcomes_large_counts_keep_plotly_steps():
    df = pd.DataFrame(
        {
            "month": pd.to_datetime(["2026-01-01", "2026-02-01"]),
            "spent_gbp": [5.2e6, 6.1e6],
            "networks_disrupted": [3, 46],
            "people_prevented": [1200, 3300],
        }
    )
    fig = charts.make_spend_outcomes_figure(df, SOURCE)
    assert fig.layout.yaxis2.dtick is None and fig.layout.yaxis2.tickformat == ",d"


@pytest.mark.parametrize("rows", [1, 5, 15, 30, 60])
def test_timeline_labels_every_bar(rows):
    fig = charts.make_timeline_figure(_ops(rows), SOURCE, pd.Timestamp("2025-01-31"))
    assert len({v for t in fig.data for v in t.y}) == rows
    assert _labels_every_category(fig.layout.yaxis, rows)
    # A tick label at FONT px needs ~1.2 × FONT: below that plotly drew every other one (at ~15 rows).
    assert _plot_px_per_row(fig, rows) >= 1.25 * charts.FONT
    assert fig.layout.yaxis.automargin is not False  # the names push the margin, never get cut


def test_timeline_cut_labels_still_label_every_bar():
    ops = _ops(15).assign(name=[f"Operation {'X' * 40} {i}" for i in range(15)])
    axis = charts.make_timeline_figure(ops, SOURCE, pd.Timestamp("2025-01-31")).layout.yaxis
    assert axis.tickmode == "array" and len(axis.tickvals) == 15 and len(set(axis.ticktext)) == 15


@pytest.mark.parametrize("regions", [1, 4, 10])
def test_outcomes_by_region_names_regions_across_not_under_the_plot(regions):
    fig = charts.make_outcomes_by_region_figure(_ops(40, regions), SOURCE)
    assert {t.orientation for t in fig.data} == {"h"}  # region names on the y axis, written horizontally
    assert {v for t in fig.data for v in t.y} == {f"Region {i}" for i in range(regions)}
    assert _labels_every_category(fig.layout.yaxis, regions)
    assert _plot_px_per_row(fig, regions) >= 4 * 1.1 * charts.FONT  # four bars a region, each with its value
    # Under the plot only numbers and 'Count' (one line each), above the source line in the bottom margin.
    assert fig.layout.xaxis.title.text == "Count" and fig.layout.xaxis.tickformat == ",d"
    assert fig.layout.xaxis.tickangle is None and fig.layout.xaxis.tickmode is None
    (source,) = [a for a in fig.layout.annotations if a.text == SOURCE]
    assert source.yref == "paper" and source.y == 0 and source.yshift <= -58 and fig.layout.margin.b >= 110
    assert fig.layout.xaxis.range[1] > max(t.x.max() for t in fig.data)  # room for the values
    legend = [t.name for t in fig.data]
    assert legend[::-1] == ["Arrests", "Charges", "Convictions", "Networks disrupted"]
    assert fig.layout.legend.traceorder == "reversed"  # the legend reads Arrests first, as the bars do


def test_outcomes_by_region_cuts_long_region_names_on_the_axis():
    ops = _ops(8, 2).assign(region=lambda d: d["region"] + " " + "y" * 50)
    axis = charts.make_outcomes_by_region_figure(ops, SOURCE).layout.yaxis
    assert axis.tickmode == "array" and len(axis.tickvals) == 2
    assert all(len(t) <= fmt.LABEL_MAX for t in axis.ticktext)
