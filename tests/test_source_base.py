"""sources.base: counts that fit their column, and files no importer takes refused with what is wrong with
them (truncated, UTF-16, binary, a workbook named .csv) instead of "not a format Tideline can import"."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard import ingest, schema
from dashboard.sources import base, canonical, frontex, home_office, iom
from dashboard.sources.base import COUNT_MAX, StructuralError, count_maxima, parse_count, read_text_csv

FIX = Path(__file__).parent / "fixtures"
INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
CROSSINGS = "date,route,people,boats,source,status\n2024-01-01,English Channel,10,1,S,final\n"


# -- counts ------------------------------------------------------------------------------------


def test_the_maxima_are_the_store_column_types():
    assert COUNT_MAX == {"INTEGER": INT_MAX, "BIGINT": BIGINT_MAX}
    assert count_maxima(schema.TABLES["operations"])["seizures_gbp"] == BIGINT_MAX
    assert count_maxima(schema.TABLES["operations"])["arrests"] == INT_MAX
    assert "lat" not in count_maxima(schema.TABLES["operations"])


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1e20", "not a count written in digits: '1e20' (exponent form)"),
        ("1e308", "not a count written in digits: '1e308' (exponent form)"),
        ("1E+03", "not a count written in digits: '1E+03' (exponent form)"),
        ("99999999999999999999", "count 99999999999999999999 is too large for its column (at most 2,147,483,647)"),
        ("2147483648", "count 2147483648 is too large for its column (at most 2,147,483,647)"),
        ("2,147,483,648", "count 2147483648 is too large for its column (at most 2,147,483,647)"),
        (2**31, "count 2147483648 is too large for its column (at most 2,147,483,647)"),
        (1e308, "count 100000000000… (309 digits) is too large for its column (at most 2,147,483,647)"),
        ("9" * 5000, f"count {'9' * 40}… is too large for its column (at most 2,147,483,647)"),
        ("-99999999999999999999", "negative count: -99999999999999999999"),
        (float("inf"), "not a whole number: 'inf'"),
        ("2.5", "not a whole number: '2.5'"),
    ],
)
def test_counts_beyond_the_column_are_value_errors_not_overflows(value, reason):
    with pytest.raises(ValueError) as err:
        parse_count(value, INT_MAX)
    assert str(err.value) == reason


@pytest.mark.parametrize(("value", "count"), [("2147483647", INT_MAX), (2147483647.0, INT_MAX), ("1,234.0", 1234)])
def test_counts_up_to_the_maximum_are_kept(value, count):
    assert parse_count(value, INT_MAX) == count


def test_the_default_maximum_is_the_widest_column():
    assert parse_count(str(BIGINT_MAX)) == BIGINT_MAX
    with pytest.raises(ValueError, match="too large for its column"):
        parse_count(str(BIGINT_MAX + 1))


# -- refusals that say what is wrong -----------------------------------------------------------


def half(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: len(data) // 2]


UTF16_TEXT = CROSSINGS
REFUSALS = [
    (
        "cut.ods",
        lambda: half(FIX / "home_office/small_boats.ods"),
        "cut.ods: not a readable ODS workbook (damaged or truncated?)",
    ),
    (
        "cut.xlsx",
        lambda: half(FIX / "home_office/small_boats.xlsx"),
        "cut.xlsx: not a readable XLSX workbook (damaged or truncated?)",
    ),
    (
        "cut_ops.xlsx",
        lambda: half(FIX / "canonical/operations.xlsx"),
        "cut_ops.xlsx: not a readable XLSX workbook (damaged or truncated?)",
    ),
    (
        "utf16.csv",
        lambda: UTF16_TEXT.encode("utf-16"),
        "utf16.csv: not UTF-8 text (UTF-16 detected: byte-order mark FF FE); save the file as UTF-8 CSV",
    ),
    (
        "utf16be.csv",
        lambda: UTF16_TEXT.encode("utf-16-be"),
        "utf16be.csv: not UTF-8 text (UTF-16 detected: big-endian, no byte-order mark)",
    ),
    (
        "utf16le.csv",
        lambda: UTF16_TEXT.encode("utf-16-le"),
        "utf16le.csv: not UTF-8 text (UTF-16 detected: little-endian, no byte-order mark)",
    ),
    (
        "nul.csv",
        lambda: CROSSINGS.replace("route", "ro\x00ute", 1).encode(),
        "nul.csv: binary content (NUL bytes), not a text CSV (the first NUL byte is on line 1)",
    ),
    (
        "workbook.csv",
        lambda: (FIX / "home_office/small_boats.xlsx").read_bytes(),
        "workbook.csv: binary content, not a text CSV: the bytes are an XLSX workbook "
        "(give the file the .xlsx extension)",
    ),
    (
        "ops.csv",
        lambda: (FIX / "canonical/operations.xlsx").read_bytes(),
        "ops.csv: binary content, not a text CSV: the bytes are an XLSX workbook",
    ),
    (
        "sheet.csv",
        lambda: (FIX / "home_office/small_boats.ods").read_bytes(),
        "sheet.csv: binary content, not a text CSV: the bytes are an ODS workbook (give the file the .ods extension)",
    ),
    (
        "records.csv",
        lambda: (FIX / "canonical/incidents.parquet").read_bytes(),
        "records.csv: binary content, not a text CSV: the bytes are a Parquet file",
    ),
    (
        "cut.parquet",
        lambda: half(FIX / "canonical/incidents.parquet"),
        "cut.parquet: not a readable Parquet file (damaged or truncated?)",
    ),
    ("text.xlsx", lambda: CROSSINGS.encode(), "text.xlsx: not a readable XLSX workbook (not a zip archive)"),
    (
        "latin1.csv",
        lambda: "Année,x\n1,2\n".encode("latin-1"),
        "latin1.csv: not UTF-8 text (invalid byte 0xe9 on line 1)",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_detect_says_what_is_wrong_with_an_unreadable_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content())
    with pytest.raises(StructuralError) as err:
        ingest.detect(path)
    assert str(err.value).startswith(message), str(err.value)
    assert "not a format Tideline can import" not in str(err.value)


def test_a_readable_file_of_no_known_format_is_still_named_so(tmp_path):
    for name, content in [("notes.txt", b"hello"), ("table.csv", b"a,b\n1,2\n")]:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(StructuralError, match=f"^{name}: not a format Tideline can import"):
            ingest.detect(tmp_path / name)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [r for r in REFUSALS if r[0].endswith(".csv") and r[0] != "latin1.csv"],
    ids=[r[0] for r in REFUSALS if r[0].endswith(".csv") and r[0] != "latin1.csv"],
)
@pytest.mark.parametrize("importer", [home_office, iom, frontex, canonical], ids=lambda m: m.NAME)
def test_each_importer_read_gives_the_same_reason(tmp_path, name, content, message, importer):
    """With --source the importer's own read() is the one that refuses: the same words."""
    path = tmp_path / name
    path.write_bytes(content())
    with pytest.raises(StructuralError) as err:
        importer.read(path, regions=None)
    assert str(err.value).startswith(message), str(err.value)


