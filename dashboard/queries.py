"""Named, parameterised queries: fn(con, state, …) -> DataFrame. DuckDB filters and
aggregates; pandas only shapes small results. No value is ever pasted into SQL text: values are
named parameters (``$name``, bound from a dict), and the only text put into SQL is column and
table names from this module and dashboard.schema."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

from . import fmt, nationality, schema
from .filters import FilterOptions, FilterState, params

Con = duckdb.DuckDBPyConnection
Params = dict[str, object]
GRAINS = ("day", "week", "month")
BSC = "Border Security Command"
SYNTHETIC_SOURCE = "Synthetic demo data (Tideline), not real figures"


def _df(con: Con, sql: str, values: Params | None = None) -> pd.DataFrame:
    return con.cursor().execute(sql, values or {}).df()


def _one(con: Con, sql: str, values: Params | None = None) -> tuple[Any, ...]:
    row = con.cursor().execute(sql, values or {}).fetchone()
    assert row is not None  # aggregate queries always return one row
    return row


# -- what the data offers -------------------------------------------------------------------
def filter_options(con: Con, versions: tuple[int, ...], current: int | None) -> FilterOptions:
    """Regions, routes, types and the date range present in this version's data."""
    regions = tuple(
        _df(
            con,
            """
        SELECT region FROM regions UNION SELECT region FROM routes
        UNION SELECT region FROM incidents ORDER BY 1""",
        )["region"]
    )
    all_routes = tuple(
        _df(
            con,
            """
        SELECT route FROM routes UNION SELECT route FROM crossings_daily
        UNION SELECT route FROM incidents UNION SELECT route FROM route_flows ORDER BY 1""",
        )["route"]
    )
    found_types = set(_df(con, "SELECT DISTINCT incident_type FROM incidents")["incident_type"])
    types = tuple(t for t in schema.INCIDENT_TYPES if t in found_types) + tuple(
        sorted(found_types - set(schema.INCIDENT_TYPES))
    )
    lo, hi = data_range(con)
    route_regions = dict(_df(con, "SELECT route, any_value(region) AS region FROM routes GROUP BY 1").values.tolist())
    names = set(
        _df(con, "SELECT nationality FROM irregular_arrivals UNION SELECT nationality FROM small_boat_asylum")[
            "nationality"
        ].astype(str)
    )
    codes = _df(con, "SELECT DISTINCT nationality FROM route_flows")["nationality"].astype(str)
    names |= {nationality.name_of(c) or c for c in codes}  # Frontex's ISO-3 codes under the names shown
    return FilterOptions(
        regions=regions,
        routes=all_routes,
        types=types,
        versions=versions,
        current_version=current,
        data_start=lo,
        data_end=hi,
        route_regions={str(route): str(region) for route, region in route_regions.items()},
        nationalities=tuple(sorted(names)),
    )


def data_range(con: Con) -> tuple[date, date]:
    """First and last day of the data: of the event tables (crossings, incidents, flows, preventions) when any
    has rows, else of operations, funding and staffing (an operations-only import); today if all are empty."""
    for tables in DATA_RANGE_TIERS:
        lo, hi = _one(
            con,
            "SELECT min(lo), max(hi) FROM ("
            + " UNION ALL ".join(
                f"SELECT {DATA_RANGE_EXPR[t][0]} AS lo, {DATA_RANGE_EXPR[t][1]} AS hi FROM {t}" for t in tables
            )
            + ")",
        )
        if lo is not None and hi is not None:
            return (lo, hi)
    today = date.today()
    return (today, today)


# Per table, the latest date in its data: the as-of of every figure drawn from it.
AS_OF_EXPR = {
    "crossings_daily": "max(date)",
    "preventions_weekly": "max(week_ending)",
    "incidents": "max(date)",
    "route_flows": "last_day(max(month))",
    "operations": "max(greatest(start_date, coalesce(end_date, start_date)))",
    "funding": "last_day(max(CASE WHEN spent_gbp IS NOT NULL THEN month END))",
    "staffing": "last_day(max(CASE WHEN in_post_headcount IS NOT NULL THEN month END))",
    "irregular_arrivals": "CAST(max(quarter_start) + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE)",
    "small_boat_asylum": "CAST(max(quarter_start) + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE)",
    "routes": "NULL::DATE",
    "regions": "NULL::DATE",
}


