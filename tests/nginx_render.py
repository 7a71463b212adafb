"""deploy/nginx/render.py loaded as a module (it is a script, not part of the package), for the proxy tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

RENDER = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "render.py"


def _load():
    spec = importlib.util.spec_from_file_location("tideline_nginx_render", RENDER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _load()
