"""Style & content: a conditional VAE is told the label, so its code z keeps only the handwriting.

A digit's z drawn as every label, two digits trading styles, a grid of styles by labels, and
the measurement that the plain VAE's code knows the class while the CVAE's z barely does. The
digit comes from the validation split or from ``ui.digit_input`` (upload or draw, as on Your
digit); every number comes from ``ui.compute``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.models.registry import ENCODER_KINDS
from ui import compute, digit_input, images, plots, state, widgets

SOURCES = {"class": "By class", "index": "By index", "yours": "Upload or draw"}
GRID_SOURCES = {"real": "real digits' styles", "prior": "styles drawn from the prior"}
DEFAULT_CVAE = "cvae_k8"
DEFAULT_VAE = "vae_k16"
IMAGE_SCALE = 3

state.init(style_source="class", style_class=3, style_nth=0, style_index=0)
state.init(style_swap_a=2, style_swap_a_nth=0, style_swap_b=7, style_swap_b_nth=0)
state.init(style_grid_source="real", style_grid_rows=6, style_grid_seed=0)


def validation_digit(label_key: str, nth_key: str, where) -> tuple[np.ndarray, int, str]:
    """A class picker and the n-th validation digit of that class: (uint8 [28, 28], label, name)."""
    left, right = where.columns(2)
    label = left.selectbox(
        "Class", range(len(class_names)), key=label_key, format_func=class_names.__getitem__
    )
    members = np.flatnonzero(val_y == label)
    st.session_state[nth_key] = min(st.session_state[nth_key], len(members) - 1)
    nth = right.number_input(
        "Which one of the class",
        0,
        len(members) - 1,
        key=nth_key,
        help=f"The validation split holds {len(members)} of this class.",
    )
    index = int(members[nth])
    return val_x[index], int(label), f"validation {noun} {index}"


selection = state.current()
noun = selection.noun  # "digit" or "item"
st.title("Style & content")
st.markdown(
    f"A **conditional VAE** is given the {noun}'s label as well as its picture, in the encoder "
    "$q(z\\mid x, y)$ and in the decoder $p(x\\mid z, y)$. **The label carries the content "
    f"(which {noun}); z carries the handwriting** (slant, thickness, width), so one z can be "
    f"drawn as every {noun}."
)

info = state.model_of_kind(selection, "cvae", key="style_model", default=DEFAULT_CVAE)
data = compute.dataset(selection.dataset)
class_names = data.class_names
val_images, val_labels = data.split("val")
val_x, val_y = val_images.numpy(), val_labels.numpy()

# --- one digit's style, as every digit --------------------------------------------------------

st.header(f"One style, every {noun}")
source = st.radio(
    f"{noun.title()}", list(SOURCES), key="style_source", format_func=SOURCES.get, horizontal=True
)
if source == "class":
    digit, label, name = validation_digit("style_class", "style_nth", st)
elif source == "index":
    index = st.number_input(
        f"Validation {noun} (0 to {len(val_x) - 1})", 0, len(val_x) - 1, key="style_index"
    )
    digit, label, name = val_x[index], int(val_y[index]), f"validation {noun} {index}"
else:
    result = digit_input.render(noun)
    if result is None:
        st.stop()
    judged = compute.labels_of(result.digit[None], selection.dataset)
    if judged is None:
        st.info(
            f"The CVAE needs the label of your {noun}, and no classifier fits this dataset to "
            f"read it. Pick a validation {noun} instead."
        )
        st.stop()
    digit, label = result.digit, int(judged.labels[0])
    name = f"{st.session_state['reconstruct_source']}, read as a {class_names[label]} "
    name += f"({judged.confidence[0]:.0%} sure)"

z, renders, judged_renders = compute.style_row(info, digit, label)
st.caption(
    f"**{name}**, label {class_names[label]}: its style code z ({info.latent_dim} numbers) "
    "decoded with each label. Under each render, what the shipped classifier reads and how sure "
    "it is."
)
source_column, row_column = st.columns([1, 10], gap="small")
source_column.image(images.to_pil(digit, IMAGE_SCALE), caption="source", output_format="PNG")
said = widgets.readings(judged_renders, class_names) or [""] * len(renders)  # '7 · 98%' each
with row_column:
    images.digit_row(renders, [f"as {class_names[c]}: {said[c]}" for c in range(len(renders))])
st.caption("z = " + ", ".join(f"{v:+.2f}" for v in z))

# --- swap styles ------------------------------------------------------------------------------

st.header("Swap styles")
st.caption(
    f"Each {noun} keeps its label and takes the other's z: the content stays, the hand changes."
)
pick_a, pick_b = st.columns(2, gap="large")
pick_a.markdown(f"**{noun.title()} A**")
a, label_a, _ = validation_digit("style_swap_a", "style_swap_a_nth", pick_a)
pick_b.markdown(f"**{noun.title()} B**")
b, label_b, _ = validation_digit("style_swap_b", "style_swap_b_nth", pick_b)
swapped, judged_swap = compute.style_swap(info, a, label_a, b, label_b)
said = widgets.readings(judged_swap, class_names) or ["", ""]
swap_row = {
    f"A: a {class_names[label_a]}": a,
    f"B: a {class_names[label_b]}": b,
    f"A's label, B's style: {said[1]}": swapped[1],
    f"B's label, A's style: {said[0]}": swapped[0],
}
for column, (caption, picture) in zip(st.columns(6), swap_row.items(), strict=False):
    column.image(images.to_pil(picture, IMAGE_SCALE), caption=caption, width=28 * IMAGE_SCALE)

# --- a grid of styles by labels ---------------------------------------------------------------

st.header("Styles by labels")
controls = st.columns([2, 2, 1])
grid_source = controls[0].radio(
    "Rows", list(GRID_SOURCES), key="style_grid_source", format_func=GRID_SOURCES.get
)
rows = controls[1].slider("Styles", 2, 10, key="style_grid_rows")
seed = controls[2].number_input("Seed", 0, 9999, key="style_grid_seed")
real, grid = compute.style_grid(info, selection.dataset, grid_source, rows, seed)
columns = len(class_names)
if real is None:
    st.image(
        images.to_pil(images.tile(grid, columns=columns), IMAGE_SCALE),
        caption="each row: one z ~ N(0, I); each column: one label, 0 to 9",
    )
else:
    left, right = st.columns([1, columns], gap="small")
    left.image(images.to_pil(images.tile(real, columns=1), IMAGE_SCALE), caption="style of")
    right.image(
        images.to_pil(images.tile(grid, columns=columns), IMAGE_SCALE),
        caption=f"each row: the style code of the real {noun} on its left; each column: a label",
    )

# --- multimodality: does the code know the class? ---------------------------------------------

st.header("Where the class lives")
st.markdown(
    "The label and the picture meet in one model. A plain VAE has to store the class in its "
    f"code, so its map clusters by {noun}; the CVAE is told the class, so its z can drop it."
)
encoders = {i.name: i for i in state.models_for(selection.dataset, ENCODER_KINDS)}
if not encoders:
    st.info("No autoencoder or VAE is trained on this dataset to compare with.")
    st.stop()
if selection.model is not None and not selection.has_encoder:
    st.info(
        f"**{selection.model.name}** (the sidebar's model) is a "
        f"{selection.model.kind.upper()}: it has no encoder, so real {noun}s have no code in it "
        "to compare. Compare with an autoencoder or VAE below."
    )
sidebar_vae = selection.model is not None and selection.model.kind == "vae"
state.pick("style_plain", list(encoders), [selection.model.name] if sidebar_vae else [DEFAULT_VAE])
plain = encoders[
    st.columns([1, 2])[0].selectbox(
        "Compare with", list(encoders), key="style_plain", format_func=lambda n: encoders[n].label
    )
]
reports = [(m, compute.class_in_code(m, selection.dataset)) for m in (plain, info)]
for column, (m, report) in zip(st.columns(2), reports, strict=True):
    with column:
        what = "z given the label" if m.kind == "cvae" else "code"
        st.subheader(f"{m.label}: {what}")
        st.metric(
            f"Logistic regression on the {what}",
            f"{report['logistic']:.1%}",
            help=f"Trained on {compute.PROBE_PER_CLASS} labelled training codes per class "
            f"(mean of {compute.PROBE_DRAWS} draws), scored on the validation split.",
        )
        st.caption(
            f"1-NN: {report['1-nn']:.1%} · chance: {report['chance']:.0%} · map: t-SNE of the "
            f"validation {noun}s' codes, coloured by their true label"
        )
        figure = plots.latent_map(
            report["coords"], report["labels"], class_names, plots.AXIS_TITLES["tsne"], height=420
        )
        st.plotly_chart(figure, key=f"style_map_{m.kind}", width="stretch")
(_, plain_report), (_, cvae_report) = reports
st.markdown(
    f"A classifier reads the class from {plain.name}'s code **{plain_report['logistic']:.0%}** "
    f"of the time, from the CVAE's z **{cvae_report['logistic']:.0%}** (chance "
    f"{cvae_report['chance']:.0%}): the label carries the content, z the handwriting."
)
