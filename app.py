"""Latent Lab: explore what autoencoders, VAEs and GANs learn about handwritten digits.

Run with ``streamlit run app.py``. This file only sets up the page, the navigation and the
shared sidebar; every page lives in ``pages/`` and calls ``ui/`` and ``core/``.
"""

import streamlit as st

from ui.navigation import existing_pages
from ui.state import render_sidebar

st.set_page_config(page_title="Latent Lab", page_icon=":material/scatter_plot:", layout="wide")

sections: dict[str, list] = {}
for spec in existing_pages():
    page = st.Page(
        spec.path, title=spec.title, icon=spec.icon, default=spec.path == "pages/home.py"
    )
    sections.setdefault(spec.section, []).append(page)

navigation = st.navigation(sections)
render_sidebar()
navigation.run()
