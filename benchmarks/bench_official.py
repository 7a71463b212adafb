"""Benchmark: the official-format importers' read rate (rows a second), against the rate at which the file format
alone can be parsed here, in the same run.

    .venv/bin/python benchmarks/bench_official.py [--rows 200000] [--repeats 3]

For each importer a synthetic file in the publisher's layout is written (IOM Missing Migrants CSV, current layout;
Frontex's long CSV; Home Office small boats SB_01 as XLSX and as ODS; the Home Office irregular-migration
dataset's Irr_D01 as XLSX), with a few bad rows of the kinds real releases carry (repeated ids, 'NA', a blank
count, a date in another form) so the per-row rules have work too. Each is read with the importer's own `read`
(the median of the repeats, after one warm-up), and the bare parse of the same file is timed beside it: Arrow's
CSV reader for the CSVs, fastexcel for the workbooks (calamine into Arrow: the ceiling of the column-wise
reading). The workbook importers are also timed reading row by row (`by_row=True`), their only reading before.

An XLSX is written twice: as Excel writes it, strings in a shared-strings table (by XlsxWriter), and as openpyxl
writes it, each string in its cell (50% more XML to parse). A Home Office workbook with one bad row is read row by
row as a whole (so that each rejection names its sheet row): the last case shows that rate.

The small-boats sheets hold one row a day and a day may not repeat, so they are at most ~45,000 rows (1900 to
today); Irr_D01 has one row per quarter, method, nationality, sex and age group. A benchmark to run on demand, not
a test: this machine is shared and timings are noisy.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import fixture_modules  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402

from dashboard.sources import frontex, home_office, home_office_irregular, iom  # noqa: E402

IOM_FIXTURES = fixture_modules.load("iom")
HO_FIXTURES = fixture_modules.load("home_office")


def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return path


def iom_file(path: Path, n: int, rng: random.Random) -> Path:
    """IOM's current layout: ISO dates, 'lat, lon' pairs, quoted places with commas, a bad row in a thousand."""
    routes = ["English Channel to the UK", "Central Mediterranean", "Atlantic route to the Canary Islands",
              "Western Balkans", "Sahara Desert crossing"]  # fmt: skip
    rows = []
    for i in range(n):
        when = (date(2014, 1, 1) + timedelta(days=rng.randrange(4000))).isoformat()
        coords = f"{rng.uniform(-40, 60):.4f}, {rng.uniform(-120, 60):.4f}"
        dead, missing = str(rng.randrange(20)), rng.choice(["0", "1", "", "3"])
        if i % 1000 == 1:
            when, dead = rng.choice([("31/02/2020", dead), (when, "NA"), (when, "-2")])
        main_id = f"{when[:4]}.MMP{i:06d}" if i % 1000 != 2 else f"{when[:4]}.MMP{i - 1:06d}"
        rows.append(IOM_FIXTURES.current(main_id, "Mediterranean", when, dead, missing, "", "Drowning",
                                         "Off Zuwara, Libya", coords, rng.choice(routes)))  # fmt: skip
    return _write_csv(path, IOM_FIXTURES.CURRENT_HEADER, rows)


def frontex_file(path: Path, n: int, rng: random.Random) -> Path:
    """route, type, nat, t, n: every month of 2009-2025 by route, border type and nationality."""
    routes = ["Central Mediterranean", "Eastern Mediterranean", "Western Balkan", "Western African", "Black Sea",
              "Eastern Land Borders", "Western Mediterranean", "Circular Route from Albania to Greece"]  # fmt: skip
    nats = [f"{a}{b}{c}" for a, b, c in itertools.product("ABCDEFGH", "ABCDE", "ABC")] + ["Unknown", "NA"]
    months = [f"{y}-{m:02d}" for y in range(2009, 2026) for m in range(1, 13) if (y, m) <= (2025, 9)]
    keys = itertools.product(months, routes, ("Sea", "Land"), nats)
    rows = [[route, kind, nat, t, str(rng.randrange(0, 900))] for t, route, kind, nat in itertools.islice(keys, n)]
    for k in range(2, len(rows), 997):
        rows[k][4] = rng.choice(["", "n.a.", "1,250"])
    return _write_csv(path, ["route", "type", "nat", "t", "n"], rows)


def small_boats_file(path: Path, n: int, rng: random.Random) -> Path:
    """SB_01: a day a row, from March 1900, with the cover's publication date."""
    n = min(n, (date(2025, 3, 19) - date(1900, 3, 1)).days)  # a date before March 1900 may be an elapsed time
    start = date(2025, 3, 19) - timedelta(days=n - 1)
    rows = [HO_FIXTURES.SB01[0]]
    for i in range(n):
        day = datetime.combine(start + timedelta(days=i), datetime.min.time())
        rows.append([day, rng.randrange(400), rng.randrange(9), rng.randrange(2), None])
    HO_FIXTURES._workbook(path, {"Cover_sheet": HO_FIXTURES.COVER, "SB_01": rows})
    return path


