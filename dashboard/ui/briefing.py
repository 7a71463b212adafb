"""The Briefing page's pieces: the sequence of views, one view's card in the manager (reorder,
rename, delete), the pack download, and the big-screen presenter."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pandas as pd
import streamlit as st

from .. import charts, fmt, maps, pack, queries, registry, settings, slides
from ..auth import Permission, least_role, require
from ..filters import FilterState, small_int
from ..saved_views import SavedView, ViewError, default_sequence
from . import access, session
from .layout import kpi_cards, plain, view_store

log = logging.getLogger(__name__)

BRIEFING_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] {display: none;}
/* One slide is one screen: the page is a column exactly the window's height, and the chart (or the map with its
   legend) takes whatever the marking, navigation, title, note, filters and KPIs leave. */
.stMainBlockContainer {max-width: 100%; height: 100vh; box-sizing: border-box; padding: .4rem 2.5rem;
  display: flex; flex-direction: column;}
.stMainBlockContainer > [data-testid="stVerticalBlock"] {flex: 1 1 0; min-height: 0; gap: .4rem;}
.stMainBlockContainer :is([data-testid="stLayoutWrapper"], [data-testid="stVerticalBlock"]):has(.st-key-brief_chart) {
  flex: 1 1 0; min-height: 0; display: flex; flex-direction: column; gap: .35rem;}
/* Streamlit leaves each text's paragraph margin hanging below its box (and a negative margin to hide it): the
   page would then scroll by those few pixels. */
.stMainBlockContainer :is([data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"]) {margin-bottom: 0;}
.stMainBlockContainer [data-testid="stMarkdownContainer"] p:last-child {margin-bottom: 0;}
.st-key-brief_chart {flex: 1 1 0; min-height: 160px;}
.st-key-brief_chart [data-testid="stElementContainer"]:has(:is(.stPlotlyChart, .stDeckGlJsonChart)) {
  flex: 1 1 0; min-height: 0; height: 100%;}
.st-key-brief_chart :is(.stPlotlyChart, .stDeckGlJsonChart, [data-testid="stFullScreenFrame"]) {height: 100%;}
/* Type for the room: sizes follow the window, from a 1366x768 laptop to a 1920x1080 screen and up. */
.stMainBlockContainer p, .stMainBlockContainer li {font-size: clamp(1.05rem, 1.25vw, 1.6rem);}
.st-key-brief_nav button p {font-size: clamp(1rem, 1.05vw, 1.35rem);}
.st-key-brief_nav {align-items: center;}
h1 {font-size: clamp(1.9rem, 2.5vw, 3.2rem) !important; padding: 0 0 .15rem !important; line-height: 1.15 !important;}
.st-key-brief_note p {display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 2; overflow: hidden;
  margin: 0; font-size: clamp(1.05rem, 1.25vw, 1.6rem);}
.st-key-brief_kpis [data-testid="stVerticalBlockBorderWrapper"], .st-key-brief_kpis [data-testid="stVerticalBlock"] {
  gap: 0;}
.st-key-brief_kpis [data-testid="stLayoutWrapper"] > [data-testid="stVerticalBlock"] {padding: .35rem .8rem;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {font-size: clamp(1.9rem, 2.6vw, 3.4rem) !important;
  line-height: 1.1;}
[data-testid="stMetricLabel"] p {font-size: clamp(1rem, 1.15vw, 1.5rem) !important;}
[data-testid="stMetricDelta"] div {font-size: clamp(.95rem, 1vw, 1.3rem);}
.st-key-brief_source p, .st-key-brief_source p * {font-size: clamp(1rem, 1vw, 1.35rem) !important; margin: 0;}
/* The chart's own title, written into its SVG at 30 px (draw_slide): smaller on a small window. */
@media (max-width: 1600px) {.st-key-brief_chart .gtitle {font-size: 24px !important;}}
.brief-legend {font-size: clamp(.95rem, 1vw, 1.3rem); line-height: 1.35; min-width: 12em;}
.brief-legend h3 {font-size: 1em; font-weight: 700; margin: .3em 0 .15em; padding: 0;}
.brief-legend ul {list-style: none; margin: 0; padding: 0;}
.brief-legend li {display: flex; align-items: center; gap: .45em; margin: 0; font-size: 1em !important;}
.brief-legend .swatch {flex: none; display: inline-block; width: 1.6em; height: .45em; border: 1px solid #191919;}
.brief-legend .dot {width: .9em; height: .9em; border-radius: 50%;}
.brief-legend .cell {width: .9em; height: .9em;}
.brief-legend .note {color: #5c5a58; font-size: .85em; margin: .4em 0 0;}
</style>"""
"""Big-screen layout and type for the presenter only: a constant, never data."""
CHANGED_KEY = "_brief_changed"


