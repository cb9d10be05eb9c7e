"""Latent map: every digit's code in 2-D; click a digit, or empty space, to see it decoded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ui import compute, images, plots, state

BACKGROUND_TILES = 20  # decoded digits per side of the 2-D manifold background

state.init(
    map_selected=None,  # {"index": i} or {"point": [x, y]}
    map_pair=[],  # the last two clicked dataset indices
    map_last_event=None,
)

selection = state.current()
info = state.require_encoder(selection)
dataset = compute.map_dataset(selection.dataset)
labels = dataset.labels.numpy()

st.title("Latent map")
st.caption(
    f"The encoder f maps each 784-pixel digit to a {info.latent_dim}-D code. Each dot is one "
    f"of {len(labels):,} digits, coloured by its label. Click a dot to see the digit and its "
    "reconstruction g(f(x)); click empty space to see what the decoder makes there."
)

controls = st.columns([2, 2, 3])
method = state.map_picker(controls[0], "Projection", info, key="map_method", url="proj")
show_background = controls[1].toggle(
    "Decoded digits in the background",
    key="map_background",
    disabled=method != "raw",
    help="Only for a 2-D latent: the decoder's output tiled over the plane.",
)
st.query_params["proj"] = method

latents, projection = compute.latents_and_projection(info, selection.dataset, method)
coords = projection.coords

background = None
if show_background and method == "raw":
    ranges = plots.axis_range(coords)
    background = compute.manifold_background(info, ranges, BACKGROUND_TILES)


def _clicked_points(event) -> list:
    """The points of the chart's selection event in session state (none before any click)."""
    return ((event or {}).get("selection") or {}).get("points") or []


def _select_from_event(event) -> None:
    """A new click becomes the selection; the same event seen again on a rerun is ignored.

    Read from session state before the map is drawn, so a click costs one run, not two."""
    points = _clicked_points(event)
    if not points:
        return
    point = points[0]
    custom = point.get("customdata")
    custom = custom[0] if isinstance(custom, list) else custom
    signature = (point.get("x"), point.get("y"), custom)
    if signature == st.session_state["map_last_event"]:
        return
    st.session_state["map_last_event"] = signature
    if custom is None or int(custom) == plots.GRID_POINT:
        st.session_state["map_selected"] = {"point": [float(point["x"]), float(point["y"])]}
    else:
        index = int(custom)
        st.session_state["map_selected"] = {"index": index}
        pair = [i for i in st.session_state["map_pair"] if i != index][-1:]
        st.session_state["map_pair"] = pair + [index]


def _selection_from_url() -> None:
    if st.session_state["map_selected"] is not None or "sel" not in st.query_params:
        return
    raw = st.query_params["sel"]
    try:
        if raw.startswith("i"):
            index = int(raw[1:])
            if 0 <= index < len(labels):
                st.session_state["map_selected"] = {"index": index}
        else:
            x, y = (float(v) for v in raw.split(","))
            st.session_state["map_selected"] = {"point": [x, y]}
    except ValueError:
        st.toast("The link's selected point could not be read; pick one on the map.")


chart_state = st.session_state.get("map_chart")
_select_from_event(chart_state)
_selection_from_url()
chosen = st.session_state["map_selected"]
# Plotly marks a point clicked on this chart itself (its 'selected' style), and leaving the
# figure unchanged spares the browser a redraw of 7,000 WebGL points. A selection that comes
# from elsewhere (the URL, another page, a rerun with a new projection) gets a drawn marker.
clicked_here = bool(_clicked_points(chart_state))
highlight = {}
if clicked_here or not chosen:
    pass
elif "index" in chosen:
    highlight["selected"] = coords[chosen["index"]]
elif chosen:
    highlight["selected"] = np.array(chosen["point"])

left, right = st.columns([3, 2], gap="medium")
with left:
    fig = plots.latent_map(
        coords,
        labels,
        dataset.class_names,
        axis_titles=plots.AXIS_TITLES[method],
        background=background,
        highlight=highlight,
    )
    st.plotly_chart(
        fig, key="map_chart", on_select="rerun", selection_mode="points", width="stretch"
    )
    if method == "pca":
        ratio = projection.explained_variance_ratio
        st.caption(
            f"PCA keeps {ratio.sum():.0%} of the latent variance ({ratio[0]:.0%} + {ratio[1]:.0%})."
        )
    frame = pd.DataFrame(
        {"index": np.arange(len(labels)), "label": labels, "x": coords[:, 0], "y": coords[:, 1]}
    )
    st.download_button(
        "Download coordinates (CSV)",
        frame.to_csv(index=False).encode(),
        file_name=f"{info.name}_{method}_coords.csv",
        mime="text/csv",
        key="map_csv",
    )

with right:
    chosen = st.session_state["map_selected"]
    if chosen is None:
        st.info("Click a dot to inspect a digit, or click empty space to decode that place.")
    elif "index" in chosen:
        index = chosen["index"]
        st.query_params["sel"] = f"i{index}"
        st.subheader(f"Digit #{index} · label {dataset.class_names[labels[index]]}")
        original = dataset.images[index].numpy()
        recon, mse = compute.reconstruction(info, original)
        images.digit_row([original, recon], ["original x", f"g(f(x)) · MSE {mse:.4f}"], scale=5)
        z = latents[index]
        st.markdown("**Latent code** z = f(x)")
        st.code(np.array2string(z, precision=3, max_line_width=60, suppress_small=True))
        neighbours, distances = compute.neighbours(
            info, selection.dataset, method, z, exclude=index
        )
        st.markdown("**5 nearest neighbours in latent space**")
        images.digit_row(
            dataset.images[neighbours].numpy(),
            [
                f"{dataset.class_names[labels[j]]} · d={d:.2f}"
                for j, d in zip(neighbours, distances, strict=True)
            ],
            scale=2,
        )
    else:
        x, y = chosen["point"]
        st.query_params["sel"] = f"{x:.4g},{y:.4g}"
        z, _, decoded = compute.decode_place(info, selection.dataset, method, np.array([x, y]))
        st.subheader(f"Empty space at ({x:.2f}, {y:.2f})")
        images.digit_row([decoded], ["g(z)"], scale=6)
        if method == "raw":
            st.caption("A 2-D latent: this point is the code itself, decoded exactly.")
        elif method == "pca":
            st.caption("PCA is linear: the point maps back to a code by the inverse transform.")
        else:
            st.warning(
                "t-SNE cannot be inverted exactly: this is the decoded distance-weighted mean "
                "of the codes of the nearest digits on the map."
            )
        st.markdown("**Latent code** z")
        st.code(np.array2string(z, precision=3, max_line_width=60, suppress_small=True))
