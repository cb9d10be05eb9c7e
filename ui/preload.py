"""Start the browser fetching plotly.js before the first run imports torch.

Streamlit's frontend loads its Plotly component (a 4.7 MB script) only when the first chart
arrives. On a fresh session that chart comes after ~1.5 s of imports (torch, then the models),
so the script load and the imports ran one after the other. A tiny chart sent first, and
removed once the sidebar is drawn (the fetch it started goes on), lets them overlap: the map
is drawn ~1 s sooner (``bench/app_latency.py``). Only a session's first run sends it.
This module must stay light: app.py calls it before importing anything heavy.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

_FLAG = "app_plotly_preloaded"
# One invisible WebGL point: a scattergl trace also warms the WebGL code the maps use.
_TINY_CHART = {
    "data": [{"type": "scattergl", "x": [0], "y": [0], "marker": {"opacity": 0}}],
    "layout": {
        "height": 10,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
    },
}


def start() -> DeltaGenerator | None:
    """On a session's first run, put the tiny chart in a sidebar slot; returns the slot."""
    if st.session_state.get(_FLAG):
        return None
    st.session_state[_FLAG] = True
    slot = st.sidebar.empty()
    slot.plotly_chart(_TINY_CHART, config={"staticPlot": True}, key="app_plotly_preload")
    return slot


def finish(slot: DeltaGenerator | None) -> None:
    """Remove the tiny chart: after the heavy imports, before a page that may st.stop()."""
    if slot is not None:
        slot.empty()
