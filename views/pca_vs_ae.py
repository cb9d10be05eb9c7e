"""PCA vs AE: PCA is the autoencoder with a linear encoder and decoder; what does non-linearity
buy? Reconstruction error against k, the same digits reconstructed, 2-D maps, and directions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.analysis import compare
from core.models.registry import ENCODER_KINDS
from ui import images, plots, state, twin_sides, widgets
from ui.compute import reconstruction, resources

EIGEN_DIGITS = 16  # components drawn as images
TRAVERSAL_STEPS = 9  # decoded digits per latent axis, the middle one is the mean code
TRAVERSAL_SPAN = 2.0  # standard deviations either side of the mean code

state.init(
    pva_k=None,  # latent size of the reconstruction grid
    pva_left=None,  # the linked maps' sides (twin_sides.twin_options)
    pva_right=None,
    pva_twin_selected=None,  # the dataset index last clicked on them
    pva_twin_mounted=None,  # (the two sides, the index they were mounted with)
    pva_axes_model=None,  # the model whose axes are walked
)

selection = state.current()
noun = selection.noun  # "digit" or "item"
dataset = resources.dataset(selection.dataset)
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
fitted = reconstruction.pixel_pca(selection.dataset, max(ks))
pca_rows = reconstruction.pca_scores(selection.dataset, ks)
model_rows = reconstruction.all_model_scores(
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
grid = reconstruction.reconstruction_grid(infos, selection.dataset, k, max(ks))
if len(grid) == 2:
    st.info(f"No autoencoder with k={k} on this dataset: only PCA's reconstructions are shown.")
for name, recon, error in grid:
    label, picture = st.columns([3, 14], vertical_alignment="center")
    error = "" if error is None else f"  \nMSE {error:.4f}"
    label.markdown(f"**{name}**{error}")
    picture.image(images.to_pil(images.tile(recon, gap=2), scale=2))

# --- the 2-D maps, linked --------------------------------------------------------------------

st.subheader("Two dimensions, side by side and linked")
digits = resources.map_dataset(selection.dataset)
options = twin_sides.twin_options(infos)
two_d = [o for o in options if o.endswith(":raw")]
state.pick("pva_left", options, ["pca"])
state.pick(
    "pva_right",
    options,
    ([f"{selection.model.name}:raw"] if selection.has_encoder else [])
    + ["ae_k2:raw"]
    + two_d
    + options[1:],
)
pickers = st.columns(2)
label = lambda o: twin_sides.twin_label(o, infos)  # noqa: E731
pickers[0].selectbox("Left map", options, key="pva_left", format_func=label)
pickers[1].selectbox("Right map", options, key="pva_right", format_func=label)
st.caption(
    f"Each dot is one of {len(digits.labels):,} {noun}s (training and validation) coloured by "
    f"its label, at the same index in both maps. Point at {state.with_article(noun)}: it is "
    f"ringed in both "
    "maps, with both models' reconstructions beside the original. Point at empty space in one "
    "map: that model decodes the place, the other model encodes the picture (in your browser) "
    "and a red star marks where it lands on its own map, beside what it makes of it. Above each "
    "map: the 10-NN label accuracy of its 2-D points (5-fold cross-validation) and its "
    "trustworthiness, i.e. how far a point's 10 map neighbours are also its neighbours in pixel "
    "space (scikit-learn; 1 = no invented neighbours; scored on 2,000 of them)."
)
if len(options) == 1:
    st.info("No autoencoder on this dataset yet: train one with k=2 to compare it with PCA.")
# The maps keep their own selection and zoom: their data (and so the index they are mounted
# with) changes only with the sides, not with each click.
pair = (st.session_state["pva_left"], st.session_state["pva_right"])
if st.session_state["pva_twin_mounted"] is None or st.session_state["pva_twin_mounted"][0] != pair:
    st.session_state["pva_twin_mounted"] = (pair, st.session_state["pva_twin_selected"])
with st.spinner("Scoring the 2-D maps…"):
    event = twin_sides.linked_maps(
        pair,
        infos,
        selection.dataset,
        digits.class_names,
        key="pva_twin",
        selected=st.session_state["pva_twin_mounted"][1],
    )
if event is not None and event.click is not None and event.click["index"] is not None:
    st.session_state["pva_twin_selected"] = int(event.click["index"])
chosen = st.session_state["pva_twin_selected"]
if chosen is not None:
    st.caption(
        f"Selected: {noun} #{chosen}, label {digits.class_names[int(digits.labels[chosen])]} "
        "(ringed in both maps)."
    )

# --- what the directions mean -----------------------------------------------------------------

st.subheader("What the directions mean")
st.markdown(
    f"**PCA's first {min(EIGEN_DIGITS, fitted.pca.n_components)} components (eigen-{noun}s).** "
    "Grey is 0, white a positive and black a negative weight (a component's sign is arbitrary). "
    f"Together they keep {fitted.pca.explained_variance_ratio[:EIGEN_DIGITS].sum():.0%} of the "
    f"pixel variance; all {ks[-1]} keep {fitted.pca.explained_variance_ratio.sum():.0%}."
)
eigen = reconstruction.eigen_digits(selection.dataset, max(ks), EIGEN_DIGITS)
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
        walk = reconstruction.axis_traversal(
            axes_info, selection.dataset, TRAVERSAL_STEPS, TRAVERSAL_SPAN
        )
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
