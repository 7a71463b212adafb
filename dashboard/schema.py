"""The canonical tables (DATA.md): names, column types and constraints, in one place."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_SOURCE = "Synthetic demo data (Tideline)"
"""Every demo row's `source` starts with this; pages and exports label the data as synthetic."""

# Tideline's own regions and the routes in each; imported labels are mapped onto these.
REGIONS: dict[str, tuple[str, ...]] = {
    "UK & Channel": ("English Channel", "Channel ports (HGV)"),
    "Mediterranean": ("Central Mediterranean", "Eastern Mediterranean", "Western Mediterranean"),
    "Atlantic": ("Atlantic (Canary Islands)",),
    "Balkans & Eastern Europe": ("Western Balkans", "Eastern Borders"),
}
ROUTES: tuple[str, ...] = tuple(r for routes in REGIONS.values() for r in routes)
INCIDENT_TYPES: tuple[str, ...] = ("launch", "arrival", "interception", "rescue", "dead or missing")
STATUSES = ("provisional", "final")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type
    nullable: bool = True
    doc: str = ""


def _c(name: str, type_: str, doc: str = "", nullable: bool = True) -> Column:
    return Column(name, type_, nullable, doc)


def _k(name: str, type_: str, doc: str = "") -> Column:
    return Column(name, type_, False, doc)


