"""Interpolate: walk from one digit's code to another's and decode every step on the way."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.analysis.classify import class_names
from ui import images, map_explorer, pickers, plots, state, widgets
from ui.compute import codes, maps, resources
from ui.explorer import overlay

SOURCES = {
    "map": "Pair clicked on the map",
    "class": "Random digits of two classes",
    "index": "Dataset indices",
}
INTERPOLATIONS = {"linear": "Linear", "slerp": "Spherical (slerp)"}
STRIP_COLUMNS = 16  # a longer strip wraps onto a second row

state.init(map_pair=[])  # written by the latent map page
state.init(interp_source="map" if len(st.session_state["map_pair"]) == 2 else "class")
state.init(interp_method="linear", interp_steps=10, interp_class_a=3, interp_class_b=8)
state.init(interp_seed=0, interp_index_a=0, interp_index_b=1)


def _take_dragged_pair() -> None:
    """A drag on the map from one digit to another: the walk's new endpoints (a callback, so
    the endpoints radio, drawn above the map, can still be set)."""
    dragged = st.session_state["interp_explorer"].get("pair")
    if dragged:
        st.session_state["map_pair"] = [int(dragged["from"]), int(dragged["to"])]
        st.session_state["interp_source"] = "map"


def _link_problems(n: int | None) -> list[str]:
    """A link's endpoints (``a``, ``b``: dataset indices) and ``seed``, read once per session
    into the widgets; what is wrong with them, one sentence each (then nothing is decoded)."""
    fields = {"seed": (0, state.MAX_SEED, "seed")}
    if n is not None:
        fields |= {end: (0, n - 1, f"endpoint {end}") for end in ("a", "b")}
    values, problems = state.link_ints("interp", fields)
    if "seed" in values:
        st.session_state["interp_seed"] = values["seed"]
    if "a" in values and "b" in values:
        st.session_state["interp_index_a"] = values["a"]
        st.session_state["interp_index_b"] = values["b"]
        st.session_state["interp_source"] = "index"
    elif len(values.keys() & {"a", "b"}) == 1 and not problems.keys() & {"a", "b"}:
        problems["ends"] = "The link names only one endpoint; it needs both a and b."
    return list(problems.values())


selection = state.current()
noun = selection.noun  # "digit" or "item"
if selection.model is None:
    st.info("Pick a model in the sidebar (none is trained on this dataset yet).")
    st.stop()
info = selection.model
is_gan = not selection.has_encoder
names = class_names(selection.dataset)
dataset = None if is_gan else resources.map_dataset(selection.dataset)
link_problems = _link_problems(None if dataset is None else len(dataset))

st.title("Interpolate")
st.caption(
    "Decode evenly spaced codes on the way from z₀ to z₁. Linear: (1 − t) z₀ + t z₁. Spherical "
    "(slerp) follows the arc between the two directions, keeping the length of the codes: for "
    "a Gaussian prior, the middle of a straight line is unusually close to 0."
)

top = st.columns([3, 2, 2])
if not is_gan:
    source = top[0].radio("Endpoints", list(SOURCES), key="interp_source", format_func=SOURCES.get)
method = top[1].radio(
    "Interpolation", list(INTERPOLATIONS), key="interp_method", format_func=INTERPOLATIONS.get
)
steps = top[2].slider("Steps", 2, 32, key="interp_steps", help="Including both end points.")
if link_problems:
    widgets.refuse_link(link_problems, ("a", "b", "seed"))

# --- the two end points: codes z0, z1 (and, with an encoder, their dataset indices) ----------

pair: tuple[int, int] | None = None
if is_gan:
    row = top[0].columns([2, 3], vertical_alignment="bottom")
    seed = widgets.seed_input(
        row[0], "interp_seed", button=(row[1], "New random pair", "interp_reroll")
    )
    st.query_params["seed"] = seed
    top[0].caption("A GAN has no encoder: the ends are two random codes z ~ N(0, I).")
    z0, z1 = codes.random_codes(info, seed)
else:
    labels = dataset.labels.numpy()
    n = len(labels)
    if source == "map":
        pair = state.map_pair(n)
    elif source == "class":
        row = st.columns([2, 2, 1, 2], vertical_alignment="bottom")
        class_a = row[0].selectbox(
            "Class A", range(10), key="interp_class_a", format_func=names.__getitem__
        )
        class_b = row[1].selectbox(
            "Class B", range(10), key="interp_class_b", format_func=names.__getitem__
        )
        seed = widgets.seed_input(
            row[2], "interp_seed", button=(row[3], "New random pair", "interp_reroll")
        )
        st.query_params["seed"] = seed
        try:
            pair = codes.random_ends(selection.dataset, class_a, class_b, seed)
        except ValueError as err:
            st.error(f"Cannot pick the pair: {err}.")
            st.stop()
    else:
        row = st.columns([2, 2, 3])
        chosen = [
            row[0].number_input("Index of A", step=1, key="interp_index_a"),
            row[1].number_input("Index of B", step=1, key="interp_index_b"),
        ]
        bad = [int(i) for i in chosen if not 0 <= i < n]
        if bad:
            st.error(
                f"Index {bad[0]} is out of range: the map's dataset has {n:,} {noun}s, "
                f"numbered 0 to {n - 1:,}."
            )
            st.stop()
        pair = (int(chosen[0]), int(chosen[1]))
        st.query_params["a"], st.query_params["b"] = pair
    if source != "index":
        st.query_params.pop("a", None)
        st.query_params.pop("b", None)
    if source != "class":
        st.query_params.pop("seed", None)

    # The latent map's choice of map, when it is alive; the radio is drawn further down.
    state.pick("interp_map", maps.map_methods(info), [st.session_state.get("map_method")])
    z0, z1 = maps.map_codes(info, selection.dataset, st.session_state["interp_map"], pair)

path, frames = codes.walk(info, z0, z1, steps, method)  # [steps, k], [steps, 28, 28]
t = np.linspace(0.0, 1.0, steps)
prediction = resources.labels_of(frames, selection.dataset)

# --- the strip, its downloads, and the path on the map ---------------------------------------

if pair is not None:
    a, b = pair
    st.subheader(
        f"From #{a} ({names[labels[a]]}) to #{b} ({names[labels[b]]})",
        help=f"Dataset indices among the {noun}s drawn on the Latent map.",
    )
else:
    st.subheader(f"Between two random codes (seed {seed})")
captions = widgets.readings(prediction, names) or [f"t={x:.2f}" for x in t]
with st.container(key="interp_strip"):
    images.digit_row(frames, captions, columns=min(steps, STRIP_COLUMNS), scale=3)

row = st.columns([4, 1, 1], vertical_alignment="center")
row[0].caption(
    f"{steps} steps from t = 0 (left) to t = 1 (right)"
    + (", each with the classifier's label and confidence." if prediction is not None else ".")
)
strip = images.tile(frames, columns=min(steps, STRIP_COLUMNS))
files = {
    "png": ("Strip (PNG)", images.png_bytes(strip)),
    "gif": ("Animation (GIF)", images.gif_bytes(frames)),
}
widgets.download_buttons(row[1:], f"{info.name}_{method}_{steps}", "interp", files)

map_col, side_col = st.columns([2, 1], gap="large")
if pair is not None:
    with map_col:
        map_method = pickers.map_picker(st, "Map", info, key="interp_map")
        path_xy = maps.place(info, selection.dataset, map_method, path)  # [steps, 2]
        map_explorer.checkpoint_map(
            info,
            selection.dataset,
            map_method,
            names,
            key="interp_explorer",
            overlays=[overlay(path_xy, "path")],
            height=460,
            on_pair=_take_dragged_pair,
        )
        st.caption(
            f"Point at the map to decode any place; drag from one {noun} to another to "
            "walk between them instead."
        )
        if map_method == "tsne":
            st.caption("t-SNE has no formula for new codes: the path's points are placed on it.")
        elif map_method == "pca" and method == "linear":
            st.caption("PCA is linear, so a straight line in latent space stays straight here.")
    with side_col:
        st.markdown(f"**The real {noun}s** (the strip starts and ends at their reconstructions)")
        images.digit_row(
            dataset.images[list(pair)].numpy(), [f"A · #{a}", f"B · #{b}"], columns=3, scale=3
        )
with side_col if pair is not None else map_col:
    if prediction is not None:
        st.markdown("**What the classifier sees along the way**")
        fig = plots.class_probabilities(t, prediction, names)
        st.plotly_chart(fig, key="interp_probs", width="stretch")
    else:
        st.caption(f"No {noun} classifier fits this dataset, so the steps are not labelled.")
