"""Operations on latent codes: encode, decode, reconstruct, sample the prior, interpolate, find
neighbours, mix a class, invert a click.

Codes are float32 numpy arrays ``[M, k]`` (or ``[k]`` for one code); images come back as float32
``[M, 28, 28]`` in [0, 1]. Models must be in eval mode, as ``load_model`` and ``fit`` return them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.data.datasets import Dataset, to_float
from core.latent.neighbours import nearest
from core.latent.projections import Projection
from core.models.base import model_device, require_eval
from core.models.registry import Model

INTERPOLATIONS = ("linear", "slerp")
MIXINGS = ("dirichlet", "mean", "noise")
DECODE_BATCH = 1024  # codes decoded at once: bounds the decoder's activations on 6,000 digits


Labels = np.ndarray | torch.Tensor | int | None  # a CVAE's y: int64 [N], or one label for all


def _given(model: Model, labels: Labels, n: int) -> tuple[torch.Tensor, ...]:
    """The label argument of a conditional model's encode/decode: (y int64 [n],) on its device;
    () for the others. A CVAE without labels, or another kind with them, is a ValueError."""
    if not model.conditional:
        if labels is not None:
            raise ValueError(f"a {model.kind.upper()} takes no labels")
        return ()
    if labels is None:
        raise ValueError(f"a {model.kind.upper()} needs the label of every digit it codes")
    y = np.broadcast_to(np.asarray(labels, dtype=np.int64), (n,))
    return (torch.from_numpy(y.copy()).to(model_device(model)),)


@torch.no_grad()
def encode_images(
    model: Model, images: torch.Tensor | np.ndarray, batch_size: int = 1024, labels: Labels = None
) -> np.ndarray:
    """Images [N, 28, 28] (uint8, or float in [0, 1]) -> codes float32 [N, k], without grad.

    VAEs give the posterior mean; a CVAE its style code E[q(z|x, y)] given ``labels`` [N].
    GANs and classifiers have no encoder: ValueError.
    """
    if not (model.has_encoder or model.conditional):
        raise ValueError(f"a {model.kind.upper()} has no encoder; only AE and VAE codes exist")
    require_eval(model)
    device = model_device(model)
    given = _given(model, labels, len(images))
    codes = [
        model.encode(
            to_float(images[start : start + batch_size]).float().to(device),
            *(y[start : start + batch_size] for y in given),
        )
        .float()
        .cpu()
        for start in range(0, len(images), batch_size)
    ]  # each [B, k]
    if not codes:
        return np.zeros((0, model.latent_dim), dtype=np.float32)
    return torch.cat(codes).numpy()


@torch.no_grad()
def decode_points(model: Model, z: np.ndarray, labels: Labels = None) -> np.ndarray:
    """Codes [M, k] (or one code [k]) -> images float32 [M, 28, 28] in [0, 1], without grad.
    A CVAE draws each code as its label in ``labels`` ([M], or one label for all)."""
    require_eval(model)
    z = np.atleast_2d(np.asarray(z, dtype=np.float32))
    if z.shape[1] != model.latent_dim:
        raise ValueError(
            f"codes are {z.shape[1]}-D, the model's latent space is {model.latent_dim}-D"
        )
    given = _given(model, labels, len(z))
    images = model.decode(torch.from_numpy(z).to(model_device(model)), *given)  # [M, 1, 28, 28]
    return images.float().squeeze(1).cpu().numpy()


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int, method: str = "linear") -> np.ndarray:
    """``steps`` codes [steps, k] from z0 to z1; the first and last rows equal z0 and z1 exactly.

    'linear': (1 - t) z0 + t z1. 'slerp' walks the great circle between the two directions
    (Shoemake 1985; White 2016, "Sampling Generative Networks", for Gaussian latents), which
    keeps the norm typical of the prior; it falls back to linear when either code is zero or
    the two are (anti)parallel, where the circle is undefined.
    """
    if method not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {method!r}; choose one of {INTERPOLATIONS}")
    if steps < 2:
        raise ValueError(f"steps must be at least 2 (the two end points), got {steps}")
    z0 = np.asarray(z0, dtype=np.float32)
    z1 = np.asarray(z1, dtype=np.float32)
    if z0.shape != z1.shape or z0.ndim != 1:
        raise ValueError(f"need two codes of the same shape [k], got {z0.shape} and {z1.shape}")
    a, b = z0.astype(np.float64), z1.astype(np.float64)
    t = np.linspace(0.0, 1.0, steps)[:, None]  # [steps, 1]
    path = (1 - t) * a + t * b  # [steps, k]
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if method == "slerp" and na > 1e-12 and nb > 1e-12:
        omega = np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0))  # angle between the codes
        if np.sin(omega) > 1e-6:
            path = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    path = path.astype(np.float32)
    path[0], path[-1] = z0, z1
    return path


def encode_and_decode(model: Model, images: np.ndarray | torch.Tensor) -> tuple[np.ndarray, ...]:
    """(codes float32 [N, k], g(f(x)) float32 [N, 28, 28]) of images [N, 28, 28], uint8 or
    float in [0, 1], in batches. A VAE's code is its posterior mean, decoded without sampling."""
    codes = encode_images(model, images)
    parts = [
        decode_points(model, codes[i : i + DECODE_BATCH])
        for i in range(0, len(codes), DECODE_BATCH)
    ]
    recon = np.concatenate(parts) if parts else np.zeros((0, 28, 28), dtype=np.float32)
    return codes, recon


