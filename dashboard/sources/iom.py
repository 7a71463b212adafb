"""IOM Missing Migrants Project CSV downloads (three header layouts) -> `incidents` rows.

A file is taken as IOM's when every key column of a layout is in its header; it is then read with the
layout that suits the whole header best (every required field found, most fields found), by column name,
so column order and extra columns do not matter. Incidents are keyed on `Incident ID` (IOM's unique key);
`Main ID`, which groups related records, is the key only in files without `Incident ID`. Blank, `NA`,
`N/A` and `-` are not available (NULL), never 0. An incident without coordinates is kept with no position
(counted in every total, left off the map); `Main ID` is kept as its `group_id`. Date rules, per layout
(slash dates are the only ambiguous form):
- weekday form "Fri, 01/05/2018 - 12:00" (IOM's own export, any layout): month/day/year; the
  weekday must agree with the date, which also confirms the order;
- older layout: plain slash dates are month/day/year (IOM's US-style export of those years);
- current and split layouts: plain slash dates follow the order the file itself proves (a first
  part above 12 = day first, a second part above 12 = month first); if the file proves neither
  (or both), a slash date that could be either is rejected as ambiguous;
- ISO "2024-01-05" (optionally with a time) and month names ("January 5, 2018", "5 Jan 2018")
  are read in every layout.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard import schema
from dashboard.sources.base import (
    NOT_AVAILABLE,
    ImportResult,
    Progress,
    Rejection,
    StructuralError,
    count_maxima,
    csv_header,
    no_progress,
    parse_coordinate,
    parse_count,
    parse_date,
    per_value,
    read_text_columns,
    unknown_labels,
)

NAME = "iom_missing_migrants"
LABEL = "IOM Missing Migrants Project (CSV download)"
SOURCE = "IOM Missing Migrants Project"

INCIDENT_TYPE = "dead or missing"
NOT_STATED = "(not stated)"  # route/region when the file gives no label at all (both are NOT NULL)
PROGRESS_EVERY = 5_000
MAXIMA = count_maxima(schema.TABLES["incidents"])  # count column -> the largest value it holds


@dataclass(frozen=True)
class Layout:
    """One IOM header layout: the columns that identify it and where each field is read from."""

    name: str
    key: tuple[str, ...]  # all present -> this layout
    fields: dict[str, tuple[str, ...]]  # field -> header names it may have, first present wins
    required: tuple[str, ...]  # fields that must have a column


# Optional fields shared by every layout (IOM renamed some of them between releases).
COMMON: dict[str, tuple[str, ...]] = {
    "survivors": ("Number of Survivors", "No. survivors", "No. of survivors"),
    "total": ("Total Dead and Missing", "No. dead/missing", "Total Number of Dead and Missing"),
    "cause": ("Cause of Death",),
    "location": ("Location of death", "Location Description", "Location of Incident", "Location"),
    "url": ("URL",),
    "quality": ("Source Quality",),
}

LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "current",
        ("Main ID", "Incident Date"),
        {
            # IOM's unique key is Incident ID; Main ID groups related records (one event at several
            # places) and is the key only in files that have no Incident ID.
            "id": ("Incident ID", "Main ID"),
            "group": ("Main ID",),
            "date": ("Incident Date",),
            "dead": ("Number Dead",),
            "missing": ("Minimum Estimated Number of Missing",),
            "coordinates": ("Coordinates",),
            "route": ("Migration route",),
            "region": ("Region", "Region of Incident"),
        },
        ("id", "date", "dead", "missing", "coordinates", "route"),
    ),
    Layout(
        "older",
        ("Web ID", "Reported Date"),
        {
            "id": ("Web ID",),
            "date": ("Reported Date",),
            "dead": ("Number Dead",),
            "missing": ("Minimum Estimated Number of Missing",),
            "coordinates": ("Location Coordinates",),
            "route": ("Migration Route",),
            "region": ("Region of Incident",),
        },
        ("id", "date", "dead", "missing", "coordinates", "route"),
    ),
    Layout(
        "split",
        ("Latitude", "Longitude", "No. dead"),
        {
            "id": ("Incident ID", "Main ID", "Web ID"),
            "group": ("Main ID",),
            "date": ("Incident date",),
            "dead": ("No. dead",),
            "missing": ("No. missing",),
            "lat": ("Latitude",),
            "lon": ("Longitude",),
            "route": ("Route",),
            "region": ("Region of Incident", "Region"),
        },
        ("date", "dead", "missing", "lat", "lon", "route"),
    ),  # republished copies may carry no id
)

# IOM 'Migration route' labels that name a Tideline route. "Mainland Europe to the UK" also covers
# deaths in lorries, but IOM files it with the Channel and the demo calibrates the Channel on it.
ROUTE_OF_LABEL: dict[str, str] = {
    "english channel to the uk": "English Channel",
    "mainland europe to the uk": "English Channel",
    "atlantic route to the canary islands": "Atlantic (Canary Islands)",
    "western africa / atlantic route to the canary islands": "Atlantic (Canary Islands)",
    "belarus-eu border": "Eastern Borders",
    **{route.lower(): route for route in schema.ROUTES},  # "Central Mediterranean", "Western Balkans", …
}
REGION_OF_ROUTE = {route: region for region, routes in schema.REGIONS.items() for route in routes}

# Used when no regions table is given: each Tideline region and the IOM labels filed under it.
DEFAULT_IOM_LABELS: dict[str, tuple[str, ...]] = {
    "UK & Channel": ("English Channel to the UK", "Mainland Europe to the UK"),
    "Mediterranean": ("Central Mediterranean", "Eastern Mediterranean", "Western Mediterranean"),
    "Atlantic": ("Atlantic route to the Canary Islands", "Western Africa / Atlantic route to the Canary Islands"),
    "Balkans & Eastern Europe": ("Western Balkans", "Belarus-EU border"),
}

MONTH_NAME_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y")
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
WEEKDAY_DATE = re.compile(r"([A-Za-z]{3})[A-Za-z]*,?\s+(\d{1,2})/(\d{1,2})/(\d{4})(?:\s*-?\s*\d{1,2}:\d{2})?")
WKT_POINT = re.compile(r"POINT\s*\(\s*(\S+)\s+(\S+)\s*\)", re.IGNORECASE)


def _norm(name: object) -> str:
    """A header or label compared without case, BOM or spacing differences."""
    return " ".join(str(name).replace("\ufeff", "").split()).lower()


def _columns_of(layout: Layout, present: set[str]) -> dict[str, bool]:
    """For each of a layout's fields, whether the header has one of its column names."""
    return {field: any(_norm(n) in present for n in names) for field, names in layout.fields.items()}


