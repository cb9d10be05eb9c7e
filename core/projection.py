"""Latent codes of a dataset, their 2-D maps (raw, PCA, t-SNE), and a content-hash disk cache.

``encode_images`` turns uint8 digits into codes; ``project`` maps codes to 2-D and back
(``Projection.transform`` / ``Projection.inverse``); ``fit_pca`` is k-component PCA for any
float matrix (latents or raw pixels); ``cached_projection`` computes a map once per
(checkpoint bytes, dataset, method, parameters) and reloads it from an ``.npz`` afterwards.

CLI: ``python -m core.projection --precompute checkpoints`` writes the caches of every AE/VAE
checkpoint in a folder (raw for k=2, PCA and t-SNE for all) into ``checkpoints/projections``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.checkpoints import list_checkpoints, load_model
from core.data import Dataset, load_dataset, to_float
from core.models import Model

METHODS = ("raw", "pca", "tsne")
CACHE_FORMAT = 1  # bump when the file layout or a computation changes: old caches then miss
DEFAULT_CACHE_DIR = Path("checkpoints/projections")

# openTSNE settings, tuned in bench/projection.py: 5,000 codes in well under 10 s on 2 CPU cores
# with the 10-NN label accuracy of scikit-learn's TSNE. Part of the cache key.
TSNE_DEFAULTS: dict[str, Any] = {
    "perplexity": 30.0,
    "early_exaggeration_iter": 250,
    "n_iter": 500,  # after the early exaggeration
    "negative_gradient_method": "fft",  # FIt-SNE's interpolation (Linderman et al. 2019)
    # FFT grid cells are 2 map units wide instead of 1: a 5,000-point map spans ~110 units,
    # and the coarser grid is ~4x faster here with the same kNN accuracy (bench/projection.py).
    "ints_in_interval": 2,
    "neighbors": "exact",  # exact kNN: deterministic, and fast for 5,000 x k<=128
}
# Placing new points (openTSNE's defaults for ``TSNEEmbedding.transform``).
TSNE_PLACEMENT: dict[str, Any] = {"perplexity": 5.0, "n_iter": 250, "learning_rate": 0.1}
# openTSNE threads. One: on the shared 2-core machine two threads took 14-18 s instead of 7.7 s
# (they wait on each other whenever one is descheduled); pass -1 on an idle many-core machine.
TSNE_THREADS = 1
INVERSE_NEIGHBOURS = 10  # t-SNE click -> code: weighted mean of this many nearest points' codes


# --- encoding ---------------------------------------------------------------------------------


def model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def require_eval(model: torch.nn.Module) -> None:
    """Batch norm in training mode would use batch statistics and update its running stats."""
    if model.training:
        raise ValueError(
            "the model is in training mode; call model.eval() first "
            "(load_model and fit already return eval-mode models)"
        )


@torch.no_grad()
def encode_images(model: Model, images: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """uint8 images [N, 28, 28] -> codes float32 [N, k], on the model's device, without grad.

    VAEs give the posterior mean. GANs and classifiers have no encoder: ValueError.
    """
    if model.kind not in ("ae", "vae"):
        raise ValueError(f"a {model.kind.upper()} has no encoder; only AE and VAE codes exist")
    require_eval(model)
    device = model_device(model)
    codes = [
        model.encode(to_float(images[start : start + batch_size].to(device))).float().cpu()
        for start in range(0, len(images), batch_size)
    ]  # each [B, k]
    if not codes:
        return np.zeros((0, model.latent_dim), dtype=np.float32)
    return torch.cat(codes).numpy()


# --- PCA --------------------------------------------------------------------------------------


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
        return ((np.asarray(x, dtype=np.float32) - self.mean) @ self.components.T).astype(
            np.float32
        )

    def inverse(self, codes: np.ndarray) -> np.ndarray:
        """codes [M, n] -> [M, d]: the closest point of the n-D PCA plane (exact for n = d)."""
        return (np.asarray(codes, dtype=np.float32) @ self.components + self.mean).astype(
            np.float32
        )


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


# --- nearest neighbours -----------------------------------------------------------------------


def nearest(reference: np.ndarray, queries: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact Euclidean kNN: reference [N, d], queries [M, d] -> (indices, distances) [M, n],
    nearest first."""
    reference = np.asarray(reference, dtype=np.float64)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float64))
    n = min(n, len(reference))
    sq = (
        (queries**2).sum(1, keepdims=True) - 2 * queries @ reference.T + (reference**2).sum(1)
    )  # [M, N] squared distances
    idx = np.argpartition(sq, n - 1, axis=1)[:, :n]  # [M, n], unordered
    part = np.take_along_axis(sq, idx, axis=1)
    order = np.argsort(part, axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    dist = np.sqrt(np.maximum(np.take_along_axis(part, order, axis=1), 0.0))
    return idx, dist


# --- projections ------------------------------------------------------------------------------


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
            return ((latents - self.mean) @ self.components.T).astype(np.float32)
        embedding, center = self._tsne_reference()
        placed = embedding.transform(
            latents.astype(np.float64),
            perplexity=TSNE_PLACEMENT["perplexity"],
            n_iter=TSNE_PLACEMENT["n_iter"],
            learning_rate=TSNE_PLACEMENT["learning_rate"],
        )  # [M, 2], in the centred frame
        return (np.asarray(placed) + center).astype(np.float32)

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
            return (points @ self.components + self.mean).astype(np.float32), True
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
        """The openTSNE embedding new points are placed into, and the offset openTSNE removes.

        ``TSNEEmbedding.transform`` centres the embedding in place; we build it centred and
        add the centre back to the placed points, so they share ``coords``' frame.
        """
        if self._embedding is None:
            if self.reference is None:
                raise ValueError(
                    "placing points on a t-SNE map needs the codes it was made from "
                    "(Projection.reference); cached_projection and project set it"
                )
            if len(self.reference) != len(self.coords):
                raise ValueError("Projection.reference and coords disagree in length")
            from openTSNE import TSNEEmbedding, affinity

            center = (self.coords.max(0) + self.coords.min(0)).astype(np.float64) / 2
            affinities = affinity.PerplexityBasedNN(
                self.reference.astype(np.float64),
                perplexity=self.params["perplexity"],
                method=self.params["neighbors"],
                random_state=self.params.get("seed", 0),
            )
            embedding = TSNEEmbedding(
                self.coords.astype(np.float64) - center,
                affinities,
                negative_gradient_method=self.params["negative_gradient_method"],
                ints_in_interval=self.params["ints_in_interval"],
                random_state=self.params.get("seed", 0),
            )
            self._embedding = (embedding, center)
        return self._embedding

    # --- .npz files, never pickled -----------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write atomically (temp file in the same folder + ``os.replace``), without pickle."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "format": np.array(CACHE_FORMAT),
            "method": np.array(self.method),
            "params": np.array(json.dumps(self.params, sort_keys=True)),
            "coords": np.asarray(self.coords, dtype=np.float32),
        }
        for name in ("mean", "components", "explained_variance_ratio"):
            if getattr(self, name) is not None:
                arrays[name] = np.asarray(getattr(self, name))
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a cache is for every reader
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | Path, reference: np.ndarray | None = None) -> Projection:
        with np.load(path, allow_pickle=False) as f:
            if "format" not in f or int(f["format"]) != CACHE_FORMAT:
                raise ValueError(f"{Path(path).name} is not a projection (format {CACHE_FORMAT})")
            optional = {
                name: f[name] for name in ("mean", "components", "explained_variance_ratio")
                if name in f
            }  # fmt: skip
            return cls(
                method=str(f["method"]),
                coords=f["coords"],
                params=json.loads(str(f["params"])),
                reference=reference,
                **optional,
            )


