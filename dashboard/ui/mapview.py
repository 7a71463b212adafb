"""The Map page's widgets: focus and zoom controls, the legend, a clicked incident's details and
the table of what the map shows. Each takes what it draws as parameters."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from .. import fmt, maps
from .layout import empty_state, incident_columns, plain, row_picker

FOCUS_KEY, ZOOM_KEY = "map_focus", "map_zoom_steps"


def _zoom(step: int) -> None:
    steps = st.session_state.get(ZOOM_KEY, 0) + step
    base = maps.FOCUS_VIEWS[st.session_state.get(FOCUS_KEY, next(iter(maps.FOCUS_VIEWS)))]
    if maps.zoomed(base, steps) != maps.zoomed(base, steps - step):  # not already at the limit
        st.session_state[ZOOM_KEY] = steps


def view_controls() -> dict[str, float]:
    """Focus and zoom buttons: the way round the map without dragging (the table below is the other)."""
    c1, c2, c3, c4 = st.columns([2.2, 1, 1, 3.5], vertical_alignment="bottom")
    focus = c1.selectbox(
        "Focus", list(maps.FOCUS_VIEWS), key=FOCUS_KEY, on_change=lambda: st.session_state.pop(ZOOM_KEY, None)
    )
    view = maps.zoomed(maps.FOCUS_VIEWS[focus], st.session_state.get(ZOOM_KEY, 0))
    c2.button(
        "Zoom out",
        icon=":material/zoom_out:",
        key="map_zoom_out",
        on_click=_zoom,
        args=(-1,),
        disabled=view["zoom"] <= maps.MIN_ZOOM,
        width="stretch",
    )
    c3.button(
        "Zoom in",
        icon=":material/zoom_in:",
        key="map_zoom_in",
        on_click=_zoom,
        args=(1,),
        disabled=view["zoom"] >= maps.MAX_ZOOM,
        width="stretch",
    )
    c4.caption(
        f"Zoom level {view['zoom']:g}. On the map itself: drag or scroll, or focus it (Tab) and use the "
        "arrow keys and + / −."
    )
    return view


def legend(kind: str, incidents: pd.DataFrame, style: str, show_routes: bool, show_incidents: bool) -> None:
    """The key to the layers shown, as a small box over the map's top-left corner (call it inside
    map_frame(), after the deck): colours, what widths, sizes and shades mean, as text in lists."""
    groups: list[tuple[str, str, str, list[tuple[str, list[int]]]]] = []  # title, note, swatch, items
    if show_routes:
        note = f"width = flow in the period, {maps.ARROW_GLYPH} = direction"
        groups.append(("Routes", note, "line", maps.legend_items("routes", style)))
    if show_incidents and kind == "points":
        note = "size = people, thick ring = dead or missing"
        groups.append(("Incidents", note, "dot", maps.legend_items("incident_types", style)))
    elif show_incidents and len(incidents):
        top = int(incidents["incidents"].max())
        note = f"{incidents['cell_size_deg'].iloc[0]:g}° squares, shade = count (log)"
        groups.append(("Incident cells", note, "cell", maps.legend_items("cells", style, top)))
    if not groups:
        return
    with st.expander("Legend", expanded=True, key=LEGEND_KEY):
        st.html(LEGEND_CSS + _legend_html(groups, style))


MAP_FRAME_KEY, LEGEND_KEY = "map_frame", "map_legend"
# The legend box over the deck's top-left corner: the frame (map_frame) is the box it is placed in. A
# constant: the legend's text is route and incident-type names from dashboard/schema.py and numbers.
LEGEND_CSS = """<style>
.st-key-map_frame {position: relative;}
.st-key-map_legend {position: absolute; top: 10px; left: 10px; z-index: 3; width: 232px;
  max-width: calc(100% - 20px); background: rgba(255, 255, 255, 0.95); border-radius: 8px;
  box-shadow: 0 1px 5px rgba(0, 0, 0, 0.35);}
