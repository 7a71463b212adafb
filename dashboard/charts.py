"""Figure builders: make_<x>_figure(frame, source=…) -> plotly Figure. Pure: no drawing, no
module-level mutable layout. Every figure has a title with units and a source line; series
differ by dash, marker or text as well as colour (Okabe–Ito), so none relies on colour alone."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from . import fmt

_TEMPLATE = pio.templates["plotly_white"]

# Okabe–Ito colour-blind-safe palette.
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SKY, PURPLE, YELLOW, BLACK, GREY = "#56B4E9", "#CC79A7", "#F0E442", "#000000", "#8C8C8C"
PALETTE = [BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, BLACK]
NOW, PREVIOUS = BLUE, GREY  # one accent for "now", a muted one for "previous"
HEIGHT = 440
FONT = 17


def figure(*data) -> go.Figure:
    """A new figure on plotly_white, whatever the process-wide default (importing streamlit sets its
    own). The template is attached as plotly attaches its default one, without validating it again:
    ~0.5 ms, where template="plotly_white" costs ~9 ms a figure, a tenth of a page's rerun."""
    fig = go.Figure(*data)
    validate = fig.layout._validate
    fig.layout._validate = False
    try:
        fig.layout.template = _TEMPLATE
    finally:
        fig.layout._validate = validate
    return fig


def layout(
    fig: go.Figure,
    title: str,
    source: str,
    *,
    height: int = HEIGHT,
    legend: bool = True,
    yaxis: str | None = None,
    xaxis: str | None = None,
) -> go.Figure:
    fig.update_layout(
        title={"text": fmt.esc(title), "font": {"size": FONT + 5}, "x": 0, "xanchor": "left"},
        height=height,
        font={"size": FONT, "family": "Source Sans Pro, Arial, sans-serif"},
        margin={"l": 70, "r": 30, "t": 70, "b": 110},
        colorway=PALETTE,
        showlegend=legend,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        hoverlabel={"font": {"size": FONT}},
        separators=".,",
    )
    # A fixed pixel offset below the plot, so the source line sits in the bottom margin at any height.
    fig.add_annotation(
        text=wrap(source),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-58,
        showarrow=False,
        xanchor="left",
        yanchor="top",
        align="left",
        font={"size": FONT - 3, "color": "#444444"},
    )
    if yaxis:
        fig.update_yaxes(title_text=yaxis, tickformat=",")
    if xaxis:
        fig.update_xaxes(title_text=xaxis)
    return fig


def _esc(values: pd.Series) -> pd.Series:
    """Data-derived labels as plain text: plotly would read tags in tick and hover labels."""
    return values.astype(str).map(fmt.esc)


def _short_ticks(fig: go.Figure, axis: str, raw: pd.Series) -> None:
    """Long data-derived category labels are cut on the axis, so they cannot squeeze the plot; the
    hover keeps the full text. Tick values stay the full labels, so two long names never merge."""
    values = list(dict.fromkeys(raw.astype(str)))
    if any(len(fmt.text(v)) > fmt.LABEL_MAX for v in values):
        update = fig.update_yaxes if axis == "y" else fig.update_xaxes
        update(
            tickmode="array",
            tickvals=[fmt.esc(v) for v in values],
            ticktext=[fmt.esc(t) for t in _distinct_short(values)],
        )


def _distinct_short(values: list[str]) -> list[str]:
    """Each label cut to fit, and no two alike: names that share a long start keep their ends
    ("Operation Kestrel North…" twice becomes "Operation Kes…ing North" and "…ing South")."""
    first = [fmt.short(v) for v in values]
    short = list(first)
    half = fmt.LABEL_MAX // 2
    for i, v in enumerate(values):
        if first.count(first[i]) > 1:
            t = fmt.text(v)
            short[i] = t if len(t) <= fmt.LABEL_MAX else t[: half - 1].rstrip() + "…" + t[-half:].lstrip()
    seen: dict[str, int] = {}
    for i, label in enumerate(short):  # still alike (the same start and end): number them
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            short[i] = f"{label} ({seen[label]})"
    return short


def wrap(text: str, width: int = 70) -> str:
    """Break a long source line at its ' · ' separators so it fits under a half-width chart.

    Plotly reads annotation text as a small HTML subset: the text (which may come from data) is
    escaped first, so only the line breaks added here are markup."""
    lines, line = [], ""
    for part in fmt.esc(text).split(" · "):
        candidate = f"{line} · {part}" if line else part
        if line and len(candidate) > width:
            lines.append(line)
            candidate = part
        line = candidate
    return "<br>".join([*lines, line])


