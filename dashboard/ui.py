"""Streamlit glue: the only module of the package that imports streamlit. Cached loaders,
the shared filter widgets bound to the URL, and the page furniture (marking, caption, sources)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from datetime import UTC, date, datetime

import duckdb
import pandas as pd
import streamlit as st

from . import fmt, queries
from .filters import FilterOptions, FilterState, small_int
from .store import Store, Version, data_dir_from_env

STATE_KEY = "_tideline_state"
NOTICES_KEY = "_tideline_notices"


def classification() -> str:
    """The protective marking shown top and bottom of every page."""
    return os.environ.get("TIDELINE_CLASSIFICATION", "").strip() or "OFFICIAL"


def get_store() -> Store:
    return _store(str(data_dir_from_env()))


@st.cache_resource(show_spinner="Preparing the data store…")
def _store(data_dir: str) -> Store:
    store = Store(data_dir)
    store.ensure_initialised()
    return store


def get_connection(version_id: int) -> duckdb.DuckDBPyConnection:
    """One read-only connection per data version (versions are immutable); queries take cursors."""
    return _connection(str(data_dir_from_env()), version_id)


@st.cache_resource(max_entries=8, show_spinner="Loading data version…")
def _connection(data_dir: str, version_id: int) -> duckdb.DuckDBPyConnection:
    return _store(data_dir).connect(version_id)


def versions() -> list[Version]:
    return get_store().versions()


def filter_options(version_id: int, version_ids: tuple[int, ...], current: int) -> FilterOptions:
    return _filter_options(str(data_dir_from_env()), version_id, version_ids, current)


@st.cache_data(max_entries=16, show_spinner=False)
def _filter_options(data_dir: str, version_id: int, version_ids: tuple[int, ...], current: int) -> FilterOptions:
    return queries.filter_options(_connection(data_dir, version_id), version_ids, current)


def version_facts(version_id: int) -> tuple[bool, pd.DataFrame]:
    """(synthetic?, per-table rows and as-of) for a version."""
    return _version_facts(str(data_dir_from_env()), version_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _version_facts(data_dir: str, version_id: int) -> tuple[bool, pd.DataFrame]:
    con = _connection(data_dir, version_id)
    return queries.is_synthetic(con), queries.table_as_of(con)


def cached(fn: Callable[..., pd.DataFrame], state: FilterState, *args: object) -> pd.DataFrame:
    """Run a named query for a state, cached by (query, state, args): versions never change."""
    return _cached_query(str(data_dir_from_env()), fn.__name__, state, args)


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_query(data_dir: str, name: str, state: FilterState, args: tuple) -> pd.DataFrame:
    return getattr(queries, name)(_connection(data_dir, state.version), state, *args)


# -- shared filters -----------------------------------------------------------------------------
def _raw_query_params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params.keys()}  # noqa: SIM118


def sidebar_filters() -> FilterState:
    """Draw the shared filters (bound to the URL) and return the FilterState they describe.

    On the first run of a session the raw URL is parsed first, because bound widgets silently
    drop values they cannot accept: this is how the analyst learns what was ignored.
    """
    all_versions = versions()
    ids = tuple(v.id for v in all_versions)
    current = ids[-1]
    if NOTICES_KEY not in st.session_state:
        raw = _raw_query_params()
        pinned = small_int(raw.get("version", [""])[-1])
        pinned_id = pinned if pinned in ids else current
        opts = filter_options(pinned_id, ids, current)
        _, notices = FilterState.from_query_params(raw, opts)
        st.session_state[NOTICES_KEY] = notices
        # Values the widgets cannot take from the URL (e.g. a reversed period) are set through
        # session state, before the widgets exist.
    with st.sidebar:
        st.header("Filters")
        version_id = st.selectbox(
            "Data version", options=list(reversed(ids)), index=0, key="version", bind="query-params",
            format_func=lambda i: f"{i} (current)" if i == current else f"{i}",
            help="Share links pin the version, so the numbers do not move under the reader.")
        opts = filter_options(version_id, ids, current)
        start, end = opts.default_period()
        period = st.date_input(
            "Period", value=(start, end), min_value=date(2000, 1, 1), max_value=date(2100, 12, 31),
            key="period", bind="query-params", format="DD/MM/YYYY",
            help=f"Default: the latest 12 full months of data ({fmt.as_of(start)} – {fmt.as_of(end)}).")
        if isinstance(period, tuple | list) and len(period) == 1:  # a one-day period, or a range half picked
            period = (period[0], period[0])
        elif not isinstance(period, tuple | list) or len(period) != 2:
            period = (start, end)
        period = tuple(sorted(period))  # a reversed link: the notice says the dates were swapped
        region = st.multiselect("Region", opts.regions, key="region", bind="query-params",
                                placeholder="All regions")
        route = st.multiselect("Route", opts.routes, key="route", bind="query-params", placeholder="All routes")
        # No format_func: a bound widget writes its labels to the URL, and the URL must hold values.
        types = st.multiselect("Incident type", opts.types, key="type", bind="query-params",
                               placeholder="All incident types")
    state = FilterState(period=(period[0], period[1]), region=tuple(region), route=tuple(route),
                        type=tuple(types), version=version_id)
    st.session_state[STATE_KEY] = state
    return state


def current_state() -> FilterState:
    """The FilterState drawn by the entry script in this run."""
    return st.session_state[STATE_KEY]


def share_link(state: FilterState, page_path: str) -> str:
    """A relative link with every filter explicit and the version pinned."""
    return f"{page_path}?{state.query_string()}"


def notices() -> list[str]:
    return st.session_state.get(NOTICES_KEY, [])


# -- page furniture -----------------------------------------------------------------------------
ACCESSIBILITY_CSS = """<style>
/* WCAG 1.4.3: Streamlit fades captions with opacity 0.6 (3.9:1 on white); solid #5c5a58 is 6.9:1
   (6.5:1 on the sidebar). `body`, not `.stApp`: popovers are drawn outside the app root. */
