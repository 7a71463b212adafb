"""What Tideline knows about each source: publisher, licence, status and caveats (pure data)."""

from __future__ import annotations

from dataclasses import dataclass

from .schema import DEMO_SOURCE
from .sources import frontex, home_office, home_office_irregular, iom


@dataclass(frozen=True)
class SourceInfo:
    name: str
    source: str  # the `source` value its rows carry
    publisher: str
    tables: tuple[str, ...]
    licence: str
    status: str
    caveats: str


SOURCES: tuple[SourceInfo, ...] = (
    SourceInfo(
        "Home Office small boats",
        home_office.SOURCE,
        "Home Office: Migrants detected crossing the English Channel in small boats (weekly, ODS)",
        ("crossings_daily", "preventions_weekly"),
        "Open Government Licence v3.0 (Crown copyright)",
        "provisional",
        "Provisional and revised in later releases. '-' means not available (never zero). Preventions are "
        "French-reported figures the UK has not verified; they start in the week ending 5 May 2024.",
    ),
    SourceInfo(
        "Home Office irregular migration (detailed)",
        home_office_irregular.SOURCE,
        "Home Office: Irregular migration to the UK, detailed dataset (quarterly, XLSX; tables Irr_D01 and Irr_D02)",
        ("irregular_arrivals", "small_boat_asylum"),
        "Open Government Licence v3.0 (Crown copyright)",
        "provisional",
        "Small-boat arrivals here differ slightly from the daily SB_01 series (different extraction dates); both "
        "are shown with their sources. Figures are revised each quarter: each release replaces the previous "
        "one. '-', 'NA' and '[x]' mean not available (never zero).",
    ),
    SourceInfo(
        "IOM Missing Migrants",
        iom.SOURCE,
        "International Organization for Migration: Missing Migrants Project",
        ("incidents",),
        "CC BY 4.0",
        "provisional",
        "Counts are minimum estimates: many deaths at sea are never recorded. Layouts differ between releases.",
    ),
    SourceInfo(
        "Frontex detections",
        frontex.SOURCE,
        "Frontex: monthly detections of illegal border-crossings",
        ("route_flows",),
        "Reuse permitted with acknowledgement (Frontex)",
        "provisional",
        "Counts detections, not people: one person can be detected more than once.",
    ),
    SourceInfo(
        "Funding and staffing",
        "",
        "Home Office / NCA announcements and returns",
        ("funding", "staffing"),
        "Open Government Licence v3.0",
        "final for past months",
        "Monthly phasing of announced totals; future months are plan, not spend.",
    ),
    SourceInfo(
        "Synthetic demo data",
        DEMO_SOURCE,
        DEMO_SOURCE,
        ("all tables",),
        "Made for Tideline; no real people or groups",
        "synthetic",
        "Generated from a fixed seed and calibrated to public annual totals; not real figures.",
    ),
)


def info_for(source: str) -> SourceInfo | None:
    """The catalogue entry for rows carrying this `source` value, if Tideline knows it."""
    return next((s for s in SOURCES if s.source and source.startswith(s.source)), None)