def make_weekly_trend_figure(df: pd.DataFrame, source: str) -> go.Figure:
    """People arrived per week, with the same weeks a year earlier (dashed, muted)."""
    fig = figure()
    fig.add_scatter(
        x=df["period"],
        y=df["people_previous_year"],
        name="Same weeks a year earlier",
        mode="lines",
        line={"color": PREVIOUS, "width": 3, "dash": "dash"},
        hovertemplate="Week of %{x|%-d %b %Y}<br>%{y:,} people a year earlier<extra></extra>",
    )
    fig.add_scatter(
        x=df["period"],
        y=df["people"],
        name="This period",
        mode="lines+markers",
        line={"color": NOW, "width": 4},
        marker={"size": 7},
        hovertemplate="Week of %{x|%-d %b %Y}<br>%{y:,} people<extra></extra>",
    )
    return layout(fig, "People arrived by small boat, per week (people)", source, yaxis="People per week")


def make_routes_figure(df: pd.DataFrame, value: str, label: str, source: str, title: str) -> go.Figure:
    """Routes ranked by a volume column, largest at the top, values written on the bars."""
    d = df.dropna(subset=[value]).sort_values(value)
    fig = figure(
        go.Bar(
            x=d[value],
            y=_esc(d["route"]),
            customdata=d["route"].astype(str).tolist(),  # the raw name, for a click to filter by (not shown)
            orientation="h",
            marker_color=BLUE,
            text=[f"{v:,.0f}" for v in d[value]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}<br>%{x:,} " + label + "<extra></extra>",
        )
    )
    top = float(d[value].max()) if len(d) else 1.0
    fig.update_xaxes(title_text=label.capitalize(), tickformat=",", range=[0, top * 1.18])  # room for labels
    _short_ticks(fig, "y", d["route"])
    return layout(fig, title, source, legend=False, height=max(HEIGHT, 70 + 48 * len(d)))


def make_funding_figure(df: pd.DataFrame, source: str) -> go.Figure:
    """Allocation vs spend by financial year (grouped bars, the spend bars hatched)."""
    d = df.groupby(["financial_year"], as_index=False)[["allocated_gbp", "spent_gbp"]].sum(min_count=1)
    fig = figure()
    fig.add_bar(
        x=d["financial_year"],
        y=d["allocated_gbp"] / 1e6,
        name="Allocated",
        marker_color=SKY,
        text=[f"£{v:,.1f}m" for v in d["allocated_gbp"] / 1e6],
        textposition="outside",
        hovertemplate="%{x}<br>Allocated £%{y:,.1f}m<extra></extra>",
    )
    fig.add_bar(
        x=d["financial_year"],
        y=d["spent_gbp"] / 1e6,
        name="Spent to date",
        marker_color=BLUE,
        marker_pattern_shape="/",
        text=[("" if pd.isna(v) else f"£{v:,.1f}m") for v in d["spent_gbp"] / 1e6],
        textposition="outside",
        hovertemplate="%{x}<br>Spent £%{y:,.1f}m<extra></extra>",
    )
    fig.update_layout(barmode="group")
    return layout(
        fig,
        "Allocation and spend by financial year (£ million)",
        source,
        yaxis="£ million",
        xaxis="Financial year (April–March)",
    )


def make_burnup_figure(df: pd.DataFrame, source: str, title: str) -> go.Figure:
    """Cumulative spend against cumulative allocation (the plan)."""
    fig = figure()
    fig.add_scatter(
        x=df["month"],
        y=df["cumulative_allocated_gbp"] / 1e6,
        name="Plan (cumulative allocation)",
        mode="lines",
        line={"color": GREY, "width": 3, "dash": "dash"},
        hovertemplate="%{x|%b %Y}<br>Plan £%{y:,.1f}m<extra></extra>",
    )
    fig.add_scatter(
        x=df["month"],
        y=df["cumulative_spent_gbp"] / 1e6,
        name="Spent (cumulative)",
        mode="lines+markers",
        line={"color": BLUE, "width": 4},
        marker={"size": 6},
        hovertemplate="%{x|%b %Y}<br>Spent £%{y:,.1f}m<extra></extra>",
    )
    return layout(fig, title, source, yaxis="£ million, cumulative")


