"""The bottom layer: settings from the environment, atomic files and digests, text cleaning."""

from __future__ import annotations

import hashlib
import json
import logging

import pandas as pd
import pytest

from dashboard import clean, files, settings
from dashboard.sources.base import parse_count, parse_date


@pytest.mark.parametrize(
    ("value", "default", "level"),
    [
        ("", "INFO", logging.INFO),
        ("debug", "INFO", logging.DEBUG),
        (" WARNING ", "INFO", logging.WARNING),
        ("", "WARNING", logging.WARNING),
        ("loud", "INFO", logging.INFO),
        ("loud", "WARNING", logging.WARNING),
    ],
)
def test_log_level_from_the_environment(monkeypatch, value, default, level):
    monkeypatch.setenv("TIDELINE_LOG_LEVEL", value)
    assert settings.log_level(default) == level


def test_configure_logging_adds_one_handler(monkeypatch):
    monkeypatch.setenv("TIDELINE_LOG_LEVEL", "ERROR")
    logger = settings.configure_logging()
    settings.configure_logging()
    assert logger.level == logging.ERROR
    assert sum(getattr(h, "_tideline", False) for h in logger.handlers) == 1


@pytest.mark.parametrize(("value", "marking"), [("", "OFFICIAL"), ("  OFFICIAL-SENSITIVE ", "OFFICIAL-SENSITIVE")])
def test_classification(monkeypatch, value, marking):
    monkeypatch.setenv("TIDELINE_CLASSIFICATION", value)
    assert settings.classification() == marking


def test_write_json_atomic_replaces_whole_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "doc.json"
    files.write_json_atomic(path, {"a": 1})
    files.write_json_atomic(path, {"b": "é"}, ensure_ascii=False)
    assert json.loads(path.read_text(encoding="utf-8")) == {"b": "é"}
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_write_json_atomic_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "doc.json"
    files.write_json_atomic(path, {"a": 1})
    with pytest.raises(TypeError):
        files.write_json_atomic(path, {"bad": object()})  # not JSON: fails half-way through the temp file
    assert json.loads(path.read_text()) == {"a": 1} and [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_digests(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(b"x" * (files.CHUNK + 5))
    b.write_bytes(b"y")
    assert files.sha256_file(a) == hashlib.sha256(a.read_bytes()).hexdigest()
    assert files.sha256_files([a, b]) != files.sha256_files([b, a])  # order and names count


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        (None, True),
        (float("nan"), True),
        (pd.NA, True),
        (pd.NaT, True),
        ("", False),
        ("NA", False),
        (0, False),
        ([1, None], False),
        ((), False),
        (pd.Series([None]).to_numpy(), False),
    ],
)
def test_is_missing(value, missing):
    assert clean.is_missing(value) is missing


def test_text_drops_bidi_controls_only():
    assert clean.text("\u202eexe.txt\u202c \u2067x\u2069 a\u200db") == "exe.txt x a\u200db"  # ZWJ stays
    assert len(clean.BIDI_CHARACTERS) == 9


def test_write_text_atomic(tmp_path):
    path = tmp_path / "pack.html"
    files.write_text_atomic(path, "<p>é</p>")
    files.write_text_atomic(path, "<p>two</p>")
    assert path.read_text(encoding="utf-8") == "<p>two</p>" and [p.name for p in tmp_path.iterdir()] == ["pack.html"]
    with pytest.raises(OSError):
        files.write_text_atomic(tmp_path / "no" / "such" / "dir.html", "x")


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, pd.NaT])
def test_importers_read_every_missing_marker_as_missing(value):
    """sources.base parses cells with clean.is_missing: pd.NA once became the text '<NA>' ('not a number')."""
    assert parse_count(value) is None
    with pytest.raises(ValueError, match="date is missing"):
        parse_date(value)