def _tsne_params(params: dict[str, Any]) -> dict[str, Any]:
    unknown = set(params) - set(TSNE_DEFAULTS)
    if unknown:
        raise ValueError(
            f"unknown t-SNE parameters {sorted(unknown)}; known: {sorted(TSNE_DEFAULTS)}"
        )
    # Cast to the defaults' types so perplexity=30 and perplexity=30.0 share one cache key.
    return {
        name: type(default)(params.get(name, default)) for name, default in TSNE_DEFAULTS.items()
    }


def resolve_params(method: str, seed: int = 0, **params: Any) -> dict[str, Any]:
    """The full parameters of a projection (defaults filled in): what the cache key hashes."""
    if method not in METHODS:
        raise ValueError(f"unknown projection method {method!r}; choose one of {METHODS}")
    if method == "tsne":
        return {**_tsne_params(params), "seed": seed}
    if params:
        raise ValueError(f"the {method} projection takes no parameters, got {sorted(params)}")
    return {"seed": seed} if method == "pca" else {}


def project(
    latents: np.ndarray, method: str, seed: int = 0, n_jobs: int = TSNE_THREADS, **params: Any
) -> Projection:
    """Map codes [N, k] to 2-D. 'raw' needs k = 2; 'pca' is 2-component PCA; 'tsne' is openTSNE
    with ``TSNE_DEFAULTS`` overridden by ``params``. ``n_jobs`` (threads; -1 = all cores)
    changes the speed, not the map, so it is not a parameter of the result."""
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
            "pca", pca.transform(latents), full, mean=pca.mean, components=pca.components,
            explained_variance_ratio=pca.explained_variance_ratio, reference=latents,
        )  # fmt: skip
    from openTSNE import TSNE

    embedding = TSNE(
        perplexity=full["perplexity"],
        n_iter=full["n_iter"],
        early_exaggeration_iter=full["early_exaggeration_iter"],
        negative_gradient_method=full["negative_gradient_method"],
        ints_in_interval=full["ints_in_interval"],
        neighbors=full["neighbors"],
        n_jobs=n_jobs,
        random_state=seed,
    ).fit(latents.astype(np.float64))  # TSNEEmbedding [N, 2], keeps its affinities
    projection = Projection(
        "tsne", np.asarray(embedding, dtype=np.float32), full, reference=latents
    )
    center = (embedding.max(0) + embedding.min(0)) / 2
    embedding -= center  # the frame openTSNE's transform would move it to; see _tsne_reference
    projection._embedding = (embedding, np.asarray(center, dtype=np.float64))
    return projection


