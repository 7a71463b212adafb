"""A hostile data version: tests/tiny.py with an injection payload in every text column.

Each payload, if it ever ran, would set ``window.__xss`` to a non-zero number (which one says
which payload got through). Enumerations (incident_type, status, mode, category, nationality
codes) stay valid; route and region names are hostile but consistent across tables.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import tiny

from dashboard import schema
from dashboard.filters import FilterState
from dashboard.saved_views import ViewStore
from dashboard.store import Store

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
MD_LINK = "[click](javascript:window.__xss=3)"
JS_URL = "javascript:window.__xss=4"
TEMPLATE = "{{constructor.constructor('window.__xss=5')()}}"
LATEX = "$\\href{javascript:window.__xss=6}{x}$"
SVG = "<svg onload=window.__xss=7>"
FORMULA = '=HYPERLINK("http://evil")'
RTL = "\u202eevil\u202c txt.exe \u200b\u200bzero\u200dwidth\ufeff"
LONG = "W" * 2500 + " " + "long" * 625  # 5,001 characters, half of them one unbreakable word

PAYLOADS = (IMG, SCRIPT, MD_LINK, JS_URL, TEMPLATE, LATEX, SVG, FORMULA, RTL, LONG)

# Short hostile names (filters, legends and tooltips carry them): distinct, all payload-bearing.
EC = f"Channel {IMG} {RTL}"
CM = f"Med {SVG} {MD_LINK}"
UK = f"UK {SCRIPT} {LATEX}"
MED = f"Mediterranean {TEMPLATE} {JS_URL}"
SRC = f"Source {IMG} {SCRIPT} {MD_LINK} {LATEX} {FORMULA}"
PERIOD = (date(2024, 1, 1), date(2025, 2, 28))

_NAMES = {tiny.EC: EC, tiny.CM: CM, tiny.UK: UK, tiny.MED: MED}
_ENUMS = {"incident_type", "status", "mode", "category", "nationality", "financial_year"}


def payload(i: int) -> str:
    """A payload picked round-robin, tagged with its index so rows stay distinct."""
    return f"{PAYLOADS[i % len(PAYLOADS)]} #{i}"


def frames() -> dict[str, pd.DataFrame]:
    """tiny.frames() with every free-text cell replaced by a payload (route/region names renamed)."""
    out = {}
    n = 0
    for table, df in tiny.frames().items():
        df = df.copy()
        text = [c.name for c in schema.TABLES[table] if c.type == "VARCHAR" and c.name not in _ENUMS]
        for col in text:
            values = df[col].tolist()
            if col in {"route", "region"}:
                df[col] = [_NAMES.get(v, v) for v in values]
            elif col == "source":
                df[col] = SRC
            elif col in {"incident_id", "operation_id"}:
                df[col] = [f"{v}{IMG if j % 2 else SVG}" for j, v in enumerate(values)]
            else:
                df[col] = [payload(n + j) for j in range(len(values))]
                n += len(values)
        out[table] = df
    regions = out["regions"]
    regions["iom_labels"] = [[IMG], [SCRIPT]]
    regions["home_office_labels"] = [[LATEX], []]
    return out


def build(data_dir: Path) -> int:
    """Commit the hostile version and two hostile saved views into data_dir; return the version id."""
    version = Store(data_dir).commit(frames(), source_name=SRC, file_name=f"{IMG}.csv", note=SCRIPT + LONG)
    views = ViewStore(data_dir)
    state = FilterState(period=PERIOD, version=version.id)
    views.add(f"{IMG} {SCRIPT} {RTL}"[:120], f"{MD_LINK}\n{LATEX}\n{TEMPLATE}\n{SVG}\n{LONG[:1500]}", "map", state)
    views.add(f"{LATEX} {MD_LINK} {SVG} {JS_URL}"[:120], f"{IMG}\n{SCRIPT}\n{FORMULA}\n{RTL}", "operations", state)
    return version.id
