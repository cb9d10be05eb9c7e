"""Plotly figure builders: pure functions of arrays (no streamlit, no model calls).

Latent maps and their overlays, line charts, and the figures of the VAE and GAN studios and the
Concepts page.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from core.analysis.convolution import INPUT, INSERTED, PAD

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


def latent_map(
    coords: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    axis_titles: tuple[str, str] = ("z1", "z2"),
    height: int = 620,
) -> go.Figure:
    """Scatter (WebGL) of 2-D codes, one trace per class so the legend hides/shows classes.
    Each point's ``customdata`` is its dataset index."""
    ranges = axis_range(coords)
    fig = go.Figure()
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
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=10, b=10),
        clickmode="event+select",
        dragmode="pan",
        hovermode="closest",
        legend=dict(title="class", itemsizing="constant"),
        xaxis=dict(range=ranges[0], title=axis_titles[0], zeroline=False),
        yaxis=dict(range=ranges[1], title=axis_titles[1], zeroline=False),
        plot_bgcolor="white",
        uirevision="latent-map",
    )
    return fig


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


def class_probabilities(t: Sequence[float], prediction, names: Sequence[str]) -> go.Figure:
    """The classifier's P(class) along a walk (t [steps]) for the classes its two ends are read
    as, each in its class colour."""
    ends = sorted({int(prediction.labels[0]), int(prediction.labels[-1])})
    series = {f"P({names[c]})": prediction.probabilities[:, c] for c in ends}
    fig = line_chart(t, series, "t", "classifier probability")
    for trace, c in zip(fig.data, ends, strict=True):
        trace.line.color = CLASS_COLORS[c]
    fig.update_layout(height=280, yaxis_range=[0, 1.05])
    return fig


# The curves worth watching per kind: {legend: history key}; each group shares one scale.
CURVES = {
    "ae": {"train MSE": "loss", "validation MSE": "val_mse"},
    "vae": {"train loss (β-weighted)": "loss", "validation −ELBO": "val_neg_elbo"},
    "gan": {"discriminator loss": "d_loss", "generator loss": "g_loss"},
}
CURVES["cvae"] = CURVES["vae"]  # the same loss, the label given too
CURVES["mvae"] = {"train loss (3 ELBOs)": "loss", "validation −ELBO of x": "val_neg_elbo"}
Y_TITLES = {"ae": "MSE per pixel", "vae": "nats per digit", "gan": "BCE loss"}
Y_TITLES["cvae"] = Y_TITLES["mvae"] = Y_TITLES["vae"]


def training_curves(kind: str, history: list[dict[str, float]]) -> go.Figure:
    """The loss curves worth watching while a model of this kind trains, one point per epoch."""
    epochs = [row["epoch"] for row in history]
    series = {
        label: [row[key] for row in history]
        for label, key in CURVES[kind].items()
        if all(key in row for row in history)
    }
    fig = line_chart(epochs, series, "epoch", Y_TITLES[kind])
    return fig.update_xaxes(dtick=1 if len(epochs) <= 12 else None)  # whole epochs only


# --- the studios' figures ----------------------------------------------------------------------


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
                x=points[:, 0],
                y=points[:, 1],
                mode="lines",
                name=name,
                line=dict(color="black", width=2, dash=dash),
                hoverinfo="skip",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[centre[0]],
            y=[centre[1]],
            mode="markers",
            name="mu",
            marker=dict(size=14, symbol="x", color="black"),
            hovertemplate="mu (%{x:.2f}, %{y:.2f})<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=samples[:, 0],
            y=samples[:, 1],
            mode="markers+text",
            name="z = mu + sigma * eps",
            text=[str(j + 1) for j in range(len(samples))],
            textposition="top right",
            marker=dict(size=9, color="#d62728", line=dict(color="white", width=1)),
            hovertemplate="z_%{text} (%{x:.2f}, %{y:.2f})<extra></extra>",
        )
    )
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
            x=names,
            y=kl,
            marker_color=colors,
            customdata=np.where(active, "active", "inactive"),
            hovertemplate="%{x}: %{y:.3f} nats (%{customdata})<extra></extra>",
        )
    )
    fig.update_layout(
        height=300,
        margin=dict(l=10, r=10, t=10, b=10),
        yaxis_title="mean KL (nats)",
        xaxis_title="latent dimension",
    )
    return fig


def score_histogram(real: np.ndarray, fake: np.ndarray, noun: str = "digit") -> go.Figure:
    """Overlaid histograms of D(x) on real images and on generated ones."""
    fig = go.Figure()
    for name, scores, color in (
        (f"real {noun}s", real, CLASS_COLORS[0]),
        ("generated G(z)", fake, CLASS_COLORS[2]),
    ):
        fig.add_trace(
            go.Histogram(
                x=scores,
                name=name,
                marker_color=color,
                opacity=0.6,
                xbins=dict(start=0.0, end=1.0, size=0.05),
            )
        )
    fig.add_vline(x=0.5, line_dash="dot", line_color="grey")
    fig.update_layout(
        barmode="overlay",
        height=300,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title="D(x): probability D gives that x is real", range=[0, 1]),
        yaxis_title="images",
        legend=dict(orientation="h", y=1.1),
    )
    return fig


