"""Loading a fixtures folder's make_fixtures.py (not a package) as a module, for tests and benchmarks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

FIXTURES = Path(__file__).parent / "fixtures"


def load(folder: str) -> ModuleType:
    """tests/fixtures/<folder>/make_fixtures.py as a module (once: its dataclasses look their module up)."""
    name = f"{folder}_make_fixtures"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FIXTURES / folder / "make_fixtures.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