def test_utf16_and_nul_checks_do_not_refuse_utf8_text(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("\ufeff" + CROSSINGS.replace("S,final", "Café,final"), encoding="utf-8")
    frame, lines = read_text_csv(path)
    assert frame["source"].tolist() == ["Café"] and lines == [2]
    assert ingest.detect(path) is canonical


# --- read_text_csv: Arrow's reader for files of one record per line, Python's csv module for the rest ---------

CSV_CASES = {
    "crlf": (b"a,b\r\n1,2\r\n\r\n3, 4 \r\n", True),
    "rows of empty fields": (b"a,b\n1,2\n,\n  ,  \n\n3,4\n", True),
    "quoted": (b'a,b\n"x, y","he said ""hi"""\n2,3\n', True),
    "a quote inside a field": (b'a,b\nab"c"d,2\n', True),
    "a space before a quote": (b'a,b\n1, "b"\n', True),
    "byte-order mark": (b"\xef\xbb\xbfa,b\n1,2\n", True),
    "not-available markers": (b"a,b\nNA,\n-,x\n", True),
    "unicode spaces": ("a,b\n\u00a0x\u00a0,\u2003y\n\x1cz\x1c,w\n".encode(), True),
    "no final line end": (b"a,b\n1,2", True),
    "blank lines at the end": (b"a,b\n1,2\n\n\n", True),
    "a repeated header": (b"a,a, b \n1,2,3\n", True),
    "a line break inside quotes": (b'a,b\n"x\ny",2\n3,4\n', False),
    "carriage returns alone": (b"a,b\r1,2\r", False),
    "an odd quote": (b'a,b\n5" gun,2\n', False),
    "bidi controls": ("a,b\n\u202eX1,\u2066 y \u2069\n\u202a,z\n".encode(), True),
    "bidi controls, Python's reader": ('a,b\n"x\ny",\u202eX1\n'.encode(), False),
}


def frame_rows(frame: pd.DataFrame) -> list[list]:
    """A frame's cells row by row, NULL as None."""
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


def column_rows(columns: list) -> list[list]:
    """Arrow columns' cells row by row."""
    return [list(row) for row in zip(*(c.to_pylist() for c in columns), strict=True)]


@pytest.mark.parametrize("name", list(CSV_CASES))
def test_arrow_and_python_csv_readers_give_the_same_frame_and_lines(tmp_path, name):
    data, arrow = CSV_CASES[name]
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    fast = base._arrow_csv(data.removeprefix(b"\xef\xbb\xbf"))
    assert (fast is not None) is arrow
    slow = base._python_csv(path, data.decode("utf-8-sig"), str)
    expected = frame_rows(slow[0])
    frame, lines = base.read_text_csv(path)
    assert lines == slow[1]
    assert list(frame.columns) == list(slow[0].columns) and frame.dtypes.tolist() == slow[0].dtypes.tolist()
    assert frame_rows(frame) == expected
    header, columns, numbers = base.read_text_columns(path)  # the same, as Arrow columns
    assert header == list(slow[0].columns) and numbers.tolist() == slow[1]
    assert column_rows(columns) == expected


@pytest.mark.parametrize("path", sorted(Path(__file__).parent.glob("fixtures/*/*.csv")), ids=lambda p: p.name)
def test_every_csv_fixture_reads_alike_both_ways(path):
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        slow = base._python_csv(path, text, str)
    except (UnicodeDecodeError, StopIteration, base.StructuralError):
        slow = None
    fast = base._arrow_csv(raw.removeprefix(b"\xef\xbb\xbf"))
    if slow is None:
        assert fast is None  # what Python's reader refuses, Arrow's does not read
        return
    frame, lines = base.read_text_csv(path)
    assert lines == slow[1] and frame.dtypes.tolist() == slow[0].dtypes.tolist()
    pd.testing.assert_frame_equal(frame, slow[0])
    if fast is not None:
        header, columns, lines = fast
        assert lines.tolist() == slow[1] and header == list(slow[0].columns)
        assert column_rows(columns) == frame_rows(slow[0])


def test_a_field_over_the_limit_is_still_refused(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1," + b"x" * (base.CSV_FIELD_LIMIT + 1) + b"\n")
    with pytest.raises(base.StructuralError, match="field larger than field limit"):
        base.read_text_csv(path)


def test_text_columns_of_a_file_that_is_not_utf8_are_refused_in_words(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b\n1,Arrivée\n".encode("latin-1"))
    assert base._arrow_csv(path.read_bytes()) is None  # Arrow checks the text as it reads
    with pytest.raises(base.StructuralError, match="not UTF-8 text"):
        base.read_text_columns(path)


def test_a_header_that_is_not_utf8_is_refused_in_words_by_the_column_reader(tmp_path):
    path = tmp_path / "latin1_header.csv"
    path.write_bytes("Arrivée,b\n1,2\n".encode("latin-1"))
    with pytest.raises(base.StructuralError, match="not UTF-8 text"):
        base.read_text_columns(path)


def test_text_is_read_without_bidi_controls_both_ways(tmp_path):
    """As the store keeps text: an id with a bidi control is the same id without it."""
    path = tmp_path / "b.csv"
    path.write_bytes("a,b\n\u202eX1,\u2066 y \u2069\n\u202a,z\n".encode())
    frame, _ = base.read_text_csv(path)
    assert frame_rows(frame) == [["X1", "y"], [None, "z"]]
