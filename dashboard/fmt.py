"""UK-style number, money and change formatting, and data-derived text made safe to show (pure)."""

from __future__ import annotations

import html
from datetime import date

import pandas as pd

from .filters import format_date


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pd.NA."""
    return value is None or (not isinstance(value, str | list | tuple) and bool(pd.isna(value)))


def number(value: object, decimals: int = 0) -> str:
    """12,345 (or '–' when not available)."""
    if is_missing(value):
        return "–"
    return f"{float(value):,.{decimals}f}"


def gbp(value: object) -> str:
    """£ with k/m/bn: £950, £12.5k, £1.25m, £2.1bn."""
    if is_missing(value):
        return "–"
    v = float(value)
    sign = "-" if v < 0 else ""
    v = abs(v)
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if v >= size:
            digits = f"{v / size:,.{2 if v / size < 10 else 1}f}".rstrip("0").rstrip(".")
            return f"{sign}£{digits}{suffix}"
    return f"{sign}£{v:,.0f}"


def percent(value: object) -> str:
    """One decimal at most: 12.3%."""
    if is_missing(value):
        return "–"
    return f"{float(value):,.1f}%".replace(".0%", "%")


def change(now: object, before: object) -> str | None:
    """'+12.3% vs previous period' style delta text, None when it cannot be computed."""
    if is_missing(now) or is_missing(before):
        return None
    now, before = float(now), float(before)
    if before == 0:
        return None if now == 0 else f"{now:+,.0f} (none before)"
    return f"{(now - before) / before * 100:+,.1f}%".replace(".0%", "%")


def financial_year(d: date) -> str:
    """April–March, written '2024-25'."""
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}-{str(start + 1)[-2:]}"


def as_of(d: object) -> str:
    """'31 Oct 2026' for a date-like, '–' for nothing."""
    if is_missing(d):
        return "–"
    if hasattr(d, "date") and callable(d.date):
        d = d.date()
    return format_date(d)  # type: ignore[arg-type]


# Explicit bidi embeddings, overrides and isolates (the "Trojan Source" characters, CVE-2021-42574)
# reorder everything after them: in a location or name they can make "exe.txt" read "txt.exe".
# Right-to-left names never need them (the Unicode bidi algorithm orders them), so they are dropped
# from everything shown. Zero-width joiners stay: Persian and Indic spellings need them.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
LABEL_MAX = 36  # characters of a data-derived label on a chart axis or legend


def text(value: object) -> str:
    """Data-derived text for display: a string without bidi controls."""
    return str(value).translate(BIDI_CONTROLS)


def esc(value: object, quote: bool = False) -> str:
    """Data-derived text for an HTML context (plotly labels, the briefing pack)."""
    return html.escape(text(value), quote=quote)


def short(value: object, limit: int = LABEL_MAX) -> str:
    """At most ``limit`` characters, cut with an ellipsis: labels that cannot squeeze a chart."""
    t = text(value)
    return t if len(t) <= limit else t[: limit - 1].rstrip() + "…"
