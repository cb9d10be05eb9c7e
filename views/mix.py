"""Mix a class: blend the codes of many digits of one class into digits nobody wrote."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.latent.mixing import MixConfig
from ui import images, map_explorer, pickers, state, widgets
from ui.compute import codes, resources
from ui.explorer import overlay

MIXINGS = {
    "dirichlet": "Random convex weights (Dirichlet)",
    "mean": "Plain mean",
    "noise": "Mean + Gaussian noise",
}
CONCENTRATIONS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
GRID_COLUMNS = 6

state.init(mix_class=8, mix_n_source=200, mix_n_combine=10, mix_n_new=16, mix_seed=0)
state.init(mix_mixing="dirichlet", mix_concentration=1.0, mix_noise=0.5)


link_seed, link_problem = state.url_int("seed", 0, state.MAX_SEED, "seed")
if link_seed is not None and not st.session_state.get("mix_link_read"):
    st.session_state["mix_seed"] = link_seed  # a link's seed, read once per session
st.session_state["mix_link_read"] = True


selection = state.current()
noun = selection.noun  # "digit" or "item"
info = state.require_encoder(selection)
data = resources.dataset(selection.dataset)
names = data.class_names

st.title("Mix a class")
st.caption(
    f"Encode many training {noun}s of one class, take a few of their codes at a time, combine "
    f"them, and decode: the result is {state.with_article(noun)} of that class that nobody wrote."
)

train_labels = data.labels[data.train_idx].numpy()
top = st.columns(4)
label = top[0].selectbox("Class", range(len(names)), key="mix_class", format_func=names.__getitem__)
available = int((train_labels == label).sum())
if available < 2:
    st.error(f"The training split has {available} {noun}(s) of class {names[label]}; need 2.")
    st.stop()
lo, hi = min(50, available - 1), min(500, available)
st.session_state["mix_n_source"] = int(np.clip(st.session_state["mix_n_source"], lo, hi))
n_source = top[1].slider(
    f"{noun.title()}s to encode",
    lo,
    hi,
    key="mix_n_source",
    help=f"Random training {noun}s of the class (it has {available:,}).",
)
most = min(50, n_source)
st.session_state["mix_n_combine"] = int(np.clip(st.session_state["mix_n_combine"], 1, most))
n_combine = top[2].slider(
    f"Codes per new {noun}",
    1,
    most,
    key="mix_n_combine",
    help=f"How many of the encoded codes each new {noun} is a combination of.",
)
n_new = top[3].slider(f"New {noun}s", 4, 32, step=4, key="mix_n_new")

row = st.columns([3, 2, 2, 1, 1.4], vertical_alignment="bottom")
mixing = row[0].radio("Mixing", list(MIXINGS), key="mix_mixing", format_func=MIXINGS.get)
concentration = row[1].select_slider(
    "Dirichlet concentration α",
    CONCENTRATIONS,
    key="mix_concentration",
    disabled=mixing != "dirichlet",
    help=f"α < 1: most weight on one or two codes (close to a real {noun}). α = 1: every convex "
    "combination equally likely. Large α: close to the plain mean.",
)
noise = row[2].slider(
    "Noise scale",
    0.0,
    2.0,
    step=0.05,
    key="mix_noise",
    disabled=mixing != "noise",
    help="Standard deviation of the added noise, in units of each dimension's spread (std) "
    "over the encoded codes.",
)
seed = widgets.seed_input(
    row[3],
    "mix_seed",
    button=(row[4], "Regenerate", "mix_regenerate"),
    icon=":material/casino:",
    width="stretch",
)

if link_problem is not None:
    widgets.refuse_link([link_problem], ("seed",))
st.query_params["seed"] = seed

config = MixConfig(
    label=label,
    n_source=n_source,
    n_combine=n_combine,
    n_new=n_new,
    mixing=mixing,
    concentration=float(concentration),
    noise_scale=float(noise),
    seed=seed,
)
result = codes.mix(info, selection.dataset, config)
prediction = resources.labels_of(result.images, selection.dataset)

# --- the new digits, each beside the closest real one ----------------------------------------

st.subheader(f"{n_new} new {names[label]}s")
st.caption(
    f"Each cell: a new {noun} (left) and the closest real {noun} of the whole training split "
    "(right), with the per-pixel RMSE between them"
    + (
        f" and the label the {noun} classifier gives the new one."
        if prediction is not None
        else "."
    )
)
with st.container(key="mix_grid"):
    for start in range(0, n_new, GRID_COLUMNS):
        cols = st.columns(GRID_COLUMNS)
        for j in range(start, min(start + GRID_COLUMNS, n_new)):
            nearest = data.images[int(result.nearest_index[j])].numpy()
            pair = images.tile(np.stack([images.to_uint8(result.images[j]), nearest]), gap=2)
            caption = f"d {result.nearest_distance[j]:.3f}"
            if prediction is not None:
                caption = (
                    f"{names[prediction.labels[j]]} · {prediction.confidence[j]:.0%} · " + caption
                )
            cols[j - start].image(
                images.to_pil(pair, 3), caption=caption, width="stretch", output_format="PNG"
            )

held_out = codes.held_out_distances(selection.dataset, label, 200)
numbers = st.columns(3)
numbers[0].metric(
    f"New → nearest training {noun}",
    f"{np.median(result.nearest_distance):.3f}",
    help="Median per-pixel RMSE (pixels in [0, 1]). 0 would be an exact copy.",
)
if len(held_out):
    numbers[1].metric(
        f"Real unseen {names[label]}s → nearest training {noun}",
        f"{np.median(held_out):.3f}",
        help=f"The same median for {len(held_out)} validation {noun}s of the class: real "
        f"{noun}s that are not in the training set either. Similar numbers: the new {noun}s are "
        "as new as a fresh handwritten one.",
    )
if prediction is not None:
    share = float((prediction.labels == label).mean())
    numbers[2].metric(
        f"Classified as {names[label]}",
        f"{share:.0%}",
        help=f"Mean confidence {prediction.confidence.mean():.0%}.",
    )

# --- where the codes sit ---------------------------------------------------------------------

left, right = st.columns([5, 2], gap="medium")
how = {
    "dirichlet": f"a random convex combination of {n_combine} source codes, so it lies inside "
    "their cloud",
    "mean": f"the mean of {n_combine} source codes, so it lies inside their cloud",
    "noise": f"the mean of {n_combine} source codes plus noise, so it can leave their cloud",
}[mixing]
with right:
    st.markdown(
        f"**{len(result.source_indices)} encoded {names[label]}s** (open circles) and the "
        f"**{n_new} new codes** (red stars) on the latent map. Each new code is {how}."
    )
    st.info(
        "**Why a VAE's mixtures look smoother:** it is trained to decode noisy codes around "
        f"every {noun} (the KL term packs them into one dense cloud), so a blend lands where its "
        "decoder has learned to draw; an AE's decoder has seen only the codes, not the gaps "
        "between them." + ("" if info.kind == "vae" else " Pick a VAE in the sidebar to compare.")
    )
with left:
    # The latent map's choice of map, when it is alive.
    preferred = [st.session_state.get("map_method")]
    map_method = pickers.map_picker(st, "Map", info, key="mix_map", preferred=preferred)
    source_xy, new_xy = codes.mix_on_map(info, selection.dataset, map_method, config)
    map_explorer.checkpoint_map(
        info,
        selection.dataset,
        map_method,
        names,
        key="mix_explorer",
        overlays=[overlay(source_xy, "ring"), overlay(new_xy, "star", "#d62728")],
        height=480,
    )
    if map_method == "tsne":
        st.caption("t-SNE has no formula for new codes: these are placed on the fixed map.")