def reconstruct(model: Model, images: np.ndarray | torch.Tensor) -> np.ndarray:
    """g(f(x)) of images [N, 28, 28] (uint8, or float in [0, 1]) -> float32 [N, 28, 28]."""
    return encode_and_decode(model, images)[1]


# --- samples from the prior -------------------------------------------------------------------


def prior_codes(n: int, latent_dim: int, seed: int) -> np.ndarray:
    """n codes z ~ N(0, I) [n, k], the same for the same seed on every device."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, latent_dim, generator=generator).numpy()


def sample_prior(model: Model, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes [n, k] drawn from N(0, I), their decodings [n, 28, 28]): VAE or GAN samples."""
    z = prior_codes(n, model.latent_dim, seed)
    return z, decode_points(model, z)


def latent_lattice(extent: float, tiles: int) -> np.ndarray:
    """A tiles x tiles lattice over [-extent, extent]^2, [tiles^2, 2], read like an image:
    row 0 is the top (largest z2), columns go left to right (increasing z1)."""
    if extent <= 0 or tiles < 2:
        raise ValueError(f"need extent > 0 and at least 2 tiles, got {extent} and {tiles}")
    axis = np.linspace(-extent, extent, tiles, dtype=np.float32)
    z1, z2 = np.meshgrid(axis, axis[::-1])
    return np.stack([z1.ravel(), z2.ravel()], 1)


def nearest_neighbours(
    latents: np.ndarray, z: np.ndarray, n: int = 5, exclude: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` codes of ``latents`` [N, k] closest to ``z`` [k] (Euclidean), nearest first:
    (indices int64 [n], distances float64 [n]). ``exclude`` leaves one index out (z itself)."""
    idx, dist = nearest(latents, np.asarray(z)[None], n + (exclude is not None))
    idx, dist = idx[0], dist[0]
    keep = idx != exclude
    return idx[keep][:n], dist[keep][:n]


def random_pair(labels: np.ndarray, class_a: int, class_b: int, seed: int = 0) -> tuple[int, int]:
    """Indices of a random digit labelled ``class_a`` and one labelled ``class_b`` (two different
    digits when the classes are equal). The same seed gives the same pair."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    members_a, members_b = np.flatnonzero(labels == class_a), np.flatnonzero(labels == class_b)
    if class_a == class_b:
        if len(members_a) < 2:
            raise ValueError(f"need two digits labelled {class_a}, found {len(members_a)}")
        i, j = rng.choice(members_a, size=2, replace=False)
        return int(i), int(j)
    if len(members_a) == 0 or len(members_b) == 0:
        missing = class_a if len(members_a) == 0 else class_b
        raise ValueError(f"no digit is labelled {missing}")
    return int(rng.choice(members_a)), int(rng.choice(members_b))


def nearest_training_images(dataset: Dataset, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For images float [M, 28, 28] in [0, 1]: the dataset index of the closest image of the
    training split (int64 [M]) and the per-pixel RMSE to it (float64 [M], in [0, 1]),
    sqrt(mean over the 784 pixels of (a - b)^2)."""
    train_pixels = to_float(dataset.images[dataset.train_idx]).flatten(1).numpy()  # [T, 784]
    idx, dist = nearest(train_pixels, np.asarray(images).reshape(len(images), -1), 1)  # [M, 1]
    train_idx = dataset.train_idx.numpy()
    return train_idx[idx[:, 0]].astype(np.int64), dist[:, 0] / np.sqrt(train_pixels.shape[1])


# --- mixing the codes of one class ------------------------------------------------------------


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


def invert_click(
    projection: Projection, point_xy: np.ndarray | tuple[float, float], latents: np.ndarray
) -> tuple[np.ndarray, bool]:
    """A click on a map [2] -> (code [k], exact), see ``Projection.inverse``. ``latents`` [N, k]
    are the codes the map shows, in the order of ``projection.coords``."""
    z, exact = projection.inverse(np.asarray(point_xy, dtype=np.float32)[None], latents)
    return z[0], exact
