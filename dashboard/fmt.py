"""UK-style number, money and change formatting (pure)."""

from __future__ import annotations

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
