"""Training playback: how a model's latent space took shape, epoch by epoch, in the browser.

``how_it_learned(info, class_names)`` is the "How it learned" section of the Latent map page and
the VAE and GAN studios: the checkpoint's recorded history (``core.training.history``) played as
an animation with a scrubber, the 16 fixed samples and the loss curve with a cursor, and at
keyframe epochs of a 2-D model the map decodes under the pointer with that epoch's decoder.
``live_playback(recorder, ...)`` is the same element on the Train page, fed after every epoch.

Arrays travel as files under ``static/cache/`` (``ui.explorer.publish_array``), so playing and
scrubbing send nothing to the server and a rerun sends a few hundred bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from core.latent.export import ExportError, keyframe_exports
from core.training.checkpoints import CheckpointInfo, read_info
from core.training.history import History, HistoryRecorder, load_history
from ui.components.modules import join_modules
from ui.compute.cache import per_checkpoint
from ui.explorer import EXPORT_DIR, RUNTIME_URL, decoder_for, publish_array, static_url
from ui.plots import CLASS_COLORS

_ASSETS = Path(__file__).parent / "components" / "playback"
_component = st.components.v2.component(
    "latent_playback",
    html=(_ASSETS / "playback.html").read_text(),
    css=(_ASSETS / "playback.css").read_text(),
    js=join_modules(_ASSETS / "main.js"),  # with the explorer's runtime (ui/components/explorer/)
)
# The loss curves drawn: the training loss (blue) and the first validation number of these
# that the model has (red); a GAN's two players instead.
TRAIN_SERIES = ("loss", "#4e79a7")
VALIDATION_SERIES = ("val_neg_elbo", "val_mse")
GAN_SERIES = (("d_loss", "#4e79a7"), ("g_loss", "#e15759"))
NO_HISTORY = "No training history for this model: it was trained before histories were recorded."


def map_bounds(maps: np.ndarray) -> np.ndarray:
    """Per frame the box the view fits: [F, 4] = x0, x1, y0, y1 over the 0.5-99.5 % quantiles of
    the points, widened by 8 %, so one stray code does not shrink the picture."""
    lo = np.quantile(maps, 0.005, axis=1)  # [F, 2]
    hi = np.quantile(maps, 0.995, axis=1)
    pad = np.maximum(hi - lo, 1e-3) * 0.08
    lo, hi = lo - pad, hi + pad
    return np.stack([lo[:, 0], hi[:, 0], lo[:, 1], hi[:, 1]], axis=1)


def publish_history(history: History) -> dict[str, Any]:
    """The part of the element's data a history gives: array URLs and the small numbers."""
    names = GAN_SERIES
    if history.kind != "gan":
        validation = [n for n in VALIDATION_SERIES if n in history.loss_names][:1]
        names = (TRAIN_SERIES, *((n, "#e15759") for n in validation))
    series = [
        {"name": name, "color": color, "values": history.losses[:, index].astype(float).tolist()}
        for name, color in names
        if name in history.loss_names
        for index in [history.loss_names.index(name)]
    ]
    maps = history.maps
    return {
        "epochs": history.epochs.astype(int).tolist(),
        "maps_url": None if maps is None else publish_array(maps, "float32"),
        "bounds": None if maps is None else map_bounds(maps).astype(float).tolist(),
        "labels_url": publish_array(history.labels, "uint8"),
        "samples_url": publish_array(history.samples, "uint8"),
        "sample_shape": list(history.samples.shape[1:]),  # [16, 28, 28]
        "sample_caption": f"{len(history.samples[0])} fixed samples: {history.sample_caption}",
        "loss": {"epochs": list(range(1, len(history.losses) + 1)), "series": series},
        "notice": None if maps is not None else "A GAN has no encoder: no map, only its samples.",
    }


@per_checkpoint(show_spinner=False, max_entries=16)
def shipped_playback(info: CheckpointInfo) -> dict[str, Any] | None:
    """A checkpoint's history published for the browser, with its keyframe decoders' URLs (the
    last epoch's is the checkpoint's own); None when it has no history."""
    history = load_history(info.path)
    if history is None:
        return None
    published = publish_history(history)
    keyframes: dict[str, str] = {}
    try:
        exports = keyframe_exports(info.path, EXPORT_DIR)
    except ExportError as exc:
        published["notice"] = f"Keyframe decoding off: {exc}."
        exports = {}
    if exports and (final := decoder_for(info.path).url):
        keyframes = {str(e): static_url(p) for e, p in exports.items()}
        keyframes[str(int(history.epochs[-1]))] = final
    return {**published, "keyframes": keyframes}


def playback_element(
    published: dict[str, Any], class_names, *, key: str, live: bool = False, height: int = 380
) -> None:
    """Mount the element on a published history (``publish_history``, plus ``keyframes``)."""
    data = {
        "key": key,
        "height": int(height),
        "live": live,
        "probes": True,  # window.latentPlayback[key]: timings and the last decode, for tests
        "class_names": [str(c) for c in class_names],
        "class_colors": list(CLASS_COLORS),
        "runtime_url": RUNTIME_URL,
        "keyframes": {},
        **published,
    }
    _component(key=key, data=data)


def how_it_learned(
    info: CheckpointInfo, class_names, *, key: str, height: int = 380, expanded: bool = False
) -> None:
    """The "How it learned" section: an expander with the playback, or a line saying there is
    no history for this model."""
    with st.expander("How it learned: replay the training, epoch by epoch", expanded=expanded):
        published = shipped_playback(info)
        if published is None:
            st.info(NO_HISTORY, icon=":material/history_toggle_off:")
            return
        st.caption(
            "The codes of a fixed set of validation images after each epoch (a k > 2 model: "
            "their PCA, turned onto the last epoch's so nothing flips), 16 fixed samples and "
            "the losses. Play or drag the scrubber: it all runs in your browser. At a keyframe "
            "epoch, point at the map to decode it with that epoch's decoder."
        )
        playback_element(published, class_names, key=key, live=False, height=height)


def finished_playback(checkpoint: Path, class_names, *, key: str) -> None:
    """The Train page, once a job has saved its checkpoint: its playback, open."""
    how_it_learned(read_info(checkpoint), class_names, key=key, expanded=True)


def live_playback(recorder: HistoryRecorder, class_names, *, key: str, height: int = 340) -> None:
    """The Train page's map and samples, redrawn as each epoch arrives (``recorder`` is the
    running job's); nothing until the first epoch has finished."""
    history = recorder.history()
    if history is None:
        st.caption("The map and samples appear after the first epoch.")
        return
    playback_element(publish_history(history), class_names, key=key, live=True, height=height)
