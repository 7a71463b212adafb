"""The Briefing page's pieces: the sequence of views, one view's card in the manager (reorder,
rename, delete), the pack download, and the big-screen presenter."""

from __future__ import annotations

import logging
import time

import streamlit as st

from .. import maps, pack, queries, registry, settings, slides
from ..filters import FilterState, small_int
from ..saved_views import SavedView, ViewError, default_sequence
from . import session
from .layout import chart, kpi_cards, plain, view_store

log = logging.getLogger(__name__)

BRIEFING_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] {display: none;}
.block-container {max-width: 100%; padding: 1.5rem 3rem;}
.stMainBlockContainer p, .stMainBlockContainer li {font-size: 1.45rem;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {font-size: 3.4rem !important; line-height: 1.15;}
[data-testid="stMetricLabel"] p {font-size: 1.5rem !important;}
h1 {font-size: 3.4rem !important;}
</style>"""
"""Big-screen type for the presenter only: a constant, never data."""
CHANGED_KEY = "_brief_changed"


def sequence() -> tuple[list[SavedView], bool]:
    """(views, is_default): the saved views in order, or one view per page at the default filters."""
    try:
        saved = view_store().list()
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
    """One view of the sequence: number, title, page, note and link; move, delete and rename."""
    with st.container(border=True):
        c1, c2 = st.columns([5, 2])
        c1.markdown(
            f"**{i + 1}. {plain(view.title)}** · {plain(registry.title(view.page))}  \n"
            f"{plain(view.note) if view.note else ''}"
        )
        c1.caption(f"Link: {plain(view.link())}")
        if not editable:
            return
        b = c2.columns(4)
        if b[0].button("", icon=":material/arrow_upward:", key=f"brief_up_{view.id}", help="Move up", disabled=i == 0):
            view_store().move(view.id, -1)
            st.rerun()
        if b[1].button(
            "", icon=":material/arrow_downward:", key=f"brief_down_{view.id}", help="Move down", disabled=i == count - 1
        ):
            view_store().move(view.id, +1)
            st.rerun()
        if b[2].button("", icon=":material/delete:", key=f"brief_del_{view.id}", help="Delete"):
            view_store().delete(view.id)
            st.rerun()
        with b[3].popover("", icon=":material/edit:", help="Rename"), st.form(f"brief_edit_{view.id}", border=False):
            title = st.text_input("Title", value=view.title, max_chars=120)
            note = st.text_area("Why this matters", value=view.note, max_chars=2000)
            if st.form_submit_button("Save"):
                try:
                    view_store().update(view.id, title=title, note=note)
                except ViewError as exc:
                    st.error(plain(str(exc)))
                else:
                    st.rerun()


def pack_download(views: list[SavedView]) -> None:
    """Build the pack on request, then offer it as a download named after the marking."""
    if st.button("Prepare the briefing pack", icon=":material/description:", key="brief_pack"):
        marking = settings.classification()
        with st.spinner("Building the pack…"):
            html = pack.build_pack(session.store(), views, marking)
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

    nav = st.columns([1, 1, 6, 1])
    nav[0].button("◀ Previous", key="brief_prev", shortcut="Left", on_click=go, args=(index - 1,))
    nav[1].button("Next ▶", key="brief_next", shortcut="Right", on_click=go, args=(index + 1,))
    nav[2].markdown(f"**Slide {index + 1} of {n}**" + (f" · auto-advance every {every} s" if every else ""))
    nav[3].button("Exit", key="brief_exit", on_click=_exit)

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


def draw_slide(view: SavedView) -> None:
    """A view as a slide: its title and note, the filters, its page's four KPIs and main figure."""
    s = slides.build_slide(session.store(), view)
    st.title(plain(view.title))
    if view.note:
        st.markdown(plain(view.note))
    st.caption(plain(s.description) + (" · **Synthetic demo data — not real figures**" if s.synthetic else ""))
    kpi_cards(s.shown_kpis, per_row=4)
    if s.page.slide is not None and s.page.slide.figure == "routes_map":  # the live map rather than its print form
        assert s.state.version is not None
        con = session.connection(s.state.version)
        kind, incidents = queries.map_incidents(con, s.state)
        deck = maps.build_map_deck(
            routes=queries.routes_with_flows(con, s.state),
            points=incidents if kind == "points" else None,
            cells=incidents if kind == "cells" else None,
            view=maps.VIEW_EUROPE,
            style="dark",
        )
        st.pydeck_chart(deck, height=520, key=f"brief_map_{view.id}", alt="Map of routes and incidents")
        st.caption(plain(s.source))
    else:  # the figure carries its own source line
        fig = s.figure
        fig.update_layout(height=520, font={"size": 22})
        chart(fig, key=f"brief_fig_{view.id}")