def _layout_of(header: list[str]) -> Layout | None:
    """A layout whose key columns are all in the header (detection: cheap, from the header only)."""
    present = {_norm(h) for h in header}
    return next((lay for lay in LAYOUTS if all(_norm(k) in present for k in lay.key)), None)


def _best_layout(header: list[str]) -> tuple[Layout | None, list[str]]:
    """The layout to read a header with, judged on the whole header: of the layouts that find a column for
    every required field, the one that finds the most fields (ties: LAYOUTS order). Else (None, what each
    layout lacked), for the refusal."""
    present = {_norm(h) for h in header}
    usable, lacking = [], []
    for layout in LAYOUTS:
        found = _columns_of(layout, present)
        missing = [layout.fields[f][0] for f in layout.required if not found[f]]
        if missing:
            lacking.append(f"{layout.name} layout lacks {', '.join(missing)}")
        else:
            usable.append((sum(found.values()), -LAYOUTS.index(layout), layout))
    if usable:
        return max(usable, key=lambda u: u[:2])[2], []
    return None, lacking


def detect(path: Path) -> bool:
    """True if the file's first line is the header of an IOM Missing Migrants layout."""
    try:
        return _layout_of(csv_header(path)) is not None
    except Exception:  # detection must never raise, whatever the file is
        return False


# --- values ------------------------------------------------------------------------------------


def _not_available(value: object) -> bool:
    """None, blank, or a publisher's not-available marker (NA, N/A, n/a, -, …): NULL, never 0."""
    if value is None:
        return True
    text = str(value).strip()
    return text == "" or text in NOT_AVAILABLE or text.upper() in NOT_AVAILABLE


def _slash_order(values: list[str | None]) -> str | None:
    """'dmy' or 'mdy' when the file's unambiguous slash dates all point one way, else None."""
    day_first = month_first = False
    for value in values:
        m = SLASH_DATE.fullmatch(value or "")
        if m:
            day_first |= int(m[1]) > 12
            month_first |= int(m[2]) > 12
    if day_first != month_first:
        return "dmy" if day_first else "mdy"
    return None