def sequence() -> tuple[list[SavedView], bool]:
    """(views, is_default): the saved views in order, or one view per page at the default filters."""
    try:
        saved = view_store().visible(access.current())
    except ViewError as exc:  # a damaged file is kept as it is: say so, present the default sequence
        log.warning("saved views unreadable: %s", exc)
        st.error(f"Saved views could not be read — {plain(str(exc))}", icon="⛔")
        saved = []
    if saved:
        return saved, False
    ids = tuple(v.id for v in session.versions())
    opts = session.filter_options(ids[-1], ids, ids[-1])
    return default_sequence(FilterState.default(opts)), True


def view_card(view: SavedView, i: int, count: int, editable: bool) -> None:
    """One view of the sequence: number, title, page, owner, note and link; move, delete and rename for
    its owner or an admin (the store checks again)."""
    who = access.current()
    with st.container(border=True):
        c1, c2 = st.columns([5, 2])
        c1.markdown(
            f"**{i + 1}. {plain(view.title)}** · {plain(registry.title(view.page))}  \n"
            f"{plain(view.note) if view.note else ''}"
        )
        if view.created_at:
            owner = view.owner_name or "saved before sign-in"
            c1.caption(f"Saved by {plain(owner)} · {'shared with the command' if view.shared else 'only you'}")
        c1.caption(f"Link: {plain((session.base_url() or '') + view.link())}")
        if not editable or not view.changeable_by(who):
            return
        b = c2.columns(4)
        if b[0].button("", icon=":material/arrow_upward:", key=f"brief_up_{view.id}", help="Move up", disabled=i == 0):
            _change(view, "move up", lambda: view_store().move(view.id, -1, actor=who))
        if b[1].button(
            "", icon=":material/arrow_downward:", key=f"brief_down_{view.id}", help="Move down", disabled=i == count - 1
        ):
            _change(view, "move down", lambda: view_store().move(view.id, +1, actor=who))
        if b[2].button("", icon=":material/delete:", key=f"brief_del_{view.id}", help="Delete"):
            _change(view, "delete", lambda: view_store().delete(view.id, actor=who))
        with b[3].popover("", icon=":material/edit:", help="Rename"), st.form(f"brief_edit_{view.id}", border=False):
            title = st.text_input("Title", value=view.title, max_chars=120)
            note = st.text_area("Why this matters", value=view.note, max_chars=2000)
            shared = st.checkbox("Share with the command", value=view.shared)
            if st.form_submit_button("Save"):
                _change(
                    view,
                    "edit",
                    lambda: view_store().update(view.id, title=title, note=note, shared=shared, actor=who),
                    {"new_title": title, "shared": shared},
                )


def _change(view: SavedView, action: str, do: Callable[[], object], extra: dict[str, object] | None = None) -> None:
    """Carry out a change to a saved view, record it, and redraw; a refusal is shown, nothing changes."""
    try:
        do()
    except ViewError as exc:
        st.error(plain(str(exc)))
        return
    access.record(
        "saved_view", access.current(), {"action": action, "id": view.id, "title": view.title, **(extra or {})}
    )
    st.rerun()


