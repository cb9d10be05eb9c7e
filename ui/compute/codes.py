"""A digit's code and what a decoder draws from codes: single reconstructions, the home
page's row, walks between two codes and their random ends, and a class's mixed codes
(Interpolate, Mix)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.analysis.metrics import per_image_mse
from core.data.datasets import to_float
from core.latent.mixing import MixConfig, MixResult, mix_class
from core.latent.operations import (
    decode_points,
    encode_images,
    interpolate,
    nearest_training_images,
    prior_codes,
    random_pair,
    reconstruct,
)
from core.training.checkpoints import CheckpointInfo
from core.training.devices import one_thread
from ui.compute.cache import per_checkpoint
from ui.compute.maps import latents_and_projection
from ui.compute.resources import dataset, map_dataset, model

# --- single digits ----------------------------------------------------------------------------


def encode(info: CheckpointInfo, digit: np.ndarray) -> np.ndarray:
    """The code [k] of one uint8 digit [28, 28]."""
    with one_thread():
        return encode_images(model(info), digit[None])[0]


def reconstruction(info: CheckpointInfo, digit: np.ndarray) -> tuple[np.ndarray, float]:
    """(g(f(x)) float [28, 28], its per-pixel MSE) of one uint8 digit [28, 28]."""
    with one_thread():
        recon = reconstruct(model(info), digit[None])[0]
    return recon, float(per_image_mse(digit[None], recon[None])[0])


@per_checkpoint(show_spinner=False, max_entries=16)
def home_row(info: CheckpointInfo, dataset_name: str) -> tuple[np.ndarray, np.ndarray]:
    """(one real validation digit per class uint8 [C, 28, 28], their reconstructions, or as many
    samples G(z) for a GAN, float [C, 28, 28])."""
    data = dataset(dataset_name)
    val_x, val_y = data.split("val")
    rng = np.random.default_rng(0)
    picks = [rng.choice(np.flatnonzero(val_y.numpy() == c)) for c in range(len(data.class_names))]
    real = val_x[picks].numpy()
    if model(info).has_encoder:
        return real, reconstruct(model(info), real)
    z = np.random.default_rng(0).standard_normal((len(real), info.latent_dim))
    return real, decode_points(model(info), z.astype(np.float32))


# --- walks and mixtures -----------------------------------------------------------------------


@per_checkpoint(show_spinner=False, max_entries=32)
def walk(info: CheckpointInfo, z0: np.ndarray, z1: np.ndarray, steps: int, method: str):
    """(codes [steps, k] from z0 to z1, their decodings float [steps, 28, 28])."""
    path = interpolate(z0, z1, steps, method)
    return path, decode_points(model(info), path)


def random_codes(info: CheckpointInfo, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two codes z ~ N(0, I) drawn with this seed: the ends of a walk without an encoder."""
    z0, z1 = prior_codes(2, info.latent_dim, seed)
    return z0, z1


@per_checkpoint(show_spinner="Encoding the class and mixing its codes…", max_entries=16)
def mix(info: CheckpointInfo, dataset_name: str, config: MixConfig) -> MixResult:
    return mix_class(model(info), dataset(dataset_name), config)


@st.cache_data(show_spinner=False, max_entries=32)
def held_out_distances(dataset_name: str, label: int, n: int) -> np.ndarray:
    """Per-pixel RMSE from real validation digits of the class to their nearest training digit:
    how far a digit that is genuinely not in the training set usually is."""
    data = dataset(dataset_name)
    val = data.val_idx[data.labels[data.val_idx] == label][:n]
    return nearest_training_images(data, to_float(data.images[val]).squeeze(1).numpy())[1]


@per_checkpoint(show_spinner="Placing the codes on the map…", max_entries=16)
def mix_on_map(info: CheckpointInfo, dataset_name: str, method: str, config: MixConfig):
    """(source codes, new codes) as map positions, each float32 [M, 2]. Source digits drawn on
    the map (all of them when the map shows the whole dataset) keep their exact place."""
    _, projection = latents_and_projection(info, dataset_name, method)
    result = mix(info, dataset_name, config)
    if len(map_dataset(dataset_name)) == len(dataset(dataset_name)):
        return projection.coords[result.source_indices], projection.transform(result.latents)
    both = projection.transform(np.concatenate([result.source_latents, result.latents]))
    return both[: len(result.source_latents)], both[len(result.source_latents) :]


def random_ends(dataset_name: str, class_a: int, class_b: int, seed: int) -> tuple[int, int]:
    """A walk's two ends: indices of a random map digit of ``class_a`` and one of ``class_b``
    (the same seed, the same pair). Raises ValueError when a class has too few digits."""
    return random_pair(map_dataset(dataset_name).labels.numpy(), class_a, class_b, seed=seed)
