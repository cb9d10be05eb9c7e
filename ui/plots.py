"""Plotly figure builders. Pure functions of arrays: no streamlit, no model calls."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ui.images import to_uint8

# Ten distinguishable colours (Tableau 10), one per class.
CLASS_COLORS = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
GRID_POINT = -1  # customdata of the clickable background grid ("empty space")
SELECTED = dict(marker=dict(size=14, color="black", opacity=1))  # plotly's own click marker
# How each 2-D map of a latent space is named, and its axes.
PROJECTIONS = {"raw": "raw 2-D latent", "pca": "PCA of the latent", "tsne": "t-SNE of the latent"}
AXIS_TITLES = {"raw": ("z1", "z2"), "pca": ("PC 1", "PC 2"), "tsne": ("t-SNE 1", "t-SNE 2")}


def axis_range(coords: np.ndarray, margin: float = 0.05) -> tuple[tuple[float, float], ...]:
    """Padded (x, y) ranges that contain every point."""
    lo, hi = coords.min(0), coords.max(0)
    pad = (hi - lo) * margin + 1e-6
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0])), (
        float(lo[1] - pad[1]),
        float(hi[1] + pad[1]),
    )


def grid_points(ranges: tuple[tuple[float, float], ...], n: int = 45) -> np.ndarray:
    """An n x n lattice over the plot, [n*n, 2]: makes any empty place clickable."""
    xs = np.linspace(*ranges[0], n)
    ys = np.linspace(*ranges[1], n)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], 1)


def latent_map(
    coords: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    axis_titles: tuple[str, str] = ("z1", "z2"),
    background: np.ndarray | None = None,
    highlight: dict[str, np.ndarray] | None = None,
    height: int = 620,
) -> go.Figure:
    """Scatter (WebGL) of 2-D codes, one trace per class so the legend hides/shows classes.

    Each point's ``customdata`` is its dataset index; the faint grid's is ``GRID_POINT``.
    ``background``: a decoded-digit mosaic stretched over the axes (2-D models).
    ``highlight``: named [M, 2] point sets drawn on top (selection, pairs, paths).
    """
    ranges = axis_range(coords)
    fig = go.Figure()
    grid = grid_points(ranges)
    fig.add_trace(
        go.Scattergl(
            x=grid[:, 0],
            y=grid[:, 1],
            mode="markers",
            name="empty space",
            marker=dict(size=7, color="rgba(120,120,120,0.06)"),
            selected=SELECTED,
            unselected=dict(marker=dict(opacity=1)),
            customdata=np.full(len(grid), GRID_POINT),
            hovertemplate="decode here (%{x:.2f}, %{y:.2f})<extra></extra>",
            showlegend=False,
        )
    )
    index = np.arange(len(labels))
    for c, name in enumerate(class_names):
        mask = labels == c
        if not mask.any():
            continue
        fig.add_trace(
            go.Scattergl(
                x=coords[mask, 0],
                y=coords[mask, 1],
                mode="markers",
                name=name,
                marker=dict(size=5, color=CLASS_COLORS[c % 10], opacity=0.75),
                selected=SELECTED,
                unselected=dict(marker=dict(opacity=0.75)),  # a click must not fade the map
                customdata=index[mask],
                hovertemplate=f"label {name}<br>index %{{customdata}}<extra></extra>",
            )
        )
    for name, points in (highlight or {}).items():
        points = np.atleast_2d(points)
        fig.add_trace(
            go.Scattergl(
                x=points[:, 0],
                y=points[:, 1],
                mode="markers+lines" if len(points) > 2 else "markers",
                name=name,
                marker=dict(size=14, symbol="x", color="black", line=dict(width=1)),
                line=dict(color="black", width=2),
                hoverinfo="skip",
            )
        )
    if background is not None:
        fig.add_layout_image(
            source=_data_url(background),
            xref="x",
            yref="y",
            x=ranges[0][0],
            y=ranges[1][1],
            sizex=ranges[0][1] - ranges[0][0],
            sizey=ranges[1][1] - ranges[1][0],
            sizing="stretch",
            opacity=0.55,
            layer="below",
        )
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=10, b=10),
        clickmode="event+select",
        dragmode="pan",
        hovermode="closest",
        legend=dict(title="digit", itemsizing="constant"),
        xaxis=dict(range=ranges[0], title=axis_titles[0], zeroline=False),
        yaxis=dict(range=ranges[1], title=axis_titles[1], zeroline=False),
        plot_bgcolor="white",
        uirevision="latent-map",
    )
    return fig


def add_points(
    fig: go.Figure,
    points: np.ndarray,
    name: str,
    symbol: str = "circle-open",
    color: str = "black",
    size: int = 9,
) -> go.Figure:
    """Draw a named set of points [M, 2] on a map, as markers only (e.g. source and new codes)."""
    points = np.atleast_2d(points)
    fig.add_trace(
        go.Scattergl(
            x=points[:, 0],
            y=points[:, 1],
            mode="markers",
            name=name,
            hoverinfo="skip",
            marker=dict(size=size, symbol=symbol, color=color, line=dict(width=1.5, color=color)),
        )
    )
    return fig


def _data_url(image: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(to_uint8(image), mode="L").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def line_chart(
    x: Sequence[float], series: dict[str, Sequence[float]], x_title: str, y_title: str, log_y=False
) -> go.Figure:
    """Several named lines over a shared x, e.g. error against latent size or loss curves."""
    fig = go.Figure()
    for name, ys in series.items():
        fig.add_trace(go.Scatter(x=list(x), y=list(ys), mode="lines+markers", name=name))
    fig.update_layout(
        height=360,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis_title=x_title,
        yaxis_title=y_title,
        yaxis_type="log" if log_y else "linear",
    )
    return fig


def bar_chart(labels: Sequence[str], values: Sequence[float], y_title: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=list(labels), y=list(values), marker_color=list(CLASS_COLORS)))
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10), yaxis_title=y_title)
    return fig
