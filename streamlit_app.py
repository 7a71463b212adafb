"""Tideline entry script: page config, classification marking, data version."""

import streamlit as st

from dashboard import queries, ui

st.set_page_config(page_title="Tideline", page_icon="🌊", layout="wide")
ui.marking()
st.title("Tideline")
version = ui.current_version()
con = ui.get_connection(version.id)
if queries.is_synthetic(con):
    st.info("Synthetic demo data: not real figures. Import official releases to replace it.")
st.write(f"Data version {version.id} · {version.rows:,} rows · loaded {version.created_at[:10]}")
ui.marking()