def pack_download(views: list[SavedView]) -> None:
    """Build the pack on request, then offer it as a download named after the marking."""
    who = access.current()
    if not who.can(Permission.BRIEFING_PACK):
        st.caption(f"Preparing the pack needs the {least_role(Permission.BRIEFING_PACK)} role.")
        return
    if st.button("Prepare the briefing pack", icon=":material/description:", key="brief_pack"):
        require(who, Permission.BRIEFING_PACK)  # the server's own check, whatever the page showed
        marking = settings.classification()
        with st.spinner("Building the pack…"):
            html = pack.build_pack(
                session.store(), views, marking, base_url=session.base_url(), produced_by=access.produced_by()
            )
        access.record(
            "briefing_pack",
            who,
            {"views": [{"id": v.id, "title": v.title, "link": v.link()} for v in views], "bytes": len(html)},
        )
        st.download_button(
            "Download the pack (HTML)",
            html.encode("utf-8"),
            mime="text/html",
            file_name=f"{marking.replace(' ', '-')}-tideline-briefing.html",
            key="brief_pack_download",
        )


def present(views: list[SavedView]) -> None:
    """One slide, big: title, note, KPIs, the main chart or map, source; ← → and auto-advance."""
    st.html(BRIEFING_CSS)
    n = len(views)
    raw, raw_auto = st.query_params.get("slide", "1"), st.query_params.get("auto", "")
    slide_no, auto = small_int(raw), small_int(raw_auto)
    if not slide_no or slide_no > n or (raw_auto and not auto):
        st.warning(
            f"Link parameter ignored — slide must be 1 to {n} and auto a number of seconds "
            f"(got slide={plain(raw[:20])}, auto={plain(raw_auto[:20])})",
            icon="⚠️",
        )
    index = slide_no - 1 if slide_no and slide_no <= n else 0
    every = min(max(auto, 5), 600) if auto else None

    def go(to: int) -> None:
        st.query_params["slide"] = str(to % n + 1)
        st.session_state[CHANGED_KEY] = time.monotonic()

    # One row of content-wide buttons: every label whole on a 1366 px window.
    with st.container(horizontal=True, key="brief_nav", vertical_alignment="center", gap="small"):
        st.button("◀ Previous", key="brief_prev", shortcut="Left", on_click=go, args=(index - 1,))
        st.button("Next ▶", key="brief_next", shortcut="Right", on_click=go, args=(index + 1,))
        st.markdown(
            f"**Slide {index + 1} of {n}**" + (f" · auto-advance every {every} s" if every else ""), width="content"
        )
        st.space("stretch")
        st.button("Exit", key="brief_exit", on_click=_exit)

    @st.fragment(run_every=every)
    def slide() -> None:
        changed = st.session_state.setdefault(CHANGED_KEY, time.monotonic())
        if every and time.monotonic() - changed >= every - 0.5:
            go(index + 1)
            st.rerun()  # a full run: the slide number, URL and content move together
        draw_slide(views[index])

    slide()


def _exit() -> None:
    st.query_params.pop("slide", None)


# The map is fitted to its data server-side, where the window's size is unknown: fitted to the map's
# size on the smallest screen presented on (1366x768), it shows the whole view on every larger one.
SLIDE_MAP_FIT_PX = (1060, 400)
SLIDE_FONT, SLIDE_TITLE_FONT = 20, 30  # px in the chart's SVG (the CSS takes the title to 24 px below 1600 px)


