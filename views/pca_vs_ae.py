"""PCA vs AE: PCA is the autoencoder with a linear encoder and decoder; what does non-linearity
buy? Reconstruction error against k, the same digits reconstructed, 2-D maps, and directions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.analysis import compare
from core.models.registry import ENCODER_KINDS
from ui import compute, images, plots, state, widgets

EIGEN_DIGITS = 16  # components drawn as images
TRAVERSAL_STEPS = 9  # decoded digits per latent axis, the middle one is the mean code
TRAVERSAL_SPAN = 2.0  # standard deviations either side of the mean code
MAP_HEIGHT = 440

state.init(
    pva_k=None,  # latent size of the reconstruction grid
    pva_map_model=None,  # the 2-D encoder drawn next to PCA
    pva_axes_model=None,  # the model whose axes are walked
)

selection = state.current()
noun = selection.noun  # "digit" or "item"
dataset = compute.dataset(selection.dataset)
infos = state.models_for(selection.dataset, ENCODER_KINDS)
by_name = {i.name: i for i in infos}
ks = tuple(compare.pca_sizes(infos))
val_images, val_labels = dataset.split("val")

st.title("PCA vs AE")
st.caption(
    "PCA is the autoencoder whose encoder z = W(x − mean) and decoder x′ = Wᵀz + mean are linear. "
    f"Here PCA is fitted on the pixels of the {len(dataset.train_idx):,} training images and "
    f"every method is measured on the same {len(val_labels):,} validation images of "
    f"**{selection.dataset}**: what does the autoencoder's non-linearity buy?"
)
if not infos:
    st.info(
        f"No autoencoder is trained on **{selection.dataset}** yet, so only PCA is shown. "
        "Train one on the Train page and it appears here."
    )

# --- the table ------------------------------------------------------------------------------

progress = st.empty()  # computed once per file version; afterwards this flashes by
fitted = compute.pixel_pca(selection.dataset, max(ks))
pca_rows = compute.pca_scores(selection.dataset, ks)
model_rows = compute.all_model_scores(
    infos, selection.dataset, lambda fraction, text: progress.progress(fraction, text=text)
)
progress.empty()
rows = compare.sort_rows(pca_rows + model_rows)

st.subheader("Reconstruction error against latent size")
lines = compare.curves(rows)
series = {
    name: [next((r.mse for r in line if r.latent_dim == k), None) for k in ks]
    for name, line in lines.items()
}
fig = plots.line_chart(ks, series, x_title="latent size k", y_title="validation MSE per pixel")
fig.update_traces(connectgaps=True)
fig.update_xaxes(type="log", tickvals=list(ks), ticktext=[str(k) for k in ks])
st.plotly_chart(fig, key="pva_mse_chart", width="stretch")

table = pd.DataFrame(compare.records(rows)).rename(columns=compare.COLUMNS)
widgets.score_table(table, key="pva_table", every_row=True)
st.caption(
    f"All on the {len(val_labels):,} validation images. **10-NN acc.**: accuracy of a "
    "10-nearest-neighbour label vote among the validation codes (5-fold cross-validation). "
    "A VAE reconstructs from its posterior mean. **PCA's parameters**: k components of 784 "
    f"pixels plus the mean image; **its training time**: one fit of {ks[-1]} components "
    f"({fitted.fit_seconds:.2f} s here), of which PCA with k components keeps the first k. "
    "The autoencoders' parameters and training times come from their checkpoints (trained on "
    "the device they record)."
)

# --- the same digits, reconstructed ---------------------------------------------------------

st.subheader("The same validation images, reconstructed")
state.pick("pva_k", list(ks), [selection.model.latent_dim] if selection.has_encoder else [16])
k = st.columns([1, 2])[0].select_slider("Latent size k", options=list(ks), key="pva_k")
grid = compute.reconstruction_grid(infos, selection.dataset, k, max(ks))
if len(grid) == 2:
    st.info(f"No autoencoder with k={k} on this dataset: only PCA's reconstructions are shown.")
for name, recon, error in grid:
    label, picture = st.columns([3, 14], vertical_alignment="center")
    error = "" if error is None else f"  \nMSE {error:.4f}"
    label.markdown(f"**{name}**{error}")
    picture.image(images.to_pil(images.tile(recon, gap=2), scale=2))

# --- the 2-D maps ---------------------------------------------------------------------------

st.subheader("Two dimensions: PCA's plane and the 2-D autoencoder's")
maps = compute.map_dataset(selection.dataset)
map_labels = maps.labels.numpy()
two_d = [i.name for i in infos if i.latent_dim == 2]
st.caption(
    f"Each dot is one of {len(map_labels):,} images (training and validation) coloured by its "
    "label. Over each map: the 10-NN label accuracy of its 2-D points (5-fold cross-validation) "
    "and its trustworthiness, i.e. how far a point's 10 map neighbours are also its neighbours "
    "in pixel space (scikit-learn; 1 = no invented neighbours; scored on 2,000 of them)."
)


def _map(column, title: str, scores: compare.MapScores, axes: tuple[str, str], key: str) -> None:
    fig = plots.latent_map(scores.coords, map_labels, maps.class_names, axes, height=MAP_HEIGHT)
    fig.data = [t for t in fig.data if t.name != "empty space"]  # not clickable here
    subtitle = (
        f"10-NN accuracy {scores.knn_accuracy:.3f} · trustworthiness {scores.trustworthiness:.3f}"
    )
    fig.update_layout(
        title=dict(text=f"{title}<br><sup>{subtitle}</sup>", x=0.02),
        margin=dict(l=10, r=10, t=70, b=10),
        clickmode="none",
    )
    column.plotly_chart(fig, key=key, width="stretch")


if two_d:
    current = [selection.model.name] if selection.has_encoder else []
    state.pick("pva_map_model", two_d, current + ["ae_k2"])
    map_name = st.columns([1, 2])[0].selectbox(
        "2-D autoencoder", two_d, key="pva_map_model", format_func=lambda n: by_name[n].label
    )
left, right = st.columns(2, gap="medium")
with st.spinner("Scoring the 2-D maps…"):
    pca_map = compute.pca_map_scores(selection.dataset, max(ks))
    _map(left, "PCA, 2 components", pca_map, ("PC 1", "PC 2"), "pva_pca_map")
    if two_d:
        map_info = by_name[map_name]
        title = f"{map_info.name} ({compare.family(map_info)}), raw 2-D codes"
        scores = compute.model_map_scores(map_info, selection.dataset)
        _map(right, title, scores, ("z1", "z2"), "pva_ae_map")
    else:
        right.info("No autoencoder with a 2-D latent on this dataset: train one with k=2.")

# --- what the directions mean -----------------------------------------------------------------

st.subheader("What the directions mean")
st.markdown(
    f"**PCA's first {min(EIGEN_DIGITS, fitted.pca.n_components)} components (eigen-{noun}s).** "
    "Grey is 0, white a positive and black a negative weight (a component's sign is arbitrary). "
    f"Together they keep {fitted.pca.explained_variance_ratio[:EIGEN_DIGITS].sum():.0%} of the "
    f"pixel variance; all {ks[-1]} keep {fitted.pca.explained_variance_ratio.sum():.0%}."
)
eigen = compare.eigen_digits(fitted.pca, EIGEN_DIGITS)
images.digit_row(
    (eigen + 1) / 2,
    [
        f"PC {i + 1} · {r:.1%}"
        for i, r in enumerate(fitted.pca.explained_variance_ratio[:EIGEN_DIGITS])
    ],
    columns=8,
    scale=3,
)

if infos:
    names = [i.name for i in infos]
    state.pick("pva_axes_model", names, [selection.model.name] if selection.has_encoder else [])
    axes_name = st.columns([1, 2])[0].selectbox(
        "Autoencoder whose latent axes to walk",
        names,
        key="pva_axes_model",
        format_func=lambda n: by_name[n].label,
    )
    axes_info = by_name[axes_name]
    with st.spinner("Decoding along each latent axis…"):
        walk = compute.axis_traversal(axes_info, selection.dataset, TRAVERSAL_STEPS, TRAVERSAL_SPAN)
    st.markdown(
        f"**{axes_info.name}: one latent axis per row.** From the mean code of the validation "
        f"images (middle column), z_i moves from {walk.offsets[0]:+g}σ to {walk.offsets[-1]:+g}σ "
        f"in steps of {walk.offsets[1] - walk.offsets[0]:g}σ, where σ is the spread of z_i over "
        "those codes; the other axes stay at the mean. "
        "Unlike PCA's, these axes are not ordered by importance and need not be independent."
    )
    per_row = 2 if len(walk.frames) > 4 else 1
    box = st.container(height=560 if len(walk.frames) > 8 else "content", border=False)
    for start in range(0, len(walk.frames), per_row):
        cells = box.columns(per_row)
        for j, axis in enumerate(range(start, min(start + per_row, len(walk.frames)))):
            label, picture = cells[j].columns([1, 5], vertical_alignment="center")
            label.markdown(f"z{axis + 1}  \nσ {walk.scale[axis]:.2f}")
            picture.image(images.to_pil(images.tile(walk.frames[axis], gap=2), scale=2))