# Provenance columns the store stamps on every row at load time.
PROVENANCE = (
    _c("source_sha256", "VARCHAR", "sha256 of the file the row was imported from"),
    _c("loaded_version", "INTEGER", "data version in which the row was loaded"),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "crossings_daily": (
        _k("date", "DATE", "Day of arrival (UK time)"),
        _k("route", "VARCHAR", "Route name (see `routes`)"),
        _c("people", "INTEGER", "People detected arriving; NULL = not available"),
        _c("boats", "INTEGER", "Boats detected arriving; NULL = not available"),
        _k("source", "VARCHAR", "Publisher and series"),
        _k("status", "VARCHAR", "'provisional' or 'final'"),
    ),
    "preventions_weekly": (
        _k("week_ending", "DATE", "Last day (Sunday) of the week"),
        _k("route", "VARCHAR", "Route name"),
        _c("people_prevented", "INTEGER", "People prevented from crossing (French-reported, unverified)"),
        _c("events_prevented", "INTEGER", "Crossing attempts prevented"),
        _k("source", "VARCHAR", "Publisher and series"),
    ),
    "incidents": (
        _k("incident_id", "VARCHAR", "Unique id within the source (IOM: Incident ID)"),
        _c("group_id", "VARCHAR", "Id shared by related records of one event (IOM: Main ID); NULL if none"),
        _k("date", "DATE", "Date of the incident"),
        _c("lat", "DOUBLE", "Latitude, WGS84 degrees; NULL = no position (counted, not mapped)"),
        _c("lon", "DOUBLE", "Longitude, WGS84 degrees; NULL = no position (counted, not mapped)"),
        _k("region", "VARCHAR", "Tideline region"),
        _k("route", "VARCHAR", "Route name"),
        _k("incident_type", "VARCHAR", "launch, arrival, interception, rescue, dead or missing"),
        _c("people", "INTEGER", "People involved"),
        _c("dead", "INTEGER", "Number dead"),
        _c("missing", "INTEGER", "Minimum estimated number missing"),
        _c("survivors", "INTEGER", "Number of survivors"),
        _c("cause", "VARCHAR", "Cause of death or reason for the incident"),
        _c("location", "VARCHAR", "Place description"),
        _k("source", "VARCHAR", "Publisher and series"),
        _c("source_url", "VARCHAR", "Link to the original report, if any"),
        _c("source_quality", "VARCHAR", "Source's own quality grade, if any"),
    ),
    "route_flows": (
        _k("month", "DATE", "First day of the month"),
        _k("route", "VARCHAR", "Route name"),
        _k("nationality", "VARCHAR", "ISO 3166-1 alpha-3, or 'UNK'"),
        _c("detections", "INTEGER", "Detections (not people: one person can be detected twice)"),
        _k("source", "VARCHAR", "Publisher and series"),
    ),
    "routes": (
        _k("route", "VARCHAR", "Route name"),
        _k("region", "VARCHAR", "Tideline region"),
        _k("mode", "VARCHAR", "sea, land or air"),
        _k("path", "DOUBLE[][]", "Ordered [lon, lat] waypoints"),
        _c("description", "VARCHAR", "What the route is"),
        _k("source", "VARCHAR", "Publisher and series"),
    ),
    "regions": (
        _k("region", "VARCHAR", "Tideline region"),
        _c("description", "VARCHAR", "What the region covers"),
        _c("center_lat", "DOUBLE", "Map centre latitude"),
        _c("center_lon", "DOUBLE", "Map centre longitude"),
        _c("zoom", "DOUBLE", "Map zoom that shows the region"),
        _c("iom_labels", "VARCHAR[]", "IOM 'Region of Incident' / 'Migration route' labels mapped here"),
        _c("frontex_labels", "VARCHAR[]", "Frontex route labels mapped here"),
        _c("home_office_labels", "VARCHAR[]", "Home Office labels mapped here"),
        _k("source", "VARCHAR", "Publisher and series"),
    ),
    "operations": (
        _k("operation_id", "VARCHAR", "Unique id"),
        _k("name", "VARCHAR", "Operation name (fictional in the demo)"),
        _k("lead_agency", "VARCHAR", "Leading agency"),
        _c("partners", "VARCHAR", "Partner agencies, '; '-separated"),
        _k("region", "VARCHAR", "Tideline region"),
        _c("route", "VARCHAR", "Route name"),
        _k("start_date", "DATE", "Start"),
        _c("end_date", "DATE", "End; NULL while active"),
        _k("status", "VARCHAR", "active, concluded or suspended"),
        _c("arrests", "INTEGER", "Arrests"),
        _c("charges", "INTEGER", "People charged"),
        _c("convictions", "INTEGER", "Convictions"),
        _c("seizures_gbp", "BIGINT", "Value of cash and assets seized, £"),
        _c("boats_engines_seized", "INTEGER", "Boats and engines seized"),
        _c("networks_disrupted", "INTEGER", "Smuggling networks disrupted"),
        _c("lat", "DOUBLE", "Focal latitude"),
        _c("lon", "DOUBLE", "Focal longitude"),
        _c("description", "VARCHAR", "Summary"),
        _k("source", "VARCHAR", "Publisher and series"),
    ),
    "funding": (
        _k("programme", "VARCHAR", "Programme, e.g. 'Border Security Command'"),
        _k("funding_line", "VARCHAR", "Line within the programme"),
        _k("category", "VARCHAR", "staff, technology, international, operations"),
        _k("financial_year", "VARCHAR", "April–March, written '2024-25'"),
        _k("month", "DATE", "First day of the month"),
        _c("allocated_gbp", "BIGINT", "Allocated in the month, £"),
        _c("spent_gbp", "BIGINT", "Spent in the month, £ (NULL for future months)"),
        _k("source", "VARCHAR", "Publisher and series"),
    ),
    "staffing": (
        _k("organisation", "VARCHAR", "BSC, NCA, …"),
        _k("unit", "VARCHAR", "Unit within the organisation"),
        _k("role", "VARCHAR", "Role"),
        _k("month", "DATE", "First day of the month"),
        _c("planned_headcount", "INTEGER", "Planned headcount at month end"),
        _c("in_post_headcount", "INTEGER", "In post at month end (NULL for future months)"),
        _k("source", "VARCHAR", "Publisher and series"),
    ),
    "irregular_arrivals": (
        _k("quarter_start", "DATE", "First day of the quarter"),
        _k("method", "VARCHAR", "Method of entry, e.g. 'Small boat arrivals'"),
        _k("nationality", "VARCHAR", "Nationality as Tideline names it (see dashboard/nationality.py)"),
        _c("nationality_region", "VARCHAR", "The publisher's world region of the nationality"),
        _c("sex", "VARCHAR", "Male, Female, or the publisher's not-known label"),
        _c("age_group", "VARCHAR", "The publisher's age band, e.g. '18 to 24'"),
        _c("detections", "INTEGER", "Detected irregular arrivals (people); NULL = not available"),
        _k("source", "VARCHAR", "Publisher and series"),
    ),
    "small_boat_asylum": (
        _k("quarter_start", "DATE", "First day of the quarter"),
        _k("application", "VARCHAR", "Asylum application, e.g. 'Asylum application raised'"),
        _k("nationality", "VARCHAR", "Nationality as Tideline names it (see dashboard/nationality.py)"),
        _c("nationality_region", "VARCHAR", "The publisher's world region of the nationality"),
        _c("applicant_type", "VARCHAR", "Main applicant or dependant"),
        _c("uasc", "VARCHAR", "Unaccompanied asylum-seeking child: the publisher's label"),
        _c("sex", "VARCHAR", "Male, Female, or the publisher's not-known label"),
        _c("age_group", "VARCHAR", "The publisher's age band"),
        _c("applications", "INTEGER", "Asylum applications from small-boat arrivals; NULL = not available"),
        _k("source", "VARCHAR", "Publisher and series"),
    ),
}

