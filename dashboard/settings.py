"""Settings read from the environment, in one place: the protective marking and the log level.

(The data directory is the store's own setting: ``store.data_dir_from_env``.)"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit

DEFAULT_CLASSIFICATION = "OFFICIAL"
DEFAULT_LOG_LEVEL = "INFO"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def classification() -> str:
    """The protective marking on every page, export and pack: $TIDELINE_CLASSIFICATION or OFFICIAL."""
    return os.environ.get("TIDELINE_CLASSIFICATION", "").strip() or DEFAULT_CLASSIFICATION


def public_url() -> str | None:
    """$TIDELINE_PUBLIC_URL: the address analysts use (e.g. https://tideline.example.org), for absolute
    share links; None when unset or not an http(s) address without a query."""
    value = os.environ.get("TIDELINE_PUBLIC_URL", "").strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc and not parts.query and not parts.fragment:
        return value
    return None


def log_level(default: str = DEFAULT_LOG_LEVEL) -> int:
    """$TIDELINE_LOG_LEVEL (DEBUG, INFO, WARNING, ERROR); `default` when unset or not a level name."""
    name = os.environ.get("TIDELINE_LOG_LEVEL", "").strip().upper() or default
    level = logging.getLevelName(name)
    return level if isinstance(level, int) else logging.getLevelName(default)


def configure_logging(default: str = DEFAULT_LOG_LEVEL) -> logging.Logger:
    """The package logger ("dashboard") at the configured level, writing to stderr once per process.

    The app server defaults to INFO (commits, imports, refusals); the command line passes WARNING,
    since it prints its own summary of what it did."""
    logger = logging.getLogger("dashboard")
    logger.setLevel(log_level(default))
    if not any(getattr(h, "_tideline", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._tideline = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False  # Streamlit's root handler would print every line twice
    return logger


@dataclass(frozen=True)
class ImportLimits:
    """What one imported file may expand to once read. Checked while reading, before anything big is built,
    so a small file that unpacks to millions of rows (a decompression bomb) is refused, naming the limit."""

    max_rows: int = 2_000_000  # data rows in the file (all sheets)
    max_columns: int = 256  # columns of any one sheet or table
    max_cells: int = 40_000_000  # rows x columns, all sheets
    max_bytes: int = 1 << 30  # uncompressed bytes: the file itself, or what a ZIP (XLSX, ODS) unpacks to
    max_memory: int = 1 << 30  # resident memory of the separate process that reads an upload for the app

    ENV: ClassVar[dict[str, str]] = {
        "max_rows": "TIDELINE_IMPORT_MAX_ROWS",
        "max_columns": "TIDELINE_IMPORT_MAX_COLUMNS",
        "max_cells": "TIDELINE_IMPORT_MAX_CELLS",
        "max_bytes": "TIDELINE_IMPORT_MAX_BYTES",
        "max_memory": "TIDELINE_IMPORT_MAX_MEMORY",
    }

    def env_name(self, field_name: str) -> str:
        """The environment variable that raises a limit, for the refusal message."""
        return self.ENV[field_name]


def import_limits() -> ImportLimits:
    """The import limits: the defaults, each overridden by its environment variable (a whole number;
    bytes may end in K, M or G). A value that does not parse keeps the default and is logged."""
    values: dict[str, int] = {}
    for name, var in ImportLimits.ENV.items():
        raw = os.environ.get(var, "").strip()
        if not raw:
            continue
        number = _size(raw)
        if number is None or number <= 0:
            logging.getLogger(__name__).warning("%s=%r is not a positive whole number: default kept", var, raw)
        else:
            values[name] = number
    return ImportLimits(**values)


def _size(text: str) -> int | None:
    """'2000000', '512M', '2G' (powers of 1024), else None."""
    factor = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:].upper(), 1)
    digits = text[:-1] if factor > 1 else text
    return int(digits) * factor if digits.isascii() and digits.isdigit() and len(digits) <= 15 else None


# `engine check`: the most rows it collects from each engine for one result (dashboard.engines.compare_engines).
# Here, not in dashboard.engines, so the command line's help shows it without importing the engines.
COMPARE_MAX_ROWS = 1_000_000