def make_staffing_figure(df: pd.DataFrame, source: str) -> go.Figure:
    """Planned (dashed) vs in-post (solid, markers) headcount per organisation."""
    fig = figure()
    symbols = ["circle", "square", "diamond", "triangle-up"]
    for i, (org_raw, g) in enumerate(df.groupby("organisation", sort=True)):
        org, org_short = fmt.esc(org_raw), fmt.esc(fmt.short(org_raw))
        colour = PALETTE[i % len(PALETTE)]
        fig.add_scatter(
            x=g["month"],
            y=g["planned"],
            name=f"{org_short} planned",
            mode="lines",
            line={"color": colour, "width": 3, "dash": "dash"},
            hovertemplate=f"{org}<br>%{{x|%b %Y}}: %{{y:,}} planned<extra></extra>",
        )
        fig.add_scatter(
            x=g["month"],
            y=g["in_post"],
            name=f"{org_short} in post",
            mode="lines+markers",
            line={"color": colour, "width": 4},
            marker={"symbol": symbols[i % 4], "size": 7},
            hovertemplate=f"{org}<br>%{{x|%b %Y}}: %{{y:,}} in post<extra></extra>",
        )
    return layout(fig, "Staff planned and in post (headcount)", source, yaxis="Headcount")


def make_staffing_units_figure(df: pd.DataFrame, source: str, as_of: str) -> go.Figure:
    """Planned vs in post per unit at one month (horizontal grouped bars, values written)."""
    d = df.assign(raw=df["organisation"] + " · " + df["unit"]).sort_values(["organisation", "unit"], ascending=False)
    d = d.assign(label=_esc(d["raw"]))
    fig = figure()
    fig.add_bar(
        y=d["label"],
        x=d["planned"],
        name="Planned",
        orientation="h",
        marker_color=SKY,
        text=[f"{v:,.0f}" for v in d["planned"]],
        textposition="outside",
        cliponaxis=False,
    )
    fig.add_bar(
        y=d["label"],
        x=d["in_post"],
        name="In post",
        orientation="h",
        marker_color=BLUE,
        marker_pattern_shape="/",
        text=[f"{v:,.0f}" for v in d["in_post"]],
        textposition="outside",
        cliponaxis=False,
    )
    fig.update_layout(barmode="group")
    _short_ticks(fig, "y", d["raw"])
    return layout(
        fig, f"Headcount by unit at {as_of} (staff)", source, xaxis="Headcount", height=max(HEIGHT, 100 + 60 * len(d))
    )


def make_spend_outcomes_figure(df: pd.DataFrame, source: str) -> go.Figure:
    """Monthly spend (bars, left axis: £m) next to outcomes (lines, right axis: whole counts)."""
    fig = figure()
    fig.add_bar(
        x=df["month"],
        y=df["spent_gbp"] / 1e6,
        name="BSC spend (£m)",
        marker_color=SKY,
        hovertemplate="%{x|%b %Y}<br>Spend £%{y:,.1f}m<extra></extra>",
    )
    fig.add_scatter(
        x=df["month"],
        y=df["networks_disrupted"],
        name="Networks disrupted",
        yaxis="y2",
        mode="lines+markers",
        line={"color": VERMILLION, "width": 3},
        marker={"symbol": "diamond", "size": 9},
        hovertemplate="%{x|%b %Y}<br>%{y:,} networks disrupted<extra></extra>",
    )
    fig.add_scatter(
        x=df["month"],
        y=df["people_prevented"] / 100,
        name="People prevented (hundreds)",
        yaxis="y2",
        mode="lines+markers",
        line={"color": GREEN, "width": 3, "dash": "dot"},
        marker={"symbol": "square", "size": 7},
        hovertemplate="%{x|%b %Y}<br>%{y:,.1f} hundred people prevented<extra></extra>",
    )
    fig = layout(fig, "Spend next to outcomes, per month (£ million; counts)", source)
    # Set after layout(): its yaxis= would title and format every y axis, the right one included.
    fig.update_layout(
        yaxis=SPEND_AXIS,
        yaxis2={
            **COUNT_AXIS,
            "title": {"text": "Outcomes (count;<br>people prevented in hundreds)"},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            # An overlaying axis syncs its ticks with the left one by default: 9.128… steps. Its own nice
            # steps instead (no grid of its own, so the two never draw conflicting lines).
            "tickmode": "auto",
            **_whole_ticks(df["networks_disrupted"], df["people_prevented"] / 100),
        },
    )
    return fig


