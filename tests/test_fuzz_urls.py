"""URL fuzzing through AppTest: generated junk query strings against every page.

Per case: no exception; a "Link parameter ignored" notice whenever FilterState.from_query_params
drops something; the page title; and the filter state actually applied equals the parsed state.
Cases are batched per page (one AppTest per case, one store for the module) to keep this fast.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import tiny
from streamlit.testing.v1 import AppTest

from dashboard import queries, registry
from dashboard.filters import FilterState, small_int
from dashboard.store import Store
from dashboard.ui import session

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
# Every page by name ('overview' for the default page) and the title it shows (the briefing: none).
TITLES = {p.url_path or "overview": p.title if p.shared_filters else None for p in registry.PAGES}
PAGES = list(TITLES)
SEED = 20250101
PER_PAGE = 90  # 90 per page (8 pages: 720 cases)
NOTICE = "Link parameter ignored"
STREAMLIT_RESERVED = {"embed", "embed_options"}

Params = dict[str, list[str]]

# -- the generator ----------------------------------------------------------------------------------
VALID_REGIONS = [tiny.UK, tiny.MED]
VALID_ROUTES = [tiny.EC, tiny.CM]
VALID_TYPES = ["arrival", "dead or missing", "rescue"]
VALID_DATES = ["2025-01-01", "2025-01-31", "2024-12-01", "2025-02-01", "2024-01-03"]
VALID_VERSIONS = ["1", "2"]  # the module store holds two versions; 2 is current

JUNK_TEXT = [
    "abc",
    "",
    " ",
    "-1",
    "1.5",
    "1e9",
    "0x10",
    "NaN",
    "inf",
    "None",
    "null",
    "true",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "$\\href{javascript:alert(1)}{x}$",
    "**bold** _it_ `code` # h1",
    ":red[x] :material/home:",
    "\x00",
    "a\x00b",
    "\x1b[31mred",
    "\r\nSet-Cookie: x=1",
    "\t\v\f",
    "\u202eevil\u202c",
    "\u200b\u200d\ufeff",
    "\u0661",
    "\u00b2",
    "\U0001f30a\U0001f4a5",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "%00",
    "%25%32%30",
    "%E2%80%AE",
    "%ZZ",
    "%",
    "&",
    "=",
    "?",
    "#",
    "+",
    "a&b=c",
    "../../etc/passwd",
    "'; DROP TABLE routes; --",
    "UK & Channel ",
    "uk & channel",
    "English  Channel",
    "ARRIVAL",
    "Ａｒｒｉｖａｌ",
    "x" * 10_000,
    "9" * 10_000,
    str(10**30),
    str(-(10**30)),
    "\ud800" if False else "\ufffd",
]
JUNK_DATES = [
    "0001-01-01",
    "9999-12-31",
    "2025-02-30",
    "2025-13-01",
    "2025-00-10",
    "1999-12-31",
    "2101-01-01",
    "notadate",
    "today",
    "yesterday",
    "2025/01/01",
    "01/01/2025",
    "2025-1-1",
    "20250101",
    "2025-W01-1",
    "2025-01-01T00:00",
    " 2025-01-01",
    "2025-01-01 ",
    "-2025-01-01",
    "+2025-01-01",
    "2025-01-01\x00",
    "\u0662\u0660\u0662\u0665-01-01",
    "2" * 10_000,
    "2025-01-01" * 1000,
    "",
]
JUNK_VERSIONS = [
    "99",
    "0",
    "00",
    "01",
    " 1",
    "1 ",
    "+1",
    "-1",
    "1.5",
    "1e0",
    "abc",
    str(10**12),
    str(10**30),
    "9" * 10_000,
    "\u00b2",
    "\u0661",
    "\uff11",
    "",
    "1\x00",
    "version",
]
JUNK_SLIDES = [
    "-1",
    "0",
    "1",
    "2",
    "4",
    "5",
    str(10**9),
    "abc",
    "",
    "1.5",
    "\u00b2",
    "\u0661",
    "9" * 10_000,
    " 2",
    "%32",
]
JUNK_AUTO = ["0", "-5", "1", "5", "600", "601", str(10**9), "abc", "", "\u00b2", "9" * 10_000, "1.5"]
UNKNOWN_KEYS = [
    "zoom",
    "utm_source",
    "Period",
    "REGION",
    "region ",
    "period[]",
    "embed",
    "embed_options",
    "\u202ekey",
    "\U0001f30a",
    "<script>",
    "a" * 2000,
    "slide",
    "auto",
    "page",
    "x\x00y",
    "__proto__",
]


def _choice(rng: random.Random, seq: list[str], n: int = 1) -> list[str]:
    return [rng.choice(seq) for _ in range(n)]


def _mutators(page: str):
    """(category, function(rng) -> partial params) for one page; merged into a case."""

    def wrong_version(rng):
        return {"version": _choice(rng, JUNK_VERSIONS)}

    def valid_version(rng):
        return {"version": _choice(rng, VALID_VERSIONS)}

    def repeated_versions(rng):
        return {"version": _choice(rng, VALID_VERSIONS + JUNK_VERSIONS[:6], rng.randint(2, 5))}

    def bad_period(rng):
        n = rng.choice([1, 2, 2, 2, 3, 5])
        return {"period": _choice(rng, JUNK_DATES + VALID_DATES, n)}

    def valid_period(rng):
        a, b = _choice(rng, VALID_DATES, 2)
        return {"period": [a, b]}

    def reversed_period(rng):
        return {"period": ["2025-01-31", "2025-01-01"]}

    def five_periods(rng):
        return {"period": _choice(rng, VALID_DATES, 5)}

    def filter_junk(rng):
        key = rng.choice(["region", "route", "type"])
        return {key: _choice(rng, JUNK_TEXT, rng.randint(1, 3))}

    def filter_valid(rng):
        key, pool = rng.choice([("region", VALID_REGIONS), ("route", VALID_ROUTES), ("type", VALID_TYPES)])
        return {key: rng.sample(pool, rng.randint(1, len(pool)))}

    def filter_mixed(rng):
        key, pool = rng.choice([("region", VALID_REGIONS), ("route", VALID_ROUTES), ("type", VALID_TYPES)])
        vals = [rng.choice(pool), rng.choice(JUNK_TEXT)]
        rng.shuffle(vals)
        return {key: vals}

    def fifty_regions(rng):
        return {"region": _choice(rng, VALID_REGIONS + JUNK_TEXT[:10], 50)}

    def duplicate_valid(rng):
        key, pool = rng.choice([("region", VALID_REGIONS), ("route", VALID_ROUTES), ("type", VALID_TYPES)])
        return {key: [pool[0]] * rng.randint(2, 5)}

    def unknown_key(rng):
        return {rng.choice(UNKNOWN_KEYS): _choice(rng, JUNK_TEXT, rng.randint(1, 2))}

    def huge(rng):
        key = rng.choice(["region", "route", "type", "version", "period", "zzz"])
        return {key: [rng.choice(["x" * 10_000, "9" * 10_000, str(10**30)])]}

    def briefing_slide(rng):
        out = {"slide": _choice(rng, JUNK_SLIDES, rng.choice([1, 1, 1, 3]))}
        if rng.random() < 0.5:
            out["auto"] = _choice(rng, JUNK_AUTO)
        return out

    muts = [
        wrong_version,
        valid_version,
        repeated_versions,
        bad_period,
        valid_period,
        reversed_period,
        five_periods,
        filter_junk,
        filter_valid,
        filter_mixed,
        fifty_regions,
        duplicate_valid,
        unknown_key,
        huge,
    ]
    if page == "briefing":
        muts += [briefing_slide] * 6
    return muts


def generate_cases(page: str, n: int = PER_PAGE, seed: int = SEED) -> list[Params]:
    """n query-param dicts for a page: deterministic for (page, seed)."""
    rng = random.Random(f"{seed}:{page}")
    muts = _mutators(page)
    cases: list[Params] = [{}]
    for i in range(n - 1):
        mut = muts[i % len(muts)]  # every category, in turn; then mixes of 1–3 more
        params: Params = {}
        for m in [mut] + rng.sample(muts, rng.choice([0, 0, 1, 2])):
            for k, v in m(rng).items():
                params.setdefault(k, []).extend(v)
        cases.append(params)
    return cases


CASES = {page: generate_cases(page) for page in PAGES}


# -- running a case ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("fuzz") / "store")
    s.commit(tiny.frames(), source_name="tiny")
    s.commit(tiny.frames(), source_name="tiny again")  # versions 1 and 2 (current)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIDELINE_DATA_DIR", str(s.data_dir))
        yield s


@pytest.fixture(scope="module")
def options(store):
    ids = tuple(v.id for v in store.versions())
    return queries.filter_options(store.connect(ids[-1]), ids, ids[-1])


@pytest.fixture(scope="module")
def page_hashes(store) -> dict[str, str]:
    """Each page's script hash, so a case opens its page on the session's first run (a deep link)."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    return {page: at.switch_page(registry.page("" if page == "overview" else page).script)._page_hash for page in PAGES}


