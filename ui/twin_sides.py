"""The twin maps' sides (``ui.explorer.twin_maps``): a map of the map digits by pixel PCA or by
a checkpoint (its raw 2-D codes, or the PCA or t-SNE view of k-D codes), with its 10-NN accuracy
and trustworthiness, its arrays published for the browser and its model as the browser runs it.

A side is named by a string, so a picker and a link can hold it: ``"pca"`` (PCA of the pixels,
2 components) or ``"<checkpoint name>:<method>"`` (``"ae_k2:raw"``, ``"ae_k16:tsne"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from core.analysis import compare
from core.latent.export import ExportError
from core.latent.projections import methods_for
from core.training.checkpoints import CheckpointInfo
from ui import explorer
from ui.compute.cache import per_checkpoint
from ui.compute.reconstruction import model_map_scores, pca_map_scores, pixel_pca
from ui.compute.resources import map_dataset, model
from ui.map_explorer import explorer_inverse, explorer_map
from ui.plots import PROJECTIONS

PCA_SIDE = "pca"


def twin_options(infos: Sequence[CheckpointInfo]) -> list[str]:
    """Every side on offer: PCA, then each encoder checkpoint's maps (raw for 2-D codes, PCA
    and t-SNE views for more)."""
    return [PCA_SIDE] + [
        f"{info.name}:{method}" for info in infos for method in methods_for(info.latent_dim)
    ]


def twin_label(option: str, infos: Sequence[CheckpointInfo]) -> str:
    if option == PCA_SIDE:
        return "PCA of the pixels (2 components)"
    name, method = option.split(":")
    info = next(i for i in infos if i.name == name)
    return f"{name} ({compare.family(info)}): {PROJECTIONS[method]}"


def _subtitle(scores: compare.MapScores) -> str:
    return (
        f"10-NN accuracy {scores.knn_accuracy:.3f} · trustworthiness {scores.trustworthiness:.3f}"
    )


@st.cache_data(show_spinner=False, max_entries=4)
def pca_side(dataset_name: str, n_components: int) -> dict[str, Any]:
    """PCA's plane: the first 2 of ``n_components`` fitted on the training pixels; its encoder
    and decoder are its own linear maps, computed in the browser."""
    scores = pca_map_scores(dataset_name, n_components)
    plane = pixel_pca(dataset_name, n_components).pca
    digits = map_dataset(dataset_name)
    published = explorer.publish_map(
        scores.coords, digits.labels.numpy(), None, digits.images.numpy()
    )
    codec = explorer.linear_codec(plane.mean, plane.components[:2])
    return explorer.twin_side(
        "PCA, 2 components", "PCA", published, {"kind": "raw"}, codec, _subtitle(scores)
    )


@per_checkpoint(show_spinner=False, max_entries=32)
def model_side(info: CheckpointInfo, dataset_name: str, method: str) -> dict[str, Any]:
    """A checkpoint's map; raises ``ExportError`` when its halves cannot be exported."""
    scores = model_map_scores(info, dataset_name, method)
    codec = explorer.onnx_codec(info.path, model(info))
    title = f"{info.name} ({compare.family(info)}), {PROJECTIONS[method]}"
    return explorer.twin_side(
        title,
        info.name,
        explorer_map(info, dataset_name, method),
        explorer_inverse(info, dataset_name, method),
        codec,
        _subtitle(scores),
    )


def twin_side(
    option: str, infos: Sequence[CheckpointInfo], dataset_name: str, n_components: int
) -> dict[str, Any]:
    """The side named ``option`` (``twin_options``) of the map digits of ``dataset_name``."""
    if option == PCA_SIDE:
        return pca_side(dataset_name, n_components)
    name, method = option.split(":")
    return model_side(next(i for i in infos if i.name == name), dataset_name, method)


def linked_maps(
    pair: Sequence[str],
    infos: Sequence[CheckpointInfo],
    dataset_name: str,
    class_names: Sequence[str],
    *,
    key: str,
    selected: int | None = None,
) -> Any:
    """Twin maps (``ui.explorer.twin_maps``) of two sides named as ``twin_options``
    names them, on the map digits of ``dataset_name``; PCA is fitted as the PCA vs AE page fits
    it. Returns the component's result, or None (with a warning) when a model cannot run in the
    browser."""
    n_components = max(compare.pca_sizes(infos))
    try:
        sides = [twin_side(o, infos, dataset_name, n_components) for o in pair]
    except ExportError as exc:
        st.warning(f"The linked maps need both models in the browser: {exc}.")
        return None
    return explorer.twin_maps(sides, class_names, key=key, selected=selected)
