"""Attributes: move a digit's code along the direction in which slant, thickness, width or height
grows, and make vectors from groups of digits on the map (Latent Space Cartography)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.analysis.attributes import ATTRIBUTES, WALK_SPAN, WALK_STEPS, walk_offsets
from ui import images, pickers, plots, state
from ui.compute import maps, resources, uses

UNITS = {"slant": "shear", "thickness": "px", "width": "px", "height": "px"}
KEEPING = {
    "scores held": "class scores held",
    "class edit": "the class's mean edit",
    "own edit": "its own edit",
}
GROUP_STEPS = 7

state.init(attr_attribute="slant", attr_alpha=1.0, attr_group_a=[], attr_group_b=[])

selection = state.current()
info = state.require_encoder(selection)
data = resources.dataset(selection.dataset)
noun = data.noun  # "digit" or "item"
if uses.needs_label(info):
    st.info(
        f"**{info.name}**'s encoder is given the label as well as the {noun}, so a code alone "
        f"is not {state.with_article(noun)} here. Pick an AE or VAE in the sidebar."
    )
    st.stop()
names = data.class_names

st.title("Attributes")
st.caption(
    "A direction v in the latent space along which a measured attribute of the ink "
    f"grows: the {noun}'s code moves to z + α v, α in standard deviations of the training codes "
    f"projected on v. Under each step: the attribute measured on the decoded {noun} and what the "
    "shipped classifier reads."
)

top = st.columns([2, 3, 3], vertical_alignment="bottom")
attribute = top[0].radio("Attribute", ATTRIBUTES, key="attr_attribute", horizontal=True)
with top[1]:
    # the default: a 7 that the 2- and 16-D models reconstruct as a 7 (the first one: as a 9)
    index = pickers.digit_picker(
        st.columns(2), "attr_digit_class", "attr_digit_nth", data, default=7, nth=5
    )
alpha = top[2].slider(
    "α (standard deviations along v)",
    -WALK_SPAN,
    WALK_SPAN,
    step=0.25,
    key="attr_alpha",
    help="The code moves to z + α s v, s the std of the training codes projected on v.",
)

keeping = uses.direction_names(info, attribute)[1:]  # the ones that keep the digit
if keeping:
    state.pick("attr_keep", keeping, [uses.BEST_KEEPING.get(attribute, "scores held")])
    st.radio(
        f"Direction that keeps the {noun}",
        keeping,
        key="attr_keep",
        format_func=KEEPING.get,
        horizontal=True,
        help="bench/uses.py measures them on the validation digits: along slant the digit's "
        "own edit keeps the label most often; along thickness the held class scores do.",
    )
shown = ("plain", st.session_state["attr_keep"]) if keeping else ("plain",)
alphas = tuple(walk_offsets(1.0, WALK_STEPS, WALK_SPAN).round(3))
strips = uses.attribute_walk(info, selection.dataset, attribute, index, alphas, shown)
here = uses.attribute_walk(info, selection.dataset, attribute, index, (float(alpha),), shown)
unit = UNITS[attribute]


def _reading(result: dict, i: int, names: list[str]) -> str:
    """Step i of a walk as '0.42 · 7': the attribute measured, the classifier's reading."""
    label = f" · {names[result['labels'][i]]}" if "labels" in result else ""
    return f"{result['values'][i]:.2f}{label}"