def irregular_file(path: Path, n: int, rng: random.Random, bad: bool = False) -> Path:
    """Irr_D01: detections by quarter, method of entry, nationality, sex and age group; with `bad`, the last row's
    count is 12.5 (not a whole number: rejected, naming its sheet row)."""
    import test_source_home_office_irregular as fixtures

    nats = ["Iran", "Albania", "Syria", "Eritrea", "Afghanistan", "Iraq", "Sudan", "Vietnam", "Turkey", "India",
            "Egypt", "Kuwait", "Chad", "Libya", "Ethiopia", "Pakistan"]  # fmt: skip
    methods = ["Small boat arrivals", "Inadequately documented air arrivals", "Recorded detections at UK ports",
               "Recorded detections in the UK"]  # fmt: skip
    cells = itertools.product(range(2000, 2025), range(1, 5), methods, nats, ["Male", "Female", "Not known"],
                              ["Under 18", "18 to 24", "25 to 39", "40 and over", "Not known"])  # fmt: skip
    rows = [[y, f"{y} Q{q}", m, nat, "Region", s, a, rng.choice([rng.randrange(500), "NA", "1,234"])]
            for y, q, m, nat, s, a in itertools.islice(cells, n)]  # fmt: skip
    if bad:
        rows[-1][-1] = 12.5
    return fixtures.build(path, d01_rows=rows, d02=True)


def _fastexcel(path: Path, sheet: str) -> Callable[[], int]:
    def parse() -> int:
        import fastexcel

        return fastexcel.read_excel(str(path)).load_sheet_by_name(sheet, header_row=None).to_arrow().num_rows

    return parse


def _arrow(path: Path) -> Callable[[], int]:
    def parse() -> int:
        return pacsv.read_csv(path).num_rows

    return parse


def _timed(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: imports, caches, the file in the page cache
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory(prefix="tideline-official-") as tmp:
        folder = Path(tmp)
        sb = small_boats_file(folder / "sb.xlsx", args.rows, rng)
        irr = irregular_file(folder / "irr.xlsx", args.rows, rng)
        cases = [
            ("IOM Missing Migrants (CSV)", iom_file(folder / "iom.csv", args.rows, rng), iom.read, _arrow),
            ("Frontex detections (CSV)", frontex_file(folder / "frontex.csv", args.rows, rng), frontex.read, _arrow),
            ("HO small boats SB_01 (ODS, as published)", small_boats_file(folder / "sb.ods", args.rows, rng),
             home_office.read, lambda p: _fastexcel(p, "SB_01")),
            ("HO small boats SB_01 (XLSX as Excel writes it)", HO_FIXTURES.excel_written(sb), home_office.read,
             lambda p: _fastexcel(p, "SB_01")),
            ("HO small boats SB_01 (XLSX as openpyxl writes it)", sb, home_office.read,
             lambda p: _fastexcel(p, "SB_01")),
            ("HO irregular Irr_D01 (XLSX as Excel writes it)", HO_FIXTURES.excel_written(irr),
             home_office_irregular.read, lambda p: _fastexcel(p, "Data - Irr_D01")),
            ("HO irregular Irr_D01 (XLSX as openpyxl writes it)", irr, home_office_irregular.read,
             lambda p: _fastexcel(p, "Data - Irr_D01")),
            ("HO irregular Irr_D01 (Excel's, one bad row)",
             HO_FIXTURES.excel_written(irregular_file(folder / "bad.xlsx", args.rows, random.Random(0), bad=True)),
             home_office_irregular.read, lambda p: _fastexcel(p, "Data - Irr_D01")),
        ]  # fmt: skip
        print(
            f"{'importer':50} {'rows':>8} {'read s':>7} {'rows/s':>9} {'rejected':>8} {'parse only rows/s':>18} "
            f"{'row by row rows/s':>18}"
        )
        for label, path, read, parser in cases:
            result = read(path, regions=None)
            seconds = _timed(lambda path=path, read=read: read(path, regions=None), args.repeats)
            parse_s = _timed(parser(path), args.repeats)
            rows = result.rows_read
            by_row = (
                ""
                if read in (iom.read, frontex.read)
                else f"{rows / _timed(lambda path=path, read=read: read(path, by_row=True), args.repeats):>18,.0f}"
            )
            print(
                f"{label:50} {rows:>8,} {seconds:>7.2f} {rows / seconds:>9,.0f} {len(result.rejected):>8,} "
                f"{rows / parse_s:>18,.0f} {by_row}"
            )


if __name__ == "__main__":
    main()
