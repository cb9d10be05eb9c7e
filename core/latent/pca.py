"""k-component PCA of any float matrix: latent codes for a map, or pixels for PCA vs AE."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(eq=False)  # array fields: compare them with numpy, not ==
class PCAResult:
    """k-component PCA of a float matrix [N, d]: x ~ mean + codes @ components."""

    mean: np.ndarray  # float32 [d]
    components: np.ndarray  # float32 [n, d], orthonormal rows, by decreasing variance
    explained_variance: np.ndarray  # float64 [n], variance along each component (ddof=1)
    explained_variance_ratio: np.ndarray  # float64 [n], share of the total variance

    @property
    def n_components(self) -> int:
        return len(self.components)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """[M, d] -> codes float32 [M, n]."""
        return pca_transform(x, self.mean, self.components)

    def inverse(self, codes: np.ndarray) -> np.ndarray:
        """codes [M, n] -> [M, d]: the closest point of the n-D PCA plane (exact for n = d)."""
        return pca_inverse(codes, self.mean, self.components)


def pca_transform(x: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """[M, d] -> codes float32 [M, n] on the plane of ``components`` [n, d] through ``mean``
    (a ``PCAResult``'s, or a PCA map's: ``core.latent.projections.Projection``)."""
    return ((np.asarray(x, dtype=np.float32) - mean) @ components.T).astype(np.float32)


def pca_inverse(codes: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """codes [M, n] -> [M, d]: the point of that plane at these codes."""
    return (np.asarray(codes, dtype=np.float32) @ components + mean).astype(np.float32)


def fit_pca(x: np.ndarray, n_components: int, seed: int = 0) -> PCAResult:
    """PCA with scikit-learn; ``x`` is float [N, d] (latents, or pixels flattened to 784)."""
    from sklearn.decomposition import PCA

    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"PCA wants a matrix [N, d], got shape {x.shape}")
    if not 1 <= n_components <= min(x.shape):
        raise ValueError(f"n_components must be in 1..{min(x.shape)}, got {n_components}")
    pca = PCA(n_components=n_components, random_state=seed).fit(x)
    return PCAResult(
        mean=pca.mean_.astype(np.float32),
        components=pca.components_.astype(np.float32),
        explained_variance=pca.explained_variance_.astype(np.float64),
        explained_variance_ratio=pca.explained_variance_ratio_.astype(np.float64),
    )
