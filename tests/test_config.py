"""The shipped .streamlit/config.toml keeps the safe defaults (each assertion names the setting it guards)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit import config as st_config

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


@pytest.fixture(scope="module")
def cfg() -> dict:
    with CONFIG.open("rb") as fh:
        return tomllib.load(fh)


def test_no_telemetry_and_no_outside_lookup(cfg):
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["browser"]["serverAddress"] == "localhost"


def test_xsrf_on_cors_closed_no_static_files(cfg):
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"]["enableCORS"] is True  # True = CORS protection on, i.e. not opened to other origins
    assert cfg["server"]["enableStaticServing"] is False


def test_upload_size_is_capped(cfg):
    size = cfg["server"]["maxUploadSize"]
    assert isinstance(size, int) and 0 < size <= 200


def test_streamlit_table_download_is_off_so_exports_are_sanitised(cfg):
    assert cfg["client"]["disableDataExport"] is True


def test_error_details_are_not_shown_in_full(cfg):
    assert cfg["client"].get("showErrorDetails", "full") not in ("full", True)


def test_every_setting_is_one_streamlit_knows(cfg):
    # A misspelt option is silently ignored by Streamlit, which would leave the default (unsafe) value.
    known = st_config._config_options_template
    names = [f"{section}.{name}" for section, options in cfg.items() for name in options]
    assert [n for n in names if n not in known] == []


def test_no_forced_full_garbage_collection_after_every_run(cfg):
    # A quarter of the server's CPU under load went to it (benchmarks/bench_load.py, see README).
    assert cfg["runner"]["postScriptGC"] is False
