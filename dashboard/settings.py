"""Settings read from the environment, in one place: the protective marking and the log level.

(The data directory is the store's own setting: ``store.data_dir_from_env``.)"""

from __future__ import annotations

import logging
import os

DEFAULT_CLASSIFICATION = "OFFICIAL"
DEFAULT_LOG_LEVEL = "INFO"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def classification() -> str:
    """The protective marking on every page, export and pack: $TIDELINE_CLASSIFICATION or OFFICIAL."""
    return os.environ.get("TIDELINE_CLASSIFICATION", "").strip() or DEFAULT_CLASSIFICATION


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
