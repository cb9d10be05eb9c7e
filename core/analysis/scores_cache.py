"""The PCA vs AE page's numbers on disk, keyed by content hash: what is fixed for a dataset (the
pixel PCA, PCA's scores at each k) and for a checkpoint file (its validation scores, its 2-D
maps' scores) is computed once, written beside the maps, and read afterwards.

Files in ``<cache_dir>`` (``checkpoints/scores`` when shipped):
``pixels_<dataset>_pca<n>_<key>.npz`` (the fit), ``pixels_<dataset>_scores_<key>.json`` (PCA's
rows), ``<stem>_<dataset>_scores_<key>.json`` (a checkpoint's row) and
``<name>_<dataset>_map_<key>.json`` (a map's 10-NN accuracy and trustworthiness). A retrained
checkpoint, another dataset or other map coordinates have another key, so their old files miss;
an unreadable file is recomputed and overwritten.

CLI: ``python -m core.analysis.scores_cache --precompute checkpoints [--prune]`` ships them for
the shipped models, so a fresh server's first open of the page scores nothing (it took ~30 s
on 2 cores).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.analysis.compare import (
    MapScores,
    MethodScores,
    PixelPCA,
    fit_pixel_pca,
    score_checkpoint,
    score_map,
    score_pca,
)
from core.data.datasets import Dataset
from core.files import atomic_path
from core.latent.pca import PCAResult
from core.latent.projections import UNREADABLE_NPZ, save_npz
from core.models.registry import Model
from core.training.checkpoints import CheckpointInfo

CACHE_FORMAT = 1  # bump when a score is computed differently: old files then miss
DEFAULT_CACHE_DIR = Path("checkpoints/scores")
_PCA_ARRAYS = ("mean", "components", "explained_variance", "explained_variance_ratio")


def _key(*parts: bytes | str) -> str:
    h = hashlib.sha256(f"latent-lab scores {CACHE_FORMAT}\n".encode())
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\n")
    return h.hexdigest()


def _bytes(array: torch.Tensor | np.ndarray) -> bytes:
    if isinstance(array, torch.Tensor):
        array = array.cpu().contiguous().numpy()
    return np.ascontiguousarray(array).tobytes()


def _cached_json(path: Path, compute: Callable[[], Any]) -> Any:
    """``compute()`` (plain JSON types) read from ``path`` when there, else computed and written."""
    if path.exists():
        try:
            return json.loads(path.read_text())["value"]
        except (ValueError, KeyError, TypeError, OSError):
            pass  # an unreadable cache is recomputed and overwritten
    value = compute()
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({"value": value}))
    return value


def pixel_pca_path(dataset: Dataset, n_components: int, cache_dir: str | Path) -> Path:
    key = _key("pixel pca", dataset.digest, str(n_components))
    return Path(cache_dir) / f"pixels_{dataset.name}_pca{n_components}_{key[:16]}.npz"


def cached_pixel_pca(
    dataset: Dataset, n_components: int, cache_dir: str | Path = DEFAULT_CACHE_DIR
) -> PixelPCA:
    """``compare.fit_pixel_pca`` of the training pixels (its ``fit_seconds`` is the time the
    fit took when it was computed)."""
    path = pixel_pca_path(dataset, n_components, cache_dir)
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                pca = PCAResult(*(f[name] for name in _PCA_ARRAYS))
                return PixelPCA(pca, float(f["fit_seconds"]))
        except UNREADABLE_NPZ:
            pass  # an unreadable cache is recomputed and overwritten
    fitted = fit_pixel_pca(dataset.split("train")[0], n_components)
    arrays = {name: getattr(fitted.pca, name) for name in _PCA_ARRAYS}
    save_npz(path, **arrays, fit_seconds=np.float64(fitted.fit_seconds))
    return fitted


def pca_scores_path(
    dataset: Dataset, ks: Iterable[int], fitted: PixelPCA, cache_dir: str | Path
) -> Path:
    fit = _key(_bytes(fitted.pca.components), str(fitted.fit_seconds))
    key = _key("pca scores", dataset.digest, json.dumps(sorted(set(ks))), fit)
    return Path(cache_dir) / f"pixels_{dataset.name}_scores_{key[:16]}.json"


def cached_pca_scores(
    dataset: Dataset, ks: Iterable[int], fitted: PixelPCA, cache_dir: str | Path = DEFAULT_CACHE_DIR
) -> list[MethodScores]:
    """``compare.score_pca`` at each k with the ``fitted`` pixel PCA."""
    ks = sorted(set(ks))
    path = pca_scores_path(dataset, ks, fitted, cache_dir)
    rows = _cached_json(path, lambda: [asdict(r) for r in score_pca(dataset, ks, fitted)[0]])
    return [MethodScores(**row) for row in rows]


def model_scores_path(info: CheckpointInfo, dataset: Dataset, cache_dir: str | Path) -> Path:
    key = _key("model scores", Path(info.path).read_bytes(), dataset.digest)
    return Path(cache_dir) / f"{info.name}_{dataset.name}_scores_{key[:16]}.json"


def cached_model_scores(
    info: CheckpointInfo,
    model: Callable[[], Model],
    dataset: Dataset,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
) -> MethodScores:
    """``compare.score_checkpoint``; ``model()`` gives the loaded model of ``info`` (whose bytes
    are the key: the caller owns loading it), asked for only when the file is not there."""
    path = model_scores_path(info, dataset, cache_dir)

    def compute() -> dict[str, Any]:
        return asdict(score_checkpoint(info, model(), dataset))

    return MethodScores(**_cached_json(path, compute))


def map_scores_path(name: str, dataset: Dataset, source: bytes, cache_dir: str | Path) -> Path:
    key = _key("map scores", dataset.digest, source)
    return Path(cache_dir) / f"{name}_{dataset.name}_map_{key[:16]}.json"


def cached_map_scores(
    name: str,
    dataset: Dataset,
    coords: np.ndarray,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    source: bytes | None = None,
) -> MapScores:
    """``compare.score_map`` of a map ``coords`` [N, 2] of ``dataset``'s images, named ``name``
    in the file name (``pixels_pca``, ``ae_k2_raw``); keyed by ``source``, what the coordinates
    are made from (a PCA's components: not their last bits, which may vary with BLAS threads),
    else by the coordinates themselves (a map read from its cache file)."""
    coords = np.asarray(coords, dtype=np.float32)

    def compute() -> dict[str, float]:
        scores = score_map(dataset.images, coords, dataset.labels)
        return {"knn_accuracy": scores.knn_accuracy, "trustworthiness": scores.trustworthiness}

    path = map_scores_path(name, dataset, _bytes(coords) if source is None else source, cache_dir)
    return MapScores(coords=coords, **_cached_json(path, compute))


def pca_plane(fitted: PixelPCA) -> bytes:
    """What a pixel PCA's 2-D map is made from: ``source`` for ``cached_map_scores``."""
    return b"pixel pca plane\n" + _bytes(fitted.pca.mean) + _bytes(fitted.pca.components[:2])


# --- CLI --------------------------------------------------------------------------------------


def precompute(
    folder: str | Path,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    projection_dir: str | Path | None = None,
) -> list[Path]:
    """Every score the PCA vs AE page shows for the encoder checkpoints in ``folder``, on each
    dataset one was trained on: PCA's fit and rows, each model's row and each 2-D map's scores
    (maps from ``projection_dir``, default ``<folder>/projections``). Returns the files used."""
    from core.analysis.compare import pca_reconstruct, pca_sizes
    from core.data.datasets import load_dataset
    from core.latent.caches import cached_projection
    from core.latent.projections import methods_for
    from core.models.registry import ENCODER_KINDS
    from core.training.checkpoints import list_checkpoints, load_model

    projection_dir = Path(projection_dir or Path(folder) / "projections")
    infos = [i for i in list_checkpoints(folder) if i.kind in ENCODER_KINDS]
    used: list[Path] = []
    for name in sorted({i.dataset for i in infos}):
        dataset = load_dataset(name)
        on_it = [i for i in infos if i.dataset == name]
        ks = pca_sizes(on_it)
        fitted = cached_pixel_pca(dataset, max(ks), cache_dir)
        cached_pca_scores(dataset, ks, fitted, cache_dir)
        plane = pca_reconstruct(fitted.first(2), dataset.images)[0]
        cached_map_scores("pixels_pca", dataset, plane, cache_dir, pca_plane(fitted))
        used += [
            pixel_pca_path(dataset, max(ks), cache_dir),
            pca_scores_path(dataset, ks, fitted, cache_dir),
            map_scores_path("pixels_pca", dataset, pca_plane(fitted), cache_dir),
        ]
        for info in on_it:
            model = load_model(info.path)
            cached_model_scores(info, lambda model=model: model, dataset, cache_dir)
            used.append(model_scores_path(info, dataset, cache_dir))
            for method in methods_for(info.latent_dim):
                coords = cached_projection(model, info.path, dataset, method, projection_dir)[
                    1
                ].coords
                cached_map_scores(f"{info.name}_{method}", dataset, coords, cache_dir)
                source = _bytes(np.asarray(coords, dtype=np.float32))
                used.append(map_scores_path(f"{info.name}_{method}", dataset, source, cache_dir))
            print(f"{name} {info.name}: scored", flush=True)
    return used


def main(argv: list[str] | None = None) -> None:
    from core.latent.folder_caches import precompute_parser, prune_stale

    what = "PCA vs AE scores to cache"
    parser = precompute_parser(
        "python -m core.analysis.scores_cache",
        __doc__.split("\n")[0],
        what,
        "cache-dir",
        DEFAULT_CACHE_DIR,
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    used = precompute(args.precompute, args.cache_dir)
    if args.prune:  # the stale scores of retrained or removed checkpoints
        prune_stale(args.cache_dir, "*", used)


if __name__ == "__main__":
    main()
