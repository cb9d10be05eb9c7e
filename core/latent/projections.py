"""2-D maps of latent codes (raw, PCA, t-SNE) and the way from codes to a map and back.

``project`` draws codes [N, k] in 2-D; ``Projection.transform`` places new codes on a map and
``Projection.inverse`` turns a place on the map back into a code. ``Projection.save`` / ``load``
write a map as an ``.npz`` without pickle (``core.latent.caches`` caches maps by content hash).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.files import atomic_path
from core.latent.neighbours import nearest
from core.latent.pca import fit_pca, pca_inverse, pca_transform
from core.latent.tsne import (
    TSNE_THREADS,
    Progress,
    fit_tsne,
    place,
    reference_embedding,
    tsne_params,
)

METHODS = ("raw", "pca", "tsne")
CACHE_FORMAT = 1  # bump when the file layout or a computation changes: old caches then miss

INVERSE_NEIGHBOURS = 10  # t-SNE click -> code: weighted mean of this many nearest points' codes


# A place this far beyond the map's box (as a share of its width and height) is "off the map":
# not decoded from a click or a link (ui/components/explorer/explorer.js uses the same margin).
OFF_MAP_MARGIN = 0.25


def place_problem(point: Sequence[float], coords: np.ndarray) -> str | None:
    """Why a place [x, y] (from a link or a click) is not a place on this map [N, 2], in one
    sentence, or None when it is: two finite numbers within the map's box widened by
    ``OFF_MAP_MARGIN`` on each side."""
    values = np.asarray(point, dtype=np.float64).ravel()
    if values.size != 2 or not np.isfinite(values).all():
        shown = ", ".join(f"{v:g}" for v in values[:3])
        return f"({shown}) is not a place on the map: it needs two finite numbers."
    lo, hi = coords.min(0), coords.max(0)
    pad = (hi - lo) * OFF_MAP_MARGIN
    if ((values < lo - pad) | (values > hi + pad)).any():
        return (
            f"({values[0]:.4g}, {values[1]:.4g}) is far off the map (x from {lo[0]:.2f} to "
            f"{hi[0]:.2f}, y from {lo[1]:.2f} to {hi[1]:.2f}): the decoder has seen nothing there."
        )
    return None


# What reading a damaged ``.npz`` raises: a cut-off file is not a zip (BadZipFile) or is empty
# (EOFError), a flipped byte fails a CRC (BadZipFile), a stray file lacks a name (KeyError).
UNREADABLE_NPZ = (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile)


def save_npz(path: str | Path, **arrays: np.ndarray) -> Path:
    """Write arrays to an ``.npz`` atomically (a temp file in the same folder, then
    ``os.replace``): a reader never sees half a cache, even with two writers at once."""
    with atomic_path(path) as tmp, tmp.open("wb") as f:  # a file: savez would add ".npz"
        np.savez(f, **arrays)
    return Path(path)


def methods_for(latent_dim: int) -> list[str]:
    """The maps a latent space of this size offers: its raw plane only when it is 2-D."""
    return (["raw"] if latent_dim == 2 else []) + ["pca", "tsne"]


@dataclass(eq=False)  # array fields: compare them with numpy, not ==
class Projection:
    """A 2-D map of N codes, and the way from codes to the map and back.

    ``reference`` holds the codes the map was made from; only t-SNE's ``transform`` needs it,
    and it is never written to disk (``cached_projection`` re-encodes them).
    """

    method: str  # 'raw' | 'pca' | 'tsne'
    coords: np.ndarray  # float32 [N, 2]
    params: dict[str, Any] = field(default_factory=dict)  # plain JSON values
    mean: np.ndarray | None = None  # pca: float32 [k]
    components: np.ndarray | None = None  # pca: float32 [2, k]
    explained_variance_ratio: np.ndarray | None = None  # pca: float64 [2]
    reference: np.ndarray | None = field(default=None, repr=False)
    _embedding: Any = field(default=None, init=False, repr=False)

    def transform(self, latents: np.ndarray) -> np.ndarray:
        """New codes [M, k] -> map positions float32 [M, 2].

        raw and PCA are exact. t-SNE places each new point against the fixed map with openTSNE
        (``TSNEEmbedding.transform``). The first call rebuilds the reference affinities from
        ``reference`` (exact kNN + perplexity calibration: ~1.5 CPU seconds for 5,000 codes);
        later calls on the same object reuse them (~0.05 s for 16 points), so keep the
        Projection in a resource cache rather than a copying one to place many uploads.
        """
        latents = np.atleast_2d(np.asarray(latents, dtype=np.float32))
        if self.method == "raw":
            return latents.copy()
        if self.method == "pca":
            return pca_transform(latents, self.mean, self.components)
        return place(*self._tsne_reference(), latents)

    def inverse(self, points: np.ndarray, latents: np.ndarray) -> tuple[np.ndarray, bool]:
        """Map positions [M, 2] -> codes float32 [M, k], and whether they are exact.

        exact means ``transform(z)`` gives back the point: raw (the point is the code) and PCA
        (the code on the PCA plane through the mean). t-SNE has no inverse: the code is the
        inverse-distance-weighted mean of the codes of the ``INVERSE_NEIGHBOURS`` nearest map
        points (``latents`` [N, k], in the order of ``coords``), exact=False.
        """
        points = np.atleast_2d(np.asarray(points, dtype=np.float32))
        if self.method == "raw":
            return points.copy(), True
        if self.method == "pca":
            return pca_inverse(points, self.mean, self.components), True
        latents = np.asarray(latents, dtype=np.float32)
        if len(latents) != len(self.coords):
            raise ValueError(f"got {len(latents)} codes for a map of {len(self.coords)} points")
        idx, dist = nearest(self.coords, points, INVERSE_NEIGHBOURS)  # [M, n]
        weights = 1.0 / np.maximum(dist, 1e-9)  # a click on a point returns (almost) its code
        weights /= weights.sum(1, keepdims=True)
        return np.einsum("mn,mnk->mk", weights, latents[idx]).astype(np.float32), False

    def __getstate__(self) -> dict[str, Any]:
        """Copies and pickles (st.cache_data) leave out the openTSNE reference: it holds a kNN
        index and the affinity matrix, and is rebuilt from ``reference`` when needed."""
        return {**self.__dict__, "_embedding": None}

    def _tsne_reference(self) -> tuple[Any, np.ndarray]:
        """The openTSNE embedding new points are placed into and its centre
        (``core.latent.tsne.reference_embedding``), built from ``reference`` once."""
        if self._embedding is None:
            if self.reference is None:
                raise ValueError(
                    "placing points on a t-SNE map needs the codes it was made from "
                    "(Projection.reference); cached_projection and project set it"
                )
            if len(self.reference) != len(self.coords):
                raise ValueError("Projection.reference and coords disagree in length")
            self._embedding = reference_embedding(self.reference, self.coords, self.params)
        return self._embedding

    # --- .npz files, never pickled -----------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write atomically (``save_npz``), without pickle."""
        arrays: dict[str, np.ndarray] = {
            "format": np.array(CACHE_FORMAT),
            "method": np.array(self.method),
            "params": np.array(json.dumps(self.params, sort_keys=True)),
            "coords": np.asarray(self.coords, dtype=np.float32),
        }
        for name in ("mean", "components", "explained_variance_ratio"):
            if getattr(self, name) is not None:
                arrays[name] = np.asarray(getattr(self, name))
        return save_npz(path, **arrays)

    @classmethod
    def load(cls, path: str | Path, reference: np.ndarray | None = None) -> Projection:
        with np.load(path, allow_pickle=False) as f:
            if "format" not in f or int(f["format"]) != CACHE_FORMAT:
                raise ValueError(f"{Path(path).name} is not a projection (format {CACHE_FORMAT})")
            names = ("mean", "components", "explained_variance_ratio")
            optional = {name: f[name] for name in names if name in f}
            return cls(
                method=str(f["method"]),
                coords=f["coords"],
                params=json.loads(str(f["params"])),
                reference=reference,
                **optional,
            )


