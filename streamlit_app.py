"""Tideline entry script: page config, classification marking, shared filters, navigation."""

import streamlit as st

from dashboard import ui

st.set_page_config(page_title="Tideline", page_icon="🌊", layout="wide", initial_sidebar_state="expanded")

PAGES = [
    st.Page("pages/views/overview.py", title="Overview", icon=":material/dashboard:", url_path="", default=True),
    st.Page("pages/views/map.py", title="Map", icon=":material/map:", url_path="map"),
    st.Page("pages/views/funding.py", title="Funding & resources", icon=":material/payments:", url_path="funding"),
    st.Page("pages/views/operations.py", title="Operations", icon=":material/policy:", url_path="operations"),
    st.Page("pages/views/data.py", title="Data & sources", icon=":material/database:", url_path="data"),
    st.Page("pages/views/briefing.py", title="Briefing", icon=":material/co_present:", url_path="briefing"),
]

page = st.navigation(PAGES, position="sidebar")
ui.accessibility_css()
ui.marking()
if page.url_path == "briefing":  # the big screen: no filters, its views carry their own
    page.run()
else:
    st.sidebar.markdown("### Tideline")
    st.sidebar.caption("Organised immigration crime: routes, crossings, resources")
    state = ui.sidebar_filters()
    for notice in ui.notices():
        st.warning(f"Link parameter ignored — {ui.plain(notice)}", icon="⚠️")
    page.run()
    ui.share_control(state, page.url_path)
    ui.save_view_control(state, page.url_path)
ui.marking()
