"""The Map page's widgets: focus and zoom controls, the legend, a clicked incident's details and
the table of what the map shows. Each takes what it draws as parameters."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from .. import maps
from .layout import empty_state, plain

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
    """Colour keys for the layers shown, with a line on what widths, sizes and shades mean."""
    routes = maps.legend_items("routes", style) if show_routes else []
    marks: list[tuple[str, list[int]]] = []
    notes = ["Route lines: width follows the flow in the period."] if show_routes else []
    if show_incidents and kind == "points":
        marks = maps.legend_items("incident_types", style)
        notes.append("Incident dots: size follows the number of people; dead or missing have a thicker ring.")
    elif show_incidents:
        marks = maps.legend_items("cells", style, int(incidents["incidents"].max()) if len(incidents) else 1)
        if len(incidents):
            notes.append(
                f"Cells: {incidents['cell_size_deg'].iloc[0]:g}° grid squares shaded by the number of "
                "incidents (log scale)."
            )
    if not routes and not marks:
        return
    with st.expander("Legend", expanded=True):
        st.caption(" ".join(notes))
        groups = [("Routes", routes), ("Incidents", marks)]
        for col, (title, group) in zip(st.columns(len(groups)), groups, strict=True):
            if group:
                # A filled swatch, not a coloured "●": a small yellow or light-grey glyph is lost on white.
                key = pd.DataFrame({"Key": [""] * len(group), title: [label for label, _ in group]})
                swatches = [f"background-color: {maps.to_hex(rgb)}" for _, rgb in group]
                col.dataframe(
                    key.style.apply(lambda _, c=swatches: c, subset=["Key"]),
                    hide_index=True,
                    width="content",
                    height=38 + 35 * len(group),
                )


def details(event: Any, points: pd.DataFrame | None, max_points: int) -> None:
    """The clicked incident's fields under the map (points only: cells are not single incidents)."""
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


def table(kind: str, incidents: pd.DataFrame, routes: pd.DataFrame) -> None:
    """Everything the map shows, as tables: the accessible way to the same data."""
    st.subheader("What the map shows")
    tab_i, tab_r = st.tabs(["Incidents" if kind == "points" else "Incident grid cells", "Routes"])
    with tab_i:
        if incidents.empty:
            empty_state("No incidents for these filters", "widen the period or clear the region, route or type")
        else:
            st.dataframe(incidents, hide_index=True, placeholder="–", width="stretch", height=360)
    with tab_r:
        st.dataframe(routes.drop(columns=["path"]), hide_index=True, placeholder="–", width="stretch")
