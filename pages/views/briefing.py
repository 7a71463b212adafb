"""Briefing: the big-screen mode. /briefing manages the sequence; /briefing?slide=N presents it."""

import streamlit as st

from dashboard import ui

views, is_default = ui.briefing_sequence()
if "slide" in st.query_params:
    ui.present(views)
else:
    ui.manage_briefing(views, is_default)
