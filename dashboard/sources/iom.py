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
    read_text_csv,
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


def read(path: Path, *, regions: pd.DataFrame | None, progress: Progress = no_progress) -> ImportResult:
    """Read an IOM Missing Migrants CSV into `incidents` rows, rejecting bad rows with reasons."""
    frame, lines = read_text_csv(path)
    header = list(frame.columns)
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

    values = frame.to_numpy(dtype=object, na_value=None)  # type: ignore[arg-type]  # None is valid; the stubs omit it
    name = {f: header[p[0]] for f, p in cols.items() if p}  # field -> header text, for rejections
    # older downloads are US-style; other layouts must prove their order (module docstring)
    slash_order = "mdy" if layout.name == "older" else _slash_order([row[cols["date"][0]] for row in values])
    label_region = _label_regions(regions)
    today = date.today()

    rows: list[dict] = []
    rejected: list[Rejection] = []
    first_line: dict[str, int] = {}  # accepted id -> its line
    unknown_routes: Counter[str] = Counter()
    unknown_regions: Counter[str] = Counter()
    no_route, slash_dates, total_mismatch = 0, 0, []
    n = len(values)
    for i, (row, line) in enumerate(zip(values, lines, strict=True)):
        if i and i % PROGRESS_EVERY == 0:
            progress(f"{path.name}: {i:,} of {n:,} rows read", i / n)

        def get(field: str, row=row) -> str | None:
            """The field's first given value; blank and not-available markers (NA, N/A, -) are not given."""
            if field not in cols:
                return None
            return next((row[p] for p in cols[field] if not _not_available(row[p])), None)

        try:
            record = _parse_row(get, layout, bool(cols["id"]), line, slash_order, today)
            incident_id = record["incident_id"]
            if incident_id in first_line:
                # only accepted rows claim an id, so a bad first copy does not block a good second one
                raise _Bad(
                    "id",
                    f"duplicate incident id {incident_id!r} (first on line {first_line[incident_id]})",
                    incident_id.removeprefix("IOM-"),
                )
        except _Bad as bad:
            value = None if bad.value is None else str(bad.value)[:80]
            rejected.append(Rejection(path.name, line, name.get(bad.field), bad.reason, value=value))
            continue
        first_line[incident_id] = line
        slash_dates += bool(SLASH_DATE.fullmatch(get("date") or ""))  # never None: _parse_row required it

        # the file's own total is not stored; a disagreement is worth telling the analyst about
        try:
            total = parse_count(get("total"))
        except ValueError:
            total = -1
        if total is not None and total != (record["dead"] or 0) + (record["missing"] or 0):
            total_mismatch.append(line)

        route_label, region_label = get("route"), get("region")
        route = ROUTE_OF_LABEL.get(_norm(route_label)) if route_label else None
        if route:
            region: str | None = label_region.get(_norm(route_label)) or REGION_OF_ROUTE[route]
        else:
            # unknown labels are kept as they are, never dropped (and listed in the notes)
            if route_label:
                unknown_routes[route_label] += 1
            else:
                no_route += 1
            route = route_label or NOT_STATED
            region = label_region.get(_norm(route_label or "")) or label_region.get(_norm(region_label or ""))
            if region is None:
                region = region_label or NOT_STATED
                if region_label:
                    unknown_regions[region_label] += 1
        rows.append({**record, "region": region, "route": route})
    progress(f"{path.name}: {n:,} rows read", 1.0)

    notes = [f"IOM {layout.name} layout."]
    if slash_dates:
        order = {"mdy": "month/day/year", "dmy": "day/month/year"}.get(slash_order or "", "the order each one proves")
        notes.append(f"{slash_dates} date(s) written dd/dd/yyyy read as {order}.")
    if not cols["id"]:
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
    unplaced = sum(r["lat"] is None for r in rows)
    if unplaced:
        notes.append(
            f"{unplaced} incident(s) give no coordinates: kept without a position, counted in every total "
            "and table, left off the map."
        )
    grouped = Counter(r["group_id"] for r in rows if r["group_id"] is not None)
    groups = {g: k for g, k in grouped.items() if k > 1}
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

    incidents = _frame(rows)
    return ImportResult(
        format=NAME,
        source=SOURCE,
        tables={"incidents": incidents},
        rows_read=n,
        rejected=rejected,
        notes=notes,
        totals_by_year=_totals_by_year(incidents),
    )


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


def _frame(rows: list[dict]) -> pd.DataFrame:
    """Accepted rows as an `incidents` frame in schema column order, with nullable integer counts."""
    columns = [c.name for c in schema.columns("incidents", provenance=False)]
    frame = pd.DataFrame(rows, columns=columns)
    frame["date"] = pd.to_datetime(frame["date"])
    frame[["lat", "lon"]] = frame[["lat", "lon"]].astype("Float64")  # None -> NULL, never NaN
    for col in ("people", "dead", "missing", "survivors"):
        frame[col] = frame[col].astype("Int64")
    return frame


def _totals_by_year(incidents: pd.DataFrame) -> pd.DataFrame:
    """Dead + missing by year of the incident date: a row's NULL count adds nothing, and a year in which
    no row gives either count is NULL (unknown, shown '–'), not 0."""
    dead, missing = incidents["dead"], incidents["missing"]
    dm = (dead.fillna(0) + missing.fillna(0)).mask(dead.isna() & missing.isna())
    totals = dm.groupby(incidents["date"].dt.year).sum(min_count=1)
    return pd.DataFrame({"year": totals.index.astype("int64"), "dead_and_missing": totals.astype("Int64").to_numpy()})
