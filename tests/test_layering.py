"""The package's layering: imports run one way (each module imports only from the layers below it),
and nothing outside dashboard/ui loads streamlit. CONTRIBUTING.md draws the same layers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "dashboard"

# Bottom first. A module may import only from layers below its own.
LAYERS: list[tuple[str, set[str]]] = [
    ("primitives", {"clean", "files", "settings", "nationality", "auth"}),
    ("foundation", {"schema", "registry", "filters", "sources.base"}),
    (
        "import readers under the canonical importer, region shapes",
        {"sources.canonical_sql", "sources.spatial", "sources.region_shapes"},
    ),
    (
        "storage and importers",
        {
            "store",
            "saved_views",
            "demo",
            "sources.canonical",
            "sources.frontex",
            "sources.home_office",
            "sources.home_office_irregular",
            "sources.iom",
            "sources.bounds",
        },
    ),
    ("formatting", {"fmt"}),
    ("queries, exports, figures, maps", {"queries", "exports", "charts", "maps", "catalog", "analyst_sql", "diff"}),
    (
        "import pipeline, pack map, page view state, audit trail, GIS exports",
        {"ingest", "plotly_map", "viewstate", "audit", "gis_export"},
    ),
    ("slides, the isolated reader", {"slides", "reader"}),
    ("pack", {"pack"}),
    ("engines: SQL translation", {"engines.translate"}),
    ("engines: Spark Connect", {"engines.spark"}),
    ("engines", {"engines"}),
    ("command line", {"__main__"}),
    ("ui: session", {"ui.session"}),
    ("ui: sign-in, roles and audit", {"ui.access"}),
    ("ui: layout", {"ui.layout"}),
    ("ui: widgets", {"ui.upload", "ui.mapview", "ui.opsview", "ui.briefing", "ui.diffview"}),
]
RANK = {module: i for i, (_, modules) in enumerate(LAYERS) for module in modules}
PACKAGES = {"", "sources", "ui"}  # their __init__ files hold only a docstring


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name below dashboard ('ui.layout')."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """The package modules a module imports (dotted names below dashboard)."""
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    known = modules()
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
            elif (node.module or "").split(".")[0] == "dashboard":
                base = []
            else:
                continue
            target = ".".join(base + ([node.module] if node.module else []))
            target = target.removeprefix("dashboard").lstrip(".")
            for alias in node.names:  # `from . import fmt` names a module; `from .fmt import x` a name in one
                found.add(
                    f"{target}.{alias.name}".lstrip(".") if f"{target}.{alias.name}".lstrip(".") in known else target
                )
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("dashboard.") for a in node.names if a.name.startswith("dashboard.")}
    return found - {""}


def test_every_module_has_a_layer():
    missing = sorted(set(modules()) - set(RANK) - PACKAGES)
    assert not missing, f"place {missing} in LAYERS (tests/test_layering.py) and in CONTRIBUTING.md's diagram"


@pytest.mark.parametrize("name", sorted(set(modules()) - PACKAGES))
def test_imports_run_one_way(name):
    upward = sorted(m for m in imports(name, modules()[name]) if m not in PACKAGES and RANK[m] >= RANK[name])
    assert not upward, (
        f"dashboard.{name} ({LAYERS[RANK[name]][0]}) imports {upward}, which are not below it: "
        "move the shared code down a layer"
    )


def test_the_parser_sees_imports():
    """The check above is only as good as the import parser: it must see every form the package uses."""
    assert imports("store", modules()["store"]) == {"clean", "files", "schema", "sources.base"}
    assert imports("ui.upload", modules()["ui.upload"]) == {
        "auth",
        "clean",
        "ingest",
        "reader",
        "sources.base",
        "ui.session",
        "ui.access",
        "ui.layout",
    }
    assert imports("pack", modules()["pack"]) == {
        "charts",
        "filters",
        "fmt",
        "plotly_map",
        "saved_views",
        "settings",
        "slides",
        "store",
    }


def test_core_modules_never_load_streamlit():
    """Importing every module outside dashboard/ui (the UI glue) leaves streamlit unloaded: the core runs
    from the command line, in scheduled jobs and in tests without it."""
    core = sorted(f"dashboard.{m}" if m else "dashboard" for m in modules() if m.split(".")[0] != "ui")
    code = (
        "import importlib, sys\n"
        + "".join(f"importlib.import_module({m!r})\n" for m in core)
        + ("print(sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.')))")
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"streamlit loaded by importing {core}: {out.stdout.strip()[:300]}"
    assert len(core) >= 20  # every core module was imported, not an empty list
