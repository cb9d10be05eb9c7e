"""Your digit: upload or draw one, see it prepared like MNIST, reconstructed by every AE/VAE and
by PCA, placed on a latent map, scored as an anomaly, and searched for in a GAN's latent space.

The upload and the canvas are ``ui.digit_input``; every number below comes from ``ui.compute``.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from core.analysis.inversion import InversionConfig, InversionResult
from core.models.registry import ENCODER_KINDS
from core.training.checkpoints import CheckpointInfo
from ui import digit_input, images, map_explorer, pickers, plots, state, widgets
from ui.compute import cache, codes, maps, reconstruction, resources, studios
from ui.explorer import overlay

DIGIT_SIDE = 96  # px: each reconstruction
DEFAULT_JUDGE = "ae_k16"  # the anomaly verdict's model until the user picks another
KEPT_INVERSIONS = 8  # GAN inversion results remembered per session
PERCENTILE = "worse than % of validation"  # the table's column of the error's percentile

state.init(reconstruct_inversions={})  # key -> InversionResult


# --- the page ---------------------------------------------------------------------------------

selection = state.current()
noun = selection.noun  # "digit" or "item"
st.title(f"Your {noun}")
st.caption(
    f"Upload a photo or scan of a handwritten {noun}, or draw one. It is prepared the way MNIST "
    "was made, then every autoencoder and VAE of this dataset, and PCA with as many "
    "components, reconstruct it."
)

result = digit_input.render(noun)
if result is None:
    st.stop()

digit = result.digit  # uint8 [28, 28]
digit_key = hashlib.sha1(digit.tobytes()).hexdigest()[:16]

# --- every model's reconstruction, and PCA's with as many components --------------------------

infos = state.models_for(selection.dataset, ENCODER_KINDS)
st.header("Reconstructions")
if not infos:
    st.info(
        f"No autoencoder or VAE is trained on **{selection.dataset}** yet: train one on the "
        "Train page, or pick another dataset in the sidebar."
    )
    st.stop()

ks = sorted({i.latent_dim for i in infos})
table = reconstruction.digit_report(infos, selection.dataset, digit)  # a row per method

columns = st.columns(1 + len(ks))
columns[0].markdown("**Input**")
columns[0].image(images.to_pil(digit, 4), caption="28 x 28", width=DIGIT_SIDE)
for column, k in zip(columns[1:], ks, strict=True):
    column.markdown(f"**k = {k}**")
    for row in table:
        if row["k"] == k:
            caption = f"{row['method']} · MSE {row['MSE']:.4f}"
            column.image(images.to_pil(row["recon"], 4), caption=caption, width=DIGIT_SIDE)
st.caption(
    "k is the size of the code: the number of latent dimensions of each model, and of "
    f"principal components for PCA (fitted on the training {noun}s). MSE is per pixel, in [0, 1]."
)

# --- is this a digit? -------------------------------------------------------------------------

st.header(f"Is this {state.with_article(noun)}?")
names = {i.name: i for i in infos}
state.pick("reconstruct_judge", list(names), [DEFAULT_JUDGE])
judge = names[
    st.columns([1, 2])[0].selectbox(
        "Model that judges",
        list(names),
        key="reconstruct_judge",
        format_func=lambda n: names[n].label,
        help=f"A 2-D code reconstructs every {noun} roughly, so it judges poorly; "
        "a code of 16 numbers tells typical from unusual much better.",
    )
]
verdict_row = next(r for r in table if r["method"] == judge.name)
percentile = verdict_row["pct"]
kind, words = reconstruction.verdict(percentile)
getattr(st, kind)(
    f"**{words.format(noun=noun, model=judge.name)}** Its reconstruction error "
    f"({verdict_row['MSE']:.4f}) is higher than that of **{percentile:.1f}%** of the validation "
    f"{noun}s."
)
st.caption(
    "An autoencoder learns to reconstruct what it was trained on; things unlike its training "
    f"{noun}s come back worse. The percentile places your error among the errors of the "
    f"validation {noun}s (never seen in training). Each model's and PCA's percentile:"
)
widgets.score_table(
    pd.DataFrame(table).drop(columns="recon").rename(columns={"pct": PERCENTILE}),
    every_row=True,
    **{PERCENTILE: st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.1f%%")},
)

# --- where it lands on the latent map ---------------------------------------------------------

st.header("Where it lands")
mapped = selection.model if selection.has_encoder else judge
whose = "the sidebar's model" if selection.has_encoder else "the judge above"
st.caption(f"On the map of **{mapped.label}** ({whose}), with the 5 nearest map {noun}s.")
method = pickers.map_picker(st, "Projection", mapped, key="reconstruct_method")
coords = maps.latents_and_projection(mapped, selection.dataset, method)[1].coords
map_digits = resources.map_dataset(selection.dataset)
labels = map_digits.labels.numpy()
z = codes.encode(mapped, digit)  # [k]
point = maps.place(mapped, selection.dataset, method, z[None])[0]  # [2]
neighbours, distances = maps.neighbours(mapped, selection.dataset, method, z)
map_explorer.checkpoint_map(
    mapped,
    selection.dataset,
    method,
    map_digits.class_names,
    key="reconstruct_map",
    overlays=[
        overlay(coords[neighbours], "ring", "#d62728", label="5 nearest", radius=6),
        overlay(point[None], "ring", "black", label=f"your {noun}", radius=9),
    ],
    height=480,
)
st.caption(
    f"The black ring is your {noun}, the red ones its 5 nearest. Point at the map: your "
    f"browser decodes the code under the pointer; over a dot, its {noun} and reconstruction."
)
if method == "tsne":
    st.caption(
        "t-SNE has no formula for new points: openTSNE places yours by optimising its "
        f"position against the fixed map, so it lands near {noun}s with similar codes."
    )
code_column, neighbour_column = st.columns([1, 2], gap="medium")
with code_column:
    st.markdown(f"**{mapped.name}**'s code for your {noun}, and its 5 nearest {noun}s")
    widgets.code(z)
with neighbour_column:
    captions = [
        f"{map_digits.class_names[labels[j]]} · d={d:.2f}"
        for j, d in zip(neighbours, distances, strict=True)
    ]
    images.digit_row(map_digits.images[neighbours].numpy(), captions, scale=2)
    st.caption("Nearest in the latent space (Euclidean distance d between codes).")

# --- the closest image a GAN can make ---------------------------------------------------------

st.header("The closest image a GAN can make")
st.caption(
    f"A GAN has no encoder. To find where your {noun} would be in its latent space we search: "
    "start from random codes z and follow the gradient of the pixel error between G(z) and "
    f"your {noun} (Adam), keeping the best code found."
)
gan_info: CheckpointInfo = pickers.model_of_kind(
    selection, "gan", key="reconstruct_gan", default="gan_k32"
)
settings = st.columns([2, 1, 2], vertical_alignment="bottom")
steps = settings[0].slider("Steps", 50, 1000, 300, step=50, key="reconstruct_steps")
seed = widgets.seed_input(settings[1], "reconstruct_seed")
config = InversionConfig(steps=int(steps), seed=int(seed))
inversions: dict = st.session_state["reconstruct_inversions"]
run_key = (digit_key, *cache.version(gan_info), config)
if settings[2].button("Search the GAN's latent space", key="reconstruct_invert", type="primary"):
    bar, progress = widgets.progress_bar("Searching…")
    inversions[run_key] = studios.invert_digit(gan_info, digit, config, progress)
    while len(inversions) > KEPT_INVERSIONS:
        inversions.pop(next(iter(inversions)))  # the oldest
    bar.empty()

found: InversionResult | None = inversions.get(run_key)
if found is None:
    st.info(f"Press the button to search ({config.steps} steps, with a progress bar).")
else:
    left, right = st.columns([2, 3], gap="medium")
    with left:
        images.digit_row(
            [digit, found.image], [f"your {noun}", f"G(z*) · MSE {found.mse:.4f}"], scale=4
        )
        best_ae = min(table, key=lambda r: r["MSE"] if r["family"] != "PCA" else np.inf)
        st.caption(
            f"From {config.restarts} random starts (best start: MSE {found.initial_mse:.4f}), "
            f"{found.steps_run} steps reached MSE {found.mse:.4f}. For comparison the best "
            f"autoencoder here, {best_ae['method']}, reconstructs it with MSE {best_ae['MSE']:.4f}."
        )
    with right:
        fig = plots.line_chart(
            range(len(found.history)), {"best MSE": found.history}, "step", "per-pixel MSE"
        )
        fig.update_traces(mode="lines")
        st.plotly_chart(fig, key="reconstruct_inversion_curve", width="stretch")
