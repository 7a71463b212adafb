"""DuckDB SQL to Spark SQL: sqlglot's translation, a small explicit table of overrides for what it gets wrong,
and a start-up check that refuses any named query whose translation is known to be wrong."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError


class TranslationError(Exception):
    """SQL that cannot be run on Spark as written; the message names the query and what to do."""


@dataclass(frozen=True)
class Override:
    """Replace `duckdb` (whitespace-normalised DuckDB SQL, found inside one named query's statement) by `portable`
    (DuckDB SQL that means the same and that sqlglot translates correctly) before translating."""

    query: str
    duckdb: str
    portable: str
    why: str


# Each entry is matched on a fragment of the query's own SQL text, so it stays put while the filters change the
# WHERE clause; check_translations() fails when an entry no longer matches any named query (a stale override).
OVERRIDES: tuple[Override, ...] = (
    Override(
        "operations",
        "SELECT * EXCLUDE (source_sha256, loaded_version) FROM operations",
        "SELECT operation_id, name, lead_agency, partners, region, route, start_date, end_date, status, arrests, "
        "charges, convictions, seizures_gbp, boats_engines_seized, networks_disrupted, lat, lon, description, source "
        "FROM operations",
        "sqlglot writes DuckDB's * EXCLUDE as * EXCEPT, which open-source Spark SQL does not have",
    ),
    Override(
        "funding_by_year",
        "FROM funding GROUP BY ALL ORDER BY programme, financial_year, funding_line",
        "FROM funding GROUP BY programme, funding_line, category, financial_year "
        "ORDER BY programme, financial_year, funding_line",
        "GROUP BY ALL: sqlglot passes it through unchecked; explicit grouping columns mean the same on every engine",
    ),
    Override(
        "staffing_series",
        "FROM staffing GROUP BY ALL ORDER BY organisation, month",
        "FROM staffing GROUP BY organisation, month ORDER BY organisation, month",
        "GROUP BY ALL, as above",
    ),
    Override(
        "staffing_by_unit",
        "FROM staffing JOIN m USING (month) GROUP BY ALL ORDER BY organisation, unit",
        "FROM staffing JOIN m USING (month) GROUP BY organisation, unit, m.month ORDER BY organisation, unit",
        "GROUP BY ALL, as above",
    ),
    Override(
        "spend_and_outcomes",
        "SELECT unnest(generate_series($first_month::DATE, $end::DATE, INTERVAL 1 MONTH))::DATE AS month",
        "SELECT CAST(m AS DATE) AS month FROM (SELECT unnest(generate_series($first_month::DATE, $end::DATE, "
        "INTERVAL 1 MONTH)) AS m)",
        "sqlglot writes CAST(EXPLODE(…)); Spark refuses a generator nested in an expression",
    ),
)


def normalise(sql: str) -> str:
    """The SQL with every run of whitespace as one space: what overrides are matched against."""
    return " ".join(sql.split())


def apply_overrides(sql: str, overrides: Iterable[Override] = OVERRIDES) -> tuple[str, tuple[Override, ...]]:
    """The normalised SQL with every matching override applied, and the overrides that matched."""
    text = normalise(sql)
    used = []
    for o in overrides:
        if o.duckdb in text:
            text = text.replace(o.duckdb, o.portable)
            used.append(o)
    return text, tuple(used)


# DuckDB functions sqlglot does not know (it would pass them through unchanged) → the Spark function that means the
# same. Any other function unknown to sqlglot is refused: it may not exist in Spark, or mean something else there.
FUNCTIONS = {
    "strlen": "OCTET_LENGTH",  # bytes of the UTF-8 text on both engines (length() counts characters)
}


def problems(tree: exp.Expr, *, duckdb_side: bool = True) -> list[str]:
    """Constructs known to come out of sqlglot wrong (or not at all) in Spark SQL, in words."""
    found = []
    for node in tree.walk():
        if isinstance(node, exp.Group) and node.args.get("all"):
            found.append("GROUP BY ALL")
        elif isinstance(node, exp.Star) and any(node.args.get(k) for k in ("except_", "except", "replace", "rename")):
            found.append("* EXCLUDE / * REPLACE / * RENAME (a star with a column list)")
        elif isinstance(node, exp.Explode | exp.Unnest) and not isinstance(node.parent, exp.Alias | exp.Select):
            found.append("a generator (unnest/explode) nested inside an expression")
        elif isinstance(node, exp.Placeholder) and (node.this is None or str(node.this).isdigit()):
            found.append("a positional parameter (? or $1): named parameters only ($name)")
        elif duckdb_side and isinstance(node, exp.Anonymous) and node.name.lower() not in FUNCTIONS:
            found.append(f"the function {node.name}(), unknown to sqlglot (it would pass it through unchanged)")
    return list(dict.fromkeys(found))


def _rename_functions(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Anonymous) and node.name.lower() in FUNCTIONS:
        return exp.Anonymous(this=FUNCTIONS[node.name.lower()], expressions=node.expressions)
    return node


def to_spark(sql: str, query: str | None = None, overrides: Iterable[Override] = OVERRIDES) -> str:
    """Spark SQL for DuckDB SQL: overrides applied, then sqlglot (duckdb → spark, `$name` → `:name`); a
    TranslationError, naming `query`, when either side does not parse or a known-bad construct remains."""
    return _to_spark(sql, query, tuple(overrides))


@functools.lru_cache(maxsize=1024)  # the same few statement shapes are run again and again
def _to_spark(sql: str, query: str | None, overrides: tuple[Override, ...]) -> str:
    what = f"named query {query}" if query else f"SQL {normalise(sql)[:100]!r}"
    text, _ = apply_overrides(sql, overrides)
    hint = (
        "add an override for it in dashboard/engines/translate.py (OVERRIDES or FUNCTIONS) or make the query portable"
    )
    try:
        tree = sqlglot.parse_one(text, read="duckdb", error_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise TranslationError(f"{what}: sqlglot cannot parse it as DuckDB SQL ({exc}); {hint}") from exc
    bad = problems(tree)
    if bad:
        raise TranslationError(f"{what}: {', '.join(bad)} does not translate to Spark SQL; {hint}")
    try:
        out = tree.transform(_rename_functions).sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
        back = sqlglot.parse_one(out, read="spark", error_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise TranslationError(f"{what}: the Spark translation fails ({exc}); {hint}") from exc
    bad = problems(back, duckdb_side=False)
    if bad:
        raise TranslationError(f"{what}: its Spark translation holds {', '.join(bad)}; {hint}")
    return out


@dataclass(frozen=True)
class Statement:
    """One SQL statement a named query ran, as recorded."""

    query: str
    sql: str
    params: dict[str, object]


def check_translations(statements: Iterable[Statement], overrides: Iterable[Override] = OVERRIDES) -> list[Statement]:
    """Translate every statement: a TranslationError naming the first query whose SQL has neither a correct
    translation nor an override, or naming an override that matches no statement any more. Returns the statements.
    (dashboard.engines.check_translations() records the named queries' statements first.)"""
    checked = list(statements)
    overrides = tuple(overrides)
    used: set[Override] = set()
    for s in checked:
        to_spark(s.sql, s.query, overrides)
        used.update(apply_overrides(s.sql, overrides)[1])
    stale = [o for o in overrides if o not in used]
    if stale:
        raise TranslationError(
            "override(s) matching no named query any more (remove them, or fix their SQL text): "
            + "; ".join(f"{o.query}: {o.duckdb[:80]!r}" for o in stale)
        )
    return checked
