"""Data-derived values made safe to keep and to show: the bottom layer (no dashboard imports).

The store cleans text as it enters (in SQL, with ``BIDI_SQL_PATTERN``), and everything shown or
exported passes through ``text``: both read the same character set, defined once here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

# Explicit bidi embeddings, overrides and isolates (the "Trojan Source" characters, CVE-2021-42574)
# reorder everything after them: in a location or name they can make "exe.txt" read "txt.exe".
# Right-to-left names never need them (the Unicode bidi algorithm orders them), so they are dropped
# from everything kept or shown. Zero-width joiners stay: Persian and Indic spellings need them.
BIDI_CHARACTERS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_TABLE = dict.fromkeys(map(ord, BIDI_CHARACTERS))
# The same set as a regular expression class for DuckDB's regexp_replace (RE2 syntax).
BIDI_SQL_PATTERN = "[" + "".join(f"\\x{{{ord(ch):04X}}}" for ch in BIDI_CHARACTERS) + "]"


def text(value: object) -> str:
    """Data-derived text for keeping or display: a string without bidi controls."""
    return str(value).translate(_BIDI_TABLE)


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pd.NA; never True for strings, lists or arrays."""
    if value is None:
        return True
    kind = type(value)
    if kind is str or kind is int or kind is bool:  # the common cells, answered without pandas
        return False
    if kind is float:
        return value != value  # NaN
    scalar: Any = value  # pd.isna takes any scalar; its stubs list the types one by one
    return pd.api.types.is_scalar(scalar) and bool(pd.isna(scalar))
