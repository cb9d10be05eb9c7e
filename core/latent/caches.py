"""The disk cache of latent maps, keyed by content hash, and the CLI that fills it.

``cached_projection`` computes a map once per (checkpoint bytes, dataset, method, parameters)
and reloads it from an ``.npz`` afterwards. The codes of a large dataset (60,000 images take
~12 CPU seconds to encode) are cached the same way, so a shipped map opens without encoding.

CLI: ``python -m core.latent.caches --precompute checkpoints`` writes the caches of every AE/VAE
checkpoint in a folder (raw for k=2, PCA and t-SNE for all) into ``checkpoints/projections``.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.data.datasets import Dataset, load_dataset
from core.latent.folder_caches import precompute_parser, prune_stale
from core.latent.operations import encode_images
from core.latent.projections import (
    CACHE_FORMAT,
    UNREADABLE_NPZ,
    Projection,
    methods_for,
    project,
    resolve_params,
    save_npz,
)
from core.latent.tsne import TSNE_THREADS, Progress
from core.models.registry import ENCODER_KINDS, Model
from core.training.checkpoints import list_checkpoints, load_model

DEFAULT_CACHE_DIR = Path("checkpoints/projections")
# Datasets at least this large get their codes cached on disk; encoding 5,000 digits takes
# ~0.3 s, less than reading a file's worth of hash.
CACHED_CODES_FROM = 10_000


def cache_key(checkpoint: str | Path, dataset: Dataset, method: str, params: dict[str, Any]) -> str:
    """sha256 over the checkpoint's bytes, the dataset's digest, method and params."""
    h = hashlib.sha256()
    h.update(f"latent-lab projection {CACHE_FORMAT}\n".encode())
    h.update(Path(checkpoint).read_bytes())
    h.update(f"\n{dataset.digest}\n{method}\n{json.dumps(params, sort_keys=True)}".encode())
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


def codes_path(checkpoint: str | Path, dataset: Dataset, cache_dir: str | Path) -> Path | None:
    """Where a dataset's codes are cached (``<stem>_<dataset>_codes_<key>.npz``), or None for a
    dataset small enough to encode on every call."""
    if len(dataset) < CACHED_CODES_FROM:
        return None
    key = cache_key(checkpoint, dataset, "codes", {})
    return Path(cache_dir) / f"{Path(checkpoint).stem}_{dataset.name}_codes_{key[:16]}.npz"


def cached_codes(
    model: Model,
    checkpoint: str | Path,
    dataset: Dataset,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
) -> np.ndarray:
    """The codes float32 [N, k] of ``dataset.images`` by ``model``, the loaded model of
    ``checkpoint`` (whose bytes are the cache key): encoded, and for a large dataset kept in
    ``cache_dir`` by content hash (``codes_path``). The caller owns loading the model."""
    path = codes_path(checkpoint, dataset, cache_dir)
    if path is not None and path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                codes = f["codes"]
            if len(codes) == len(dataset):
                return codes
        except UNREADABLE_NPZ:
            pass  # an unreadable cache is recomputed and overwritten
    codes = encode_images(model, dataset.images)
    if path is not None:
        save_npz(path, codes=codes)
    return codes


def cached_projection(
    model: Model,
    checkpoint: str | Path,
    dataset: Dataset,
    method: str,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    *,
    n_jobs: int = TSNE_THREADS,
    seed: int = 0,
    progress: Progress | None = None,
    **params: Any,
) -> tuple[np.ndarray, Projection]:
    """(codes [N, k] of ``dataset.images``, their projection), computed once per content hash.

    ``model`` is the loaded model of ``checkpoint``. The codes come from ``cached_codes``; the
    projection is loaded from ``cache_dir`` when the key matches, else computed (``progress``
    hears how a t-SNE is going) and written atomically. A retrained checkpoint has other bytes,
    so its old caches simply miss.
    """
    path = cache_path(checkpoint, dataset, method, cache_dir, seed, **params)
    latents = cached_codes(model, checkpoint, dataset, cache_dir)
    if path.exists():
        try:
            return latents, Projection.load(path, reference=latents)
        except UNREADABLE_NPZ:
            pass  # an unreadable cache is recomputed and overwritten
    projection = project(latents, method, seed=seed, n_jobs=n_jobs, progress=progress, **params)
    projection.save(path)
    return latents, projection


# --- CLI --------------------------------------------------------------------------------------


def precompute(
    folder: str | Path,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    n_jobs: int = TSNE_THREADS,
) -> list[Path]:
    """Write the default caches of every AE/VAE checkpoint in ``folder`` (raw for k = 2, PCA and
    t-SNE for all), on the dataset each was trained on; returns the files written."""
    written: list[Path] = []
    datasets: dict[str, Dataset] = {}
    for info in list_checkpoints(folder):
        if info.kind not in ENCODER_KINDS:
            continue
        if info.dataset not in datasets:  # loaded once per dataset, not once per checkpoint
            datasets[info.dataset] = load_dataset(info.dataset)
        dataset = datasets[info.dataset]
        model = load_model(info.path)  # once per checkpoint, for all of its maps
        for method in methods_for(info.latent_dim):
            start = time.perf_counter()
            cached_projection(model, info.path, dataset, method, cache_dir, n_jobs=n_jobs)
            written.append(cache_path(info.path, dataset, method, cache_dir))
            print(f"{written[-1]}  {time.perf_counter() - start:.1f}s")
        codes = codes_path(info.path, dataset, cache_dir)
        if codes is not None:
            written.append(codes)
    return written


def main(argv: list[str] | None = None) -> None:
    what = "AE/VAE maps to cache"
    parser = precompute_parser(
        "python -m core.latent.caches", __doc__.split("\n")[0], what, "cache-dir", DEFAULT_CACHE_DIR
    )
    parser.add_argument(
        "--n-jobs", type=int, default=TSNE_THREADS, help="t-SNE threads (-1: all cores)"
    )
    args = parser.parse_args(argv)
    written = precompute(args.precompute, args.cache_dir, n_jobs=args.n_jobs)
    if args.prune:  # the stale caches of retrained or removed checkpoints
        prune_stale(args.cache_dir, "*.npz", written)


if __name__ == "__main__":
    main()
