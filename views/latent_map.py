"""Latent map: every image's code in 2-D, decoded live under the pointer; a click selects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from core.data.datasets import Dataset
from core.latent.projections import Projection
from core.models.registry import ENCODER_KINDS
from core.training.checkpoints import CheckpointInfo
from ui import images, map_explorer, pickers, plots, state, twin_sides, widgets
from ui.compute import codes, maps, resources
from ui.playback import how_it_learned

BACKGROUND_TILES = 20  # decoded images per side of the 2-D manifold background
INTERPOLATE_PAGE = "views/interpolate.py"

state.init(
    map_selected=None,  # {"index": i} or {"point": [x, y]}
    map_pair=[],  # the last two clicked dataset indices (the Interpolate page reads them)
    map_mounted=None,  # (what the explorer shows, the index it was mounted with)
    map_compare=False,  # the linked maps below: this map beside another model's
    map_compare_with=None,  # that other side (twin_sides.twin_options)
)

selection = state.current()
info = state.require_encoder(selection)
dataset = resources.map_dataset(selection.dataset)
labels = dataset.labels.numpy()
noun = dataset.noun  # "digit" or "item"

st.title("Latent map")
st.caption(
    f"The encoder f maps each 784-pixel {noun} to a {info.latent_dim}-D code. Each dot is one "
    f"of {len(labels):,} {noun}s, coloured by its label. Point anywhere to see what the decoder "
    f"g makes there; click to keep {state.with_article(noun)} or a place, drag from one {noun} "
    f"to another "
    "to walk between them on the Interpolate page. Scroll to zoom, drag empty space to pan."
)

controls = st.columns([3, 3, 1])
method = pickers.map_picker(controls[0], "Projection", info, key="map_method", url="proj")
show_background = controls[1].toggle(
    f"Decoded {noun}s in the background",
    key="map_background",
    disabled=method != "raw",
    help="Only for a 2-D latent: the decoder's output tiled over the plane.",
)
st.query_params["proj"] = method

latents, projection = maps.latents_and_projection(info, selection.dataset, method)
coords = projection.coords
background = None
if show_background and method == "raw":
    background = maps.manifold_background(info, plots.axis_range(coords), BACKGROUND_TILES)

# --- the selection: from the URL on a session's first look, then from clicks ------------------

link_problem = None
if st.session_state["map_selected"] is None and "sel" in st.query_params:
    raw = st.query_params["sel"]
    if raw.startswith("i"):
        index, link_problem = state.url_int("sel", 0, len(labels) - 1, noun)
        if index is not None:
            st.session_state["map_selected"] = {"index": index}
    else:
        try:
            point = [float(v) for v in raw.split(",")]
        except ValueError:
            point = None
        if point is None or len(point) != 2:
            link_problem = f"The link's place {raw!r} is not two numbers x,y: nothing is selected."
        else:
            st.session_state["map_selected"] = {"point": point}

# The explorer keeps its own selection and zoom; its data changes only with the map itself (or
# when the page is opened again, which mounts it afresh), so the index it is mounted with stays
# the one it had when this map was drawn.
shown = (info.name, selection.dataset, method, show_background)
mounted = st.session_state["map_mounted"]
if mounted is None or mounted[0] != shown or state.entering("latent_map"):
    chosen = st.session_state["map_selected"] or {}
    mounted = (shown, chosen.get("index"))
    st.session_state["map_mounted"] = mounted


@dataclass(frozen=True)
class MapView:
    """What the map and its panel show, handed to them (never read from the page's globals)."""

    info: CheckpointInfo
    dataset: Dataset  # the map's images and labels
    method: str  # "raw", "pca" or "tsne"
    latents: np.ndarray  # float [N, k], the codes of the map's images
    projection: Projection
    background: object  # the decoded manifold behind a 2-D map, or None

    @property
    def noun(self) -> str:
        return self.dataset.noun


# A click reruns only the map and its panel (not the sidebar or the controls above): less work
# per click on a server that a class shares (bench/load.py).
@st.fragment
def map_and_panel(view: MapView, mounted: tuple, link_problem: str | None) -> None:
    left, right = st.columns([2, 1], gap="medium")  # the map and its live preview need the room
    with left:
        live_map(view, mounted)
    with right:
        chosen = st.session_state["map_selected"]
        if link_problem is not None:
            st.warning(link_problem, icon=":material/link_off:")
        elif chosen is None:
            st.info(
                f"Click a dot to inspect {state.with_article(view.noun)}, or click empty space to "
                "decode that place."
            )
        elif "index" in chosen:
            digit_panel(view, chosen["index"])
        else:
            place_panel(view, chosen["point"])


def live_map(view: MapView, mounted: tuple) -> None:
    """The explorer; a click selects, a drag walks to Interpolate; the CSV of the map."""
    info, method = view.info, view.method
    event = map_explorer.checkpoint_map(
        info,
        view.dataset.name,
        method,
        view.dataset.class_names,
        key="map_explorer",
        background=view.background,
        selected=mounted[1],
    )
    if event.click is not None:
        index = event.click["index"]
        if index is None:
            st.session_state["map_selected"] = {"point": [float(v) for v in event.click["point"]]}
        else:
            st.session_state["map_selected"] = {"index": int(index)}
            pair = [i for i in st.session_state["map_pair"] if i != index][-1:]
            st.session_state["map_pair"] = pair + [int(index)]
    if event.pair is not None:  # a drag from one image to another: walk between them
        st.session_state["map_pair"] = [int(event.pair["from"]), int(event.pair["to"])]
        st.session_state["interp_source"] = "map"
        st.switch_page(INTERPOLATE_PAGE)
    if method == "pca":
        ratio = view.projection.explained_variance_ratio
        st.caption(
            f"PCA keeps {ratio.sum():.0%} of the latent variance ({ratio[0]:.0%} + {ratio[1]:.0%})."
        )
    st.download_button(
        "Download coordinates (CSV)",
        maps.map_csv(info, view.dataset.name, method),
        file_name=f"{info.name}_{method}_coords.csv",
        mime="text/csv",
        key="map_csv",
        on_click="ignore",  # a download needs no rerun
    )


def digit_panel(view: MapView, index: int) -> None:
    """A clicked image: original and reconstruction, its code, its 5 nearest neighbours."""
    info, dataset, noun = view.info, view.dataset, view.noun
    labels = dataset.labels.numpy()
    st.query_params["sel"] = f"i{index}"
    st.subheader(f"{noun.title()} #{index} · label {dataset.class_names[labels[index]]}")
    original = dataset.images[index].numpy()
    recon, mse = codes.reconstruction(info, original)
    images.digit_row([original, recon], ["original x", f"g(f(x)) · MSE {mse:.4f}"], scale=5)
    z = view.latents[index]
    st.markdown("**Latent code** z = f(x)")
    widgets.code(z)
    neighbours, distances = maps.neighbours(info, dataset.name, view.method, z, exclude=index)
    st.markdown("**5 nearest neighbours in latent space**")
    images.digit_row(
        dataset.images[neighbours].numpy(),
        [
            f"{dataset.class_names[labels[j]]} · d={d:.2f}"
            for j, d in zip(neighbours, distances, strict=True)
        ],
        scale=2,
    )
    pair = st.session_state["map_pair"]
    if st.button(
        f"Walk from #{pair[0]} to #{pair[1]}" if len(pair) == 2 else f"Walk between two {noun}s",
        key="map_walk",
        icon=":material/timeline:",
        disabled=len(pair) < 2,
        help=f"Opens Interpolate on the last two {noun}s you clicked (or drag from one "
        "to the other on the map).",
    ):
        st.session_state["interp_source"] = "map"
        st.switch_page(INTERPOLATE_PAGE)


def place_panel(view: MapView, point: list[float]) -> None:
    """A clicked place of empty space: the code it maps back to, decoded."""
    info, method = view.info, view.method
    if problem := maps.map_point_problem(info, view.dataset.name, method, point):
        st.query_params.pop("sel", None)
        st.warning(f"Nothing decoded: {problem}", icon=":material/block:")
        return
    x, y = point
    st.query_params["sel"] = f"{x:.4g},{y:.4g}"
    z, _, decoded = maps.decode_place(info, view.dataset.name, method, np.array([x, y]))
    st.subheader(f"Empty space at ({x:.2f}, {y:.2f})")
    images.digit_row([decoded], ["g(z)"], scale=6)
    if method == "raw":
        st.caption("A 2-D latent: this point is the code itself, decoded exactly.")
    elif method == "pca":
        st.caption("PCA is linear: the point maps back to a code by the inverse transform.")
    else:
        st.warning(
            "t-SNE cannot be inverted exactly: this is the decoded distance-weighted mean "
            f"of the codes of the nearest {view.noun}s on the map."
        )
    st.markdown("**Latent code** z")
    widgets.code(z)


map_and_panel(
    MapView(info, dataset, method, latents, projection, background), mounted, link_problem
)

# --- compare with another model: the same digits on two linked maps ---------------------------

if st.toggle(
    "Compare with another model",
    key="map_compare",
    help=f"This map beside another model's (or PCA's), linked: {state.with_article(noun)} under "
    "the pointer is ringed in both, and empty space decoded by one model is read by the other.",
):
    infos = state.models_for(selection.dataset, ENCODER_KINDS)
    this_side = f"{info.name}:{method}"
    others = [o for o in twin_sides.twin_options(infos) if o != this_side]
    state.pick("map_compare_with", others, ["pca"])
    st.columns([2, 1])[0].selectbox(
        "Compare with",
        others,
        key="map_compare_with",
        format_func=lambda o: twin_sides.twin_label(o, infos),
    )
    twin_sides.linked_maps(
        [this_side, st.session_state["map_compare_with"]],
        infos,
        selection.dataset,
        dataset.class_names,
        key="map_twin",
    )

how_it_learned(info, dataset.class_names, key="map_history")
