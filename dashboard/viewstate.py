"""Each page's own view state in the URL (the kepler.gl pattern): a small, versioned, whitelisted set of
page-prefixed keys (``map.focus``, ``ops.q`` …) next to the shared filters, so a link or a saved view
reopens what the sender saw: the map's focus, zoom, layers, style and month; the Operations table's
own filters and the selected operation. Unknown or unusable values are dropped with a notice.

Pure: parsing and writing only. The UI restores the parsed values into the widgets' session state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from . import maps

FORMAT_KEY, FORMAT = "view", "1"  # the view-config format; a later format can translate this one
Raw = Sequence[str]


class Unusable(ValueError):
    """A URL value this parameter cannot take; the message says why."""


@dataclass(frozen=True)
class Param:
    """One page parameter: its URL key, the widget (session-state key) it restores, and how to read and
    write its value."""

    key: str
    widget: str
    default: object
    parse: Callable[[Raw], object]
    write: Callable[[object], list[str]]


def _choice(options: Sequence[str]) -> Callable[[Raw], object]:
    def parse(raw: Raw) -> object:
        if raw[-1] not in options:
            raise Unusable(f"not one of {', '.join(options)}")
        return raw[-1]

    return parse


def _flag(raw: Raw) -> object:
    if raw[-1] not in ("1", "0"):
        raise Unusable("use 1 (on) or 0 (off)")
    return raw[-1] == "1"


def _steps(raw: Raw) -> object:
    text = raw[-1]
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 2) or not -12 <= int(text) <= 12:
        raise Unusable("a whole number of zoom steps from -12 to 12")
    return int(text)


def _month(raw: Raw) -> object:
    text = raw[-1]
    try:
        if len(text) != 7:  # YYYY-MM
            raise ValueError(text)
        return date.fromisoformat(text + "-01")
    except ValueError:
        raise Unusable("a month written YYYY-MM") from None


def _texts(limit: int, count: int) -> Callable[[Raw], object]:
    def parse(raw: Raw) -> object:
        kept = [v for v in dict.fromkeys(raw) if v.strip()]
        if len(kept) > count or any(len(v) > limit or not v.isprintable() for v in kept):
            raise Unusable(f"at most {count} values of up to {limit} printable characters")
        return kept

    return parse


def _text(limit: int) -> Callable[[Raw], object]:
    def parse(raw: Raw) -> object:
        if len(raw[-1]) > limit or not raw[-1].isprintable():
            raise Unusable(f"up to {limit} printable characters")
        return raw[-1]

    return parse


def _one(value: object) -> list[str]:
    if isinstance(value, bool):
        return ["1" if value else "0"]
    if isinstance(value, date):
        return [value.strftime("%Y-%m")]
    return [] if value is None or value == "" else [str(value)]


def _many(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


FOCUS = list(maps.FOCUS_VIEWS)
PARAMS: dict[str, tuple[Param, ...]] = {
    "map": (
        Param("map.focus", "map_focus", FOCUS[0], _choice(FOCUS), _one),
        Param("map.zoom", "map_zoom_steps", 0, _steps, _one),
        Param("map.routes", "map_routes", True, _flag, _one),
        Param("map.incidents", "map_incidents", True, _flag, _one),
        Param("map.style", "map_style", "light", _choice(["light", "dark"]), _one),
        Param("map.by_month", "map_by_month", False, _flag, _one),
        Param("map.month", "map_month", None, _month, _one),
    ),
    "operations": (
        Param("ops.status", "operations_status", [], _texts(40, 10), _many),
        Param("ops.agency", "operations_agency", [], _texts(80, 20), _many),
        Param("ops.q", "operations_search", "", _text(100), _one),
        Param("ops.op", "operations_selected", None, _text(40), _one),
    ),
}


def keys(url_path: str) -> set[str]:
    """The URL keys a page reads besides the shared filters."""
    return {p.key for p in PARAMS.get(url_path, ())} | {FORMAT_KEY}


def parse(url_path: str, raw: Mapping[str, Sequence[str]]) -> tuple[dict[str, object], list[str]]:
    """(widget values, notices) for a page from the URL; keys of other pages are ignored silently."""
    values: dict[str, object] = {}
    notices: list[str] = []
    fmt = list(raw.get(FORMAT_KEY, []))
    if fmt and fmt[-1] != FORMAT:
        notices.append(f"view format {fmt[-1][:20]!r} is not one this Tideline reads ({FORMAT}): page settings ignored")
        return values, notices
    for p in PARAMS.get(url_path, ()):
        given = [v for v in raw.get(p.key, []) if v != ""]
        if not given:
            continue
        try:
            values[p.widget] = p.parse(given)
        except Unusable as exc:
            notices.append(f"{p.key} {given[-1][:40]!r} ignored: {exc}")
    return values, notices


def to_query(url_path: str, values: Mapping[str, object]) -> dict[str, list[str]]:
    """The URL form of a page's widget values (every parameter of the page, defaults included)."""
    params = PARAMS.get(url_path, ())
    out = {p.key: p.write(values.get(p.widget, p.default)) for p in params}
    return {FORMAT_KEY: [FORMAT], **{k: v for k, v in out.items() if v}} if params else {}
