"""Operations on latent codes: encode, decode, reconstruct, sample the prior, interpolate, find
neighbours, invert a click (mixing a class's codes: ``core.latent.mixing``).

Codes are float32 numpy arrays ``[M, k]`` (or ``[k]`` for one code); images come back as float32
``[M, 28, 28]`` in [0, 1]. Models must be in eval mode, as ``load_model`` and ``fit`` return them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from core.data.datasets import Dataset, to_float
from core.latent.neighbours import nearest
from core.latent.projections import Projection
from core.models.base import model_device, require_eval
from core.models.registry import Model

INTERPOLATIONS = ("linear", "slerp")
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


def latent_lattice(ranges: Sequence[Sequence[float]], tiles: int) -> np.ndarray:
    """A tiles x tiles lattice over the box ``ranges`` ((z1 lo, z1 hi), (z2 lo, z2 hi)),
    [tiles^2, 2] float32, read like an image: row 0 is the top (largest z2), columns go left to
    right (increasing z1)."""
    (x0, x1), (y0, y1) = ranges
    if not (x0 < x1 and y0 < y1) or tiles < 2:
        raise ValueError(f"need lo < hi on both axes and at least 2 tiles, got {ranges}, {tiles}")
    z1, z2 = np.meshgrid(np.linspace(x0, x1, tiles), np.linspace(y1, y0, tiles))
    return np.stack([z1.ravel(), z2.ravel()], 1).astype(np.float32)


def lattice_extent(ranges: Sequence[Sequence[float]], tiles: int) -> list[float]:
    """The box [z1 min, z1 max, z2 min, z2 max] that ``latent_lattice``'s decoded mosaic covers:
    its outer tiles' edges, half a tile beyond the outer codes, so each tile is centred on its
    own code."""
    (x0, x1), (y0, y1) = ranges
    half_x, half_y = (x1 - x0) / (tiles - 1) / 2, (y1 - y0) / (tiles - 1) / 2
    return [float(v) for v in (x0 - half_x, x1 + half_x, y0 - half_y, y1 + half_y)]


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


def invert_click(
    projection: Projection, point_xy: np.ndarray | tuple[float, float], latents: np.ndarray
) -> tuple[np.ndarray, bool]:
    """A click on a map [2] -> (code [k], exact), see ``Projection.inverse``. ``latents`` [N, k]
    are the codes the map shows, in the order of ``projection.coords``."""
    z, exact = projection.inverse(np.asarray(point_xy, dtype=np.float32)[None], latents)
    return z[0], exact
