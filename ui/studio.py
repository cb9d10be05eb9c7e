"""Widgets and figures shared by the VAE studio, GAN studio and Concepts pages."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.checkpoints import CheckpointInfo
from core.studio import INPUT, INSERTED, PAD
from ui import state
from ui.plots import CLASS_COLORS


def model_of_kind(selection: state.Selection, kind: str, key: str, default: str) -> CheckpointInfo:
    """The sidebar's model when it is of this kind, else a picker of this kind's checkpoints
    (``default`` first when it exists). Stops the page with a message when there is none."""
    title = kind.upper()
    if selection.model is not None and selection.model.kind == kind:
        st.caption(f"Model: **{selection.model.label}** (from the sidebar).")
        return selection.model
    infos = {i.name: i for i in state.models_for(selection.dataset, (kind,))}
    if not infos:
        st.info(f"No {title} is trained on this dataset yet: train one on the Train page.")
        st.stop()
    if st.session_state.get(key) not in infos:
        st.session_state[key] = default if default in infos else next(iter(infos))
    sidebar = selection.model.name if selection.model else "none"
    name = st.selectbox(
        f"{title} to explore",
        list(infos),
        key=key,
        format_func=lambda n: infos[n].label,
        help=f"The sidebar's model ({sidebar}) is not a {title}; this page picks its own.",
    )
    return infos[name]


def mtime(info: CheckpointInfo) -> float:
    """Part of every cache key: a retrained checkpoint invalidates its cached results."""
    return info.path.stat().st_mtime


# --- figures (pure functions of arrays) --------------------------------------------------------


def add_posterior(
    fig: go.Figure,
    centre: np.ndarray,
    ellipses: dict[str, np.ndarray],
    samples: np.ndarray,
    zoom: float | None = None,
) -> go.Figure:
    """Draw q(z|x) on a latent map: named ellipse outlines [M, 2], the mean, and the sampled
    codes [n, 2] numbered 1..n. ``zoom``: half-width of a square view around the mean."""
    for (name, points), dash in zip(ellipses.items(), ("solid", "dash"), strict=False):
        fig.add_trace(
            go.Scatter(
                x=points[:, 0], y=points[:, 1], mode="lines", name=name,
                line=dict(color="black", width=2, dash=dash), hoverinfo="skip",
            )
        )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[centre[0]], y=[centre[1]], mode="markers", name="mu",
            marker=dict(size=14, symbol="x", color="black"),
            hovertemplate="mu (%{x:.2f}, %{y:.2f})<extra></extra>",
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=samples[:, 0], y=samples[:, 1], mode="markers+text", name="z = mu + sigma * eps",
            text=[str(j + 1) for j in range(len(samples))], textposition="top right",
            marker=dict(size=9, color="#d62728", line=dict(color="white", width=1)),
            hovertemplate="z_%{text} (%{x:.2f}, %{y:.2f})<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(yaxis_scaleanchor="x")  # equal units: the ellipse keeps its true shape
    if zoom is not None:
        fig.update_layout(
            xaxis_range=[centre[0] - zoom, centre[0] + zoom],
            yaxis_range=[centre[1] - zoom, centre[1] + zoom],
        )
    return fig


def dimension_bars(kl: np.ndarray, active: np.ndarray) -> go.Figure:
    """Mean KL per latent dimension, active units in blue and inactive ones in grey."""
    names = [f"z{u + 1}" for u in range(len(kl))]
    colors = [CLASS_COLORS[0] if a else "#bab0ac" for a in active]
    fig = go.Figure(
        go.Bar(
            x=names, y=kl, marker_color=colors,
            customdata=np.where(active, "active", "inactive"),
            hovertemplate="%{x}: %{y:.3f} nats (%{customdata})<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        height=300, margin=dict(l=10, r=10, t=10, b=10),
        yaxis_title="mean KL (nats)", xaxis_title="latent dimension",
    )  # fmt: skip
    return fig


def score_histogram(real: np.ndarray, fake: np.ndarray) -> go.Figure:
    """Overlaid histograms of D(x) on real digits and on generated ones."""
    fig = go.Figure()
    for name, scores, color in (("real digits", real, CLASS_COLORS[0]),
                                ("generated G(z)", fake, CLASS_COLORS[2])):  # fmt: skip
        fig.add_trace(
            go.Histogram(
                x=scores, name=name, marker_color=color, opacity=0.6,
                xbins=dict(start=0.0, end=1.0, size=0.05),
            )
        )  # fmt: skip
    fig.add_vline(x=0.5, line_dash="dot", line_color="grey")
    fig.update_layout(
        barmode="overlay", height=300, margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title="D(x): probability D gives that x is real", range=[0, 1]),
        yaxis_title="digits", legend=dict(orientation="h", y=1.1),
    )  # fmt: skip
    return fig


def class_bars(counts: np.ndarray, class_names: Sequence[str]) -> go.Figure:
    """How many samples the classifier puts in each class, with the uniform share marked."""
    fig = go.Figure(go.Bar(x=list(class_names), y=counts, marker_color=list(CLASS_COLORS)))
    uniform = counts.sum() / len(counts)
    fig.add_hline(
        y=uniform, line_dash="dash", line_color="grey",
        annotation_text=f"uniform: {uniform:g} each", annotation_position="top left",
    )  # fmt: skip
    fig.update_layout(
        height=300, margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
        xaxis=dict(title="class (by the shipped digit classifier)", type="category"),
        yaxis_title="samples",
    )  # fmt: skip
    return fig


def conv_picture(cells: np.ndarray, k: int) -> go.Figure:
    """The zero-inserted, padded grid of a transposed convolution (cell codes of
    ``core.studio.transposed_conv_picture``), with the first k x k kernel window outlined."""
    n = len(cells)
    colors = {PAD: "#e8e8e8", INSERTED: "#ffffff", INPUT: CLASS_COLORS[0]}
    names = {PAD: "padding", INSERTED: "inserted zero", INPUT: "input pixel"}
    scale = [[v / 2, colors[v]] for v in (PAD, INSERTED, INPUT)]
    fig = go.Figure(
        go.Heatmap(
            z=cells, zmin=0, zmax=2, colorscale=scale, showscale=False, xgap=1, ygap=1,
            customdata=np.vectorize(names.get)(cells),
            hovertemplate="row %{y}, column %{x}: %{customdata}<extra></extra>",
        )
    )  # fmt: skip
    fig.add_shape(
        type="rect", x0=-0.5, y0=-0.5, x1=k - 0.5, y1=k - 0.5,
        line=dict(color="#d62728", width=3),
    )  # fmt: skip
    for code in (INPUT, INSERTED, PAD):  # a legend for the three kinds of cell
        fig.add_trace(
            go.Scatter(
                x=[None], y=[None], mode="markers", name=names[code],
                marker=dict(size=12, symbol="square", color=colors[code],
                            line=dict(color="#999", width=1)),
            )
        )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[None], y=[None], mode="lines", name=f"kernel window {k}x{k}",
            line=dict(color="#d62728", width=3),
        )
    )  # fmt: skip
    side = min(520, max(220, 18 * n))
    fig.update_layout(
        height=side + 40, width=side + 200, margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(showticklabels=False, showgrid=False, zeroline=False, range=[-0.5, n - 0.5],
                   constrain="domain"),
        yaxis=dict(showticklabels=False, showgrid=False, zeroline=False, range=[n - 0.5, -0.5],
                   scaleanchor="x"),
        plot_bgcolor="white", legend=dict(x=1.02, y=1),
    )  # fmt: skip
    return fig
