"""New digits of one class as random convex combinations of that class's codes (the Mix a
class page): ``MixConfig`` says how, ``mix_class`` encodes, mixes, decodes and finds each new
digit's nearest real one, so a page can show it is new rather than a copy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.data.datasets import Dataset
from core.latent.operations import decode_points, encode_images, nearest_training_images
from core.models.registry import Model

MIXINGS = ("dirichlet", "mean", "noise")


@dataclass
class MixConfig:
    label: int = 8
    n_source: int = 200  # class digits of the training split that are encoded
    n_combine: int = 10  # source codes combined into each new code
    n_new: int = 16  # new digits to make
    mixing: str = "dirichlet"  # 'dirichlet' | 'mean' | 'noise'
    concentration: float = 1.0  # Dirichlet alpha: 1 = uniform on the simplex, large = near mean
    noise_scale: float = 0.5  # 'noise': std of the added noise, in per-dimension source stds
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mixing not in MIXINGS:
            raise ValueError(f"unknown mixing {self.mixing!r}; choose one of {MIXINGS}")
        if min(self.n_source, self.n_combine, self.n_new) < 1:
            raise ValueError("n_source, n_combine and n_new must be at least 1")
        if self.n_combine > self.n_source:
            raise ValueError(f"cannot combine {self.n_combine} of {self.n_source} source codes")
        if self.concentration <= 0 or self.noise_scale < 0:
            raise ValueError("concentration must be positive and noise_scale non-negative")


@dataclass
class MixResult:
    images: np.ndarray  # float32 [n_new, 28, 28] in [0, 1], the decoded mixtures
    latents: np.ndarray  # float32 [n_new, k]
    source_indices: np.ndarray  # int64 [n_source], dataset indices (training split, one class)
    source_latents: np.ndarray  # float32 [n_source, k]
    combined_indices: np.ndarray  # int64 [n_new, n_combine], dataset indices mixed per new code
    weights: np.ndarray  # float64 [n_new, n_combine], each row sums to 1
    nearest_index: np.ndarray  # int64 [n_new], dataset index of the closest training image
    nearest_distance: np.ndarray  # float64 [n_new], its per-pixel RMSE in [0, 1]


def mix_class(model: Model, dataset: Dataset, config: MixConfig) -> MixResult:
    """New digits of one class as random convex combinations of that class's codes.

    Encode ``n_source`` random training digits of ``config.label``; for each new digit pick
    ``n_combine`` of them and weights w >= 0 with sum 1 (Dirichlet(concentration), or uniform
    for 'mean' and 'noise'; 'noise' then adds N(0, (noise_scale * per-dimension std of the
    source codes)^2)); decode sum_i w_i z_i. To show a result is new rather than a copy, report
    the nearest real image of the whole training split in pixel space and its distance as the
    per-pixel RMSE, sqrt(mean over the 784 pixels of (a - b)^2), with pixels in [0, 1].
    The same config (seed included) gives identical output.
    """
    if not model.has_encoder:
        raise ValueError(
            f"mixing needs an encoder to find the codes of real digits; a {model.kind.upper()} "
            f"has none (choose an AE or a VAE)"
        )
    rng = np.random.default_rng(config.seed)
    train_idx = dataset.train_idx.numpy()
    members = train_idx[dataset.labels.numpy()[train_idx] == config.label]  # sorted
    if len(members) < config.n_combine:
        raise ValueError(
            f"the training split has {len(members)} digits labelled {config.label}; "
            f"{config.n_combine} are needed"
        )
    source = np.sort(rng.choice(members, size=min(config.n_source, len(members)), replace=False))
    source_latents = encode_images(model, dataset.images[torch.from_numpy(source)])  # [S, k]

    picks = np.stack(
        [rng.choice(len(source), size=config.n_combine, replace=False) for _ in range(config.n_new)]
    )  # [n_new, n_combine], positions in source
    if config.mixing == "dirichlet":
        weights = rng.dirichlet(np.full(config.n_combine, config.concentration), size=config.n_new)
    else:
        weights = np.full((config.n_new, config.n_combine), 1.0 / config.n_combine)
    latents = np.einsum("nc,nck->nk", weights, source_latents[picks].astype(np.float64))
    if config.mixing == "noise":
        std = source_latents.std(0)  # [k]
        latents += rng.standard_normal(latents.shape) * config.noise_scale * std
    latents = latents.astype(np.float32)  # [n_new, k]
    images = decode_points(model, latents)  # [n_new, 28, 28]

    nearest_index, nearest_distance = nearest_training_images(dataset, images)
    return MixResult(
        images=images,
        latents=latents,
        source_indices=source.astype(np.int64),
        source_latents=source_latents,
        combined_indices=source[picks].astype(np.int64),
        weights=weights,
        nearest_index=nearest_index,
        nearest_distance=nearest_distance,
    )