def _date(text: str, slash_order: str | None) -> date:
    """A date in one of the IOM textual forms (module docstring). ValueError says why."""
    text = " ".join(text.split())
    if m := ISO_DATE.fullmatch(text):
        return _ymd(text, int(m[1]), int(m[2]), int(m[3]))
    if m := WEEKDAY_DATE.fullmatch(text):
        d = _ymd(text, int(m[4]), int(m[2]), int(m[3]))
        if d.strftime("%a").lower() != m[1].lower():
            raise ValueError(f"weekday {m[1]} does not match {d.isoformat()} (read as month/day/year): {text!r}")
        return d
    if m := SLASH_DATE.fullmatch(text):
        a, b = int(m[1]), int(m[2])
        order = slash_order or ("dmy" if a > 12 else "mdy" if b > 12 else None)
        if order is None:
            raise ValueError(
                f"ambiguous day/month order in {text!r}: nothing in this file shows which comes first; use YYYY-MM-DD"
            )
        day, month = (a, b) if order == "dmy" else (b, a)
        return _ymd(text, int(m[3]), month, day)
    return parse_date(text, MONTH_NAME_FORMATS)


def _ymd(text: str, year: int, month: int, day: int) -> date:
    """date(year, month, day), with a message that quotes the text."""
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"not a valid date: {text!r}") from None


def _lat_lon(lat_text: str, lon_text: str) -> tuple[float, float]:
    """Latitude and longitude in range; the error hints when the pair looks swapped."""
    try:
        return parse_coordinate(lat_text, -90, 90, "latitude"), parse_coordinate(lon_text, -180, 180, "longitude")
    except ValueError as exc:
        try:
            parse_coordinate(lon_text, -90, 90, "latitude")
            parse_coordinate(lat_text, -180, 180, "longitude")
        except ValueError:
            raise exc from None
        raise ValueError(f"{exc} (latitude and longitude swapped?)") from None


def _split_coordinates(text: str) -> tuple[float, float]:
    """'lat, lon' (any spacing) or WKT 'POINT (lon lat)' -> (lat, lon). ValueError says why."""
    if m := WKT_POINT.fullmatch(text.strip()):
        return _lat_lon(m[2], m[1])
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"coordinates are not 'lat, lon': {text[:40]!r}")
    return _lat_lon(parts[0], parts[1])


def _label_regions(regions: pd.DataFrame | None) -> dict[str, str]:
    """Normalised IOM label (and region name) -> Tideline region, from the regions table or defaults."""
    if regions is None:
        pairs = [(region, list(labels)) for region, labels in DEFAULT_IOM_LABELS.items()]
    else:
        pairs = [
            (region, _labels(labels)) for region, labels in zip(regions["region"], regions["iom_labels"], strict=True)
        ]
    out: dict[str, str] = {}
    for region, labels in pairs:
        out[_norm(region)] = region
        for label in labels:
            out[_norm(label)] = region
    return out


def _labels(value: object) -> list[str]:
    """iom_labels as stored (list/array) or as in a CSV (JSON text) -> list of labels."""
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    if value is None or (isinstance(value, float) and value != value):
        return []
    text = str(value).strip()
    if text.startswith("["):
        return [str(v) for v in json.loads(text)]
    return [text] if text else []


# --- read --------------------------------------------------------------------------------------


class _Bad(Exception):
    """A row's problem: the field it is in, why, and the offending text."""

    def __init__(self, field: str, reason: str, value: object = None):
        super().__init__(reason)
        self.field, self.reason, self.value = field, reason, value


