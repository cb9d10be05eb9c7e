"""Latent maps: a checkpoint's codes of the map digits and their 2-D projection (a resource:
``Projection`` keeps t-SNE's affinities, so placing new codes stays fast), placing codes on
a map, the way back from a place to a digit, the decoded manifold behind a 2-D map, the map as
CSV. (What the live explorer fetches is published by ``ui.map_explorer``.)"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from core.data.datasets import tile
from core.latent.caches import cache_path, cached_projection
from core.latent.operations import (
    decode_points,
    invert_click,
    latent_lattice,
    lattice_extent,
    nearest_neighbours,
)
from core.latent.projections import Projection, methods_for, place_problem
from core.training.checkpoints import CheckpointInfo
from core.training.devices import one_thread
from ui.compute.cache import lock, per_checkpoint, version
from ui.compute.resources import map_dataset, model, projection_dir

# --- latent maps ------------------------------------------------------------------------------


def map_methods(info: CheckpointInfo) -> list[str]:
    return methods_for(info.latent_dim)


@st.cache_resource(show_spinner="Projecting latent codes…", max_entries=32)
def _latent_map(
    path: str, mtime: float, dataset_name: str, method: str
) -> tuple[np.ndarray, Projection]:
    latents, projection = cached_projection(
        model(Path(path)), path, map_dataset(dataset_name), method, cache_dir=projection_dir()
    )
    for array in (latents, projection.coords):
        array.flags.writeable = False  # shared by every session
    return latents, projection


def latents_and_projection(
    info: CheckpointInfo, dataset_name: str, method: str
) -> tuple[np.ndarray, Projection]:
    """(codes [N, k] of the map digits, their 2-D map), from the on-disk cache when shipped.

    A t-SNE that is not on disk yet is computed first, outside the resource cache, under a
    progress bar (60,000 codes take about two minutes; a cached function must not draw)."""
    if method == "tsne":
        path = _cache_file(*version(info), dataset_name, method)
        if not path.exists():
            with lock(str(path)):  # two sessions asking at once compute it once
                if not path.exists():
                    _compute_with_progress(info, dataset_name, method)
    return _latent_map(*version(info), dataset_name, method)


@st.cache_data(show_spinner=False, max_entries=256)
def _cache_file(path: str, mtime: float, dataset_name: str, method: str) -> Path:
    # memoised: the key reads the checkpoint (the dataset's digest is hashed once per process)
    return cache_path(path, map_dataset(dataset_name), method, cache_dir=projection_dir())


def _compute_with_progress(info: CheckpointInfo, dataset_name: str, method: str) -> None:
    images = map_dataset(dataset_name)
    title = f"t-SNE of {info.name}'s codes of {len(images):,} images"
    bar = st.progress(0.0, text=f"{title}: encoding them…")
    try:
        cached_projection(
            model(info),
            info.path,
            images,
            method,
            cache_dir=projection_dir(),
            progress=lambda share, what: bar.progress(share, text=f"{title}: {what}…"),
        )
    finally:
        bar.empty()


def map_codes(
    info: CheckpointInfo, dataset_name: str, method: str, indices: Sequence[int]
) -> np.ndarray:
    """The codes [len(indices), k] of these map digits (every map of a model has the same)."""
    return latents_and_projection(info, dataset_name, method)[0][list(indices)]


@per_checkpoint(show_spinner="Placing the codes on the map…", max_entries=64)
def place(info: CheckpointInfo, dataset_name: str, method: str, codes: np.ndarray) -> np.ndarray:
    """New codes [M, k] -> map positions [M, 2] (t-SNE places them in about a second)."""
    return latents_and_projection(info, dataset_name, method)[1].transform(codes)


def neighbours(
    info: CheckpointInfo, dataset_name: str, method: str, z: np.ndarray, exclude: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances) of the 5 map digits whose codes are nearest to z (any map of the
    model: they share its codes; pass the one on screen, which is loaded already)."""
    latents, _ = latents_and_projection(info, dataset_name, method)
    return nearest_neighbours(latents, z, n=5, exclude=exclude)


def decode_place(
    info: CheckpointInfo, dataset_name: str, method: str, point: np.ndarray
) -> tuple[np.ndarray, bool, np.ndarray]:
    """A place on a map [2] -> (its code [k], whether exact, the decoded digit [28, 28])."""
    latents, projection = latents_and_projection(info, dataset_name, method)
    z, exact = invert_click(projection, point, latents)
    with one_thread():
        return z, exact, decode_points(model(info), z[None])[0]


@per_checkpoint(show_spinner=False, max_entries=16)
def manifold_background(
    info: CheckpointInfo, ranges: tuple, tiles: int
) -> tuple[np.ndarray, list[float]]:
    """The decoder's output over a tiles x tiles lattice of the axes ``ranges`` ((x0, x1),
    (y0, y1)): (uint8 mosaic [28 t, 28 t], row 0 the top (largest z2); its extent [x0, x1, y0,
    y1], the lattice's outer tile edges, so that each tile is centred on the code it decodes).
    The Latent map draws it behind a 2-D map, the VAE studio over the prior's [-r, r]^2."""
    decoded = decode_points(model(info), latent_lattice(ranges, tiles))
    return tile(decoded, columns=tiles, gap=0), lattice_extent(ranges, tiles)


def map_point_problem(
    info: CheckpointInfo, dataset_name: str, method: str, point: Sequence[float]
) -> str | None:
    """Why a place [x, y] from a link or a click is not decoded, or None when it may be: not
    two finite numbers, or farther off the map than the explorer's own preview decodes."""
    _, projection = latents_and_projection(info, dataset_name, method)
    return place_problem(point, projection.coords)


@per_checkpoint(show_spinner=False, max_entries=8)
def map_csv(info: CheckpointInfo, dataset_name: str, method: str) -> bytes:
    """The map as CSV (index, label, x, y): built once per map, not on every rerun (60,000 rows
    are ~2 MB)."""
    coords = latents_and_projection(info, dataset_name, method)[1].coords
    labels = map_dataset(dataset_name).labels.numpy()
    frame = pd.DataFrame(
        {"index": np.arange(len(labels)), "label": labels, "x": coords[:, 0], "y": coords[:, 1]}
    )
    return frame.to_csv(index=False).encode()
