"""FilterState: the one filter state shared by every page, the URL and the queries."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from . import nationality as nationalities

# URL keys, which are also the widget keys and the field names below.
KEYS = ("period", "region", "route", "type", "nationality", "version", "compare")
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
# What KPI changes are measured against: crossings are seasonal, so the default is a year earlier.
COMPARE = {"year": "the same period a year earlier", "previous": "the previous period of the same length"}
COMPARE_SHORT = {"year": "a year earlier", "previous": "previous period"}  # next to a change: "+4% vs …"
# Periods an analyst asks for by name, relative to the latest date in the pinned data version (so a
# link naming one opens the same dates for as long as it pins that version).
QUICK_PERIODS = {
    "last-12-months": "Last 12 months",
    "ytd": "Year to date",
    "last-month": "Last full month",
    "last-quarter": "Last full quarter",
    "this-fy": "This financial year",
}


@dataclass(frozen=True)
class FilterOptions:
    """What the current data offers: the values a FilterState may take."""

    regions: tuple[str, ...]
    routes: tuple[str, ...]
    types: tuple[str, ...]
    versions: tuple[int, ...]
    current_version: int | None
    data_start: date
    data_end: date
    route_regions: Mapping[str, str] = field(default_factory=dict)  # route -> its region (routes table)
    nationalities: tuple[str, ...] = ()  # names as shown (dashboard/nationality.py), from every nationality column

    def routes_in(self, regions: Sequence[str]) -> tuple[str, ...]:
        """The routes of these regions (all routes when none is chosen)."""
        if not regions:
            return self.routes
        return tuple(r for r in self.routes if self.route_regions.get(r) in regions)

    def quick_period(self, name: str) -> tuple[date, date]:
        """A named period (QUICK_PERIODS) ending at the latest date in the data; KeyError for another name."""
        end = self.data_end
        if name == "last-12-months":
            return self.default_period()
        if name == "ytd":
            start = date(end.year, 1, 1)
        elif name == "this-fy":
            start = date(end.year if end.month >= 4 else end.year - 1, 4, 1)
        elif name in ("last-month", "last-quarter"):
            last = end if end == _month_end(end) else date(end.year, end.month, 1) - timedelta(days=1)
            if name == "last-quarter":
                while last.month % 3:  # back to the end of a calendar quarter (Mar, Jun, Sep, Dec)
                    last = date(last.year, last.month, 1) - timedelta(days=1)
                start = date(last.year, last.month - 2, 1)
            else:
                start = date(last.year, last.month, 1)
            end = last
        else:
            raise KeyError(name)
        start = max(start, self.data_start)
        return (start, end) if start <= end else (end, end)

    def default_period(self) -> tuple[date, date]:
        """The latest 12 full months of data."""
        end = self.data_end
        if end != _month_end(end):
            end = date(end.year, end.month, 1) - timedelta(days=1)
        start = date(end.year - 1, end.month, 1) + timedelta(days=_days_in_month(end.year - 1, end.month))
        start = max(start, self.data_start)
        return (start, end) if start <= end else (self.data_start, self.data_end)


def _days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _month_end(d: date) -> date:
    return date(d.year, d.month, _days_in_month(d.year, d.month))


@dataclass(frozen=True)
class FilterState:
    """Period, regions, routes, incident types and pinned data version; empty tuple = all."""

    period: tuple[date, date]
    region: tuple[str, ...] = ()
    route: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    nationality: tuple[str, ...] = ()  # names as shown: "Albania", "Iran"
    version: int | None = None
    compare: str = "year"  # a key of COMPARE: what changes are measured against

    @property
    def start(self) -> date:
        return self.period[0]

    @property
    def end(self) -> date:
        return self.period[1]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @classmethod
    def default(cls, options: FilterOptions) -> FilterState:
        return cls(period=options.default_period(), version=options.current_version)

    def previous(self) -> FilterState:
        """The same filters over the equal-length period just before this one."""
        prev_end = self.start - timedelta(days=1)
        return replace(self, period=(prev_end - timedelta(days=self.days - 1), prev_end))

    def baseline(self) -> FilterState:
        """The filters over the period changes are measured against (COMPARE[self.compare])."""
        return self.shifted_years(-1) if self.compare == "year" else self.previous()

    def baseline_words(self) -> str:
        """'1 Nov 2024 – 31 Oct 2025, the same period a year earlier'."""
        base = self.baseline()
        return f"{format_period(base.start, base.end)}, {COMPARE[self.compare]}"

    def vs_words(self) -> str:
        """The short form next to a change: 'vs a year earlier' or 'vs previous period'."""
        return f"vs {COMPARE_SHORT[self.compare]}"

    def conflicts(self, options: FilterOptions) -> list[str]:
        """Filters that exclude each other (a route outside every chosen region), in words."""
        if not (self.region and self.route):
            return []
        outside = [r for r in self.route if options.route_regions.get(r) not in self.region]
        if not outside:
            return []
        return [
            f"the route(s) {_join(outside)} are not in the region(s) {_join(self.region)}: "
            "data must match both, so those routes show nothing; clear one of the two filters"
        ]

    def shifted_years(self, years: int) -> FilterState:
        """The same filters a whole number of years earlier or later (29 Feb → 28 Feb)."""
        return replace(self, period=(_shift_year(self.start, years), _shift_year(self.end, years)))

    # -- URL ------------------------------------------------------------------------------
    def to_query_params(self) -> dict[str, list[str]]:
        """Every filter explicit, the version pinned: the share-link form."""
        params: dict[str, list[str]] = {"period": [self.start.isoformat(), self.end.isoformat()]}
        for key in ("region", "route", "type", "nationality"):
            if getattr(self, key):
                params[key] = list(getattr(self, key))
        if self.version is not None:
            params["version"] = [str(self.version)]
        params["compare"] = [self.compare]
        return params

    def query_string(self) -> str:
        return urlencode(self.to_query_params(), doseq=True)

    @classmethod
    def from_query_params(
        cls, params: Mapping[str, str | Sequence[str]], options: FilterOptions, known: Collection[str] = ()
    ) -> tuple[FilterState, list[str]]:
        """Parse URL parameters; anything unusable is dropped with a notice, never raised. `known` are other
        keys the caller reads (a page's own view parameters), so they are not called unknown here."""
        notices: list[str] = []
        default = cls.default(options)

        def values(key: str) -> list[str]:
            raw = params.get(key, [])
            return [raw] if isinstance(raw, str) else [str(v) for v in raw]

        period = default.period
        raw_period = [v for v in values("period") if v != ""]  # an empty value clears the picker
        if len(raw_period) == 1 and raw_period[0] in QUICK_PERIODS:
            period = options.quick_period(raw_period[0])
        elif raw_period:
            parsed = _parse_period(raw_period)
            if isinstance(parsed, str):
                notices.append(f"period {_show(raw_period)} ignored: {parsed}")
            else:
                if parsed[0] > parsed[1]:
                    notices.append(f"period {_show(raw_period)}: start was after end, so the dates were swapped")
                    parsed = (parsed[1], parsed[0])
                period = parsed

        def name_of(v: str) -> str | None:
            """A nationality by the name shown, or by any name or ISO 3166-1 alpha-3 code naming one ("ALB")."""
            return v if v in options.nationalities else nationalities.name_of(v)

        chosen: dict[str, tuple[str, ...]] = {}
        for key, allowed, dropped_words, canonical in (
            ("region", options.regions, "unknown region", None),
            ("route", options.routes, "unknown route", None),
            ("type", options.types, "unknown incident type", None),
            ("nationality", options.nationalities, "nationality not in this data version", name_of),
        ):
            kept, dropped = [], []
            for v in values(key):
                c = canonical(v) if canonical else v
                if c in allowed:
                    if c not in kept:
                        kept.append(c)
                elif v != "":
                    dropped.append(v)
            if dropped:
                notices.append(f"{dropped_words} ignored: {_show(dropped)}")
            chosen[key] = tuple(kept)

        version = options.current_version
        raw_version = values("version")
        if raw_version:
            v = raw_version[-1]
            if small_int(v) in options.versions:
                version = small_int(v)
            else:
                notices.append(
                    f"data version {_show([v])} not found: showing the current version ({options.current_version})"
                )
            if len(set(raw_version)) > 1:
                notices.append(f"several data versions given ({_show(raw_version)}): used the last one")

        compare = "year"
        raw_compare = [v for v in values("compare") if v != ""]
        if raw_compare:
            if raw_compare[-1] in COMPARE:
                compare = raw_compare[-1]
            else:
                notices.append(f"compare {_show(raw_compare[-1:])} ignored: use {' or '.join(COMPARE)}")

        unknown = sorted(k for k in params if k not in KEYS and k not in known)
        if unknown:
            notices.append(f"unknown parameter(s) not used for filtering: {_show(unknown)}")
        state = cls(
            period=period,
            region=chosen["region"],
            route=chosen["route"],
            type=chosen["type"],
            nationality=chosen["nationality"],
            version=version,
            compare=compare,
        )
        return state, notices

    # -- SQL ------------------------------------------------------------------------------
    def where(
        self,
        prefix: str,
        *,
        date_col: str | None = "date",
        region_col: str | None = None,
        route_col: str | None = "route",
        type_col: str | None = None,
        nationality_col: str | None = None,
        nationality_codes: bool = False,
        month_grain: bool = False,
        period: tuple[date, date] | None = None,
    ) -> tuple[str, dict[str, object]]:
        """SQL WHERE fragment with named parameters (``$<prefix>_start``, ``$<prefix>_region_0``, …)
        and their values, for the named columns.

        Every fragment of one query takes its own ``prefix``, so parameters never depend on the order
        fragments are joined in; ``params()`` merges them and refuses a name bound to two values. A
        region filter on a table with only a route column becomes a filter on the routes of those
        regions (looked up in the `routes` table). Column names come from code, never from input.
        """
        if not prefix.isidentifier():
            raise ValueError(f"parameter prefix must be an identifier, not {prefix!r}")
        clauses: list[str] = []
        values: dict[str, object] = {}

        def marks(name: str, items: Sequence[object]) -> str:
            for i, item in enumerate(items):
                values[f"{prefix}_{name}_{i}"] = item
            return ", ".join(f"${prefix}_{name}_{i}" for i in range(len(items)))

        start, end = period or self.period
        if date_col:
            values[f"{prefix}_start"] = start.replace(day=1) if month_grain else start
            values[f"{prefix}_end"] = end
            clauses.append(f"{date_col} BETWEEN ${prefix}_start AND ${prefix}_end")
        if self.region:
            if region_col:
                clauses.append(f"{region_col} IN ({marks('region', self.region)})")
            elif route_col:
                clauses.append(
                    f"{route_col} IN (SELECT route FROM routes WHERE region IN ({marks('region', self.region)}))"
                )
        if self.route and route_col:
            clauses.append(f"{route_col} IN ({marks('route', self.route)})")
        if self.type and type_col:
            clauses.append(f"{type_col} IN ({marks('type', self.type)})")
        if self.nationality and nationality_col:
            # names in the Home Office tables; ISO-3 codes (nationality_codes) in Frontex's route_flows
            chosen = (
                [nationalities.code_of(n) or n for n in self.nationality] if nationality_codes else self.nationality
            )
            clauses.append(f"{nationality_col} IN ({marks('nationality', chosen)})")
        return (" AND ".join(clauses) or "TRUE"), values

    # -- words ----------------------------------------------------------------------------
    def describe(self, with_version: bool = True) -> str:
        """One line for the page caption naming every active filter, e.g. 'English Channel · 1 Jan – 30 Jun
        2025', 'Mediterranean · route English Channel · …'."""
        parts = []
        if self.region and self.route:
            parts += [_join(self.region), f"route{'s' if len(self.route) > 1 else ''} {_join(self.route)}"]
        elif self.route or self.region:
            parts.append(_join(self.route or self.region))
        else:
            parts.append("All regions and routes")
        if self.type:
            parts.append(_join([t.capitalize() for t in self.type]))
        if self.nationality:
            parts.append(f"nationalit{'ies' if len(self.nationality) > 1 else 'y'} {_join(self.nationality)}")
        parts.append(format_period(*self.period))
        if with_version and self.version is not None:
            parts.append(f"data version {self.version}")
        return " · ".join(parts)


def format_date(d: date) -> str:
    """UK style: '1 Jan 2025'."""
    return f"{d.day} {d.strftime('%b')} {d.year}"


def format_period(start: date, end: date) -> str:
    """'1 – 31 Jan 2025', '1 Jan – 30 Jun 2025', '1 Nov 2025 – 31 Oct 2026'."""
    if start == end:
        return format_date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day} – {format_date(end)}"
    if start.year == end.year:
        return f"{start.day} {start.strftime('%b')} – {format_date(end)}"
    return f"{format_date(start)} – {format_date(end)}"


