"""UK-style number, money and change formatting, and data-derived text made safe to show (pure)."""

from __future__ import annotations

import html
from typing import SupportsFloat, cast

from .clean import is_missing, text
from .filters import format_date

__all__ = [
    "as_of",
    "change",
    "esc",
    "gbp",
    "is_missing",
    "kpi_value",
    "number",
    "percent",
    "short",
    "target_share",
    "text",
]


def _float(value: object) -> float:
    """A value already known not to be missing, as a float (float() raises for anything else)."""
    return float(cast(SupportsFloat, value))


def number(value: object, decimals: int = 0) -> str:
    """12,345 (or '–' when not available)."""
    if is_missing(value):
        return "–"
    return f"{_float(value):,.{decimals}f}"


def gbp(value: object) -> str:
    """£ with k/m/bn: £950, £12.5k, £1.25m, £2.1bn."""
    if is_missing(value):
        return "–"
    v = _float(value)
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
    return f"{_float(value):,.1f}%".replace(".0%", "%")


def change(now: object, before: object) -> str | None:
    """'+12.3% vs previous period' style delta text, None when it cannot be computed."""
    if is_missing(now) or is_missing(before):
        return None
    now, before = _float(now), _float(before)
    if before == 0:
        return None if now == 0 else f"{now:+,.0f} (none before)"
    return f"{(now - before) / before * 100:+,.1f}%".replace(".0%", "%")


def as_of(d: object) -> str:
    """'31 Oct 2026' for a date-like, '–' for nothing."""
    if is_missing(d):
        return "–"
    if hasattr(d, "date") and callable(d.date):
        d = d.date()
    return format_date(d)  # type: ignore[arg-type]


def kpi_value(key: str, value: object) -> str:
    """A KPI value as every page, slide and pack writes it: £ with k/m/bn for spend, one decimal for
    people per boat, whole numbers otherwise."""
    if key == "spent_gbp":
        return gbp(value)
    return number(value, 1 if key == "people_per_boat" else 0)


def target_share(value: object, target: object) -> str:
    """'87.5%' of a target, or '–' when either is missing or the target is 0."""
    if is_missing(value) or is_missing(target) or not _float(target):
        return "–"
    return percent(_float(value) / _float(target) * 100)


LABEL_MAX = 36  # characters of a data-derived label on a chart axis or legend


def esc(value: object, quote: bool = False) -> str:
    """Data-derived text for an HTML context (plotly labels, the briefing pack)."""
    return html.escape(text(value), quote=quote)


MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|<>~$:"  # what st.markdown would read as formatting, links, HTML or maths


def md_escape(value: str) -> str:
    """Text made inert for st.markdown: every character Markdown (or Streamlit's extensions) reads, escaped."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in value)


def short(value: object, limit: int = LABEL_MAX) -> str:
    """At most ``limit`` characters, cut with an ellipsis: labels that cannot squeeze a chart."""
    t = text(value)
    return t if len(t) <= limit else t[: limit - 1].rstrip() + "…"
