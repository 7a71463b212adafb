"""The Frontex long-CSV importer: detection, label mapping, UNK and NULL, rejections, structural errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import schema
from dashboard.sources import frontex
from dashboard.sources.base import StructuralError
from dashboard.store import typed_table

FIX = Path(__file__).parent / "fixtures" / "frontex"


def read(name: str, regions: pd.DataFrame | None = None):
    return frontex.read(FIX / name, regions=regions)


def flows(result) -> pd.DataFrame:
    return result.tables["route_flows"]


def test_module_contract():
    assert frontex.NAME == "frontex_detections"
    assert frontex.SOURCE == "Frontex: detections of illegal border-crossings"
    assert frontex.LABEL


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("detections.csv", True),
        ("bad_rows.csv", True),
        ("latin1.csv", True),  # header is ASCII; body fails later
        ("missing_column.csv", False),
        ("empty.csv", False),
        ("garbage.csv", False),
        ("no_such_file.csv", False),
    ],
)
def test_detect(name, expected):
    assert frontex.detect(FIX / name) is expected


def test_detect_is_case_insensitive_and_rejects_other_tables(tmp_path):
    p = tmp_path / "upper.csv"
    p.write_text("Route,TYPE,Nat,T,N,extra\nCentral Mediterranean,Sea,TUN,2023-01,1,x\n")
    assert frontex.detect(p)
    assert flows(frontex.read(p, regions=None))["detections"].tolist() == [1]
    canonical_flows = Path(__file__).parent / "fixtures" / "canonical" / "bad_rows.csv"
    assert not frontex.detect(canonical_flows)


def test_totals_by_year_equal_hand_sums():
    result = read("detections.csv")
    totals = result.totals_by_year
    assert list(totals.columns) == ["year", "detections"]
    # 2022: 1200 + 950; 2023: 800+400+150+300+2100+1500+40+25+60+5; 2024: 70+30+12+410+900+3 (blank n is NULL)
    assert list(totals.itertuples(index=False, name=None)) == [(2022, 2150), (2023, 5380), (2024, 1425)]
    assert result.rows_read == 19
    assert result.rows_accepted == 18  # the Eastern Mediterranean Sea and Land rows of 2023-01 are one row
    assert result.rejected == []
    assert result.source == frontex.SOURCE and result.format == frontex.NAME
    assert set(flows(result)["source"]) == {frontex.SOURCE}


def test_frame_fits_the_canonical_table():
    frame = flows(read("detections.csv"))
    assert list(frame.columns) == [c.name for c in schema.TABLES["route_flows"]]
    table = typed_table("route_flows", frame, sha256=None, version_id=1)
    assert table.num_rows == 18
    assert set(frame["month"]) <= {date(y, m, 1) for y in (2022, 2023, 2024) for m in range(1, 13)}


def test_labels_mapped_and_unknown_labels_kept_and_noted():
    result = read("detections.csv")
    routes = set(flows(result)["route"])
    assert routes == {
        "Central Mediterranean",
        "Eastern Mediterranean",
        "Western Mediterranean",
        "Western Balkans",
        "Atlantic (Canary Islands)",
        "Eastern Borders",
        "Black Sea",
        "Circular Route from Albania to Greece",
        "Other",
    }
    # "Western African Route" (trailing ' Route') maps like "Western African"
    atlantic = flows(result)[flows(result)["route"] == "Atlantic (Canary Islands)"]
    assert sorted(atlantic["nationality"]) == ["MLI", "SEN"]
    kept = next(n for n in result.notes if n.startswith("Frontex routes with no Tideline route"))
    assert "'Black Sea' (1 row(s); region Balkans & Eastern Europe)" in kept
    assert "'Circular Route from Albania to Greece' (1 row(s); region Balkans & Eastern Europe)" in kept
    assert "'Other' (2 row(s); no Tideline region lists it)" in kept
    assert any("'Western African' -> 'Atlantic (Canary Islands)'" in n for n in result.notes)
    assert any("not people" in n for n in result.notes)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["Black Sea", "Other"], dtype=object),  # as the store's DuckDB frame gives it
        '["Black Sea", "Other"]',  # as a regions CSV holds it
    ],
)
def test_regions_frame_drives_the_region_of_kept_labels(labels):
    regions = pd.DataFrame({"region": ["Elsewhere", "Empty"], "frontex_labels": [labels, None]})
    kept = next(n for n in read("detections.csv", regions).notes if n.startswith("Frontex routes with no"))
    assert "'Black Sea' (1 row(s); region Elsewhere)" in kept
    assert "'Other' (2 row(s); region Elsewhere)" in kept
    assert "'Circular Route from Albania to Greece' (1 row(s); no Tideline region lists it)" in kept


def test_unknown_nationality_is_unk_and_blank_count_is_null():
    frame = flows(read("detections.csv"))
    unk = frame[frame["nationality"] == "UNK"]
    assert sorted(unk["detections"].tolist()) == [30, 70]  # "Not specified" (line 14) and blank (line 15)
    blank = frame[(frame["nationality"] == "DZA")]
    assert blank["detections"].isna().tolist() == [True]  # NULL, never 0
    assert "ERI" in set(frame["nationality"])  # "eri" upper-cased
    assert "2 row(s) with a blank or unknown nationality recorded as 'UNK'" in read("detections.csv").notes


def test_sea_and_land_rows_of_one_route_add_up():
    result = read("detections.csv")
    frame = flows(result)
    syr = frame[(frame["nationality"] == "SYR") & (frame["month"] == date(2023, 1, 1))]
    assert syr["route"].tolist() == ["Eastern Mediterranean"] and syr["detections"].tolist() == [550]
    assert any("Sea and Land" in n for n in result.notes)
    assert any("'Air' is neither Sea nor Land (line(s) 20)" in n for n in result.notes)


def test_rejections_name_line_column_and_reason_and_keep_good_rows():
    result = read("bad_rows.csv")
    got = [(r.file, r.row, r.column, r.reason) for r in result.rejected]
    assert got == [
        ("bad_rows.csv", 3, "t", "not a month in the form YYYY-MM"),
        ("bad_rows.csv", 4, "n", "negative count: -4"),
        ("bad_rows.csv", 5, "nat", "not an ISO 3166-1 alpha-3 nationality code"),
        ("bad_rows.csv", 6, None, "duplicate of line 2 (same month, route, nationality and type)"),
        ("bad_rows.csv", 8, "t", "month 2999-01 is in the future"),  # line 7 is blank
        ("bad_rows.csv", 9, "t", "not a month in the form YYYY-MM"),
        ("bad_rows.csv", 10, "n", "not a whole number: '12.5'"),
        ("bad_rows.csv", 11, "route", "route is missing"),
    ]
    assert result.rejected[2].value == "AF1"
    assert result.rows_read == 10
    frame = flows(result)
    assert list(frame.itertuples(index=False, name=None)) == [
        (date(2023, 1, 1), "Central Mediterranean", "TUN", 100, frontex.SOURCE),
        (date(2023, 3, 1), "Western Balkans", "IRQ", 8, frontex.SOURCE),
    ]
    assert list(result.totals_by_year.itertuples(index=False, name=None)) == [(2023, 108)]
    typed_table("route_flows", frame, sha256=None, version_id=1)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "empty.csv: the file is empty"),
        ("garbage.csv", "garbage.csv: binary content (NUL bytes), not a text CSV"),
        ("latin1.csv", "latin1.csv: not UTF-8 text (invalid byte 0xe9 on line 3)"),
        ("missing_column.csv", "missing_column.csv: missing required column(s) t (found: route, type, nat, month, n)"),
    ],
)
def test_structural_errors(name, message):
    with pytest.raises(StructuralError) as err:
        read(name)
    assert message in str(err.value)


def test_header_without_rows_is_structural(tmp_path):
    p = tmp_path / "header_only.csv"
    p.write_text("route,type,nat,t,n\n")
    with pytest.raises(StructuralError, match="no data rows"):
        frontex.read(p, regions=None)


def test_duplicate_required_column_is_structural(tmp_path):
    p = tmp_path / "twice.csv"
    p.write_text("route,type,nat,t,n,N\nOther,Sea,TUN,2023-01,1,2\n")
    with pytest.raises(StructuralError, match="column 'n' appears more than once"):
        frontex.read(p, regions=None)


@pytest.mark.parametrize(
    ("n", "reason"),
    [
        ("1e20", "not a count written in digits: '1e20' (exponent form)"),
        ("1e308", "not a count written in digits: '1e308' (exponent form)"),
        ("99999999999999999999", "count 99999999999999999999 is too large for its column (at most 2,147,483,647)"),
        ("3000000000", "count 3000000000 is too large for its column (at most 2,147,483,647)"),
    ],
)
def test_counts_beyond_the_column_are_rejected_rows(tmp_path, n, reason):
    """These once ended the read with OverflowError, or failed at commit with DuckDB's conversion error."""
    p = tmp_path / "f.csv"
    p.write_text(f"route,type,nat,t,n\nOther,Sea,TUN,2023-01,{n}\nOther,Sea,IRQ,2023-01,5\n")
    result = frontex.read(p, regions=None)
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [(2, "n", reason)]
    typed_table("route_flows", flows(result), sha256=None, version_id=1)