def _shift_year(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def small_int(text: str) -> int | None:
    """A plain non-negative integer as written in a URL ('12'), else None: no signs, spaces, leading
    zeros, non-ASCII digits ('²', '１') or huge values (int() refuses > 4,300 digits)."""
    if text.isascii() and text.isdigit() and len(text) <= 9 and text == str(int(text)):
        return int(text)
    return None


def _parse_period(raw: list[str]) -> tuple[date, date] | str:
    raw = list(dict.fromkeys(raw))  # as the date picker reads the URL: repeated values count once
    if len(raw) == 1:  # one day
        raw = raw * 2
    if len(raw) != 2:  # the date picker drops these too
        return f"expected two dates (start and end), got {len(raw)}"
    out = []
    for text in raw:
        try:
            # Exactly what the date picker accepts: Y-M-D with dashes, nothing around it.
            d = datetime.strptime(text, "%Y-%m-%d").date() if text.strip() == text else None
        except ValueError:
            d = None
        if d is None:
            return f"{_show([text])} is not a date in the form YYYY-MM-DD"
        if not EARLIEST <= d <= LATEST:
            return f"{d.isoformat()} is outside {EARLIEST.year}–{LATEST.year}"
        out.append(d)
    return out[0], out[1]


def params(*parts: Mapping[str, object], **named: object) -> dict[str, object]:
    """Named SQL parameters from several WHERE fragments and extra values, as one dict; ValueError
    when one name would be bound to two different values (two fragments sharing a prefix)."""
    out: dict[str, object] = {}
    for part in (*parts, named):
        for key, value in part.items():
            if key in out and out[key] != value:
                raise ValueError(f"SQL parameter ${key} given two values: {out[key]!r} and {value!r}")
            out[key] = value
    return out


def _join(values: Sequence[str]) -> str:
    return ", ".join(values) if len(values) <= 3 else f"{', '.join(values[:2])} and {len(values) - 2} more"


def _show(values: Sequence[str], limit: int = 60) -> str:
    """Quote user-supplied values for a notice, shortened so junk cannot flood the page."""
    out = []
    for v in list(values)[:5]:
        v = "".join(ch if ch.isprintable() else "\ufffd" for ch in v)
        out.append(repr(v if len(v) <= limit else v[:limit] + "…"))
    more = f" and {len(values) - 5} more" if len(values) > 5 else ""
    return ", ".join(out) + more
