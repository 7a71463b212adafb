"""Frontex monthly detections of illegal border-crossings, long CSV (route, type, nat, t, n) -> route_flows."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pandas as pd

from .. import schema
from .base import (
    NOT_AVAILABLE,
    ImportResult,
    Progress,
    Rejection,
    StructuralError,
    count_maxima,
    csv_header,
    no_progress,
    parse_count,
    read_text_csv,
)

NAME = "frontex_detections"
LABEL = "Frontex monthly detections of illegal border-crossings (long CSV)"
SOURCE = "Frontex: detections of illegal border-crossings"

REQUIRED = ("route", "type", "nat", "t", "n")
COLUMNS = ("month", "route", "nationality", "detections", "source")

# Frontex route label (lower case, without a trailing " Route") -> Tideline route.
ROUTE_MAP = {
    "central mediterranean": "Central Mediterranean",
    "eastern mediterranean": "Eastern Mediterranean",
    "western mediterranean": "Western Mediterranean",
    "western balkan": "Western Balkans",
    "western balkans": "Western Balkans",
    "western african": "Atlantic (Canary Islands)",
    "eastern borders": "Eastern Borders",
    "eastern land borders": "Eastern Borders",
    "eastern land border": "Eastern Borders",
}

# Used when no regions table is given; the same mapping as the committed demo regions.
DEFAULT_FRONTEX_LABELS = {
    "Mediterranean": ["Central Mediterranean", "Eastern Mediterranean", "Western Mediterranean"],
    "Atlantic": ["Western African"],
    "Balkans & Eastern Europe": [
        "Western Balkan",
        "Eastern Borders",
        "Circular Route from Albania to Greece",
        "Black Sea",
    ],
}

UNKNOWN_NATIONALITY = {m.lower() for m in NOT_AVAILABLE} | {
    "",
    "unk",
    "unknown",
    "not specified",
    "unspecified",
    "not available",
    "not known",
}
TYPES = {"sea", "land"}
ISO3 = re.compile(r"^[A-Z]{3}$")
MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
MAXIMUM = count_maxima(schema.TABLES["route_flows"])["detections"]


def detect(path: Path) -> bool:
    """True when the file is a CSV whose header has route, type, nat, t and n (any case)."""
    try:
        return set(REQUIRED) <= {h.strip().lower() for h in csv_header(path)}
    except Exception:  # detect must never raise: any unreadable file is simply not this format
        return False


def read(path: Path, *, regions: pd.DataFrame | None, progress: Progress = no_progress) -> ImportResult:
    """Read a Frontex long CSV into route_flows rows, rejecting bad rows with their line numbers."""
    path = Path(path)
    progress(f"Reading {path.name}", 0.0)
    frame, lines = read_text_csv(path)
    by_lower: dict[str, str] = {}
    for col in frame.columns:
        if col.lower() in by_lower and col.lower() in REQUIRED:
            raise StructuralError(f"{path.name}: column {col.lower()!r} appears more than once")
        by_lower.setdefault(col.lower(), col)
    missing = [c for c in REQUIRED if c not in by_lower]
    if missing:
        raise StructuralError(
            f"{path.name}: missing required column(s) {', '.join(missing)} (found: {', '.join(frame.columns)})"
        )
    if frame.empty:
        raise StructuralError(f"{path.name}: the header has no data rows under it")
    cols = {c: by_lower[c] for c in REQUIRED}
    region_of = _label_regions(regions)
    today = date.today()

    rows: list[dict] = []
    rejected: list[Rejection] = []
    seen: dict[tuple, int] = {}  # (month, route, nationality, type) -> line, to name the first of a duplicate
    slot: dict[tuple, int] = {}  # (month, route, nationality) -> index in rows, to sum Sea and Land
    row_line: list[int] = []  # per row, the line it was first read from
    kept_labels: dict[str, int] = {}
    renamed: dict[str, str] = {}  # Frontex label -> the differently named Tideline route it became
    odd_types: dict[str, list[int]] = {}
    unknown_nat = merged = 0
    total = len(frame)
    records = frame[[cols[c] for c in REQUIRED]].itertuples(index=False, name=None)
    for i, ((route_raw, type_raw, nat_raw, t_raw, n_raw), line) in enumerate(zip(records, lines, strict=True)):
        if i % 5000 == 0:
            progress(f"Checking rows of {path.name}", i / total)
        try:
            month, label, nat, n = _parse(route_raw, nat_raw, t_raw, n_raw, today)
        except _Bad as bad:
            value = None if bad.value is None else str(bad.value)[:80]
            rejected.append(Rejection(path.name, line, cols[bad.column], bad.reason, value=value))
            continue
        route = ROUTE_MAP.get(label.lower(), label)  # no Tideline route: keep Frontex's label, not lose rows
        kind = (type_raw or "").lower()
        key = (month, route, nat)
        if key + (kind,) in seen:
            rejected.append(
                Rejection(
                    path.name,
                    line,
                    None,
                    f"duplicate of line {seen[key + (kind,)]} (same month, route, nationality and type)",
                )
            )
            continue
        row = rows[slot[key]] if key in slot else None
        if row is not None and n is not None and (row["detections"] or 0) + n > MAXIMUM:
            # the count fits, but not once added to the other row (Sea and Land, below) of the same key
            rejected.append(
                Rejection(
                    path.name,
                    line,
                    cols["n"],
                    f"added to line {row_line[slot[key]]} (same month, route and nationality) it makes "
                    f"{(row['detections'] or 0) + n}, too large for detections (at most {MAXIMUM:,})",
                    value=n_raw,
                )
            )
            continue
        seen[key + (kind,)] = line
        if label.lower() not in ROUTE_MAP:
            kept_labels[label] = kept_labels.get(label, 0) + 1
        elif route != label:
            renamed[label] = route
        unknown_nat += nat == "UNK"
        if kind and kind not in TYPES:
            odd_types.setdefault(type_raw, []).append(line)
        if row is not None:
            # Frontex splits some routes into Sea and Land rows; route_flows has no type, so they add up
            if n is not None:
                row["detections"] = (row["detections"] or 0) + n
            merged += 1
            continue
        slot[key] = len(rows)
        row_line.append(line)
        rows.append({"month": month, "route": route, "nationality": nat, "detections": n, "source": SOURCE})

    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["detections"] = out["detections"].astype("Int64")
    notes = [
        "Frontex counts detections of illegal border-crossings, not people: one person can be detected more than once."
    ]
    if renamed:
        notes.append(
            "Frontex routes mapped to Tideline routes: "
            + ", ".join(f"{a!r} -> {b!r}" for a, b in sorted(renamed.items()))
        )
    if kept_labels:
        described = []
        for label, count in sorted(kept_labels.items()):
            region = region_of.get(label.lower())
            where = f"region {region}" if region else "no Tideline region lists it"
            described.append(f"{label!r} ({count:,} row(s); {where})")
        notes.append("Frontex routes with no Tideline route kept under their own label: " + ", ".join(described))
    if unknown_nat:
        notes.append(f"{unknown_nat:,} row(s) with a blank or unknown nationality recorded as 'UNK'")
    if merged:
        notes.append(
            f"{merged:,} row(s) added to another row of the same month, route and nationality "
            "(Frontex's Sea and Land rows; the border type is not kept)"
        )
    for value, at in sorted(odd_types.items()):
        shown = ", ".join(str(x) for x in at[:5]) + (", …" if len(at) > 5 else "")
        notes.append(f"column {cols['type']!r}: {value!r} is neither Sea nor Land (line(s) {shown}); rows kept")
    progress(f"Read {path.name}", 1.0)
    return ImportResult(
        format=NAME,
        source=SOURCE,
        tables={"route_flows": out},
        rows_read=total,
        rejected=rejected,
        notes=notes,
        totals_by_year=_totals(out),
    )


class _Bad(Exception):
    def __init__(self, column: str, reason: str, value: object) -> None:
        super().__init__(reason)
        self.column, self.reason, self.value = column, reason, value


def _parse(
    route: str | None, nat: str | None, t: str | None, n: str | None, today: date
) -> tuple[date, str, str, int | None]:
    """One row's month, route label, nationality and count; _Bad names the first value that does not fit."""
    month = _month(t)
    if month is None:
        raise _Bad("t", "not a month in the form YYYY-MM", t)
    if month > today:
        raise _Bad("t", f"month {month:%Y-%m} is in the future", t)
    if route is None:
        raise _Bad("route", "route is missing", route)
    code = (nat or "").strip()
    if code.lower() in UNKNOWN_NATIONALITY:
        code = "UNK"
    elif ISO3.match(code.upper()):
        code = code.upper()
    else:
        raise _Bad("nat", "not an ISO 3166-1 alpha-3 nationality code", nat)
    try:
        count = parse_count(n, MAXIMUM)
    except ValueError as exc:
        raise _Bad("n", str(exc), n) from None
    return month, _label(route), code, count


