"""Tideline entry script: page config, classification marking, shared filters, navigation.

The pages, their url paths, titles and icons come from dashboard/registry.py."""

import streamlit as st

from dashboard import registry, settings
from dashboard.auth import Permission
from dashboard.store import StoreError
from dashboard.ui import access, layout, session

log = settings.configure_logging()
# Before st.navigation: otherwise Streamlit uses the page's Material icon as the favicon, which the browser
# fetches from fonts.gstatic.com (a request leaving the host; tests/browser fail on it).
st.set_page_config(page_title="Tideline", page_icon="🌊", layout="wide", initial_sidebar_state="expanded")

# Signed out: no navigation at all. Signed in: pages the roles do not allow stay out of the menu, yet still
# resolve, so a link to one is refused (and recorded) rather than silently opening another page.
who = access.identify()
pages = [
    st.Page(
        p.script,
        title=p.title,
        icon=p.icon,
        url_path=p.url_path,
        default=p is registry.DEFAULT,
        visibility="visible" if who is not None and who.can(p.permission) else "hidden",
    )
    for p in registry.PAGES
]
page = st.navigation(pages, position="sidebar" if who is not None else "hidden")
spec = registry.page(page.url_path)
# The tab says which page it is ("Map · Tideline"), so an analyst with several open can tell them apart.
st.set_page_config(page_title=f"{spec.title} · Tideline")
layout.accessibility_css()
layout.marking()
who = access.gate(spec, closing=layout.marking)  # the sign-in, no-access or expired screen stops here
try:
    if not spec.shared_filters:  # the big screen: no filters, its views carry their own
        access.record_view(who, spec, {k: st.query_params.get_all(k) for k in st.query_params})
        page.run()
    else:
        st.sidebar.markdown("### Tideline")
        st.sidebar.caption("Organised immigration crime: routes, crossings, resources")
        state = session.sidebar_filters(page.url_path)
        session.page_defaults(page.url_path)
        for notice in session.notices():
            st.warning(f"Link parameter ignored — {layout.plain(notice)}", icon="⚠️")
        access.record_view(who, spec, session.view_params(state, page.url_path))
        page.run()
        session.write_url(state, page.url_path)  # the address bar holds the whole view, always
        layout.share_control(state, page.url_path)
        if spec.slide is not None and who.can(Permission.SAVE_VIEWS):
            layout.save_view_control(state, page.url_path)
except StoreError as exc:  # a damaged store: what is wrong and what to do, never a traceback
    log.warning("page %r: %s", page.url_path, exc)
    layout.store_problem(exc)
layout.marking()