# Money axes in £ million with one decimal; count axes in whole numbers with thousands separators.
SPEND_AXIS = {
    "title": {"text": "Spend (£ million)"},
    "tickprefix": "£",
    "ticksuffix": "m",
    "tickformat": ",.1f",
    "rangemode": "tozero",
}
COUNT_AXIS = {"tickformat": ",d", "rangemode": "tozero"}


def _whole_ticks(*series: pd.Series) -> dict[str, float]:
    """dtick=1 for a count axis whose values stay small: plotly would put ticks at 0.5 steps, written as
    whole numbers twice ("0, 1, 1, 2")."""
    top = max((float(s.max()) for s in series if s.notna().any()), default=0.0)
    return {"dtick": 1} if top <= 5 else {}


def make_timeline_figure(df: pd.DataFrame, source: str, period_end: pd.Timestamp) -> go.Figure:
    """Operations as start–end bars (active ones run to the period end), labelled by status."""
    d = df.sort_values("start_date", ascending=False).head(60)
    raw_names = d["name"]
    d = d.assign(name=_esc(d["name"]), lead_agency=_esc(d["lead_agency"]))
    end = pd.to_datetime(d["end_date"]).fillna(period_end)
    start = pd.to_datetime(d["start_date"])
    styles = {"active": (BLUE, ""), "concluded": (GREY, ""), "suspended": (ORANGE, "x")}
    fig = figure()
    for status, (colour, pattern) in styles.items():
        m = d["status"] == status
        if not m.any():
            continue
        fig.add_bar(
            y=d.loc[m, "name"],
            x=(end[m] - start[m]).dt.days * 86_400_000,
            base=start[m],
            orientation="h",
            name=status.capitalize(),
            marker_color=colour,
            marker_pattern_shape=pattern,
            customdata=d.loc[m, ["operation_id", "lead_agency"]].values,
            hovertemplate="%{y} (%{customdata[0]})<br>%{base|%-d %b %Y} – %{x}<br>Lead: %{customdata[1]}"
            "<extra>" + status + "</extra>",
        )
    fig.update_xaxes(type="date")
    fig.update_yaxes(categoryorder="array", categoryarray=list(d["name"])[::-1])
    _short_ticks(fig, "y", raw_names)
    _every_category(fig, "y")
    return layout(fig, "Operations timeline (start to end)", source, height=_rows_height(len(d), ROW_PX))


def make_outcomes_by_region_figure(df: pd.DataFrame, source: str) -> go.Figure:
    """Arrests, charges, convictions and networks disrupted per region (grouped horizontal bars, values
    written). Regions are named on the y axis, horizontally: as x-axis labels they were rotated into the
    source line under the chart."""
    measures = [
        ("arrests", "Arrests", BLUE, ""),
        ("charges", "Charges", ORANGE, "/"),
        ("convictions", "Convictions", GREEN, "x"),
        ("networks_disrupted", "Networks disrupted", VERMILLION, "."),
    ]
    g = df.groupby("region", as_index=False)[[m[0] for m in measures]].sum()
    regions = _esc(g["region"])
    fig = figure()
    # Plotly draws a group's first bar at the bottom: add them last to first, and reverse the legend, so
    # both read Arrests … Networks disrupted from the top.
    for col, label, colour, pattern in reversed(measures):
        fig.add_bar(
            y=regions,
            x=g[col],
            customdata=g["region"].astype(str).tolist(),  # the raw name, for a click to filter by (not shown)
            orientation="h",
            name=label,
            marker_color=colour,
            marker_pattern_shape=pattern,
            text=[f"{v:,.0f}" for v in g[col]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}<br>%{x:,} " + label.lower() + "<extra></extra>",
        )
    top = float(g[[m[0] for m in measures]].max().max()) if len(g) else 0.0
    fig.update_layout(barmode="group", legend={"traceorder": "reversed"})
    fig.update_xaxes(range=[0, max(top, 1.0) * 1.15])  # room for the values written outside the bars
    fig.update_yaxes(categoryorder="array", categoryarray=list(regions)[::-1])  # A–Z from the top
    _short_ticks(fig, "y", g["region"])
    _every_category(fig, "y")
    height = _rows_height(len(g), REGION_PX)
    fig = layout(fig, "Operation outcomes by region (count)", source, xaxis="Count", height=height)
    # The region names narrow the plot, so in a half-width column the legend takes two rows: room for them
    # in the top margin, the legend a fixed 6 px above the plot (layout()'s 2 % of a tall plot is 20 px), and
    # the title pinned to the top rather than centred in the margin, over the legend.
    top = 70 + LEGEND_ROW_PX
    fig.update_layout(
        margin={"t": top},
        legend={"y": 1 + 6 / (height - top - fig.layout.margin.b)},
        title={"y": 1, "yanchor": "top", "pad": {"t": 12}},
    )
    return fig.update_xaxes(**COUNT_AXIS)