def open_page(page: str, params: Params, hashes: dict[str, str]) -> AppTest:
    """Like opening /<page>?<params> in a new tab: the first run of the session is on that page."""
    at = AppTest.from_file(APP, default_timeout=60)
    at._page_hash = hashes[page]  # what switch_page sets; AppTest has no public deep-link API
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def show(params: Params, limit: int = 70) -> str:
    """A readable, bounded rendering of a case (the real ones hold 10k-character values)."""
    parts = []
    for k, vs in params.items():
        shown = [v if len(v) <= limit else f"{v[:limit]}…(+{len(v) - limit})" for v in vs[:6]]
        parts.append(f"{k[:limit]!r}: {shown!r}{f' …{len(vs)} values' if len(vs) > 6 else ''}")
    return "{" + ", ".join(parts) + "}"


def expected_slide(params: Params, n: int) -> int:
    """The slide the briefing should show (1-based): the last value, else the first slide."""
    raw = params["slide"][-1]
    slide = small_int(raw)
    return slide if slide and slide <= n else 1


def briefing_junk(params: Params, n: int) -> bool:
    """An unusable slide or auto value, which the briefing must name in a notice."""
    slide, auto = params["slide"][-1], params.get("auto", [""])[-1]
    return not (small_int(slide) and small_int(slide) <= n) or bool(auto and not small_int(auto))


