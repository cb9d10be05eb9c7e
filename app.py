"""Latent Lab: explore what autoencoders, VAEs and GANs learn about handwritten digits.

Run with ``streamlit run app.py``. This file only sets up the page, the navigation and the
shared sidebar; every page lives in ``views/`` and calls ``ui/`` and ``core/``.

The folder is not named ``pages/``: with that name Streamlit (1.67) falls back to its old
file-based navigation for a session whose first request is a deep link, skipping this file.
"""

import streamlit as st

from ui import preload
from ui.navigation import PAGES

st.set_page_config(page_title="Latent Lab", page_icon=":material/scatter_plot:", layout="wide")

sections: dict[str, list] = {}
pages = []  # (st.Page, its PageSpec)
for spec in PAGES:
    page = st.Page(
        spec.path, title=spec.title, icon=spec.icon, default=spec.path == "views/home.py"
    )
    sections.setdefault(spec.section, []).append(page)
    pages.append((page, spec))

navigation = st.navigation(sections, expanded=True)  # every page listed, none under "View more"
# the browser fetches plotly.js while torch is imported (if the page draws charts)
charts = next((spec.charts for page, spec in pages if page is navigation), True)
preload_slot = preload.start(charts=charts)
preload.wait_for_imports()  # one thread per process imports torch & co.: no half-imported module

from ui.reconnect import rerun_after_reconnect  # noqa: E402
from ui.sidebar import render_sidebar  # noqa: E402  (imports torch: only once it is imported)
from ui.state import record_page  # noqa: E402

record_page(navigation.url_path)
render_sidebar()
rerun_after_reconnect()  # after a failover, the live replica runs the page from its URL
preload.finish(preload_slot)  # before the page, which may st.stop(); the fetch goes on
navigation.run()