# Pixels per category row: the timeline's bars, and a region's group of four bars each with its value.
ROW_PX, REGION_PX = 24, 100
_MARGIN_Y = 70 + 110  # layout()'s top and bottom margins
LEGEND_ROW_PX = 30


def _rows_height(rows: int, per_row: int) -> int:
    """A figure tall enough that every category row gets `per_row` pixels of plot (tick labels at FONT
    need ~21 px: below that plotly labels only every other row)."""
    return max(HEIGHT, _MARGIN_Y + per_row * rows)


def _every_category(fig: go.Figure, axis: str) -> None:
    """A tick label on every category (plotly's auto ticks skip rows when they look crowded). Labels cut
    by _short_ticks are listed one per category already."""
    ax = fig.layout.yaxis if axis == "y" else fig.layout.xaxis
    if ax.tickmode != "array":
        (fig.update_yaxes if axis == "y" else fig.update_xaxes)(tickmode="linear", tick0=0, dtick=1)


def make_empty_figure(title: str, message: str, source: str) -> go.Figure:
    """A titled, sourced figure that says there is nothing to draw."""
    fig = figure()
    fig.add_annotation(
        text=fmt.esc(message),
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": FONT + 3, "color": "#444444"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, title, source, legend=False)


def make_provenance_figure(prov: pd.DataFrame, title: str, source: str) -> go.Figure:
    """Per table and source: rows, as-of and the version that loaded them, as a table figure."""
    fig = figure(
        go.Table(
            columnwidth=[2, 4, 1.2, 1.6, 1.2],
            header={
                "values": ["Table", "Source", "Rows", "As of", "Loaded in version"],
                "align": "left",
                "font": {"size": FONT, "color": "white"},
                "fill_color": BLUE,
                "height": 30,
            },
            cells={
                "values": [
                    [fmt.esc(v) for v in prov["table_name"]],
                    [fmt.esc(v) for v in prov["source"]],
                    [fmt.number(v) for v in prov["rows"]],
                    [fmt.as_of(v) for v in prov["as_of"]],
                    [fmt.number(v) for v in prov["loaded_version"]],
                ],
                "align": "left",
                "font": {"size": FONT - 1},
                "height": 26,
            },
        )
    )
    fig = layout(fig, title, source, legend=False, height=150 + 26 * len(prov))
    return fig.update_layout(margin={"t": 60})


# -- who arrives, and how ---------------------------------------------------------------------------
METHOD_STYLE = {  # colour and bar pattern: methods differ by pattern as well as colour
    "Small boat arrivals": (BLUE, ""),
    "Inadequately documented air arrivals": (ORANGE, "/"),
    "Recorded detections at UK ports": (GREEN, "x"),
    "Recorded detections in the UK": (PURPLE, "."),
}


def quarter_label(d: object) -> str:
    """'2025 Q3' for the first day of a quarter."""
    ts = pd.Timestamp(d)  # type: ignore[arg-type]
    return f"{ts.year} Q{(ts.month - 1) // 3 + 1}"


def make_arrivals_by_method_figure(df: pd.DataFrame, source: str, small_boat_share: str) -> go.Figure:
    """Detected arrivals per quarter, stacked by method of entry; the small-boat share in the title."""
    fig = figure()
    quarters = sorted(df["quarter_start"].unique())
    labels = [quarter_label(q) for q in quarters]
    for i, (method, part) in enumerate(df.groupby("method", sort=False)):
        colour, pattern = METHOD_STYLE.get(str(method), (PALETTE[i % len(PALETTE)], "-"))
        values = part.set_index("quarter_start")["detections"].reindex(quarters)
        fig.add_bar(
            x=labels,
            y=values,
            name=fmt.esc(str(method)),
            marker={"color": colour, "pattern": {"shape": pattern}},
            hovertemplate="%{x}<br>%{y:,} people · " + fmt.esc(str(method)) + "<extra></extra>",
        )
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.32, "x": 0, "xanchor": "left"})
    fig.update_xaxes(type="category")
    return layout(
        fig,
        f"Detected irregular arrivals per quarter, by method of entry (people) · {small_boat_share}",
        source,
        yaxis="People detected",
        height=HEIGHT + 60,
    )