def test_sea_and_land_rows_that_add_up_beyond_the_column_are_rejected(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text(
        "route,type,nat,t,n\n"
        "Eastern Mediterranean,Sea,SYR,2023-01,2000000000\n"
        "Eastern Mediterranean,Land,SYR,2023-01,200000000\n"  # 2,200,000,000 together: too large
        "Eastern Mediterranean,Land,IRQ,2023-01,1\n"
    )
    result = frontex.read(p, regions=None)
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [
        (
            3,
            "n",
            "added to line 2 (same month, route and nationality) it makes 2200000000, "
            "too large for detections (at most 2,147,483,647)",
        )
    ]
    assert flows(result)["detections"].tolist() == [2_000_000_000, 1]
    typed_table("route_flows", flows(result), sha256=None, version_id=1)


# --- column by column against row by row --------------------------------------------------------------------------


def trap_file(path: Path, rows: int, seed: int) -> Path:
    """Mostly clean rows (so Sea and Land rows meet, and keys repeat), each field a trap one time in ten."""
    import random

    rng = random.Random(seed)
    traps = {
        "route": ["", "NA", "western  balkan", "Eastern Mediterranean Route", "Somewhere Route"],
        "type": ["", "Air", "sea", "LAND"],
        "nat": ["Unknown", "", "XX", "N/A", "unk", "ABCD", "egy"],
        "t": ["2022-13", "2023-02-30", "2022-02-15", "2099-01", "2022/01", ""],
        "n": ["", "NA", "1,200", "2.0", "-4", "x", "1e3", "999999999"],
    }
    clean = {
        "route": lambda: rng.choice(["Central Mediterranean", "Western Balkan", "Western African", "Black Sea"]),
        "type": lambda: rng.choice(["Sea", "Land"]),
        "nat": lambda: rng.choice(["TUN", "SYR", "AFG", "MAR"]),
        "t": lambda: f"20{rng.randrange(15, 24)}-{rng.randrange(1, 13):02d}",
        "n": lambda: str(rng.randrange(0, 500)),
    }
    lines = ["route,type,nat,t,n"]
    for _ in range(rows):
        values = [
            rng.choice(traps[c]) if rng.random() < 0.1 else clean[c]() for c in ("route", "type", "nat", "t", "n")
        ]
        lines.append(",".join(f'"{v}"' if "," in v else v for v in values))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", [1, 2])
def test_column_by_column_reads_exactly_as_row_by_row(tmp_path, seed):
    """Repeated keys, Sea and Land rows added up, unknown labels and codes, bad months and counts: the columns'
    sums and refusals are the rules' row by row (the same rows, lines, reasons, notes and totals)."""
    path = trap_file(tmp_path / "traps.csv", 6000, seed)
    fast = frontex.read(path, regions=None)
    slow = frontex.read(path, regions=None, by_row=True)
    assert fast.rejected == slow.rejected and fast.notes == slow.notes
    pd.testing.assert_frame_equal(fast.tables["route_flows"], slow.tables["route_flows"])
    pd.testing.assert_frame_equal(fast.totals_by_year, slow.totals_by_year)
    reasons = {r.reason.split(" (")[0].split(" of line")[0] for r in fast.rejected}
    assert "duplicate" in reasons and len(reasons) > 5
    assert any("added to another row" in note for note in fast.notes)


def test_a_sum_too_large_is_refused_row_by_row(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("route,type,nat,t,n\nBlack Sea,Sea,TUN,2022-01,2147483000\nBlack Sea,Land,TUN,2022-01,1000\n")
    result = frontex.read(path, regions=None)
    assert [(r.row, r.column) for r in result.rejected] == [(3, "n")]
    assert result.rejected[0].reason.startswith("added to line 2 (same month, route and nationality) it makes")
    assert result.rejected[0].value == "1000"


def test_a_file_whose_every_row_is_refused_lists_the_refusals(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("route,type,nat,t,n\nBlack Sea,Sea,SYR,not a month,1\n")
    for by_row in (False, True):
        result = frontex.read(path, regions=None, by_row=by_row)
        assert result.rows_accepted == 0 and [(r.row, r.column) for r in result.rejected] == [(2, "t")]


def test_a_label_is_judged_by_the_case_rules_its_route_was_mapped_by(tmp_path):
    """'İ' lower-cases differently in Python and in Arrow: the note lists the label kept under its own name."""
    path = tmp_path / "dotted.csv"
    path.write_text("route,type,nat,t,n\nCentral Medİterranean,Sea,SYR,2022-01,1\n", encoding="utf-8")
    result = frontex.read(path, regions=None)
    assert any("'Central Medİterranean' (1 row(s)" in note for note in result.notes)
