"""Tideline entry script: page config, classification marking, shared filters, navigation.

The pages, their url paths, titles and icons come from dashboard/registry.py."""

import streamlit as st

from dashboard import registry, settings
from dashboard.store import StoreError
from dashboard.ui import layout, session

log = settings.configure_logging()
# Before st.navigation: otherwise Streamlit uses the page's Material icon as the favicon, which the browser
# fetches from fonts.gstatic.com (a request leaving the host; tests/browser fail on it).
st.set_page_config(page_title="Tideline", page_icon="🌊", layout="wide", initial_sidebar_state="expanded")

pages = [
    st.Page(p.script, title=p.title, icon=p.icon, url_path=p.url_path, default=p is registry.DEFAULT)
    for p in registry.PAGES
]
page = st.navigation(pages, position="sidebar")
spec = registry.page(page.url_path)
# The tab says which page it is ("Map · Tideline"), so an analyst with several open can tell them apart.
st.set_page_config(page_title=f"{spec.title} · Tideline")
layout.accessibility_css()
layout.marking()
try:
    if not spec.shared_filters:  # the big screen: no filters, its views carry their own
        page.run()
    else:
        st.sidebar.markdown("### Tideline")
        st.sidebar.caption("Organised immigration crime: routes, crossings, resources")
        state = session.sidebar_filters(page.url_path)
        session.page_defaults(page.url_path)
        for notice in session.notices():
            st.warning(f"Link parameter ignored — {layout.plain(notice)}", icon="⚠️")
        page.run()
        session.write_url(state, page.url_path)  # the address bar holds the whole view, always
        layout.share_control(state, page.url_path)
        if spec.slide is not None:
            layout.save_view_control(state, page.url_path)
except StoreError as exc:  # a damaged store: what is wrong and what to do, never a traceback
    log.warning("page %r: %s", page.url_path, exc)
    layout.store_problem(exc)
layout.marking()
