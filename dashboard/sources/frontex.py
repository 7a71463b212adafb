"""Frontex monthly detections of illegal border-crossings, long CSV (route, type, nat, t, n) -> route_flows."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
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
    per_value,
    read_text_columns,
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


def read(
    path: Path, *, regions: pd.DataFrame | None, progress: Progress = no_progress, by_row: bool = False
) -> ImportResult:
    """Read a Frontex long CSV into route_flows rows, rejecting bad rows with their line numbers.

    Each distinct value of a column is judged once (months, labels, codes and counts repeat down a long file),
    and the rows are then checked, added up and refused column by column; rows whose sums would overflow are
    added up one by one, as the rules say (`by_row`: every file, for the tests to compare)."""
    path = Path(path)
    progress(f"Reading {path.name}", 0.0)
    header, columns, line_of = read_text_columns(path)
    position: dict[str, int] = {}
    for i, col in enumerate(header):
        if col.lower() in position and col.lower() in REQUIRED:
            raise StructuralError(f"{path.name}: column {col.lower()!r} appears more than once")
        position.setdefault(col.lower(), i)
    missing = [c for c in REQUIRED if c not in position]
    if missing:
        raise StructuralError(
            f"{path.name}: missing required column(s) {', '.join(missing)} (found: {', '.join(header)})"
        )
    if len(line_of) == 0:
        raise StructuralError(f"{path.name}: the header has no data rows under it")
    cols = {c: header[position[c]] for c in REQUIRED}
    raw = {c: columns[position[c]] for c in REQUIRED}
    region_of = _label_regions(regions)
    today = date.today()
    total = len(line_of)
    progress(f"Checking rows of {path.name}", 0.3)

    # each column's values judged once: a value, or _Bad saying why not (in _parse's order: t, route, nat, n)
    month = per_value(raw["t"], lambda t: _month_or_bad(t, today))
    label = per_value(raw["route"], lambda r: _Bad("route", "route is missing", r) if r is None else _label(r))
    nat = per_value(raw["nat"], _nationality)
    counts = per_value(raw["n"], _count)
    kind_raw = raw["type"].to_pylist()
    n_raw = raw["n"].to_pylist()
    rejected: list[Rejection] = []
    good = np.ones(total, dtype=bool)
    for values in (month, label, nat, counts):
        bad = np.fromiter((isinstance(v, _Bad) for v in values), dtype=bool, count=total) & good
        for i in np.flatnonzero(bad).tolist():
            problem = values[i]
            value = None if problem.value is None else str(problem.value)[:80]
            rejected.append(Rejection(path.name, int(line_of[i]), cols[problem.column], problem.reason, value=value))
        good &= ~bad
    keep = np.flatnonzero(good)
    labels = [label[i] for i in keep]
    parsed = pd.DataFrame(
        {
            "line": line_of[keep],
            "month": [month[i] for i in keep],
            "label": pd.Series(labels, dtype=object),
            "route": [ROUTE_MAP.get(x.lower(), x) for x in labels],  # no Tideline route: Frontex's label kept
            "nationality": [nat[i] for i in keep],
            "n": pd.array([counts[i] for i in keep], dtype="Int64"),
            "kind": [(kind_raw[i] or "").lower() for i in keep],
            "type_raw": [kind_raw[i] for i in keep],
            "n_raw": [n_raw[i] for i in keep],
        }
    )
    key = ["month", "route", "nationality"]
    sums = parsed.drop_duplicates([*key, "kind"]).groupby(key, sort=False)["n"].sum(min_count=1)
    if by_row or (sums.fillna(0) > MAXIMUM).any():  # a sum too large for its column: the rules, row by row
        rows, accepted, more = _add_up(path, parsed, cols)
        rejected += more
    else:
        rows, accepted, more = _add_up_columns(path, parsed)
        rejected += more
    rejected.sort(key=lambda r: r.row or 0)
    # labels looked up as the routes were mapped (Python's lower(), which Arrow's differs from for a few letters)
    kept_labels: Counter[str] = Counter()
    renamed: dict[str, str] = {}
    for label, route in zip(accepted["label"].tolist(), accepted["route"].tolist(), strict=True):
        if label.lower() not in ROUTE_MAP:
            kept_labels[label] += 1
        elif route != label:
            renamed[label] = route
    unknown_nat = int((accepted["nationality"] == "UNK").sum())
    merged = len(accepted) - len(rows)
    odd = accepted[(accepted["kind"] != "") & ~accepted["kind"].isin(TYPES)]
    odd_types: dict[str, list[int]] = {}
    for value, line in zip(odd["type_raw"], odd["line"], strict=True):
        odd_types.setdefault(value, []).append(int(line))

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
        for kept, count in sorted(kept_labels.items()):
            region = region_of.get(kept.lower())
            where = f"region {region}" if region else "no Tideline region lists it"
            described.append(f"{kept!r} ({count:,} row(s); {where})")
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


def _month_or_bad(t: str | None, today: date) -> date | _Bad:
    month = _month(t)
    if month is None:
        return _Bad("t", "not a month in the form YYYY-MM", t)
    if month > today:
        return _Bad("t", f"month {month:%Y-%m} is in the future", t)
    return month


def _nationality(nat: str | None) -> str | _Bad:
    code = (nat or "").strip()
    if code.lower() in UNKNOWN_NATIONALITY:
        return "UNK"
    if ISO3.match(code.upper()):
        return code.upper()
    return _Bad("nat", "not an ISO 3166-1 alpha-3 nationality code", nat)


def _count(n: str | None) -> int | None | _Bad:
    try:
        return parse_count(n, MAXIMUM)
    except ValueError as exc:
        return _Bad("n", str(exc), n)


DUPLICATE = "duplicate of line {} (same month, route, nationality and type)"


def _add_up_columns(path: Path, parsed: pd.DataFrame) -> tuple[list[dict], pd.DataFrame, list[Rejection]]:
    """The rows of one month, route and nationality added up (Frontex's Sea and Land rows), a repeated month,
    route, nationality and type refused: (route_flows rows, the rows accepted, the refusals). For files whose
    sums all fit."""
    key = ["month", "route", "nationality"]
    repeated = parsed.duplicated([*key, "kind"], keep="first").to_numpy()
    rejected = []
    if repeated.any():
        first = parsed.groupby([*key, "kind"], sort=False)["line"].transform("first")
        for line, seen in zip(parsed["line"][repeated], first[repeated], strict=True):
            rejected.append(Rejection(path.name, int(line), None, DUPLICATE.format(seen)))
    accepted = parsed[~repeated]
    grouped = accepted.groupby(key, sort=False, dropna=False)["n"].sum(min_count=1).reset_index()
    rows = [
        {"month": m, "route": r, "nationality": c, "detections": None if pd.isna(d) else int(d), "source": SOURCE}
        for m, r, c, d in zip(grouped["month"], grouped["route"], grouped["nationality"], grouped["n"], strict=True)
    ]
    return rows, accepted, rejected


def _add_up(path: Path, parsed: pd.DataFrame, cols: dict[str, str]) -> tuple[list[dict], pd.DataFrame, list[Rejection]]:
    """_add_up_columns row by row, refusing a row whose count, added to its month, route and nationality, would
    not fit the column."""
    rows: list[dict] = []
    rejected: list[Rejection] = []
    seen: dict[tuple, int] = {}  # (month, route, nationality, type) -> line, to name the first of a duplicate
    slot: dict[tuple, int] = {}  # (month, route, nationality) -> index in rows, to sum Sea and Land
    row_line: list[int] = []  # per row, the line it was first read from
    taken = np.zeros(len(parsed), dtype=bool)
    for k, (line, month, route, nat, n, kind, n_raw) in enumerate(
        zip(parsed["line"], parsed["month"], parsed["route"], parsed["nationality"], parsed["n"], parsed["kind"],
            parsed["n_raw"], strict=True)
    ):  # fmt: skip
        n = None if pd.isna(n) else int(n)
        key = (month, route, nat)
        if key + (kind,) in seen:
            rejected.append(Rejection(path.name, int(line), None, DUPLICATE.format(seen[key + (kind,)])))
            continue
        row = rows[slot[key]] if key in slot else None
        if row is not None and n is not None and (row["detections"] or 0) + n > MAXIMUM:
            # the count fits, but not once added to the other row (Sea and Land) of the same key
            rejected.append(
                Rejection(
                    path.name,
                    int(line),
                    cols["n"],
                    f"added to line {row_line[slot[key]]} (same month, route and nationality) it makes "
                    f"{(row['detections'] or 0) + n}, too large for detections (at most {MAXIMUM:,})",
                    value=n_raw,
                )
            )
            continue
        seen[key + (kind,)] = int(line)
        taken[k] = True
        if row is not None:
            if n is not None:
                row["detections"] = (row["detections"] or 0) + n
            continue
        slot[key] = len(rows)
        row_line.append(int(line))
        rows.append({"month": month, "route": route, "nationality": nat, "detections": n, "source": SOURCE})
    return rows, parsed[taken], rejected


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
