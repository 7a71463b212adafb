"""Audit trail (admins): who saw, exported, imported and changed what, and whether the chain is intact."""

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard import audit, exports, settings
from dashboard.ui import access, layout, session

st.title("Audit trail")
log = session.audit_log()
st.caption(
    f"Every sign-in, refusal, page view, export, briefing pack, import and saved-view change, in order. "
    f"Stored in {log.describe()}; each record carries the hash of the one before, so an edited, deleted or "
    "reordered record breaks the chain."
)

check = log.verify()
if check.ok:
    st.success(f"Chain intact: {check.count:,} records · last hash `{check.head[:16]}…`", icon=":material/verified:")
else:
    st.error(
        f"**Chain broken** at record {check.first_broken}: {layout.plain(check.reason)}. The records before it are "
        "intact; keep a copy of the trail and compare it with a backup.",
        icon="⛔",
    )

today = datetime.now(UTC).date()
c1, c2, c3 = st.columns([1.2, 1.4, 1.6])
period = c1.date_input("Dates (UTC)", value=(today - timedelta(days=30), today), max_value=today, key="audit_dates")
start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (today, today)
try:
    shown = log.records(since=start, until=end)
except audit.AuditError as exc:  # a damaged line: say which, rather than a traceback
    st.error(f"The records cannot be listed: {layout.plain(str(exc))}", icon="⛔")
    st.stop()
users = sorted({r.email or r.sub for r in shown})
user = c2.selectbox("User", ["Everyone", *users], key="audit_user", format_func=layout.plain)
events = c3.multiselect("Events", audit.EVENTS, key="audit_events", placeholder="All events")
rows = [r for r in shown if (user == "Everyone" or user in (r.email, r.sub)) and (not events or r.event in events)]

if not rows:
    layout.empty_state("No audit records for these filters", "widen the dates or clear the user and event filters")
else:
    table = pd.DataFrame(
        {
            "seq": [r.seq for r in rows],
            "time": pd.to_datetime([r.time for r in rows], utc=True),
            "user": [r.email or r.sub for r in rows],
            "roles": [", ".join(r.roles) for r in rows],
            "event": [r.event for r in rows],
            "details": [json.dumps(r.details, ensure_ascii=False, sort_keys=True) for r in rows],
        }
    )
    st.dataframe(
        table.iloc[::-1],  # newest first
        hide_index=True,
        width="stretch",
        column_config={
            "seq": st.column_config.NumberColumn("#", format="%d", width=60),
            "time": st.column_config.DatetimeColumn("Time (UTC)", format="D MMM YYYY, HH:mm:ss", width=170),
            "user": st.column_config.TextColumn("User", width=200),
            "roles": st.column_config.TextColumn("Roles", width=140),
            "event": st.column_config.TextColumn("Event", width=120),
            "details": st.column_config.TextColumn("Details", width="large"),
        },
    )
    st.caption(f"{len(rows):,} of {len(shown):,} records between {start:%d %b %Y} and {end:%d %b %Y} (UTC).")
    who = access.current()
    name = exports.export_filename("audit-trail", settings.classification(), "csv", datetime.now(UTC))
    st.download_button(
        "Download these records (CSV)",
        access.audited_build(who, name, len(rows), None, audit.to_csv_bytes, records=rows),
        file_name=name,
        mime=exports.CSV_MIME,
        key="audit_export",
        on_click="ignore",
        icon=":material/download:",
        help="Formula-safe CSV: text a spreadsheet could run starts with an apostrophe.",
    )