# --- the disk cache ---------------------------------------------------------------------------


def cache_key(checkpoint: str | Path, dataset: Dataset, method: str, params: dict[str, Any]) -> str:
    """sha256 over the checkpoint's bytes, the dataset's name and image bytes, method, params."""
    h = hashlib.sha256()
    h.update(f"latent-lab projection {CACHE_FORMAT}\n".encode())
    h.update(Path(checkpoint).read_bytes())
    h.update(f"\n{dataset.name}\n".encode())
    h.update(dataset.images.cpu().contiguous().numpy().tobytes())
    h.update(f"\n{method}\n{json.dumps(params, sort_keys=True)}".encode())
    return h.hexdigest()


def cache_path(
    checkpoint: str | Path,
    dataset: Dataset,
    method: str,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    seed: int = 0,
    **params: Any,
) -> Path:
    """Where the projection of these inputs is cached: ``<stem>_<dataset>_<method>_<key>.npz``."""
    key = cache_key(checkpoint, dataset, method, resolve_params(method, seed, **params))
    return Path(cache_dir) / f"{Path(checkpoint).stem}_{dataset.name}_{method}_{key[:16]}.npz"


def cached_projection(
    checkpoint: str | Path,
    dataset: Dataset,
    method: str,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    seed: int = 0,
    device: str | torch.device = "cpu",
    n_jobs: int = TSNE_THREADS,
    **params: Any,
) -> tuple[np.ndarray, Projection]:
    """(codes [N, k] of ``dataset.images``, their projection), computed once per content hash.

    The codes are re-encoded on every call (~0.3 s for 5,000 digits on 2 CPU cores); the
    projection is loaded from ``cache_dir`` when the key matches, else computed and written
    atomically. A retrained checkpoint has other bytes, so its old caches simply miss.
    """
    path = cache_path(checkpoint, dataset, method, cache_dir, seed, **params)
    latents = encode_images(load_model(checkpoint, device), dataset.images)
    if path.exists():
        try:
            return latents, Projection.load(path, reference=latents)
        except (ValueError, KeyError, OSError):
            pass  # an unreadable cache is recomputed and overwritten
    projection = project(latents, method, seed=seed, n_jobs=n_jobs, **params)
    projection.save(path)
    return latents, projection


# --- CLI --------------------------------------------------------------------------------------


def precompute(
    folder: str | Path,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    prune: bool = False,
    n_jobs: int = TSNE_THREADS,
) -> list[Path]:
    """Write the default caches of every AE/VAE checkpoint in ``folder`` (raw for k = 2, PCA and
    t-SNE for all), on the dataset each was trained on. ``prune`` deletes every other .npz in
    ``cache_dir`` (the stale caches of retrained checkpoints)."""
    written: list[Path] = []
    datasets: dict[str, Dataset] = {}
    for info in list_checkpoints(folder):
        if info.kind not in ("ae", "vae"):
            continue
        dataset = datasets.setdefault(info.dataset, load_dataset(info.dataset))
        methods = (["raw"] if info.latent_dim == 2 else []) + ["pca", "tsne"]
        for method in methods:
            start = time.perf_counter()
            cached_projection(info.path, dataset, method, cache_dir, n_jobs=n_jobs)
            written.append(cache_path(info.path, dataset, method, cache_dir))
            print(f"{written[-1]}  {time.perf_counter() - start:.1f}s")
    if prune:
        for stale in sorted(set(Path(cache_dir).glob("*.npz")) - set(written)):
            stale.unlink()
            print(f"removed stale {stale}")
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m core.projection", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--precompute", type=Path, required=True, metavar="FOLDER",
                        help="folder of checkpoints whose AE/VAE maps to cache")  # fmt: skip
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--prune", action="store_true", help="delete caches not written now")
    parser.add_argument("--n-jobs", type=int, default=TSNE_THREADS,
                        help="t-SNE threads (-1: all cores)")  # fmt: skip
    args = parser.parse_args(argv)
    precompute(args.precompute, args.cache_dir, prune=args.prune, n_jobs=args.n_jobs)


if __name__ == "__main__":
    main()