# Per table, the first and last day its rows describe (the last is its as-of). Funding and staffing count
# only months with figures reported: future months carry the plan, not data.
DATA_RANGE_EXPR = {
    "crossings_daily": ("min(date)", AS_OF_EXPR["crossings_daily"]),
    "incidents": ("min(date)", AS_OF_EXPR["incidents"]),
    "route_flows": ("min(month)", AS_OF_EXPR["route_flows"]),
    "preventions_weekly": ("min(week_ending) - 6", AS_OF_EXPR["preventions_weekly"]),
    "operations": ("min(start_date)", AS_OF_EXPR["operations"]),
    "funding": ("min(CASE WHEN spent_gbp IS NOT NULL THEN month END)", AS_OF_EXPR["funding"]),
    "staffing": ("min(CASE WHEN in_post_headcount IS NOT NULL THEN month END)", AS_OF_EXPR["staffing"]),
}
# The default period follows the first of these groups with any data: the event tables the pages measure
# against, then the tables of operations and resources.
DATA_RANGE_TIERS = (
    ("crossings_daily", "incidents", "route_flows", "preventions_weekly"),
    ("operations", "funding", "staffing"),
)
# What a source line calls each table's data ('No operations data in data version 3').
TABLE_WORDS = {
    "crossings_daily": "arrivals",
    "preventions_weekly": "preventions",
    "incidents": "incidents",
    "route_flows": "route detections",
    "operations": "operations",
    "funding": "funding",
    "staffing": "staffing",
    "irregular_arrivals": "irregular arrivals",
    "small_boat_asylum": "small-boat asylum applications",
    "routes": "routes",
    "regions": "regions",
}


def table_as_of(con: Con) -> pd.DataFrame:
    """Per table: rows and the latest date in the data (the as-of of figures drawn from it)."""
    return _df(
        con,
        " UNION ALL ".join(
            f"SELECT '{t}' AS \"table\", count(*) AS rows, {AS_OF_EXPR[t]} AS as_of FROM {t}"
            for t in schema.DATA_TABLES
        ),
    )


def sources(con: Con) -> pd.DataFrame:
    """Distinct sources per table, with row counts."""
    parts = " UNION ALL ".join(
        f"SELECT '{t}' AS \"table\", source, count(*) AS rows FROM {t} GROUP BY source" for t in schema.DATA_TABLES
    )
    return _df(con, f"SELECT * FROM ({parts}) ORDER BY 1, 2")


def provenance(con: Con) -> pd.DataFrame:
    """Per table and source: rows, the latest date in the data, and when and from which file it was loaded."""
    parts = " UNION ALL ".join(
        f"""SELECT '{t}' AS table_name, source, count(*) AS rows, {AS_OF_EXPR[t]} AS as_of,
                   max(loaded_version) AS loaded_version, any_value(source_sha256) AS sha256
            FROM {t} GROUP BY source"""
        for t in schema.DATA_TABLES
    )
    return _df(
        con,
        f"""
        SELECT p.*, s.created_at AS imported_at, s.file_name
        FROM ({parts}) p LEFT JOIN snapshots s ON s.snapshot_id = p.loaded_version
        ORDER BY p.source, p.table_name""",
    )


def is_synthetic(con: Con) -> bool:
    """True when any row of this version is synthetic demo data."""
    parts = " UNION ALL ".join(
        f"SELECT count(*) AS n FROM {t} WHERE starts_with(source, $demo)" for t in schema.DATA_TABLES
    )
    (n,) = _one(con, f"SELECT sum(n) FROM ({parts})", {"demo": schema.DEMO_SOURCE})
    return bool(n)


def source_text(con: Con, synthetic: bool, tables: dict[str, str]) -> str:
    """'Source: X · as of 31 Oct 2026 (what)' for figures from these tables, each source named once;
    `tables` maps each table to what the figure draws from it (may be ''). When one source has several
    as-of dates, every date is labelled (by what, else by the table's words, TABLE_WORDS). Tables without
    rows are said in words: 'No operations data in data version 3'."""
    info = table_as_of(con).set_index("table")
    names = sources(con)
    groups: dict[str, dict[str, list[tuple[str, str]]]] = {}
    empty: list[str] = []
    for table, what in tables.items():
        if not info["rows"].get(table, 0):
            empty.append(TABLE_WORDS.get(table, table))
            continue
        src = SYNTHETIC_SOURCE if synthetic else "; ".join(names.loc[names["table"] == table, "source"])
        groups.setdefault(src, {}).setdefault(fmt.as_of(info["as_of"].get(table)), []).append((table, what))
    parts = []
    for src, by_day in groups.items():
        days = []
        for day, items in by_day.items():
            # Several dates: each names every table it is the as-of of, by what or by the table's words
            # ('as of 31 Oct 2026 (arrivals); 19 Oct 2026 (operations)'); one date needs no label.
            several = len(by_day) > 1
            labels = [w or (TABLE_WORDS.get(t, t) if several else "") for t, w in items]
            labels = [label for label in labels if label]
            days.append(day + (f" ({', '.join(dict.fromkeys(labels))})" if labels else ""))
        parts.append(f"Source: {src} · as of {'; '.join(days)}")
    if empty:
        (version,) = _one(con, "SELECT max(snapshot_id) FROM snapshots")
        where = "this data version" if version is None else f"data version {version}"
        parts.append(f"No {_words(list(dict.fromkeys(empty)))} data in {where}")
    return " · ".join(parts)