def class_bars(counts: np.ndarray, class_names: Sequence[str], noun: str = "digit") -> go.Figure:
    """How many samples the classifier puts in each class, with the uniform share marked."""
    fig = go.Figure(go.Bar(x=list(class_names), y=counts, marker_color=list(CLASS_COLORS)))
    uniform = counts.sum() / len(counts)
    fig.add_hline(
        y=uniform,
        line_dash="dash",
        line_color="grey",
        annotation_text=f"uniform: {uniform:g} each",
        annotation_position="top left",
    )
    fig.update_layout(
        height=300,
        margin=dict(l=10, r=10, t=10, b=10),
        showlegend=False,
        xaxis=dict(title=f"class (by the shipped {noun} classifier)", type="category"),
        yaxis_title="samples",
    )
    return fig


def conv_picture(cells: np.ndarray, k: int) -> go.Figure:
    """The zero-inserted, padded grid of a transposed convolution (cell codes of
    ``core.analysis.convolution.transposed_conv_picture``), with the first k x k kernel window
    outlined."""
    n = len(cells)
    colors = {PAD: "#e8e8e8", INSERTED: "#ffffff", INPUT: CLASS_COLORS[0]}
    names = {PAD: "padding", INSERTED: "inserted zero", INPUT: "input pixel"}
    scale = [[v / 2, colors[v]] for v in (PAD, INSERTED, INPUT)]
    fig = go.Figure(
        go.Heatmap(
            z=cells,
            zmin=0,
            zmax=2,
            colorscale=scale,
            showscale=False,
            xgap=1,
            ygap=1,
            customdata=np.vectorize(names.get)(cells),
            hovertemplate="row %{y}, column %{x}: %{customdata}<extra></extra>",
        )
    )
    fig.add_shape(
        type="rect",
        x0=-0.5,
        y0=-0.5,
        x1=k - 0.5,
        y1=k - 0.5,
        line=dict(color="#d62728", width=3),
    )
    _conv_legend(fig, colors, names, k)
    side = min(520, max(220, 18 * n))
    fig.update_layout(
        height=side + 40,
        width=side + 200,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(
            showticklabels=False,
            showgrid=False,
            zeroline=False,
            range=[-0.5, n - 0.5],
            constrain="domain",
        ),
        yaxis=dict(
            showticklabels=False,
            showgrid=False,
            zeroline=False,
            range=[n - 0.5, -0.5],
            scaleanchor="x",
        ),
        plot_bgcolor="white",
        legend=dict(x=1.02, y=1),
    )
    return fig


def _conv_legend(fig: go.Figure, colors: dict, names: dict, k: int) -> None:
    """Legend entries (traces with no points) for the three kinds of cell and the kernel."""
    for code in (INPUT, INSERTED, PAD):
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=names[code],
                marker=dict(
                    size=12, symbol="square", color=colors[code], line=dict(color="#999", width=1)
                ),
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            name=f"kernel window {k}x{k}",
            line=dict(color="#d62728", width=3),
        )
    )


# --- groups selected on a map and learning curves (issue 14) ---------------------------------


def selected_indices(event) -> list[int]:
    """Dataset indices of the digits in a chart's box or lasso selection (``st.plotly_chart``'s
    event), sorted."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    found = set()
    for point in points:
        custom = point.get("customdata")
        custom = custom[0] if isinstance(custom, list) else custom
        if custom is not None:
            found.add(int(custom))
    return sorted(found)


def learning_curves(
    rows: Sequence[dict], classifier: str, highlight: Sequence[str] = (), noun: str = "digit"
) -> go.Figure:
    """Accuracy against labels per class (log axis), one line per feature set with its spread
    over the draws as error bars; ``rows`` as ``ui.compute.uses.few_labels_table`` gives them.
    Pixels are black, PCA grey and dotted, the codes in colour; ``highlight`` drawn thick."""
    fig = go.Figure()
    names = list(dict.fromkeys(r["features"] for r in rows))
    codes = [n for n in names if n != "pixels" and not n.startswith("pca")]
    sizes = sorted({r["per_class"] for r in rows})
    for name in names:
        mine = [r for r in rows if r["features"] == name and r["classifier"] == classifier]
        if name == "pixels":
            color, dash = "black", None
        elif name.startswith("pca"):
            color, dash = "rgb(150,150,150)", "dot"
        else:
            color, dash = CLASS_COLORS[codes.index(name) % len(CLASS_COLORS)], None
        wide = name in highlight or name == "pixels"
        fig.add_trace(
            go.Scatter(
                x=[r["per_class"] for r in mine],
                y=[r["mean"] for r in mine],
                error_y=dict(array=[r["std"] for r in mine], thickness=1, width=3),
                mode="lines+markers",
                name=name,
                line=dict(width=3.5 if wide else 1.5, color=color, dash=dash),
                marker=dict(color=color, size=7 if wide else 5),
                hovertemplate=f"{name}<br>%{{x}} labels/class: %{{y:.3f}}<extra></extra>",
            )
        )
    fig.update_layout(
        height=460,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(type="log", title=f"labelled training {noun}s per class", tickvals=sizes),
        yaxis=dict(title="validation accuracy", range=[0, 1], gridcolor="rgb(235,235,235)"),
        legend=dict(title="features"),
        plot_bgcolor="white",
    )
    return fig


def for_group_selection(fig: go.Figure) -> go.Figure:
    """A latent map made for box/lasso selections: drag draws a box (the lasso is in the
    toolbar), selected digits stay as drawn and the others fade, instead of the click marker."""
    for trace in fig.data:  # plotly merges styles: give each class its own colour back
        selected = dict(size=trace.marker.size, color=trace.marker.color, opacity=1)
        trace.update(selected=dict(marker=selected), unselected=dict(marker=dict(opacity=0.15)))
    fig.update_layout(dragmode="select")
    return fig