def draw_slide(view: SavedView) -> None:
    """A view as a slide: its title and note, the filters, its page's four KPIs and main figure, and
    the figure's source; BRIEFING_CSS fits it to one screen (the chart takes the height left)."""
    s = slides.build_slide(session.store(), view)
    st.title(plain(view.title), anchor=False, wrap=False)
    if view.note:
        with st.container(key="brief_note"):  # two lines at most on the screen (the pack has it whole)
            st.markdown(plain(view.note))
    st.caption(plain(s.description) + (" · **Synthetic demo data — not real figures**" if s.synthetic else ""))
    with st.container(key="brief_kpis"):
        kpi_cards(s.shown_kpis, s.state, per_row=4)
    is_map = s.page.slide is not None and s.page.slide.figure == "routes_map"
    with st.container(key="brief_chart", horizontal=is_map, gap="small"):
        if is_map:  # the live map rather than its print form
            _slide_map(s, view)
        else:
            _slide_chart(s, view)
    with st.container(key="brief_source"):  # the source, and who is showing it when (next to the marking)
        st.caption(plain(f"{s.source} · {access.stamp().replace('Produced', 'Shown')}"))


def _slide_chart(s: slides.Slide, view: SavedView) -> None:
    """The page's figure at room size, as tall as the screen leaves (its source is written under it)."""
    fig = s.figure
    wrapped = charts.wrap(s.source)
    fig.layout.annotations = [a for a in fig.layout.annotations if a.text != wrapped]
    fig.update_layout(
        height=None,
        autosize=True,
        font={"size": SLIDE_FONT},
        title={"font": {"size": SLIDE_TITLE_FONT}, "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 6}},
        legend={"font": {"size": SLIDE_FONT}},
        hoverlabel={"font": {"size": SLIDE_FONT}},
        margin={"l": 10, "r": 30, "t": 85, "b": 10},
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    st.plotly_chart(
        fig,
        key=f"brief_fig_{view.id}",
        theme=None,
        height="stretch",
        config={
            "displaylogo": False,
            "responsive": True,
            "toImageButtonOptions": {"format": "png", "scale": 2, "filename": f"tideline-brief-{view.id}"},
        },
    )


def _slide_map(s: slides.Slide, view: SavedView) -> None:
    """Routes and incidents, fitted to the view's data, with a compact legend beside the map."""
    kind, incidents = session.cached(queries.map_incidents, s.state)  # cached: auto-advance redraws it
    routes = session.cached(queries.routes_with_flows, s.state)
    deck = maps.build_map_deck(
        routes=routes,
        points=incidents if kind == "points" else None,
        cells=incidents if kind == "cells" else None,
        view=maps.fit_view(incidents, routes, *SLIDE_MAP_FIT_PX),
        style="dark",
    )
    st.pydeck_chart(deck, height="stretch", key=f"brief_map_{view.id}", alt="Map of routes and incidents")
    st.html(map_legend(kind, incidents, routes), width="content")


def map_legend(kind: str, incidents: pd.DataFrame, routes: pd.DataFrame, style: str = "dark") -> str:
    """The map slide's legend as HTML: the routes and incident types it shows (or its cell shades)."""
    shown = set(routes["route"]) if len(routes) else set()
    groups = [("Routes (width by flow)", "swatch", [i for i in maps.legend_items("routes", style) if i[0] in shown])]
    if kind == "points":
        types = {str(t).capitalize() for t in incidents["incident_type"]} if len(incidents) else set()
        items = [i for i in maps.legend_items("incident_types", style) if i[0] in types]
        groups.append(("Incidents (size by people)", "swatch dot", items))
    else:
        top = int(incidents["incidents"].max()) if len(incidents) else 1
        groups.append(("Incidents per grid cell", "swatch cell", maps.legend_items("cells", style, top)))
    html = ['<div class="brief-legend" aria-label="Map legend">']
    for title, swatch, items in groups:
        if not items:
            continue
        html.append(f"<h3>{fmt.esc(title)}</h3><ul>")
        html += [
            f'<li><span class="{swatch}" style="background: {maps.to_hex(rgb)}" aria-hidden="true"></span>'
            f"{fmt.esc(label)}</li>"
            for label, rgb in items
        ]
        html.append("</ul>")
    if kind == "points" and len(incidents):
        html.append('<p class="note">Dead or missing: thicker ring</p>')
    html.append("</div>")
    return "".join(html)