.st-key-map_legend [data-testid="stExpanderDetails"] {padding: 2px 12px 6px;}
.st-key-map_legend:has(.tl-dark) {background: rgba(27, 36, 48, 0.95);}
.st-key-map_legend :is(details, summary) {transition: none;}
.st-key-map_legend:has(.tl-dark) :is(details, summary) {background: transparent; border-color: #5b6b7c;}
.st-key-map_legend:has(.tl-dark) summary, .st-key-map_legend:has(.tl-dark) summary * {color: #f2f2f2;}
.tl-legend {font-size: 13px; line-height: 1.3; color: #1a1a1a;}
.tl-legend.tl-dark {color: #f2f2f2;}
.tl-legend p {margin: 0 0 2px 0; font-size: 13px;}
.tl-legend p + p {margin-bottom: 3px;}
.tl-legend .tl-note {color: #4a4a4a; font-size: 12px;}
.tl-legend.tl-dark .tl-note {color: #c8d0d8;}
.tl-legend ul {list-style: none; margin: 0 0 6px 0; padding: 0;}
.tl-legend li {margin: 0; padding: 0; font-size: 13px; display: flex; align-items: center; gap: 7px;}
.tl-key {flex: none; display: inline-block; box-sizing: border-box; border: 1px solid #191919;}
.tl-dark .tl-key {border-color: #f0f0f0;}
.tl-line {width: 24px; height: 7px; border: 1.5px solid #1e1e1e; border-radius: 4px;}
.tl-dot {width: 11px; height: 11px; margin: 0 6.5px; border-radius: 50%;}
.tl-dot.tl-ring {border-width: 2.5px;}
.tl-cell {width: 13px; height: 13px; margin: 0 5.5px;}
</style>"""


def map_frame() -> Any:
    """The container to draw the deck and then legend() in: the legend box is placed over its corner."""
    return st.container(key=MAP_FRAME_KEY)


def _legend_html(groups: list[tuple[str, str, str, list[tuple[str, list[int]]]]], style: str) -> str:
    """The legend's lists: for each group a title, a note and (swatch, label) items; swatches are hidden
    from screen readers, which read the labels (colour is never the only key)."""
    parts = [f'<div class="tl-legend{" tl-dark" if style == "dark" else ""}">']
    for title, note, swatch, items in groups:
        parts.append(f'<p><strong>{fmt.esc(title)}</strong></p><p class="tl-note">{fmt.esc(note)}</p><ul>')
        for label, rgb in items:
            ring = " tl-ring" if swatch == "dot" and label.lower() == "dead or missing" else ""
            parts.append(
                f'<li><span class="tl-key tl-{swatch}{ring}" style="background: {maps.to_hex(rgb)}" '
                f'aria-hidden="true"></span>{fmt.esc(label)}</li>'
            )
        parts.append("</ul>")
    return "".join(parts) + "</div>"


def details(event: Any, points: pd.DataFrame | None, max_points: int, group: pd.DataFrame | None = None) -> None:
    """The clicked incident's fields under the map (points only: cells are not single incidents), and the
    other records of its group (`group`: IOM's Main ID, one event recorded at several places)."""
    if points is None:
        st.caption(
            f"More than {max_points:,} incidents, so the map shows grid cells: narrow the period, "
            "region, route or type to click individual incidents."
        )
        return
    objects = (getattr(event, "selection", None) or {}).get("objects", {}) if event else {}
    picked = objects.get("incidents") or []
    rows = points[points["incident_id"] == picked[0].get("incident_id")] if picked else points.iloc[:0]
    if rows.empty:
        st.caption("Click an incident dot to see its details here.")
        return
    r = rows.iloc[0]
    fields = maps.incident_details(r.to_dict())
    with st.container(border=True):
        st.markdown(f"**Incident {plain(r['incident_id'])}** · click it again, or anywhere else on the map, to clear")
        st.dataframe(
            pd.DataFrame(fields, columns=["Field", "Value"]),
            hide_index=True,
            width="content",
            height=38 + 35 * len(fields),
        )
        if group is not None and len(group) > 1:
            others = group[group["incident_id"] != r["incident_id"]]
            st.markdown(
                f"**Group {plain(group['group_id'].iloc[0])}**: {len(group)} records of one event "
                "(IOM Main ID: e.g. the same event recorded at several places). The other "
                f"record{'s' if len(others) != 1 else ''}:"
            )
            st.dataframe(
                others.drop(columns=["group_id"]),
                hide_index=True,
                placeholder="–",
                width="stretch",
                height=38 + 35 * min(len(others), 6),
                column_config=incident_columns(),
            )


def picked_incident(event: Any) -> str | None:
    """The id of the incident dot clicked on the map, if any."""
    objects = (getattr(event, "selection", None) or {}).get("objects", {}) if event else {}
    picked = objects.get("incidents") or []
    return str(picked[0].get("incident_id")) if picked else None


def table(kind: str, incidents: pd.DataFrame, routes: pd.DataFrame, picked: str | None = None) -> None:
    """Everything the map shows, as tables: the accessible way to the same data. The incident clicked on the
    map (`picked`) is the selected row of the incidents table."""
    st.subheader("What the map shows")
    tab_i, tab_r = st.tabs(["Incidents" if kind == "points" else "Incident grid cells", "Routes"])
    with tab_i:
        if incidents.empty:
            empty_state("No incidents for these filters", "widen the period or clear the region, route or type")
        else:
            row_picker(
                incidents,
                f"map_table_{picked or ''}",  # a new table when the pick changes: its selection follows
                "incident_id",
                picked if kind == "points" else None,
                height=360,
                column_config=incident_columns(),
            )
    with tab_r:
        st.dataframe(
            routes.drop(columns=["path", "source"], errors="ignore"),
            hide_index=True,
            placeholder="–",
            width="stretch",
            column_config={
                "route": st.column_config.TextColumn("Route"),
                "region": st.column_config.TextColumn("Region"),
                "mode": st.column_config.TextColumn("Mode"),
                "description": st.column_config.TextColumn("Description", width="large"),
                "detections": st.column_config.NumberColumn("Detections", format="%,d"),
                "people_arrived": st.column_config.NumberColumn("People arrived", format="%,d"),
                "people_or_flow": st.column_config.NumberColumn(
                    "Flow on the map", format="%,d", help="People arrived on the Channel, detections elsewhere"
                ),
            },
        )