def _exc_line(e) -> str:
    trace = [line for line in (e.stack_trace or []) if line.strip()]
    return f"{e.message} @ {trace[-1].strip() if trace else '?'}"[:400]


def check_case(page: str, params: Params, options, hashes) -> list[str]:
    """Problems with one case (empty = fine)."""
    try:
        at = open_page(page, params, hashes)
    except Exception as exc:  # AppTest itself failing is a finding too
        return [f"AppTest raised {type(exc).__name__}: {exc}"[:500]]
    if at.exception:
        return ["exception: " + " | ".join(_exc_line(e) for e in at.exception)]
    problems: list[str] = []
    if page == "audit":  # no shared filters: a link's parameters change nothing, and nothing crashes
        if [t.value for t in at.title] != ["Audit trail"]:
            problems.append(f"titles {[t.value for t in at.title]!r}")
        if len(at.sidebar.multiselect):
            problems.append("filters drawn on the audit page")
        return problems
    if page == "briefing":
        if "slide" in params:
            shown = [m.value for m in at.markdown if m.value.startswith("**Slide ")]
            want = f"**Slide {expected_slide(params, 4)} of 4**"
            if not shown or not shown[0].startswith(want):
                problems.append(f"slide: expected {want!r}, shown {shown!r}")
            noticed = any(w.value.startswith(NOTICE) for w in at.warning)
            if briefing_junk(params, 4) != noticed:
                problems.append(f"slide/auto notice {'missing' if not noticed else 'unexpected'}")
        elif [t.value for t in at.title] != ["Briefing"]:
            problems.append(f"titles {[t.value for t in at.title]!r}")
        if len(at.sidebar.multiselect):
            problems.append("filters drawn on the briefing page")
        return problems
    try:
        # Streamlit keeps its reserved keys (embed, embed_options) out of st.query_params: the app never sees them
        seen = {k: v for k, v in params.items() if k not in STREAMLIT_RESERVED}
        parsed, notices = FilterState.from_query_params(seen, options)
    except Exception as exc:
        return [f"FilterState.from_query_params raised {type(exc).__name__}: {exc}"[:400]]
    warnings = [w.value for w in at.warning]
    if notices and not any(w.startswith(NOTICE) for w in warnings):
        problems.append(f"no {NOTICE!r} notice; expected for {notices!r}")
    if not notices and any(w.startswith(NOTICE) for w in warnings):
        problems.append(f"unexpected notice {warnings!r}")
    if [t.value for t in at.title] != [TITLES[page]]:
        problems.append(f"titles {[t.value for t in at.title]!r}")
    applied = at.session_state[session.STATE_KEY] if session.STATE_KEY in at.session_state else None
    if applied != parsed:
        problems.append(f"applied state {applied!r} != parsed {parsed!r}")
    return problems