# Rows are stored sorted by these columns so DuckDB's min/max indexes skip whole row groups
# outside the filtered period.
CLUSTER_BY: dict[str, str] = {
    "crossings_daily": "date",
    "preventions_weekly": "week_ending",
    "incidents": "date",
    "route_flows": "month",
    "routes": "route",
    "regions": "region",
    "operations": "start_date",
    "funding": "month",
    "staffing": "month",
    "irregular_arrivals": "quarter_start",
    "small_boat_asylum": "quarter_start",
}

# Each table's natural key: no two rows of one import may share it (the pages would add them up).
# incidents: the schema's "unique id within the source", so the same id under two sources is two incidents.
KEYS: dict[str, tuple[str, ...]] = {
    "crossings_daily": ("date", "route"),
    "preventions_weekly": ("week_ending", "route"),
    "incidents": ("source", "incident_id"),
    "route_flows": ("month", "route", "nationality"),
    "routes": ("route",),
    "regions": ("region",),
    "operations": ("operation_id",),
    "funding": ("programme", "funding_line", "month"),
    "staffing": ("organisation", "unit", "role", "month"),
    "irregular_arrivals": ("quarter_start", "method", "nationality", "nationality_region", "sex", "age_group"),
    "small_boat_asylum": (
        "quarter_start",
        "application",
        "nationality",
        "nationality_region",
        "applicant_type",
        "uasc",
        "sex",
        "age_group",
    ),
}

# Tables added after the first stores were written: a version written before one existed lists no file for
# it and reads it as empty (`Store.check` notes this rather than calling the version damaged).
ADDED_LATER: frozenset[str] = frozenset({"irregular_arrivals", "small_boat_asylum"})

SNAPSHOT_COLUMNS: tuple[Column, ...] = (
    _k("snapshot_id", "INTEGER", "Data version id"),
    _k("created_at", "TIMESTAMP", "When the version was created (UTC)"),
    _k("source_name", "VARCHAR", "What was loaded"),
    _c("file_name", "VARCHAR", "Input file name"),
    _c("sha256", "VARCHAR", "sha256 of the input"),
    _k("rows", "BIGINT", "Rows across all tables in this version"),
    _k("status", "VARCHAR", "current or superseded"),
    _c("note", "VARCHAR", "Free text"),
)

DATA_TABLES: tuple[str, ...] = tuple(TABLES)
ALL_TABLES: tuple[str, ...] = DATA_TABLES + ("snapshots",)


def columns(table: str, provenance: bool = True) -> tuple[Column, ...]:
    """Columns of a data table, with the provenance columns appended by default."""
    cols = TABLES[table]
    return cols + PROVENANCE if provenance else cols


def create_sql(table: str, provenance: bool = True, in_schema: str | None = None) -> str:
    """CREATE TABLE statement enforcing types and NOT NULL for a canonical table (in `in_schema`, if given)."""
    cols = SNAPSHOT_COLUMNS if table == "snapshots" else columns(table, provenance)
    body = ",\n  ".join(f'"{c.name}" {c.type}{"" if c.nullable else " NOT NULL"}' for c in cols)
    name = f'"{table}"' if in_schema is None else f'"{in_schema}"."{table}"'
    return f"CREATE TABLE {name} (\n  {body}\n)"
