"""The baseline of bench/load.py: a bare Streamlit page with the map's 5,000-point WebGL scatter.

A click shows the clicked digit's precomputed image: no torch, no model, no cache of ours, so
the time from a click to the image loaded is Streamlit's and Plotly's own. The points, labels
and images come from the .npz file named by $BARE_PAGE_DATA (bench/load.py writes it from the
shipped ae_k2 map). ``streamlit run bench/bare_page.py`` with that variable set.
"""

import os

import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Bare map", layout="wide")


@st.cache_resource
def data(path: str) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return {name: f[name] for name in f.files}  # coords [N, 2], labels [N], images [N, 28, 28]


d = data(os.environ["BARE_PAGE_DATA"])
fig = go.Figure()
for c in range(10):
    mask = d["labels"] == c
    fig.add_trace(
        go.Scattergl(
            x=d["coords"][mask, 0],
            y=d["coords"][mask, 1],
            mode="markers",
            name=str(c),
            marker=dict(size=5, opacity=0.75),
            customdata=np.flatnonzero(mask),
        )
    )
fig.update_layout(height=620, clickmode="event+select", dragmode="pan", hovermode="closest")
left, right = st.columns([3, 2])
event = left.plotly_chart(fig, key="chart", on_select="rerun", selection_mode="points")
points = event.selection.points if event else []
if points:
    custom = points[0]["customdata"]
    index = int(custom[0] if isinstance(custom, list) else custom)
    right.subheader(f"Digit #{index}")
    right.image(d["images"][index], width=168)
else:
    right.write("Click a dot.")
