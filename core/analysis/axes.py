"""What PCA's components and an autoencoder's latent axes look like, as pictures: the
eigen-digits of the PCA vs AE page and a walk along each latent axis through the mean code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.latent.operations import decode_points
from core.latent.pca import PCAResult
from core.models.registry import Model


def eigen_digits(pca: PCAResult, n: int) -> np.ndarray:
    """The first n components as images float32 [n, 28, 28], each scaled so max |w| = 1.

    A component's sign is arbitrary (PCA finds a direction, not an orientation).
    """
    n = min(n, pca.n_components)
    comps = pca.components[:n].reshape(n, 28, 28)
    peak = np.abs(comps).reshape(n, -1).max(axis=1)[:, None, None]
    return (comps / np.maximum(peak, 1e-12)).astype(np.float32)


@dataclass(eq=False)  # array fields
class AxisTraversal:
    """Decoded digits along each latent axis through the mean code.

    ``frames[i, j]`` decodes ``mean + offsets[j] * scale[i] * e_i``; the middle column is the
    mean code decoded.
    """

    mean: np.ndarray  # float32 [k], mean of the codes
    scale: np.ndarray  # float32 [k], standard deviation of the codes along each axis
    offsets: np.ndarray  # float32 [steps], in units of ``scale``, symmetric around 0
    frames: np.ndarray  # float32 [k, steps, 28, 28]


def axis_traversal(
    model: Model, codes: np.ndarray, steps: int = 7, span: float = 2.0
) -> AxisTraversal:
    """Move from the mean of ``codes`` [N, k] along each axis by -span..+span standard deviations
    of that axis, in ``steps`` (odd, so that the middle step is the mean code itself)."""
    codes = np.asarray(codes, dtype=np.float32)
    if codes.ndim != 2 or len(codes) < 2:
        raise ValueError(f"need at least 2 codes [N, k], got shape {codes.shape}")
    if steps < 3 or steps % 2 == 0:
        raise ValueError(f"steps must be odd and at least 3 (the middle is the mean), got {steps}")
    k = codes.shape[1]
    mean = codes.mean(axis=0)
    scale = codes.std(axis=0)
    offsets = np.linspace(-span, span, steps).astype(np.float32)
    offsets[steps // 2] = 0.0  # exactly: the middle frame is decode(mean)
    z = np.repeat(mean[None, None, :], k, axis=0).repeat(steps, axis=1)  # [k, steps, k]
    for i in range(k):
        z[i, :, i] += offsets * scale[i]
    frames = decode_points(model, z.reshape(k * steps, k)).reshape(k, steps, 28, 28)
    return AxisTraversal(mean, scale, offsets, frames)