# -- bugs this fuzzer found (each reason says what was wrong); their cases are kept as a regression set --
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _int_fails(text: str) -> bool:
    """str.isdigit() is True but int() raises: superscripts ('²') and more than 4300 digits."""
    if not text.isdigit():
        return False
    try:
        int(text)
    except ValueError:
        return True
    return False


def _last(params: Params, key: str) -> str | None:
    return params[key][-1] if params.get(key) else None


KNOWN_ISSUES: dict[str, tuple[str, object]] = {
    "version_int_crash": (
        "BUG: version=² or a >4300-digit version crashes: dashboard/ui/session.py sidebar_filters "
        "int(pinned[-1]) after .isdigit() (and filters.py from_query_params int(v) for '²') raise ValueError",
        lambda page, p: (
            page != "briefing"
            and _last(p, "version") is not None
            and (_int_fails(_last(p, "version")) or _int_fails(_last(p, "version").strip()))
        ),
    ),
    "briefing_int_crash": (
        "BUG: slide/auto=² or a >4300-digit value crashes dashboard/ui/briefing.py present(): int(raw) after "
        ".isdigit() raises ValueError",
        lambda page, p: (
            page == "briefing" and "slide" in p and any(_int_fails(_last(p, k) or "") for k in ("slide", "auto"))
        ),
    ),
    "reversed_period_not_swapped": (
        "BUG: a reversed period gets the notice 'start was after end, so the dates were swapped' but the "
        "applied state keeps start > end (the URL-bound date_input wins over st.session_state['period'])",
        lambda page, p: (
            page != "briefing"
            and len(p.get("period", [])) == 2
            and all(ISO_DAY.fullmatch(v) for v in p["period"])
            and p["period"][0] > p["period"][1]
        ),
    ),
    "version_spelling": (
        "BUG: version='01', ' 1', '1 ', '１', '١' is accepted by FilterState.from_query_params (no notice) "
        "but the URL-bound selectbox rejects it: the current version is shown silently",
        lambda page, p: (
            page != "briefing"
            and _last(p, "version") is not None
            and _last(p, "version").strip().isdigit()
            and not _int_fails(_last(p, "version").strip())
            and _last(p, "version") != str(int(_last(p, "version").strip()))
        ),
    ),
    "period_parse_mismatch": (
        "BUG: the period the date_input takes from the URL differs from FilterState.from_query_params for "
        "3+ values or non-canonical dates ('2025-1-1', ' 2025-01-01', '2025-W01-1', '20250101'): a period is "
        "applied though the notice says ignored, or dropped with no notice",
        lambda page, p: (
            page != "briefing"
            and "period" in p
            and (len(p["period"]) > 2 or not all(ISO_DAY.fullmatch(v) for v in p["period"]))
        ),
    ),
}


