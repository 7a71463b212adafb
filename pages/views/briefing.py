"""Briefing: the big-screen mode. /briefing manages the sequence; /briefing?slide=N presents it."""

import streamlit as st

from dashboard.ui import briefing

views, is_default = briefing.sequence()
if "slide" in st.query_params:  # presenting: one slide on the big screen
    briefing.present(views)
else:  # managing the sequence
    st.title("Briefing")
    st.caption(
        "A sequence of saved views for the big screen. Save views from any page with "
        "*Save view for briefing* in the sidebar."
    )
    left, right = st.columns([1, 1])
    if left.button("Present from the first slide", icon=":material/slideshow:", type="primary", key="brief_present"):
        st.query_params["slide"] = "1"
        st.rerun()
    with right:
        auto = st.number_input(
            "Auto-advance (seconds, 0 = off)", min_value=0, max_value=600, value=0, step=5, key="brief_auto"
        )
        st.caption(
            f"Presenter link: `/briefing?slide=1{f'&auto={auto}' if auto else ''}` · ← → keys move between slides."
        )
    if is_default:
        st.info("No saved views yet: the briefing shows one view per page at the default filters.", icon="ℹ️")
    for i, view in enumerate(views):
        briefing.view_card(view, i, len(views), editable=not is_default)

    st.subheader("Briefing pack")
    st.caption("One self-contained HTML file (charts interactive, works offline, prints one view per page).")
    briefing.pack_download(views)