columns = st.columns(len(strips), gap="large")
for column, (name, strip) in zip(columns, strips.items(), strict=True):
    with column:
        st.subheader("Plain" if name == "plain" else f"Keeps the {noun}")
        whose = (
            f" This {noun} walks class {names[strip['class']]}'s." if name == "class edit" else ""
        )
        st.caption(uses.DIRECTIONS[name].format(noun=noun) + whose)
        now = here[name]
        images.digit_row(
            [data.images[index].numpy(), now["images"][0]],
            [f"the {noun}", f"α = {alpha:+.2f}"],
            scale=4,
        )
        read = (
            f", read as **{names[now['labels'][0]]}** ({now['confidence'][0]:.0%})"
            if "labels" in now
            else ""
        )
        st.markdown(f"At α = {alpha:+.2f}: {attribute} **{now['values'][0]:.2f}** {unit}{read}")
        images.digit_row(
            strip["images"],
            [f"{a:+.1f}: {_reading(strip, i, names)}" for i, a in enumerate(alphas)],
        )
        if "labels" in strip:
            kept = int((strip["labels"] == strip["labels"][WALK_STEPS // 2]).sum())
            st.caption(
                f"{attribute} ({unit}) from {strip['values'][0]:.2f} to {strip['values'][-1]:.2f}; "
                f"the classifier reads the same {noun} as at α = 0 on {kept} of {WALK_STEPS} steps."
            )
if not keeping:
    st.info(
        f"No direction here keeps the {noun}: holding all nine class-discriminant scores needs "
        f"a code of k ≥ {uses.IDENTITY_MIN_DIM} (this one is {info.latent_dim}-D), and "
        f"{attribute} has no edit to average (slant and thickness do)."
    )

# --- groups on the map ---------------------------------------------------------------------------

st.divider()
st.subheader("A vector from two groups")
st.caption(
    f"Draw a box or a lasso around some {noun}s on the map and make them group A, then another "
    "group B: the mean code of A minus the mean code of B is a vector (as in Latent Space "
    f"Cartography). Below, it is added step by step to the {noun} picked above."
)
dataset = resources.map_dataset(selection.dataset)
method = pickers.map_picker(st, "Projection", info, key="attr_map_method")
_, projection = maps.latents_and_projection(info, selection.dataset, method)
fig = plots.latent_map(
    projection.coords, dataset.labels.numpy(), names, plots.AXIS_TITLES[method], height=480
)
plots.for_group_selection(fig)
left, right = st.columns([3, 2], gap="medium")
with left:
    event = st.plotly_chart(
        fig, key="attr_map", on_select="rerun", selection_mode=("box", "lasso"), width="stretch"
    )
chosen = plots.selected_indices(event)
with right:
    st.caption(f"{len(chosen)} {noun}s selected on the map.")
    buttons = st.columns(3)
    for column, group in zip(buttons[:2], ("a", "b"), strict=True):
        if column.button(f"Selection → {group.upper()}", key=f"attr_set_{group}"):
            if not chosen:
                st.warning(
                    f"Nothing is selected: draw a box or a lasso around some {noun}s on the map "
                    "first (the box and lasso tools are in the map's toolbar)."
                )
            else:
                st.session_state[f"attr_group_{group}"] = chosen
    if buttons[2].button("Clear groups", key="attr_clear"):
        st.session_state["attr_group_a"], st.session_state["attr_group_b"] = [], []
    group_a, group_b = st.session_state["attr_group_a"], st.session_state["attr_group_b"]
    for group, members in (("A", group_a), ("B", group_b)):
        if members:
            counts = np.bincount(dataset.labels.numpy()[members], minlength=len(names))
            top_classes = ", ".join(
                f"{names[c]} ×{counts[c]}" for c in np.argsort(-counts)[:3] if counts[c]
            )
            st.markdown(f"**Group {group}**: {len(members)} {noun}s ({top_classes})")
        else:
            st.markdown(f"**Group {group}**: empty")
    if not group_a or not group_b:
        st.info(f"Select both groups to make a vector: A and B each need at least one {noun}.")
    else:
        vector = uses.group_vector(info, selection.dataset, group_a, group_b)
        ts, walked, read = uses.vector_walk(info, selection.dataset, index, vector, GROUP_STEPS)
        st.markdown(f"z + t (mean A − mean B), |mean A − mean B| = {np.linalg.norm(vector):.2f}")
        captions = [
            f"t {t:.2f}" + (f" · {names[read.labels[i]]}" if read else "") for i, t in enumerate(ts)
        ]
        images.digit_row(walked, captions)

# --- analogies -----------------------------------------------------------------------------------

st.divider()
st.subheader("Analogies: a − b + c")
st.caption(
    "The code of a, minus the code of b, plus the code of c, decoded: what a has that b lacks, "
    "given to c."
)
picks = st.columns(4, gap="medium")
chosen_digits = []
# defaults: a 1 minus another 1 (their difference is style only) plus a 7
for column, key, default, nth in zip(picks[:3], "abc", (1, 1, 7), (0, 1, 5), strict=True):
    with column:
        st.markdown(f"**{key}**")
        chosen_digits.append(
            pickers.digit_picker(
                st.columns(2),
                f"attr_analogy_{key}_class",
                f"attr_analogy_{key}_nth",
                data,
                default,
                nth,
            )
        )
        st.image(images.to_pil(data.images[chosen_digits[-1]].numpy(), 4))
result, read = uses.analogy(info, selection.dataset, *chosen_digits)
with picks[3]:
    st.markdown("**a − b + c**")
    st.image(images.to_pil(result, 4))
    if read is not None:
        st.markdown(f"read as **{names[read.labels[0]]}** ({read.confidence[0]:.0%})")