def resolve_params(method: str, seed: int = 0, **params: Any) -> dict[str, Any]:
    """The full parameters of a projection (defaults filled in): what the cache key hashes."""
    if method not in METHODS:
        raise ValueError(f"unknown projection method {method!r}; choose one of {METHODS}")
    if method == "tsne":
        return {**tsne_params(params), "seed": seed}
    if params:
        raise ValueError(f"the {method} projection takes no parameters, got {sorted(params)}")
    return {"seed": seed} if method == "pca" else {}


def project(
    latents: np.ndarray,
    method: str,
    seed: int = 0,
    n_jobs: int = TSNE_THREADS,
    progress: Progress | None = None,
    **params: Any,
) -> Projection:
    """Map codes [N, k] to 2-D. 'raw' needs k = 2; 'pca' is 2-component PCA; 'tsne' is openTSNE
    with ``TSNE_DEFAULTS`` overridden by ``params``. ``n_jobs`` (threads; -1 = all cores)
    changes the speed, not the map, so it is not a parameter of the result; nor does
    ``progress``, called now and then during a t-SNE (a progress bar's update)."""
    latents = np.asarray(latents, dtype=np.float32)
    full = resolve_params(method, seed, **params)
    if method == "raw":
        if latents.shape[1] != 2:
            raise ValueError(
                f"a raw map needs 2-D codes, these are {latents.shape[1]}-D; "
                f"use 'pca' or 'tsne' to draw them in 2-D"
            )
        return Projection("raw", latents.copy(), full, reference=latents)
    if method == "pca":
        pca = fit_pca(latents, 2, seed=seed)
        return Projection(
            "pca",
            pca.transform(latents),
            full,
            mean=pca.mean,
            components=pca.components,
            explained_variance_ratio=pca.explained_variance_ratio,
            reference=latents,
        )
    coords, embedding = fit_tsne(latents, full, seed, n_jobs, progress)
    projection = Projection("tsne", coords, full, reference=latents)
    projection._embedding = embedding  # keeps its affinities: placing new codes is fast
    return projection
