"""The page registry is the one list of pages: scripts, launchers, slides and the pack follow from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import queries, registry, slides

REPO = Path(__file__).resolve().parent.parent


def test_paths_titles_and_the_default_are_unique():
    paths = [p.url_path for p in registry.PAGES]
    assert len(set(paths)) == len(paths) and len({p.title for p in registry.PAGES}) == len(paths)
    assert registry.DEFAULT.url_path == "" and [p for p in registry.PAGES if p.url_path == ""] == [registry.DEFAULT]
    assert all(p.url_path == p.url_path.lower() and "/" not in p.url_path for p in registry.PAGES)


@pytest.mark.parametrize("page", registry.PAGES, ids=lambda p: p.url_path or "default")
def test_every_page_has_its_script_and_launcher(page):
    assert (REPO / page.script).is_file(), f"{page.title}: page script {page.script} is missing"
    if page.launcher is None:
        return
    launcher = REPO / page.launcher
    assert launcher.is_file(), (
        f"add {page.launcher} for the page at /{page.url_path}: without it, a link to /{page.url_path} opened "
        f"first on a new server shows 'Page not found'. Its text is registry.LAUNCHER_SOURCE:\n"
        f"{registry.LAUNCHER_SOURCE}"
    )
    assert launcher.read_text(encoding="utf-8") == registry.LAUNCHER_SOURCE, (
        f"{page.launcher} must be exactly registry.LAUNCHER_SOURCE (it only hands over to the entry script)"
    )


def test_every_launcher_has_a_page():
    launchers = {p.launcher for p in registry.PAGES if p.launcher}
    found = {f"{registry.LAUNCHER_DIR}/{f.name}" for f in (REPO / registry.LAUNCHER_DIR).glob("*.py")}
    stray = sorted(found - launchers)
    assert not stray, f"{stray}: launcher(s) with no page in dashboard/registry.py; remove them or register the page"


@pytest.mark.parametrize("page", list(registry.SAVEABLE.values()), ids=lambda p: p.url_path or "default")
def test_slide_specs_name_known_kpis_and_figures(page):
    assert page.slide is not None
    assert len(page.slide.kpis) == 4 and set(page.slide.kpis) <= set(queries.KPI_LABELS), page.slide.kpis
    assert page.slide.figure in slides.FIGURES, f"{page.slide.figure!r} is not in slides.FIGURES"


def test_default_briefing_and_lookups():
    assert [p.url_path for p in registry.default_briefing()] == ["", "map", "funding", "operations"]
    assert all(p.slide is not None for p in registry.default_briefing())
    assert registry.title("map") == "Map" and registry.title("gone") == "gone"
    assert registry.page("data").link == "/data" and registry.DEFAULT.link == "/"
    with pytest.raises(KeyError, match="no page at 'nope'"):
        registry.page("nope")


def test_no_other_file_lists_the_page_scripts():
    """One list: a page script path written anywhere but the registry is a second list waiting to drift."""
    mentions = sorted(
        str(f.relative_to(REPO))
        for folder in ("dashboard", "tests", "benchmarks", "pages")
        for f in (REPO / folder).rglob("*.py")
        if "pages/views/" in f.read_text(encoding="utf-8") and f.name not in {"registry.py", "test_registry.py"}
    )
    mentions += ["streamlit_app.py"] if "pages/views/" in (REPO / "streamlit_app.py").read_text() else []
    assert not mentions, f"page scripts named outside dashboard/registry.py: {mentions}"