body [data-testid="stCaptionContainer"] {opacity: 1; color: #5c5a58;}
body [data-testid="stCaptionContainer"] :is(p, em, strong, li, span) {color: #5c5a58;}
/* WCAG 2.4.7 / 1.4.11: the nav links' own focus style is a 1.1:1 tint; give every control a ring. */
body a:focus-visible, body [data-testid="stSidebarNavLink"]:focus-visible {
  outline: 3px solid #005A8C; outline-offset: 1px; border-radius: 4px;}
/* WCAG 2.5.8: the date fields' day/month/year segments are 18x20 px targets; make them 24x24. */
body [data-testid="stDateInputField"] [role="spinbutton"] {
  min-width: 24px; min-height: 24px; line-height: 24px; text-align: center;}
</style>"""
"""Fixes for what axe and the keyboard tests find in Streamlit's own styles: a constant, never data."""


def accessibility_css() -> None:
    # With an (empty, hidden) element besides the <style>, st.html puts it in the page like any other
    # element rather than in Streamlit's event container (a CI run once showed a page without it). In
    # the sidebar, first: present on every page (hidden with the sidebar on the big screen, still
    # applied), and before any page can st.stop().
    st.sidebar.html(ACCESSIBILITY_CSS + '<span aria-hidden="true" hidden></span>')


def marking() -> None:
    """Classification marking, plain text (never HTML)."""
    st.markdown(f"**:red-background[{_escape_md(classification())}]**")


def _escape_md(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>~$:" else ch for ch in text)


def page_header(title: str, state: FilterState) -> None:
    """Title, the one-line filter description and, for demo data, the synthetic label."""
    st.title(title)
    synthetic, _ = version_facts(state.version)
    st.caption(f"{state.describe()} · compared with {fmt.as_of(state.previous().start)} – "
               f"{fmt.as_of(state.previous().end)}")
    if synthetic:
        st.info("**Synthetic demo data** — not real figures. Shapes follow public releases; "
                "import the official files on *Data & sources* to replace it.", icon="ℹ️")


def source_line(state: FilterState, table: str, extra: str = "") -> str:
    """'Source: … · as of 31 Oct 2026' for figures drawn from one table of this version."""
    return sources_caption(state, {table: extra})


def sources_caption(state: FilterState, items: dict[str, str]) -> str:
    """One source line for figures from several tables, each source named once:
    'Source: X · as of 31 Oct 2026 (arrivals); 25 Oct 2026 (preventions)'."""
    return _sources_caption(str(data_dir_from_env()), state.version, tuple(items.items()))


@st.cache_data(max_entries=256, show_spinner=False)
def _sources_caption(data_dir: str, version_id: int, items: tuple[tuple[str, str], ...]) -> str:
    from .briefing import source_text

    synthetic, _ = _version_facts(data_dir, version_id)
    return source_text(_connection(data_dir, version_id), synthetic, dict(items))


def empty_state(what: str, hint: str) -> None:
    st.info(f"{what} — {hint}", icon="🔎")


def share_control(state: FilterState, url_path: str) -> None:
    """'Share this view': a link with every filter explicit and the data version pinned."""
    with st.sidebar.popover("Share this view", icon=":material/link:", use_container_width=True):
        st.caption("This link opens this page with these filters on data version "
                   f"{state.version}, so the numbers stay the same after new imports.")
        st.code(share_link(state, "/" + url_path), language=None, wrap_lines=True)


# Which way is good for each KPI: "normal" (up is good), "inverse" (up is bad), "off" (neither).
KPI_DIRECTION = {"people": "inverse", "boats": "inverse", "people_per_boat": "off", "prevented": "normal",
                 "dead_missing": "inverse", "active_operations": "normal", "spent_gbp": "off", "in_post": "normal"}


def kpi_value(key: str, value: object) -> str:
    if key == "spent_gbp":
        return fmt.gbp(value)
    return fmt.number(value, 1 if key == "people_per_boat" else 0)


def kpi_cards(df: pd.DataFrame, per_row: int = 4) -> None:
    """KPI cards with the change against the previous equal-length period (and targets)."""
    rows = df.to_dict("records")
    for i in range(0, len(rows), per_row):
        for col, r in zip(st.columns(per_row), rows[i:i + per_row], strict=False):
            with col.container(border=True):
                delta = fmt.change(r["value"], r["previous"])
                st.metric(r["label"], kpi_value(r["key"], r["value"]),
                          delta=f"{delta} vs previous period" if delta else None,
                          delta_color=KPI_DIRECTION.get(r["key"], "off"),
                          help=f"Previous period: {kpi_value(r['key'], r['previous'])} ({r['unit']})")
                if r["target_label"]:
                    share = (fmt.percent(float(r["value"]) / float(r["target"]) * 100)
                             if not fmt.is_missing(r["value"]) and not fmt.is_missing(r["target"])
                             and float(r["target"]) else "–")
                    st.caption(f"{share} of {r['target_label']} ({kpi_value(r['key'], r['target'])})")


def plain(value: object) -> str:
    """Data-derived text made inert for st.markdown (no links, HTML, maths or formatting)."""
    return "–" if fmt.is_missing(value) else _escape_md(fmt.text(value))


# -- import (Data & sources page) ---------------------------------------------------------------
def plan_upload(upload) -> tuple[object | None, str | None]:
    """Read and validate an uploaded file once per upload: (plan, None) or (None, error)."""
    from . import ingest
    from .sources.base import StructuralError

    key = f"_plan_{upload.file_id}"
    if key not in st.session_state:
        folder = get_store().data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in upload.name)[-120:] or "upload"
        path = folder / f"{upload.file_id[:12]}-{safe}"
        path.write_bytes(upload.getvalue())
        bar = st.progress(0.0, text="Reading the file…")
        try:
            plan = ingest.plan(get_store(), path, progress=lambda msg, f: bar.progress(min(max(f, 0.0), 1.0),
                                                                                        text=msg))
            st.session_state[key] = (plan, None)
        except StructuralError as exc:
            st.session_state[key] = (None, str(exc))
        except Exception as exc:  # an unexpected reader failure is still a refusal, never a crash
            st.session_state[key] = (None, f"{upload.name}: could not be read ({type(exc).__name__}: {exc})")
        finally:
            bar.empty()
    return st.session_state[key]


def show_plan(plan) -> None:
    """Detected format, preview, validation report and the confirm step of an import."""
    from . import ingest

    r = plan.result
    st.success(f"Detected format: **{plan.importer.LABEL}** · {r.rows_read:,} rows read, {r.rows_accepted:,} "
               f"accepted, {plan.rejected:,} rejected", icon="🔎")
    for note in r.notes:
        st.caption(f"Note: {plain(note)}")
    if r.totals_by_year is not None and len(r.totals_by_year):
        st.dataframe(r.totals_by_year, hide_index=True, placeholder="–", width="content")
    for table, frame in r.tables.items():
        st.markdown(f"**Preview: {plain(table)}** ({len(frame):,} rows; first 20)")
        st.dataframe(frame.head(20), hide_index=True, placeholder="–", width="stretch")
    if plan.rejected:
        st.warning(f"{plan.rejected:,} rows were rejected (file, row, column and reason below).", icon="⚠️")
        report = pd.DataFrame([{"file": x.file, "sheet": x.sheet, "row": x.row, "column": x.column,
                                "reason": x.reason, "value": ingest._inert(x.value)} for x in r.rejected])
        st.dataframe(report, hide_index=True, placeholder="–", width="stretch", height=240)
        st.download_button("Download the rejection report (CSV)", report.to_csv(index=False).encode("utf-8"),
                           file_name=f"{plan.path.stem}-rejected.csv", mime="text/csv", key="data_report")
    if plan.duplicate_of is not None:
        st.info(f"This exact file (same sha256) is already in data version {plan.duplicate_of}: nothing to do.")
        return
    ok = True
    if plan.rejected:
        ok = st.checkbox(f"Import the {r.rows_accepted:,} good rows and leave the {plan.rejected:,} rejected ones "
                         "out", key="data_accept_partial")
    if plan.drops_demo:
        st.warning("This store holds **synthetic demo data**. Importing real data removes every demo row in the "
                   "new version, so synthetic and real figures never appear together.", icon="⚠️")
        ok = st.checkbox("Remove the demo data and import", key="data_drop_demo") and ok
    if st.button("Import as a new data version", type="primary", disabled=not ok, key="data_import"):
        try:
            version = ingest.apply(get_store(), plan, accept_partial=bool(plan.rejected))
        except ingest.ImportRefused as exc:
            st.error(plain(str(exc)))
            return
        st.session_state.pop("version", None)  # show the new current version
        st.session_state[FLASH_KEY] = f"Imported {plan.path.name}: data version {version.id} is now current."
        for key in [k for k in st.session_state if str(k).startswith("_plan_")]:
            del st.session_state[key]  # re-read on display: the same file is now a no-op
        st.rerun()


FLASH_KEY = "_tideline_flash"


def flash() -> None:
    """A one-off success message left by the previous run (e.g. after an import)."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(plain(message), icon="✅")



# -- saved views and the briefing ----------------------------------------------------------------
BRIEFING_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] {display: none;}
.block-container {max-width: 100%; padding: 1.5rem 3rem;}
.stMainBlockContainer p, .stMainBlockContainer li {font-size: 1.45rem;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {font-size: 3.4rem !important; line-height: 1.15;}
[data-testid="stMetricLabel"] p {font-size: 1.5rem !important;}
h1 {font-size: 3.4rem !important;}
</style>"""
"""Big-screen type for the briefing page only: a constant, never data."""


def view_store():
    from .views import ViewStore

    return ViewStore(get_store().data_dir)


def briefing_sequence() -> tuple[list, bool]:
    """(views, is_default): the saved views in order, or one view per page at the default filters."""
    from .views import ViewError, default_sequence

    try:
        saved = view_store().list()
    except ViewError as exc:  # a damaged file is kept as it is: say so, present the default sequence
        st.error(f"Saved views could not be read — {plain(str(exc))}", icon="⛔")
        saved = []
    if saved:
        return saved, False
    current = versions()[-1].id
    opts = filter_options(current, tuple(v.id for v in versions()), current)
    return default_sequence(FilterState.default(opts)), True


def save_view_control(state: FilterState, url_path: str) -> None:
    """'Save this view' for the briefing: title and note, stored in the data directory."""
    from .views import ViewError

    with st.sidebar.popover("Save view for briefing", icon=":material/bookmark_add:", use_container_width=True):
        with st.form("save_view_form", clear_on_submit=True, border=False):
            title = st.text_input("Title", max_chars=120, key="save_view_title")
            note = st.text_area("Why this matters (optional)", max_chars=2000, key="save_view_note")
            if st.form_submit_button("Save view", type="primary"):
                try:
                    view = view_store().add(title, note, url_path, state)
                except ViewError as exc:
                    st.error(plain(str(exc)))
                else:
                    st.success(f"Saved “{plain(view.title)}” as slide {len(view_store().list())} of the briefing.")


def manage_briefing(views: list, is_default: bool) -> None:
    """List, rename, reorder and delete saved views; start the presentation; download the pack."""
    from . import briefing
    from .views import PAGES, ViewError

    st.title("Briefing")
    st.caption("A sequence of saved views for the big screen. Save views from any page with "
               "*Save view for briefing* in the sidebar.")
    left, right = st.columns([1, 1])
    if left.button("Present from the first slide", icon=":material/slideshow:", type="primary", key="brief_present"):
        st.query_params["slide"] = "1"
        st.rerun()
    with right:
        auto = st.number_input("Auto-advance (seconds, 0 = off)", min_value=0, max_value=600, value=0, step=5,
                               key="brief_auto")
        st.caption(f"Presenter link: `/briefing?slide=1{f'&auto={auto}' if auto else ''}` · ← → keys move between "
                   "slides.")
    if is_default:
        st.info("No saved views yet: the briefing shows one view per page at the default filters.", icon="ℹ️")
    for i, view in enumerate(views):
        with st.container(border=True):
            c1, c2 = st.columns([5, 2])
            c1.markdown(f"**{i + 1}. {plain(view.title)}** · {PAGES.get(view.page, view.page)}  \n"
                        f"{plain(view.note) if view.note else ''}")
            c1.caption(f"Link: {plain(view.link())}")
            if not is_default:
                b = c2.columns(4)
                if b[0].button("", icon=":material/arrow_upward:", key=f"brief_up_{view.id}", help="Move up",
                               disabled=i == 0):
                    view_store().move(view.id, -1)
                    st.rerun()
                if b[1].button("", icon=":material/arrow_downward:", key=f"brief_down_{view.id}", help="Move down",
                               disabled=i == len(views) - 1):
                    view_store().move(view.id, +1)
                    st.rerun()
                if b[2].button("", icon=":material/delete:", key=f"brief_del_{view.id}", help="Delete"):
                    view_store().delete(view.id)
                    st.rerun()
                with b[3].popover("", icon=":material/edit:", help="Rename"):
                    with st.form(f"brief_edit_{view.id}", border=False):
                        title = st.text_input("Title", value=view.title, max_chars=120)
                        note = st.text_area("Why this matters", value=view.note, max_chars=2000)
                        if st.form_submit_button("Save"):
                            try:
                                view_store().update(view.id, title=title, note=note)
                            except ViewError as exc:
                                st.error(plain(str(exc)))
                            else:
                                st.rerun()
    st.subheader("Briefing pack")
    st.caption("One self-contained HTML file (charts interactive, works offline, prints one view per page).")
    if st.button("Prepare the briefing pack", icon=":material/description:", key="brief_pack"):
        with st.spinner("Building the pack…"):
            html = briefing.build_pack(get_store(), views, classification())
        st.download_button("Download the pack (HTML)", html.encode("utf-8"), mime="text/html",
                           file_name=f"{classification().replace(' ', '-')}-tideline-briefing.html",
                           key="brief_pack_download")


def present(views: list) -> None:
    """One slide, big: title, note, KPIs, the main chart or map, source; ← → and auto-advance."""
    import time

    st.html(BRIEFING_CSS)
    n = len(views)
    raw, raw_auto = st.query_params.get("slide", "1"), st.query_params.get("auto", "")
    slide_no, auto = small_int(raw), small_int(raw_auto)
    if not slide_no or slide_no > n or (raw_auto and not auto):
        st.warning(f"Link parameter ignored — slide must be 1 to {n} and auto a number of seconds "
                   f"(got slide={plain(raw[:20])}, auto={plain(raw_auto[:20])})", icon="⚠️")
    index = slide_no - 1 if slide_no and slide_no <= n else 0
    auto = min(max(auto, 5), 600) if auto else None

    def go(to: int) -> None:
        st.query_params["slide"] = str(to % n + 1)
        st.session_state["_brief_changed"] = time.monotonic()

    nav = st.columns([1, 1, 6, 1])
    nav[0].button("◀ Previous", key="brief_prev", shortcut="Left", on_click=go, args=(index - 1,))
    nav[1].button("Next ▶", key="brief_next", shortcut="Right", on_click=go, args=(index + 1,))
    nav[2].markdown(f"**Slide {index + 1} of {n}**" + (f" · auto-advance every {auto} s" if auto else ""))
    nav[3].button("Exit", key="brief_exit", on_click=lambda: st.query_params.pop("slide", None))

    @st.fragment(run_every=auto)
    def slide() -> None:
        changed = st.session_state.setdefault("_brief_changed", time.monotonic())
        if auto and time.monotonic() - changed >= auto - 0.5:
            go(index + 1)
            st.rerun()  # a full run: the slide number, URL and content move together
        draw_slide(views[index])

    slide()


# The four KPIs a slide shows, by the page the view was saved from.
BRIEF_KPIS = {
    "": ("people", "boats", "prevented", "dead_missing"),
    "map": ("people", "dead_missing", "prevented", "active_operations"),
    "funding": ("spent_gbp", "in_post", "active_operations", "prevented"),
    "operations": ("active_operations", "prevented", "people", "dead_missing"),
    "data": ("people", "boats", "dead_missing", "active_operations"),
}


def draw_slide(view) -> None:
    from . import briefing, maps, queries

    s = briefing.build_slide(get_store(), view)
    st.title(plain(view.title))
    if view.note:
        st.markdown(plain(view.note))
    st.caption(f"{plain(s.description)}" + (" · **Synthetic demo data — not real figures**" if s.synthetic else ""))
    keys = BRIEF_KPIS.get(view.page, BRIEF_KPIS[""])
    kpi_cards(s.kpis.set_index("key").loc[list(keys)].reset_index(), per_row=4)
    if view.page == "map":
        con = get_connection(s.state.version)
        kind, incidents = queries.map_incidents(con, s.state)
        deck = maps.build_map_deck(routes=queries.routes_with_flows(con, s.state),
                                   points=incidents if kind == "points" else None,
                                   cells=incidents if kind == "cells" else None, view=maps.VIEW_EUROPE,
                                   style="dark")
        st.pydeck_chart(deck, height=520, key=f"brief_map_{view.id}", alt="Map of routes and incidents")
        st.caption(plain(s.source))
    else:  # the figure carries its own source line
        fig = s.figure
        fig.update_layout(height=520, font={"size": 22})
        chart(fig, key=f"brief_fig_{view.id}")


# -- data exports (download_buttons) ------------------------------------------------------------
def download_buttons(df: pd.DataFrame, name: str, state: FilterState, source: str, key: str, detail: str = "") -> None:
    """'Download CSV' and 'Download XLSX' of the filtered data behind a view, marked and described."""
    from . import exports

    meta = {"classification": classification(), "version": state.version, "source": source,
            "description": state.describe(with_version=False) + (f" · {detail}" if detail else "")}
    tip = (f"The {len(df):,} rows behind this view, with the classification marking, the filters and the data "
           "version. Text that a spreadsheet could read as a formula starts with an apostrophe (').")
    now = datetime.now(UTC)  # the moment the view was drawn: in the file name and the file
    with st.container(horizontal=True, key=f"{key}_downloads"):
        for ext, label, mime, build in (("csv", "Download CSV", exports.CSV_MIME, exports.to_csv_bytes),
                                        ("xlsx", "Download XLSX", exports.XLSX_MIME, exports.to_xlsx_bytes)):
            # Built on click, on Streamlit's download thread: a rerun never pays for a file nobody asked for.
            st.download_button(label, functools.partial(build, df, generated_at=now, **meta),
                               file_name=exports.export_filename(name, meta["classification"], ext, now),
                               mime=mime, key=f"{key}_{ext}", help=tip, on_click="ignore", icon=":material/download:")


# -- end of data exports --------------------------------------------------------------------------


def chart(fig, key: str) -> None:
    """A plotly figure as built (our fonts and colours, not Streamlit's theme); PNG export offline."""
    st.plotly_chart(fig, key=key, theme=None, config={
        "displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2, "filename": f"tideline-{key}"}})