def read(
    path: Path, *, regions: pd.DataFrame | None, progress: Progress = no_progress, vectorised: bool = True
) -> ImportResult:
    """Read an IOM Missing Migrants CSV into `incidents` rows, rejecting bad rows with reasons.

    Rows are read column by column (_vouched): a row whose values all take the common forms (ISO, slash or
    weekday dates, 'lat, lon' pairs, counts in plain digits) is accepted at once; every other row goes through
    the per-row rules (_parse_row), which accept it or say exactly why not. `vectorised=False` sends every row
    the per-row way (the tests compare the two)."""
    header, columns, lines = read_text_columns(path)
    layout, lacking = _best_layout(header)
    if layout is None:
        raise StructuralError(
            f"{path.name}: the header matches no IOM Missing Migrants layout in full. Layouts considered: "
            + "; ".join(lacking)
            + f". Found: {', '.join(header) or 'no columns'}"
        )
    position: dict[str, int] = {}  # normalised header -> first column position (a repeated name: first wins)
    for i, h in enumerate(header):
        position.setdefault(_norm(h), i)
    cols = {
        field: [position[_norm(n)] for n in names if _norm(n) in position]
        for field, names in {**COMMON, **layout.fields}.items()
    }
    name = {f: header[p[0]] for f, p in cols.items() if p}  # field -> header text, for rejections
    n = len(lines)
    progress(f"{path.name}: reading {n:,} rows", 0.1)
    # each field's first given value per row; blank and not-available markers (NA, N/A, -) are not given
    given = {field: _given(columns, positions, n) for field, positions in cols.items()}
    # older downloads are US-style; other layouts must prove their order (module docstring)
    slash_order = "mdy" if layout.name == "older" else _slash_order(pc.unique(given["date"].drop_null()).to_pylist())
    label_region = _label_regions(regions)
    today = date.today()
    line_of = lines
    has_id = bool(cols["id"])

    if vectorised:
        ok, fast = _vouched(given, layout, has_id, line_of, slash_order, today)
    else:
        ok, fast = np.zeros(n, dtype=bool), {}
    progress(f"{path.name}: {int(ok.sum()):,} of {n:,} rows read at once; the rest one by one", 0.5)

    rejected: list[Rejection] = []
    slow: list[dict] = []
    judged = np.flatnonzero(~ok).tolist()
    taken = pa.array(judged, type=pa.int64())
    values = {field: dict(zip(judged, arr.take(taken).to_pylist(), strict=True)) for field, arr in given.items()}
    for k, i in enumerate(judged):
        if k and k % PROGRESS_EVERY == 0:
            progress(f"{path.name}: {k:,} rows read one by one", 0.5 + 0.3 * k / max(1, n - int(ok.sum())))

        def get(field: str, i=i) -> str | None:
            return values[field][i] if field in values else None

        try:
            slow.append({**_parse_row(get, layout, has_id, int(line_of[i]), slash_order, today), "_pos": i})
        except _Bad as bad:
            value = None if bad.value is None else str(bad.value)[:80]
            rejected.append(Rejection(path.name, int(line_of[i]), name.get(bad.field), bad.reason, value=value))

    names = [c.name for c in schema.columns("incidents", provenance=False)]
    positions = np.flatnonzero(ok)
    chosen = pa.array(ok)
    quick = pd.DataFrame(
        {
            c: pd.Series(values.filter(chosen), dtype=str, index=positions)
            if isinstance(values, pa.Array)
            else values[ok]
            for c, values in fast.items()
        },
        index=positions,
    )
    rest = pd.DataFrame(slow, columns=[*names, "_pos"]).set_index("_pos")
    rest.index = rest.index.astype(np.int64)
    rest["date"] = pd.to_datetime(rest["date"])
    parts = [f for f in (quick, rest) if len(f)]
    accepted = pd.concat(parts).sort_index() if parts else rest
    # only accepted rows claim an id, so a bad first copy does not block a good second one
    repeated = np.zeros(len(accepted), dtype=bool)
    ids = pa.array(accepted["incident_id"].to_numpy(dtype=object), type=pa.string())
    if len(ids) and pc.max(pc.value_counts(ids).field("counts")).as_py() > 1:
        first_line: dict[str, int] = {}
        for k, (i, incident_id) in enumerate(zip(accepted.index, ids.to_pylist(), strict=True)):
            if incident_id not in first_line:
                first_line[incident_id] = int(line_of[i])
                continue
            repeated[k] = True
            reason = f"duplicate incident id {incident_id!r} (first on line {first_line[incident_id]})"
            value = str(incident_id.removeprefix("IOM-"))[:80]
            rejected.append(Rejection(path.name, int(line_of[i]), name.get("id"), reason, value=value))
    rejected.sort(key=lambda r: r.row or 0)
    accepted = accepted[~repeated]
    at = accepted.index.to_numpy()

    # the file's own total is not stored; a disagreement is worth telling the analyst about (-2: no total given)
    total = per_value(given["total"].take(at), lambda v: -2 if (t := _total_or_bad(v)) is None else t, np.int64)
    sums = accepted["dead"].fillna(0).astype("int64").to_numpy() + accepted["missing"].fillna(0).astype("int64")
    total_mismatch = line_of[at[(total != -2) & (total != sums)]].tolist()

    unknown_routes: Counter[str] = Counter()
    unknown_regions: Counter[str] = Counter()
    # labels are mapped once per distinct (route, region) pair
    route_labels, route_codes = _codes(given["route"].take(at))
    region_labels, region_codes = _codes(given["region"].take(at))
    pair_codes, inverse, counts = np.unique(
        route_codes * (len(region_labels) + 1) + region_codes, return_inverse=True, return_counts=True
    )
    pairs = [
        (route_labels[c // (len(region_labels) + 1)], region_labels[c % (len(region_labels) + 1)]) for c in pair_codes
    ]
    mapped = [_place(route_label, region_label, label_region) for route_label, region_label in pairs]
    no_route = 0
    for (route_label, _), (_, _, unknown_route, unknown_region), count in zip(
        pairs, mapped, counts.tolist(), strict=True
    ):
        if unknown_route is not None:
            unknown_routes[unknown_route] += count
        if unknown_region is not None:
            unknown_regions[unknown_region] += count
        if route_label is None:
            no_route += count
    routes = np.array([m[0] for m in mapped], dtype=object)[inverse]
    places = np.array([m[1] for m in mapped], dtype=object)[inverse]
    accepted = accepted.assign(route=routes, region=places)
    slash_dates = int(per_value(given["date"].take(at), lambda v: bool(SLASH_DATE.fullmatch(v or "")), bool).sum())
    progress(f"{path.name}: {n:,} rows read", 1.0)

    notes = [f"IOM {layout.name} layout."]
    if slash_dates:
        order = {"mdy": "month/day/year", "dmy": "day/month/year"}.get(slash_order or "", "the order each one proves")
        notes.append(f"{slash_dates} date(s) written dd/dd/yyyy read as {order}.")
    if not has_id:
        notes.append(
            "No Main ID, Web ID or Incident ID column: ids are made from line numbers (IOM-line-N), "
            "so they will not match another copy of the data."
        )
    if unknown_routes:
        notes.append(unknown_labels("route", unknown_routes))
    if unknown_regions:
        notes.append(unknown_labels("region", unknown_regions))
    if no_route:
        notes.append(f"{no_route} row(s) give no migration route: route set to {NOT_STATED!r}.")
    unplaced = int(accepted["lat"].isna().sum())
    if unplaced:
        notes.append(
            f"{unplaced} incident(s) give no coordinates: kept without a position, counted in every total "
            "and table, left off the map."
        )
    grouped = accepted["group_id"].value_counts()
    groups = grouped[grouped > 1].to_dict()
    if groups:
        notes.append(
            f"{sum(groups.values())} records share a Main ID with another record ({len(groups)} group(s) of "
            "related records, e.g. one event recorded at several places): each is its own incident, keyed on "
            "Incident ID, and the details panel shows its group."
        )
    if total_mismatch:
        shown = ", ".join(map(str, total_mismatch[:10])) + (" …" if len(total_mismatch) > 10 else "")
        notes.append(
            f"{name['total']} differs from dead + missing on {len(total_mismatch)} row(s) "
            f"(line {shown}); the separate counts are used."
        )

    incidents = _frame(accepted.reset_index(drop=True)[names])
    return ImportResult(
        format=NAME,
        source=SOURCE,
        tables={"incidents": incidents},
        rows_read=n,
        rejected=rejected,
        notes=notes,
        totals_by_year=_totals_by_year(incidents),
    )


def _place(route_label: str | None, region_label: str | None, label_region: dict[str, str]):
    """(route, region, the route label if unknown, the region label if unknown) for a row's labels: unknown
    labels are kept as they are, never dropped (and listed in the notes)."""
    route = ROUTE_OF_LABEL.get(_norm(route_label)) if route_label else None
    if route:
        return route, label_region.get(_norm(route_label)) or REGION_OF_ROUTE[route], None, None
    region = label_region.get(_norm(route_label or "")) or label_region.get(_norm(region_label or ""))
    unknown_region = None
    if region is None:
        region = region_label or NOT_STATED
        unknown_region = region_label or None
    return route_label or NOT_STATED, region, route_label or None, unknown_region


def _total_or_bad(value: object) -> int | None:
    """The file's own total as a count; -1 when it is not one (it then differs from any sum)."""
    try:
        return parse_count(value)
    except ValueError:
        return -1


# Every text t with `t in NOT_AVAILABLE or t.upper() in NOT_AVAILABLE` (_not_available): the markers, and each way
# of writing NA and N/A in upper and lower case (no other character upper-cases to N or A).
NOT_GIVEN = pa.array(
    sorted(NOT_AVAILABLE | {f"{n}{sep}{a}" for n in "nN" for a in "aA" for sep in ("", "/")}), type=pa.string()
)


def _given(columns: list[pa.Array], positions: list[int], n: int) -> pa.Array:
    """A field's first given value per row among its columns (text; null where none is): blank and
    not-available markers (NA, N/A, -, …: _not_available) are not given."""
    out = pa.nulls(n, type=pa.string())
    for p in reversed(positions):  # the first column wins: it is laid over the others last
        column = columns[p]
        given = pc.and_(pc.is_valid(column), pc.invert(pc.is_in(column, value_set=NOT_GIVEN)))
        out = pc.if_else(given, column, out)
    return out


def _codes(values: pa.Array) -> tuple[list[str | None], np.ndarray]:
    """(the distinct values, None for null, and each value's index among them)."""
    encoded = pc.dictionary_encode(values, null_encoding="encode")
    labels = encoded.dictionary.to_pylist()
    return labels, encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # strftime("%a") in the C locale, lower case
NUMBER = r"-?\d{1,3}(?:\.\d{1,15})?"  # a coordinate the fast path reads (any other form: the per-row rules)
FAST_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
FAST_SLASH = re.compile(r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})$")
FAST_WEEKDAY = re.compile(
    r"^(?P<w>[A-Za-z]{3})[A-Za-z]*,? +(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})(?: *-? *\d{1,2}:\d{2})?$"
)
FAST_PAIR = re.compile(rf"^(?P<lat>{NUMBER}) *, *(?P<lon>{NUMBER})$")
FAST_NUMBER = re.compile(rf"^(?P<v>{NUMBER})$")
FAST_COUNT = re.compile(r"^(?P<v>\d{1,9})$")  # at most 999,999,999: fits INTEGER, three of them fit BIGINT


def _groups(values: pa.Array, pattern: re.Pattern[str]) -> dict[str, pa.Array] | None:
    """The named groups of `pattern` (RE2, anchored) in each value as text (null where it does not match);
    None when no value matches."""
    found = pc.extract_regex(values, pattern.pattern)
    if found.null_count == len(found):
        return None
    valid = found.is_valid()
    nothing = pa.scalar(None, pa.string())
    return {field.name: pc.if_else(valid, found.field(i), nothing) for i, field in enumerate(found.type)}


def _matched(groups: dict[str, pa.Array] | None, n: int) -> np.ndarray:
    """Where the pattern matched."""
    if groups is None:
        return np.zeros(n, dtype=bool)
    return next(iter(groups.values())).is_valid().to_numpy(zero_copy_only=False)


def _ints(text: pa.Array) -> np.ndarray:
    """Digit strings as int64 (0 where null)."""
    return pc.fill_null(pc.cast(text, pa.int64()), 0).to_numpy()


def _floats(text: pa.Array) -> np.ndarray:
    """Decimal strings as float64 (NaN where null): Arrow parses them as float() does (correctly rounded)."""
    return pc.fill_null(pc.cast(text, pa.float64()), np.nan).to_numpy()


def _fast_dates(raw: pa.Array, slash_order: str | None, today: date) -> tuple[np.ndarray, np.ndarray]:
    """(vouched, datetime64[s]) for the dates _date reads the same way: ISO, slash dates in the file's order (or
    one that proves its own), weekday dates whose weekday agrees; not in the future. Others: not vouched."""
    n = len(raw)
    year, month, day = (np.zeros(n, dtype=np.int64) for _ in range(3))
    ok = np.zeros(n, dtype=bool)
    weekday = np.full(n, -1, dtype=np.int64)
    iso = _groups(raw, FAST_ISO)
    if iso is not None:
        m = _matched(iso, n)
        year[m], month[m], day[m] = _ints(iso["y"])[m], _ints(iso["m"])[m], _ints(iso["d"])[m]
        ok |= m
    slash = _groups(raw, FAST_SLASH)
    if slash is not None:
        m = _matched(slash, n) & ~ok
        a, b, y = _ints(slash["a"]), _ints(slash["b"]), _ints(slash["y"])
        if slash_order is None:
            dmy = a > 12
            m &= (a > 12) | (b > 12)  # a date that could be either is ambiguous: the per-row rules say so
        else:
            dmy = np.full(n, slash_order == "dmy")
        year[m], month[m], day[m] = y[m], np.where(dmy, b, a)[m], np.where(dmy, a, b)[m]
        ok |= m
    named = _groups(raw, FAST_WEEKDAY)
    if named is not None:
        m = _matched(named, n) & ~ok
        year[m], month[m], day[m] = _ints(named["y"])[m], _ints(named["m"])[m], _ints(named["d"])[m]
        said = pc.fill_null(pc.index_in(pc.utf8_lower(named["w"]), value_set=pa.array(WEEKDAYS)), -2)  # -2: no day
        weekday[m] = said.to_numpy()[m]
        ok |= m
    ok &= (year >= 1) & (year <= 9999) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    first = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    when = first.astype("datetime64[D]") + np.where(ok, day - 1, 0)
    ok &= when.astype("datetime64[M]") == first  # a day the month has (not 30 February)
    ok &= when <= np.datetime64(today, "D")
    said = ok & (weekday != -1)  # the rows read from a weekday date
    if said.any():  # Monday is 0; 1970-01-01 was a Thursday
        ok[said] &= (when[said].astype(np.int64) + 3) % 7 == weekday[said]
    return ok, np.where(ok, when, np.datetime64("NaT")).astype("datetime64[s]")


def _fast_lat_lon(lat: np.ndarray, lon: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Where the pair is in range (the per-row rules word the refusal of any other)."""
    return ok & (lat >= -90) & (lat <= 90) & (lon >= -180) & (lon <= 180)


def _vouched(
    given: dict[str, pa.Array], layout: Layout, has_id: bool, lines: np.ndarray, slash_order: str | None, today: date
) -> tuple[np.ndarray, dict[str, np.ndarray | pa.Array]]:
    """Which rows _parse_row would accept as they are, and their values, column by column: ids given, dates
    and coordinates in the common forms, counts in plain digits. A row not vouched for goes the per-row way."""
    n = len(lines)
    if has_id:
        ok = given["id"].is_valid().to_numpy(zero_copy_only=False)
        incident_id = _prefixed(given["id"])
    else:
        ok = np.ones(n, dtype=bool)
        incident_id = pa.array([f"IOM-line-{line}" for line in lines.tolist()], type=pa.string())
    dated, when = _fast_dates(given["date"], slash_order, today)
    ok &= dated
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    if "coordinates" in layout.fields:
        raw = given["coordinates"]
        absent = raw.is_null().to_numpy(zero_copy_only=False)
        pair = _groups(raw, FAST_PAIR)
        if pair is not None:
            m = _matched(pair, n)
            lat, lon = _floats(pair["lat"]), _floats(pair["lon"])
            ok &= absent | _fast_lat_lon(lat, lon, m)
        else:
            ok &= absent
    else:
        raw_lat, raw_lon = given["lat"], given["lon"]
        absent = pc.and_(raw_lat.is_null(), raw_lon.is_null()).to_numpy(zero_copy_only=False)
        a, b = _groups(raw_lat, FAST_NUMBER), _groups(raw_lon, FAST_NUMBER)
        if a is not None and b is not None:
            m = _matched(a, n) & _matched(b, n)
            lat, lon = np.where(m, _floats(a["v"]), np.nan), np.where(m, _floats(b["v"]), np.nan)
            ok &= absent | _fast_lat_lon(lat, lon, m)
        else:
            ok &= absent
    counts: dict[str, np.ndarray] = {}
    known = np.zeros(n, dtype=np.int64)
    anything = np.zeros(n, dtype=bool)
    for field in ("dead", "missing", "survivors"):
        raw = given[field]
        absent = raw.is_null().to_numpy(zero_copy_only=False)
        digits = _groups(raw, FAST_COUNT)
        m = _matched(digits, n)
        value = _ints(digits["v"]) if digits is not None else np.zeros(n, dtype=np.int64)
        ok &= absent | m
        known += np.where(m, value, 0)
        anything |= m
        counts[field] = _where(m, value)
    ok &= known <= MAXIMA["people"]
    people = _where(anything, known)
    placed = ~np.isnan(lat)
    return ok, {
        "incident_id": incident_id,
        "group_id": _prefixed(given.get("group", pa.nulls(n, type=pa.string()))),
        "date": when,
        "lat": np.where(placed, lat, np.nan),
        "lon": np.where(placed, lon, np.nan),
        "incident_type": pa.array([INCIDENT_TYPE] * n, type=pa.string()),
        "people": people,
        **counts,
        "cause": _text(given, "cause", n),
        "location": _text(given, "location", n),
        "source": pa.array([SOURCE] * n, type=pa.string()),
        "source_url": _text(given, "url", n),
        "source_quality": _text(given, "quality", n),
    }


def _text(given: dict[str, pa.Array], field: str, n: int) -> pa.Array:
    """A text field's given values (null where not given)."""
    return given[field] if field in given else pa.nulls(n, type=pa.string())


def _where(ok: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Python ints where ok, None elsewhere (object array)."""
    out = np.full(len(values), None, dtype=object)
    out[ok] = values[ok].astype(object)
    return out


def _prefixed(ids: pa.Array) -> pa.Array:
    """IOM's ids as Tideline's: "IOM-" before each (null stays null)."""
    return pc.binary_join_element_wise("IOM-", ids, "")


def _parse_row(get, layout: Layout, has_id: bool, line: int, slash_order: str | None, today: date) -> dict:
    """One row's id, date, place and counts (region/route are mapped later). Raises _Bad."""
    if has_id:
        raw_id = get("id")
        if raw_id is None:
            raise _Bad("id", "incident id is missing")
        incident_id = f"IOM-{raw_id}"
    else:
        incident_id = f"IOM-line-{line}"

    raw_date = get("date")
    if raw_date is None:
        raise _Bad("date", "date is missing")
    try:
        when = _date(raw_date, slash_order)
    except ValueError as exc:
        raise _Bad("date", str(exc), raw_date) from None
    if when > today:
        raise _Bad("date", f"date {when.isoformat()} is in the future", raw_date)

    # An incident without a position is kept (counted in every total, left off the map); a position that is
    # given but unreadable or out of range is still refused.
    lat: float | None = None
    lon: float | None = None
    if "coordinates" in layout.fields:
        raw = get("coordinates")
        if raw is not None:
            try:
                lat, lon = _split_coordinates(raw)
            except ValueError as exc:
                raise _Bad("coordinates", str(exc), raw) from None
    else:
        raw_lat, raw_lon = get("lat"), get("lon")
        if (raw_lat is None) != (raw_lon is None):
            missing = "lat" if raw_lat is None else "lon"
            raise _Bad(missing, f"{'latitude' if missing == 'lat' else 'longitude'} is missing but the other is given")
        if raw_lat is not None and raw_lon is not None:
            try:
                lat, lon = _lat_lon(raw_lat, raw_lon)
            except ValueError as exc:
                field = "lon" if str(exc).startswith("longitude") else "lat"
                raise _Bad(field, str(exc), f"{raw_lat}, {raw_lon}") from None

    counts = {}
    for field in ("dead", "missing", "survivors"):
        try:
            counts[field] = parse_count(get(field), MAXIMA[field])
        except ValueError as exc:
            raise _Bad(field, str(exc), get(field)) from None
    known = [c for c in counts.values() if c is not None]
    if sum(known) > MAXIMA["people"]:
        # each count fits its column, but `people` is their sum; the last of them takes the blame
        field = next(f for f in ("survivors", "missing", "dead") if counts[f] is not None)
        raise _Bad(
            field,
            f"dead + missing + survivors makes {sum(known)}, too large for people (at most {MAXIMA['people']:,})",
            get(field),
        )
    group = get("group")
    return {
        "incident_id": incident_id,
        "group_id": None if group is None else f"IOM-{group}",
        "date": when,
        "lat": lat,
        "lon": lon,
        "incident_type": INCIDENT_TYPE,
        "people": sum(known) if known else None,
        **counts,
        "cause": get("cause"),
        "location": get("location"),
        "source": SOURCE,
        "source_url": get("url"),
        "source_quality": get("quality"),
    }


def _frame(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Accepted rows as an `incidents` frame in schema column order, with nullable integer counts."""
    columns = [c.name for c in schema.columns("incidents", provenance=False)]
    frame = pd.DataFrame(rows, columns=columns)
    frame["date"] = pd.to_datetime(frame["date"])
    frame[["lat", "lon"]] = frame[["lat", "lon"]].astype("Float64")  # None -> NULL, never NaN
    for col in ("people", "dead", "missing", "survivors"):
        frame[col] = frame[col].astype("Int64")
    for text in schema.columns("incidents", provenance=False):
        if text.type == "VARCHAR":
            frame[text.name] = frame[text.name].astype("str")  # text, missing as NA, however the rows were read
    return frame


def _totals_by_year(incidents: pd.DataFrame) -> pd.DataFrame:
    """Dead + missing by year of the incident date: a row's NULL count adds nothing, and a year in which
    no row gives either count is NULL (unknown, shown '–'), not 0."""
    dead, missing = incidents["dead"], incidents["missing"]
    dm = (dead.fillna(0) + missing.fillna(0)).mask(dead.isna() & missing.isna())
    totals = dm.groupby(incidents["date"].dt.year).sum(min_count=1)
    return pd.DataFrame({"year": totals.index.astype("int64"), "dead_and_missing": totals.astype("Int64").to_numpy()})