def _words(items: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


# -- KPIs -----------------------------------------------------------------------------------
ACTIVE_IN_PERIOD = "start_date <= $end AND coalesce(end_date, DATE '9999-12-31') >= $start"


def _period_kpis(con: Con, state: FilterState) -> dict[str, Any]:
    w, p = state.where("c", date_col="date", route_col="route")
    people, boats = _one(con, f"SELECT sum(people), sum(boats) FROM crossings_daily WHERE {w}", p)
    w, p = state.where("p", date_col="week_ending", route_col="route")
    (prevented,) = _one(con, f"SELECT sum(people_prevented) FROM preventions_weekly WHERE {w}", p)
    w, p = state.where("i", date_col="date", region_col="region", route_col="route", type_col="incident_type")
    (dead_missing,) = _one(con, f"SELECT sum(coalesce(dead, 0) + coalesce(missing, 0)) FROM incidents WHERE {w}", p)
    w, p = state.where("o", date_col=None, region_col="region", route_col="route")
    (active_ops,) = _one(
        con,
        f"SELECT count(*) FROM operations WHERE {ACTIVE_IN_PERIOD} AND {w}",
        params(p, start=state.start, end=state.end),
    )
    # Spend is national (not by route); compare with the allocation for the months with spend data.
    spent, allocated = _one(
        con,
        """
        SELECT sum(spent_gbp), sum(allocated_gbp) FROM funding
        WHERE programme = $programme AND month BETWEEN $start AND $end AND spent_gbp IS NOT NULL""",
        {"programme": BSC, "start": state.start.replace(day=1), "end": state.end},
    )
    in_post, planned = _one(
        con,
        """
        WITH m AS (SELECT max(month) AS month FROM staffing
                   WHERE month <= $end AND in_post_headcount IS NOT NULL)
        SELECT sum(in_post_headcount), sum(planned_headcount) FROM staffing JOIN m USING (month)""",
        {"end": state.end},
    )
    return {
        "people": people,
        "boats": boats,
        "people_per_boat": (people / boats) if people is not None and boats else None,
        "prevented": prevented,
        "dead_missing": dead_missing,
        "active_operations": active_ops,
        "spent_gbp": spent,
        "allocated_gbp": allocated,
        "in_post": in_post,
        "planned": planned,
    }


KPI_LABELS = {
    "people": ("People arrived", "people"),
    "boats": ("Boats arrived", "boats"),
    "people_per_boat": ("People per boat", "people per boat"),
    "prevented": ("People prevented", "people"),
    "dead_missing": ("Dead and missing", "people"),
    "active_operations": ("Active operations", "operations"),
    "spent_gbp": ("BSC spend", "£"),
    "in_post": ("Staff in post", "staff"),
}
# Which way is good for each KPI: "normal" (up is good), "inverse" (up is bad), "off" (neither).
Direction = Literal["normal", "inverse", "off"]
KPI_DIRECTION: dict[str, Direction] = {
    "people": "inverse",
    "boats": "inverse",
    "people_per_boat": "off",
    "prevented": "normal",
    "dead_missing": "inverse",
    "active_operations": "normal",
    "spent_gbp": "off",
    "in_post": "normal",
}


def kpis(con: Con, state: FilterState) -> pd.DataFrame:
    """One row per KPI: value this period, value in the baseline period (state.baseline(): a year earlier,
    or the previous period of the same length), target."""
    now, before = _period_kpis(con, state), _period_kpis(con, state.baseline())
    targets = {"spent_gbp": ("allocated_gbp", "allocation"), "in_post": ("planned", "plan")}
    rows = []
    for key, (label, unit) in KPI_LABELS.items():
        target_key, target_label = targets.get(key, (None, None))
        rows.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                "value": now[key],
                "previous": before[key],
                "target": now[target_key] if target_key else None,
                "target_label": target_label,
            }
        )
    return pd.DataFrame(rows, dtype=object)