def _month(value: str | None) -> date | None:
    """First day of the month from 'YYYY-MM' or 'YYYY-MM-DD'; None when it is neither."""
    m = MONTH.match(value or "")
    if not m:
        return None
    try:
        day = date(int(m[1]), int(m[2]), int(m[3] or 1))  # validates a given day too
    except ValueError:
        return None
    return day.replace(day=1)


def _label(value: str) -> str:
    """A route label with spaces tidied and Frontex's optional trailing ' Route' dropped."""
    label = " ".join(value.split())
    return label[:-6] if label.lower().endswith(" route") else label


def _label_regions(regions: pd.DataFrame | None) -> dict[str, str]:
    """Frontex label (lower case) -> Tideline region, from the regions table or the built-in default."""
    if regions is None or "frontex_labels" not in regions.columns:
        mapping = DEFAULT_FRONTEX_LABELS
    else:
        mapping = {}
        for region, labels in zip(regions["region"], regions["frontex_labels"], strict=True):
            if isinstance(labels, str):  # a regions table read from CSV holds JSON text
                try:
                    labels = json.loads(labels)
                except ValueError:
                    labels = []
            # from the store a list column arrives as a numpy array; a NULL as None or NaN
            mapping[region] = [str(x) for x in labels] if hasattr(labels, "__iter__") else []
    return {_label(label).lower(): region for region, labels in mapping.items() for label in labels}


def _totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Detections by calendar year (NULL counts left out of the sum)."""
    years = pd.Series([m.year for m in frame["month"]], dtype="int64")
    totals = frame["detections"].groupby(years.to_numpy()).sum(min_count=1)
    return pd.DataFrame({"year": totals.index.astype("int64"), "detections": totals.astype("Int64").values})