def known_issue(page: str, params: Params) -> str | None:
    for name, (_, applies) in KNOWN_ISSUES.items():
        if applies(page, params):
            return name
    return None


def run_batch(page: str, cases: list[Params], options, hashes) -> list[tuple[Params, list[str]]]:
    failures = []
    for params in cases:
        problems = check_case(page, params, options, hashes)
        if problems:
            failures.append((params, problems))
    return failures


def summary(page: str, failures, total: int) -> str:
    lines = [f"{len(failures)} of {total} cases failed on {page!r}; first 10:"]
    for params, problems in failures[:10]:
        lines.append(f"  {show(params)}\n    -> " + "\n    -> ".join(problems))
    return "\n".join(lines)


# -- the tests --------------------------------------------------------------------------------------
def test_generator_is_deterministic_and_covers_the_issue():
    assert sum(len(c) for c in CASES.values()) >= 500
    assert all(len(c) >= 80 for c in CASES.values())
    assert generate_cases("map") == CASES["map"]  # same seed, same cases
    flat = [(k, v) for cases in CASES.values() for c in cases for k, vs in c.items() for v in vs]
    values = {v for _, v in flat}
    keys = {k for k, _ in flat}
    for must in (
        "abc",
        "-1",
        "1.5",
        "notadate",
        "9" * 10_000,
        str(10**30),
        "0001-01-01",
        "9999-12-31",
        "2025-02-30",
        "99",
        "0",
        str(10**12),
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "$\\href{javascript:alert(1)}{x}$",
        "\x00",
        "\u202eevil\u202c",
        "\u200b\u200d\ufeff",
    ):
        assert must in values, must
    assert keys - {"period", "region", "route", "type", "version"}  # unknown keys
    assert any(len(c.get("period", [])) >= 5 for cases in CASES.values() for c in cases)
    assert any(len(c.get("region", [])) >= 50 for cases in CASES.values() for c in cases)
    slides = {v for c in CASES["briefing"] for v in c.get("slide", [])}
    autos = {v for c in CASES["briefing"] for v in c.get("auto", [])}
    assert {"-1", "0", str(10**9), "abc"} <= slides and {"0", "-5", str(10**9)} <= autos


@pytest.mark.parametrize("page", PAGES)
def test_fuzzed_links_never_crash_and_say_what_was_ignored(store, options, page_hashes, page):
    cases = [c for c in CASES[page] if known_issue(page, c) is None]
    assert len(cases) >= 40, "too few clean cases left for this page"
    failures = run_batch(page, cases, options, page_hashes)
    assert not failures, summary(page, failures, len(cases))


@pytest.mark.parametrize("issue", list(KNOWN_ISSUES))
def test_cases_of_bugs_this_fuzzer_found(store, options, page_hashes, issue):
    """The generated cases that hit a bug this fuzzer found (fixed since): they must pass too."""
    cases = [(page, c) for page in PAGES for c in CASES[page] if known_issue(page, c) == issue]
    assert cases, f"no generated case hits {issue}"
    failures = []
    for page, params in cases:
        problems = check_case(page, params, options, page_hashes)
        if problems:
            failures.append((params, [f"[{page}] {x}" for x in problems]))
    assert not failures, summary(issue, failures, len(cases))
