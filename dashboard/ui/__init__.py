"""Streamlit glue: the only part of the package that imports streamlit, split by concern.

- ``session``: the store, one connection per data version, cached named queries and source lines,
  the shared filters bound to the URL, and messages kept across a rerun;
- ``layout``: page furniture (marking, header, captions, KPI cards, charts, exports, share and
  save-view controls) and ``plain`` for data-derived text in markdown;
- ``upload``: the import widgets of the Data & sources page;
- ``briefing``: the briefing manager's pieces and the big-screen presenter;
- ``mapview``: the Map page's controls, legend, details panel and table;
- ``opsview``: the Operations page's table filters, table and an operation's details.

Pages import the modules they use (``from dashboard.ui import layout, session``).
"""
