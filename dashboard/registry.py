"""The page registry: every page's url path, title, icon and script, and what a briefing slide or
the pack shows for a view saved from it. Navigation, the launchers in ``pages/``, saved views,
slides, the pack, tests and benchmarks all read this list; adding a page is one entry here plus
its script (and its launcher, which ``tests/test_registry.py`` names if it is missing).

Pure: no streamlit, no queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from .auth import Permission

LAUNCHER_DIR = "pages"
# Why launchers exist: a folder named pages/ next to the entry script puts Streamlit 1.67 into its
# legacy multipage mode for a fresh server's first script run (and in every AppTest run). Legacy mode
# looks for pages/<url_path>.py; the launcher hands over to the entry script, whose st.navigation
# then takes over. Without it, /map opened first on a new server shows "Page not found".
LAUNCHER_SOURCE = "\n".join(
    [
        '"""Launcher for Streamlit\'s legacy pages/ mode: hands over to the entry script (see README.md here)."""',
        "",
        "import runpy",
        "from pathlib import Path",
        "",
        'runpy.run_path(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), run_name="__main__")',
        "",
    ]
)


@dataclass(frozen=True)
class SlideSpec:
    """What a briefing slide and the pack show for a view saved from a page."""

    kpis: tuple[str, ...]  # four keys of queries.KPI_LABELS, in the order shown
    figure: str  # a key of slides.FIGURES: the page's main chart or map


@dataclass(frozen=True)
class Page:
    """One page of the app."""

    url_path: str  # "" is the default page, served at "/"
    title: str
    icon: str
    script: str  # the page script, relative to the repo root
    slide: SlideSpec | None = None  # None: views cannot be saved from this page
    shared_filters: bool = True  # False: the page draws no sidebar filters (the big screen)
    in_default_briefing: bool = False  # one slide of the briefing shown when no view is saved
    permission: Permission = Permission.VIEW  # what a user's roles must allow to open the page

    @property
    def link(self) -> str:
        """The page's path in a link: '/' or '/map'."""
        return "/" + self.url_path

    @property
    def launcher(self) -> str | None:
        """The launcher file legacy mode looks for ('pages/map.py'); None for the default page."""
        return f"{LAUNCHER_DIR}/{self.url_path}.py" if self.url_path else None


PAGES: tuple[Page, ...] = (
    Page(
        "",
        "Overview",
        ":material/dashboard:",
        "pages/views/overview.py",
        SlideSpec(("people", "boats", "prevented", "dead_missing"), "weekly_trend"),
        in_default_briefing=True,
    ),
    Page(
        "map",
        "Map",
        ":material/map:",
        "pages/views/map.py",
        SlideSpec(("people", "dead_missing", "prevented", "active_operations"), "routes_map"),
        in_default_briefing=True,
    ),
    Page(
        "funding",
        "Funding & resources",
        ":material/payments:",
        "pages/views/funding.py",
        SlideSpec(("spent_gbp", "in_post", "active_operations", "prevented"), "funding_burnup"),
        in_default_briefing=True,
    ),
    Page(
        "operations",
        "Operations",
        ":material/policy:",
        "pages/views/operations.py",
        SlideSpec(("active_operations", "prevented", "people", "dead_missing"), "operations_timeline"),
        in_default_briefing=True,
    ),
    Page("arrivals", "Who arrives", ":material/groups:", "pages/views/arrivals.py"),
    Page(
        "data",
        "Data & sources",
        ":material/database:",
        "pages/views/data.py",
        SlideSpec(("people", "boats", "dead_missing", "active_operations"), "provenance_table"),
    ),
    Page("briefing", "Briefing", ":material/co_present:", "pages/views/briefing.py", shared_filters=False),
    Page(
        "audit",
        "Audit trail",
        ":material/fact_check:",
        "pages/views/audit.py",
        shared_filters=False,
        permission=Permission.AUDIT,
    ),
)
BY_PATH: dict[str, Page] = {p.url_path: p for p in PAGES}
DEFAULT = PAGES[0]
# Pages a view can be saved from (and so a slide can show), in navigation order.
SAVEABLE: dict[str, Page] = {p.url_path: p for p in PAGES if p.slide is not None}


def page(url_path: str) -> Page:
    """The page at this url path; KeyError naming the known paths otherwise."""
    try:
        return BY_PATH[url_path]
    except KeyError:
        raise KeyError(f"no page at {url_path!r} (known: {', '.join(repr(p) for p in BY_PATH)})") from None


def title(url_path: str) -> str:
    """A page's title, or the path itself for a page that no longer exists (an old saved view)."""
    return BY_PATH[url_path].title if url_path in BY_PATH else url_path


def default_briefing() -> tuple[Page, ...]:
    """The pages of the briefing shown when no view is saved, in order."""
    return tuple(p for p in PAGES if p.in_default_briefing)