# -- time series ----------------------------------------------------------------------------
def crossings_series(con: Con, state: FilterState, grain: str = "week") -> pd.DataFrame:
    """People and boats arrived per day/week/month (weeks start on Monday)."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    w, p = state.where("c", date_col="date", route_col="route")
    return _df(
        con,
        f"""
        SELECT date_trunc($grain, date)::DATE AS period, sum(people)::BIGINT AS people, sum(boats)::BIGINT AS boats
        FROM crossings_daily WHERE {w} GROUP BY 1 ORDER BY 1""",
        params(p, grain=grain),
    )


def weekly_trend(con: Con, state: FilterState) -> pd.DataFrame:
    """Weekly people arrived this period and the same weeks a year earlier (aligned by week)."""
    now = crossings_series(con, state, "week")
    prev = crossings_series(con, state.shifted_years(-1), "week")
    prev["period"] = pd.to_datetime(prev["period"]) + pd.Timedelta(weeks=52)
    now["period"] = pd.to_datetime(now["period"])
    return now.merge(
        prev[["period", "people"]].rename(columns={"people": "people_previous_year"}), on="period", how="left"
    )


# -- by route -------------------------------------------------------------------------------
def by_route(con: Con, state: FilterState) -> pd.DataFrame:
    """Per route: detections (flows), people arrived (crossings), incidents, dead and missing."""
    wf, pf = _flows_filter(state)
    wc, pc = state.where("c", date_col="date", route_col="route")
    wi, pi = state.where("i", date_col="date", region_col="region", route_col="route", type_col="incident_type")
    wr, pr = state.where("r", date_col=None, region_col="region", route_col="route")
    return _df(
        con,
        f"""
        WITH f AS (SELECT route, sum(detections)::BIGINT AS detections FROM route_flows WHERE {wf} GROUP BY 1),
             c AS (SELECT route, sum(people)::BIGINT AS people_arrived FROM crossings_daily WHERE {wc} GROUP BY 1),
             i AS (SELECT route, count(*) AS incidents,
                          sum(coalesce(dead, 0) + coalesce(missing, 0))::BIGINT AS dead_missing
                   FROM incidents WHERE {wi} GROUP BY 1),
             r AS (SELECT route, region FROM routes WHERE {wr})
        SELECT coalesce(r.route, f.route, c.route, i.route) AS route, r.region,
               coalesce(f.detections, 0) AS detections, c.people_arrived,
               coalesce(i.incidents, 0) AS incidents, coalesce(i.dead_missing, 0) AS dead_missing
        FROM r FULL JOIN f USING (route) FULL JOIN c USING (route) FULL JOIN i USING (route)
        ORDER BY detections DESC, incidents DESC, route""",
        params(pf, pc, pi, pr),
    )


# -- map ------------------------------------------------------------------------------------
POINT_COLUMNS = (
    "incident_id, strftime(date, '%Y-%m-%d') AS date, lat, lon, region, route, incident_type, "
    "people, dead, missing, survivors, cause, location"
)


def _flows_filter(state: FilterState) -> tuple[str, Params]:
    """Frontex route_flows in the filters: whole months of the period, routes (regions via the routes table),
    nationalities by ISO-3 code."""
    return state.where(
        "f",
        date_col="month",
        route_col="route",
        nationality_col="nationality",
        nationality_codes=True,
        month_grain=True,
    )


def _incident_filter(state: FilterState) -> tuple[str, Params]:
    return state.where("i", date_col="date", region_col="region", route_col="route", type_col="incident_type")


def incident_count(con: Con, state: FilterState) -> int:
    w, p = _incident_filter(state)
    return int(_one(con, f"SELECT count(*) FROM incidents WHERE {w}", p)[0])


def unplaced_count(con: Con, state: FilterState) -> int:
    """Incidents in the filters without a position: counted in every total and table, left off the map."""
    w, p = _incident_filter(state)
    return int(_one(con, f"SELECT count(*) FROM incidents WHERE {w} AND (lat IS NULL OR lon IS NULL)", p)[0])


def incident_group(con: Con, incident_id: str) -> pd.DataFrame:
    """The records of an incident's group (IOM's Main ID: one event recorded at several places), the incident
    itself included, oldest first; empty when it has no group or is alone in it. Ignores the filters."""
    return _df(
        con,
        f"""
        WITH g AS (SELECT group_id FROM incidents WHERE incident_id = $id AND group_id IS NOT NULL LIMIT 1)
        SELECT group_id, {POINT_COLUMNS} FROM incidents WHERE group_id = (SELECT group_id FROM g)
          AND (SELECT count(*) FROM incidents WHERE group_id = (SELECT group_id FROM g)) > 1
        ORDER BY date, incident_id""",
        {"id": incident_id},
    )


def map_points(con: Con, state: FilterState) -> pd.DataFrame:
    """Incidents as points, newest first (those without a position too: the table lists them; the map skips
    them)."""
    w, p = _incident_filter(state)
    return _df(con, f"SELECT {POINT_COLUMNS} FROM incidents WHERE {w} ORDER BY date DESC, incident_id", p)


EXPORT_COLUMNS = ", ".join(c.name for c in schema.TABLES["incidents"])  # every canonical column, provenance aside


def incidents_for_export(con: Con, state: FilterState) -> pd.DataFrame:
    """The incidents in the filters with every canonical column: what a file export carries (the map's rows, with
    their source), so the file imports back into Tideline as it is."""
    w, p = _incident_filter(state)
    return _df(con, f"SELECT {EXPORT_COLUMNS} FROM incidents WHERE {w} ORDER BY date DESC, source, incident_id", p)


def map_cells(con: Con, state: FilterState, cell_deg: float = 0.25) -> pd.DataFrame:
    """Incidents aggregated into square lat/lon grid cells of `cell_deg` degrees."""
    w, p = _incident_filter(state)
    return _df(
        con,
        f"""
        WITH g AS (SELECT floor(lat / $deg) AS gy, floor(lon / $deg) AS gx, people,
                          coalesce(dead, 0) + coalesce(missing, 0) AS dm
                   FROM incidents WHERE {w} AND lat IS NOT NULL AND lon IS NOT NULL)
        SELECT (gy + 0.5) * $deg AS cell_lat, (gx + 0.5) * $deg AS cell_lon, $deg AS cell_size_deg,
               count(*) AS incidents, sum(people)::BIGINT AS people, sum(dm)::BIGINT AS dead_missing
        FROM g GROUP BY gy, gx ORDER BY incidents DESC, cell_lat, cell_lon""",
        params(p, deg=cell_deg),
    )


CELL_SIZES = (0.25, 0.5, 1.0, 2.0, 4.0)  # degrees; coarser until the cells fit the budget
MAX_POINT_BYTES = 1_500_000  # the points' share of the map's 2 MB payload (the basemap and routes take ~0.4 MB)
POINT_BYTES = 230  # one point's JSON besides its text: keys, numbers, punctuation (measured: 217 on the demo)
POINT_TEXT = ("incident_id", "region", "route", "incident_type", "cause", "location")  # plus a 10-character date


def map_incidents(
    con: Con, state: FilterState, max_points: int = 4000, max_cells: int = 4000, max_bytes: int = MAX_POINT_BYTES
) -> tuple[str, pd.DataFrame]:
    """('points', frame) while the filtered set is small in rows and in bytes, else ('cells', frame) with the
    finest grid whose cell count fits `max_cells`, so the map payload stays bounded whatever the data size
    (long location texts count: 4,000 points of 120-character locations would make 2 MB).

    The cells come from one pass over the incidents, the finest grid's (CELL_SIZES[0]): every coarser grid's
    cells are unions of those (each size is the finest times a power of two, so
    floor(lat / size) = floor(floor(lat / finest) / factor) exactly), summed here from the fine cells. The result
    is map_cells' at the chosen size (tested). At ten million incidents (all of them) this takes 0.3 s where a
    count with the text's bytes, a count of distinct cells per grid and then the cells took 0.86 s."""
    w, p = _incident_filter(state)
    (n,) = _one(con, f"SELECT count(*) FROM incidents WHERE {w}", p)
    if n <= max_points:  # few enough: are they small enough? (their text, summed only then)
        text = " + ".join(f"strlen(coalesce({c}, ''))" for c in POINT_TEXT)
        (text_bytes,) = _one(con, f"SELECT coalesce(sum({text}), 0)::BIGINT FROM incidents WHERE {w}", p)
        if n * (POINT_BYTES + 10) + int(text_bytes) <= max_bytes:
            return "points", map_points(con, state)
    fine = _df(
        con,
        f"""
        SELECT CAST(floor(lat / $deg) AS BIGINT) AS gy, CAST(floor(lon / $deg) AS BIGINT) AS gx,
               count(*) AS n, sum(people) AS people, sum(coalesce(dead, 0) + coalesce(missing, 0)) AS dm
        FROM incidents WHERE {w} AND lat IS NOT NULL AND lon IS NOT NULL GROUP BY 1, 2""",
        params(p, deg=CELL_SIZES[0]),
    )
    gy, gx = fine["gy"].astype("int64").to_numpy(), fine["gx"].astype("int64").to_numpy()
    deg, factor = CELL_SIZES[-1], _factor(CELL_SIZES[-1])
    for size in CELL_SIZES:
        k = _factor(size)
        if np.unique(np.stack([gy // k, gx // k]), axis=1).shape[1] <= max_cells:
            deg, factor = size, k
            break
    cells = (
        pd.DataFrame(
            {
                "cy": gy // factor,
                "cx": gx // factor,
                "incidents": fine["n"].astype("int64").to_numpy(),
                "people": pd.to_numeric(fine["people"]).to_numpy(dtype=float, na_value=np.nan),
                "dead_missing": pd.to_numeric(fine["dm"]).to_numpy(dtype=float, na_value=np.nan),
            }
        )
        .groupby(["cy", "cx"], as_index=False)
        .sum(min_count=1)  # a cell's people: NULL when none of its incidents gives a count, as SQL's sum
    )
    out = pd.DataFrame(
        {
            "cell_lat": (cells["cy"].astype(float) + 0.5) * deg,
            "cell_lon": (cells["cx"].astype(float) + 0.5) * deg,
            "cell_size_deg": float(deg),
            "incidents": cells["incidents"].astype("int64"),
            "people": cells["people"].astype("Int64"),
            "dead_missing": cells["dead_missing"].astype("Int64"),
        }
    )
    out = out.sort_values(["incidents", "cell_lat", "cell_lon"], ascending=[False, True, True], kind="stable")
    return "cells", out.reset_index(drop=True)


def _factor(size: float) -> int:
    """How many of the finest cells span a cell of `size` degrees (a power of two, checked)."""
    k = round(size / CELL_SIZES[0])
    assert k * CELL_SIZES[0] == size and k & (k - 1) == 0, f"cell size {size} is not the finest times 2^n"
    return k


def routes_with_flows(con: Con, state: FilterState) -> pd.DataFrame:
    """Routes with their waypoint paths and the flow in the period (detections; Channel: arrivals), and their
    source (so a GIS export of them imports back as the routes table)."""
    wf, pf = _flows_filter(state)
    wc, pc = state.where("c", date_col="date", route_col="route")
    wr, pr = state.where("r", date_col=None, region_col="region", route_col="route")
    df = _df(
        con,
        f"""
        WITH f AS (SELECT route, sum(detections)::BIGINT AS detections FROM route_flows WHERE {wf} GROUP BY 1),
             c AS (SELECT route, sum(people)::BIGINT AS people_arrived FROM crossings_daily WHERE {wc} GROUP BY 1)
        SELECT r.route, r.region, r.mode, r.path, r.description, coalesce(f.detections, 0) AS detections,
               c.people_arrived, coalesce(c.people_arrived, f.detections, 0) AS people_or_flow, r.source
        FROM routes r LEFT JOIN f USING (route) LEFT JOIN c USING (route)
        WHERE {wr} ORDER BY people_or_flow DESC, route""",
        params(pf, pc, pr),
    )
    # plain lists for JSON (DuckDB hands back numpy arrays)
    paths = [[[float(x), float(y)] for x, y in path] for path in df["path"]]
    df["path"] = pd.Series(paths, index=df.index, dtype=object)
    return df


# -- operations -----------------------------------------------------------------------------
def operations(con: Con, state: FilterState) -> pd.DataFrame:
    """Operations active at any time in the period, in the selected regions/routes."""
    w, p = state.where("o", date_col=None, region_col="region", route_col="route")
    return _df(
        con,
        f"""
        SELECT * EXCLUDE (source_sha256, loaded_version) FROM operations
        WHERE {ACTIVE_IN_PERIOD} AND {w}
        ORDER BY start_date DESC, operation_id""",
        params(p, start=state.start, end=state.end),
    )


def operation_incidents(con: Con, state: FilterState, operation_id: str, radius_deg: float = 1.5) -> pd.DataFrame:
    """Incidents near an operation's focal point during the operation (within the period)."""
    w, p = state.where("i", date_col=None, type_col="incident_type", route_col=None)
    return _df(
        con,
        f"""
        WITH o AS (SELECT * FROM operations WHERE operation_id = $operation_id)
        SELECT {POINT_COLUMNS} FROM incidents
        WHERE date BETWEEN greatest((SELECT start_date FROM o), $start)
                       AND least(coalesce((SELECT end_date FROM o), DATE '9999-12-31'), $end)
          AND abs(lat - (SELECT lat FROM o)) <= $radius AND abs(lon - (SELECT lon FROM o)) <= $radius AND {w}
        ORDER BY date DESC, incident_id""",
        params(p, operation_id=operation_id, start=state.start, end=state.end, radius=radius_deg),
    )


# -- funding and staffing (national: region/route filters do not apply) ----------------------
def funding_by_year(con: Con) -> pd.DataFrame:
    """Allocation and spend by programme, funding line and financial year."""
    return _df(
        con,
        """
        SELECT programme, funding_line, category, financial_year,
               sum(allocated_gbp)::BIGINT AS allocated_gbp, sum(spent_gbp)::BIGINT AS spent_gbp,
               count(spent_gbp) AS months_reported
        FROM funding GROUP BY ALL ORDER BY programme, financial_year, funding_line""",
    )


def funding_burnup(con: Con, programme: str | None = None) -> pd.DataFrame:
    """Monthly cumulative allocation (plan) and cumulative spend (NULL after the last report)."""
    return _df(
        con,
        """
        WITH m AS (SELECT month, sum(allocated_gbp)::BIGINT AS allocated_gbp, sum(spent_gbp)::BIGINT AS spent_gbp,
                          count(spent_gbp) AS reported
                   FROM funding WHERE $programme::VARCHAR IS NULL OR programme = $programme GROUP BY month)
        SELECT month, allocated_gbp, spent_gbp,
               (sum(allocated_gbp) OVER (ORDER BY month))::BIGINT AS cumulative_allocated_gbp,
               CASE WHEN reported > 0 THEN (sum(coalesce(spent_gbp, 0)) OVER (ORDER BY month))::BIGINT END
                   AS cumulative_spent_gbp
        FROM m ORDER BY month""",
        {"programme": programme},
    )


def staffing_series(con: Con) -> pd.DataFrame:
    """Planned and in-post headcount per organisation and month."""
    return _df(
        con,
        """
        SELECT organisation, month, sum(planned_headcount)::BIGINT AS planned,
               sum(in_post_headcount)::BIGINT AS in_post
        FROM staffing GROUP BY ALL ORDER BY organisation, month""",
    )


def staffing_by_unit(con: Con, at: date) -> pd.DataFrame:
    """Planned vs in post per organisation and unit at the latest reported month ≤ `at`."""
    return _df(
        con,
        """
        WITH m AS (SELECT max(month) AS month FROM staffing WHERE month <= $at AND in_post_headcount IS NOT NULL)
        SELECT organisation, unit, m.month, sum(planned_headcount)::BIGINT AS planned,
               sum(in_post_headcount)::BIGINT AS in_post
        FROM staffing JOIN m USING (month) GROUP BY ALL ORDER BY organisation, unit""",
        {"at": at},
    )


def spend_and_outcomes(con: Con, state: FilterState) -> pd.DataFrame:
    """Per month in the period: BSC spend, networks disrupted (ops ending), people prevented."""
    w, p = state.where("o", date_col=None, region_col="region", route_col="route")
    wp, pp = state.where("p", date_col="week_ending", route_col="route")
    return _df(
        con,
        f"""
        WITH months AS (SELECT unnest(generate_series($first_month::DATE, $end::DATE, INTERVAL 1 MONTH))::DATE
                               AS month),
             s AS (SELECT month, sum(spent_gbp)::BIGINT AS spent_gbp FROM funding WHERE programme = $programme
                   GROUP BY 1),
             o AS (SELECT date_trunc('month', end_date)::DATE AS month,
                          sum(networks_disrupted)::BIGINT AS networks_disrupted, sum(arrests)::BIGINT AS arrests
                   FROM operations WHERE end_date IS NOT NULL AND {w} GROUP BY 1),
             v AS (SELECT date_trunc('month', week_ending)::DATE AS month,
                          sum(people_prevented)::BIGINT AS people_prevented
                   FROM preventions_weekly WHERE {wp} GROUP BY 1)
        SELECT month, s.spent_gbp, coalesce(o.networks_disrupted, 0) AS networks_disrupted,
               coalesce(o.arrests, 0) AS arrests, v.people_prevented
        FROM months LEFT JOIN s USING (month) LEFT JOIN o USING (month) LEFT JOIN v USING (month)
        ORDER BY month""",
        params(p, pp, first_month=state.start.replace(day=1), end=state.end, programme=BSC),
    )


# -- who arrives, and how (Home Office irregular-migration detailed dataset; quarterly) ---------------
SMALL_BOATS = "Small boat arrivals"
APPLICATION_RAISED = "Asylum application raised"


def quarter_of(d: date) -> date:
    """The first day of the quarter a date falls in."""
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _arrivals_filter(state: FilterState, prefix: str, period: tuple[date, date] | None = None) -> tuple[str, Params]:
    """Quarters that overlap the period, and the nationality filter (region, route and type do not apply)."""
    start, end = period or state.period
    return state.where(
        prefix, date_col="quarter_start", route_col=None, nationality_col="nationality", period=(quarter_of(start), end)
    )


def arrivals_by_method(con: Con, state: FilterState) -> pd.DataFrame:
    """Detected irregular arrivals per quarter and method of entry, quarters overlapping the period."""
    w, p = _arrivals_filter(state, "a")
    return _df(
        con,
        f"""SELECT quarter_start, method, sum(detections)::BIGINT AS detections
            FROM irregular_arrivals WHERE {w} GROUP BY 1, 2 ORDER BY 1, 2""",
        p,
    )


def arrivals_top_nationalities(con: Con, state: FilterState, top: int = 10) -> pd.DataFrame:
    """Per method, the `top` nationalities in the latest quarter of the period, with the same quarter a year
    earlier and the change (NULL where the year-earlier quarter has none)."""
    w, p = _arrivals_filter(state, "a")
    wn, pn = state.where("n", date_col=None, route_col=None, nationality_col="nationality")
    return _df(
        con,
        f"""
        WITH q AS (SELECT max(quarter_start) AS q FROM irregular_arrivals WHERE {w}),
        now AS (SELECT method, nationality, sum(detections)::BIGINT AS detections FROM irregular_arrivals
                WHERE quarter_start = (SELECT q FROM q) AND {wn} GROUP BY 1, 2),
        prev AS (SELECT method, nationality, sum(detections)::BIGINT AS year_earlier FROM irregular_arrivals
                 WHERE quarter_start = CAST((SELECT q FROM q) - INTERVAL 1 YEAR AS DATE) AND {wn} GROUP BY 1, 2),
        ranked AS (SELECT now.*, prev.year_earlier,
                          row_number() OVER (PARTITION BY now.method ORDER BY now.detections DESC NULLS LAST,
                                             now.nationality) AS rank
                   FROM now LEFT JOIN prev USING (method, nationality))
        SELECT (SELECT q FROM q) AS quarter_start, method, rank, nationality, detections, year_earlier,
               detections - year_earlier AS change
        FROM ranked WHERE rank <= $top ORDER BY method, rank""",
        params(p, pn, top=top),
    )


def arrivals_by_sex_age(con: Con, state: FilterState, method: str | None = None) -> pd.DataFrame:
    """Detected arrivals by sex and age group over the quarters of the period (one method, or all)."""
    w, p = _arrivals_filter(state, "a")
    return _df(
        con,
        f"""SELECT sex, age_group, sum(detections)::BIGINT AS detections FROM irregular_arrivals
            WHERE {w} AND ($method IS NULL OR method = $method) GROUP BY 1, 2 ORDER BY 1, 2""",
        params(p, method=method),
    )


def asylum_against_arrivals(con: Con, state: FilterState) -> pd.DataFrame:
    """Per quarter: small-boat arrivals (Irr_D01) and their asylum applications raised (Irr_D02), main
    applicants and dependants, and the UASC among them."""
    wa, pa_ = _arrivals_filter(state, "a")
    ws, ps = _arrivals_filter(state, "s")
    return _df(
        con,
        f"""
        WITH a AS (SELECT quarter_start, sum(detections)::BIGINT AS small_boat_arrivals FROM irregular_arrivals
                   WHERE method = $small_boats AND {wa} GROUP BY 1),
        s AS (SELECT quarter_start,
                     sum(applications) FILTER (WHERE application = $raised)::BIGINT AS applications,
                     sum(applications) FILTER (
                         WHERE application = $raised AND applicant_type = 'Main applicant')::BIGINT AS main_applicants,
                     sum(applications) FILTER (WHERE application = $raised AND uasc = 'UASC')::BIGINT AS uasc
              FROM small_boat_asylum WHERE {ws} GROUP BY 1)
        SELECT quarter_start, small_boat_arrivals, applications, main_applicants, uasc
        FROM a FULL JOIN s USING (quarter_start) ORDER BY 1""",
        params(pa_, ps, small_boats=SMALL_BOATS, raised=APPLICATION_RAISED),
    )


def frontex_nationalities(con: Con, state: FilterState, top: int = 10) -> pd.DataFrame:
    """Frontex detections by nationality (ISO-3 code and the name shown) in the period, routes filtered."""
    w, p = _flows_filter(state)
    df = _df(
        con,
        f"""SELECT nationality AS code, sum(detections)::BIGINT AS detections FROM route_flows WHERE {w}
            GROUP BY 1 ORDER BY 2 DESC NULLS LAST, 1 LIMIT $top""",
        params(p, top=top),
    )
    df.insert(0, "nationality", [nationality.name_of(c) or c for c in df["code"]])
    return df
