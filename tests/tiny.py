"""A tiny hand-made dataset with answers worked out by hand (see the tests)."""

from __future__ import annotations

from datetime import date

import pandas as pd

SRC = "Test fixture"
HO_IRR = "Test fixture: irregular migration detailed dataset"
SB, AIR, IN_UK = "Small boat arrivals", "Inadequately documented air arrivals", "Recorded detections in the UK"
RAISED = "Asylum application raised"
EC, CM = "English Channel", "Central Mediterranean"
UK, MED = "UK & Channel", "Mediterranean"


def frames() -> dict[str, pd.DataFrame]:
    d = date.fromisoformat
    return {
        "routes": pd.DataFrame(
            {
                "route": [EC, CM],
                "region": [UK, MED],
                "mode": ["sea", "sea"],
                "path": [[[1.8, 50.9], [1.2, 51.1]], [[12.1, 32.9], [12.6, 35.5]]],
                "description": ["Channel", "Libya to Italy"],
                "source": [SRC, SRC],
            }
        ),
        "regions": pd.DataFrame(
            {
                "region": [UK, MED],
                "description": ["", ""],
                "center_lat": [51.0, 36.0],
                "center_lon": [1.5, 14.0],
                "zoom": [7.0, 5.0],
                "iom_labels": [["English Channel to the UK"], ["Central Mediterranean"]],
                "frontex_labels": [[], ["Central Mediterranean"]],
                "home_office_labels": [["English Channel"], []],
                "source": [SRC, SRC],
            }
        ),
        "crossings_daily": pd.DataFrame(
            {
                "date": [
                    d("2024-01-03"),
                    d("2024-12-20"),
                    d("2025-01-01"),
                    d("2025-01-02"),
                    d("2025-01-15"),
                    d("2025-02-01"),
                ],
                "route": [EC] * 6,
                "people": [10, 30, 100, 0, 50, None],
                "boats": [1, 1, 2, 0, 1, None],
                "source": [SRC] * 6,
                "status": ["provisional"] * 6,
            }
        ),
        "preventions_weekly": pd.DataFrame(
            {
                "week_ending": [d("2024-12-29"), d("2025-01-05")],
                "route": [EC, EC],
                "people_prevented": [20, 40],
                "events_prevented": [1, 1],
                "source": [SRC, SRC],
            }
        ),
        "incidents": pd.DataFrame(
            {
                "incident_id": ["INC1", "INC2", "INC3", "INC4"],
                "group_id": [None] * 4,
                "date": [d("2025-01-01"), d("2025-01-10"), d("2025-01-20"), d("2024-12-25")],
                "lat": [51.08, 34.0, 35.0, 50.95],
                "lon": [1.18, 12.3, 12.5, 1.6],
                "region": [UK, MED, MED, UK],
                "route": [EC, CM, CM, EC],
                "incident_type": ["arrival", "dead or missing", "rescue", "dead or missing"],
                "people": [50, 5, 80, 1],
                "dead": [None, 3, None, 1],
                "missing": [None, 2, None, None],
                "survivors": [None, None, 80, None],
                "cause": [None, "Drowning", None, "Hypothermia"],
                "location": ["Folkestone", "Off Libya", "Off Lampedusa", "Off Calais"],
                "source": [SRC] * 4,
                "source_url": [None] * 4,
                "source_quality": [None] * 4,
            }
        ),
        "route_flows": pd.DataFrame(
            {
                "month": [d("2025-01-01"), d("2025-01-01"), d("2025-01-01"), d("2024-12-01")],
                "route": [EC, EC, CM, CM],
                "nationality": ["AFG", "IRN", "ERI", "ERI"],
                "detections": [60, 40, 200, 100],
                "source": [SRC] * 4,
            }
        ),
        "operations": pd.DataFrame(
            {
                "operation_id": ["OP1", "OP2", "OP3"],
                "name": ["Op One", "Op Two", "Op Three"],
                "lead_agency": ["NCA", "Border Force", "NCA"],
                "partners": [None, None, None],
                "region": [UK, MED, MED],
                "route": [EC, CM, CM],
                "start_date": [d("2024-11-01"), d("2024-06-01"), d("2025-01-10")],
                "end_date": [None, d("2024-12-31"), d("2025-01-20")],
                "status": ["active", "concluded", "concluded"],
                "arrests": [5, 7, 2],
                "charges": [3, 4, 1],
                "convictions": [1, 2, 0],
                "seizures_gbp": [1000, 0, 500],
                "boats_engines_seized": [2, 0, 1],
                "networks_disrupted": [1, 2, 1],
                "lat": [51.0, 34.5, 34.2],
                "lon": [1.5, 12.4, 12.4],
                "description": [None, None, None],
                "source": [SRC] * 3,
            }
        ),
        "funding": pd.DataFrame(
            {
                "programme": ["Border Security Command"] * 3,
                "funding_line": ["Staff"] * 3,
                "category": ["staff"] * 3,
                "financial_year": ["2024-25"] * 3,
                "month": [d("2024-12-01"), d("2025-01-01"), d("2025-02-01")],
                "allocated_gbp": [1000, 2000, 2000],
                "spent_gbp": [800, 1500, None],
                "source": [SRC] * 3,
            }
        ),
        "staffing": pd.DataFrame(
            {
                "organisation": ["BSC"] * 3,
                "unit": ["Intelligence"] * 3,
                "role": ["Analyst"] * 3,
                "month": [d("2024-12-01"), d("2025-01-01"), d("2025-02-01")],
                "planned_headcount": [10, 12, 14],
                "in_post_headcount": [8, 9, None],
                "source": [SRC] * 3,
            }
        ),
        # Home Office irregular-migration detailed dataset, by hand. Quarters 2024 Q1, 2025 Q1, 2025 Q2.
        "irregular_arrivals": pd.DataFrame(
            [
                (d("2024-01-01"), SB, "Afghanistan", "Asia Central", "Male", "18 to 24", 40),
                (d("2024-01-01"), SB, "Albania", "Europe Other", "Male", "25 to 39", 20),
                (d("2024-01-01"), AIR, "Albania", "Europe Other", "Female", "25 to 39", 5),
                (d("2025-01-01"), SB, "Afghanistan", "Asia Central", "Male", "18 to 24", 60),
                (d("2025-01-01"), SB, "Albania", "Europe Other", "Male", "25 to 39", 10),
                (d("2025-01-01"), SB, "Afghanistan", "Asia Central", "Female", "Under 18", 5),
                (d("2025-01-01"), IN_UK, "Albania", "Europe Other", "Male", "25 to 39", 15),
                (d("2025-04-01"), SB, "Eritrea", "Africa Sub-Saharan", "Male", "18 to 24", None),  # not available
            ],
            columns=["quarter_start", "method", "nationality", "nationality_region", "sex", "age_group", "detections"],
        ).assign(source=HO_IRR),
        "small_boat_asylum": pd.DataFrame(
            [
                (
                    d("2024-01-01"),
                    RAISED,
                    "Afghanistan",
                    "Asia Central",
                    "Main applicant",
                    "Non-UASC",
                    "Male",
                    "18 to 24",
                    38,
                ),
                (
                    d("2025-01-01"),
                    RAISED,
                    "Afghanistan",
                    "Asia Central",
                    "Main applicant",
                    "Non-UASC",
                    "Male",
                    "18 to 24",
                    55,
                ),
                (
                    d("2025-01-01"),
                    RAISED,
                    "Afghanistan",
                    "Asia Central",
                    "Main applicant",
                    "UASC",
                    "Female",
                    "Under 18",
                    5,
                ),
                (
                    d("2025-01-01"),
                    "No asylum application raised",
                    "Albania",
                    "Europe Other",
                    "Not applicable",
                    "Not applicable",
                    "Male",
                    "25 to 39",
                    10,
                ),
            ],  # fmt: skip
            columns=[
                "quarter_start",
                "application",
                "nationality",
                "nationality_region",
                "applicant_type",
                "uasc",
                "sex",
                "age_group",
                "applications",
            ],  # fmt: skip
        ).assign(source=HO_IRR),
    }