def make_top_nationalities_figure(
    df: pd.DataFrame, source: str, title: str, bar_name: str = "This quarter", unit: str = "people"
) -> go.Figure:
    """Nationalities ranked by detections, with the same quarter a year earlier as a marker when the frame
    has a `year_earlier` column."""
    d = df.sort_values("detections")
    earlier = d["year_earlier"] if "year_earlier" in d.columns else pd.Series(dtype="float64")
    fig = figure()
    fig.add_bar(
        x=d["detections"],
        y=_esc(d["nationality"]),
        orientation="h",
        name=bar_name,
        marker_color=NOW,
        text=[fmt.number(v) for v in d["detections"]],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}<br>%{x:,} " + unit + "<extra></extra>",
    )
    if earlier.notna().any():
        fig.add_scatter(
            x=earlier,
            y=_esc(d["nationality"]),
            mode="markers",
            name="Same quarter a year earlier",
            marker={"symbol": "line-ns", "size": 22, "line": {"width": 4, "color": BLACK}},
            hovertemplate="%{y}<br>%{x:,} " + unit + " a year earlier<extra></extra>",
        )
    top = float(pd.concat([d["detections"], earlier]).max() or 1)
    fig.update_xaxes(
        title_text=unit.capitalize() + " detected" if unit == "people" else unit.capitalize(),
        tickformat=",",
        range=[0, top * 1.2],
    )
    _short_ticks(fig, "y", d["nationality"])
    return layout(fig, title, source, legend=bool(earlier.notna().any()), height=max(HEIGHT, 110 + 40 * len(d)))


def make_sex_age_figure(df: pd.DataFrame, source: str, title: str) -> go.Figure:
    """Detections by age group, one bar per sex (grouped), age groups in their natural order."""
    order = ["Under 18", "18 to 24", "25 to 39", "40 and over", "Not known"]
    ages = [a for a in order if a in set(df["age_group"])] + sorted(set(df["age_group"].dropna()) - set(order))
    fig = figure()
    styles = {"Male": (BLUE, ""), "Female": (ORANGE, "/")}
    for sex, part in df.groupby("sex", sort=True):
        colour, pattern = styles.get(str(sex), (GREY, "x"))
        values = part.set_index("age_group")["detections"].reindex(ages)
        fig.add_bar(
            x=_esc(pd.Series(ages)),
            y=values,
            name=fmt.esc(str(sex)),
            marker={"color": colour, "pattern": {"shape": pattern}},
            hovertemplate="%{x}<br>%{y:,} people · " + fmt.esc(str(sex)) + "<extra></extra>",
        )
    fig.update_layout(barmode="group")
    return layout(fig, title, source, yaxis="People detected", xaxis="Age group")


def make_asylum_figure(df: pd.DataFrame, source: str) -> go.Figure:
    """Small-boat arrivals per quarter (bars) and their asylum applications raised (line), UASC dotted."""
    labels = [quarter_label(q) for q in df["quarter_start"]]
    fig = figure()
    fig.add_bar(
        x=labels,
        y=df["small_boat_arrivals"],
        name="Small-boat arrivals",
        marker_color=SKY,
        hovertemplate="%{x}<br>%{y:,} small-boat arrivals<extra></extra>",
    )
    fig.add_scatter(
        x=labels,
        y=df["applications"],
        name="Asylum applications raised",
        mode="lines+markers",
        line={"color": VERMILLION, "width": 4},
        marker={"size": 8, "symbol": "diamond"},
        hovertemplate="%{x}<br>%{y:,} applications raised<extra></extra>",
    )
    fig.add_scatter(
        x=labels,
        y=df["uasc"],
        name="of which UASC",
        mode="lines+markers",
        line={"color": BLACK, "width": 3, "dash": "dot"},
        hovertemplate="%{x}<br>%{y:,} unaccompanied children<extra></extra>",
    )
    fig.update_xaxes(type="category")
    return layout(
        fig, "Small-boat arrivals and their asylum applications, per quarter (people)", source, yaxis="People"
    )
