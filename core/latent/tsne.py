"""t-SNE maps with openTSNE: the settings (part of a map's cache key), fitting a map with
progress reports, and placing new codes on a fitted map against its fixed points.

``core.latent.projections`` wraps these in ``project`` and ``Projection``; nothing else needs
openTSNE, which is imported only when a t-SNE is made or placed into.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# openTSNE settings, chosen with bench/projection.py (figures in docs/recipes.md): fast on 2 CPU
# cores with the 10-NN label accuracy of scikit-learn's TSNE. Part of the cache key.
TSNE_DEFAULTS: dict[str, Any] = {
    "perplexity": 30.0,
    "early_exaggeration_iter": 250,
    "n_iter": 500,  # after the early exaggeration
    "negative_gradient_method": "fft",  # FIt-SNE's interpolation (Linderman et al. 2019)
    # FFT grid cells 2 map units wide instead of 1: a 5,000-point map spans ~110 units, and the
    # coarser grid is several times faster with the same kNN accuracy (docs/recipes.md).
    "ints_in_interval": 2,
    # exact kNN: deterministic, and for 60,000 16-D codes it took less CPU time than Annoy's or
    # pynndescent's approximate neighbours (bench/fullmap.py, docs/recipes.md)
    "neighbors": "exact",
}
# Placing new points (openTSNE's defaults for ``TSNEEmbedding.transform``).
TSNE_PLACEMENT: dict[str, Any] = {"perplexity": 5.0, "n_iter": 250, "learning_rate": 0.1}
# openTSNE threads. One: on a shared 2-core machine two threads wait on each other whenever one
# is descheduled (docs/recipes.md); pass -1 on an idle many-core machine.
TSNE_THREADS = 1

Progress = Callable[[float, str], None]  # (share done in [0, 1], what is being done)
PROGRESS_EVERY = 25  # t-SNE iterations between two progress reports


def tsne_params(params: dict[str, Any]) -> dict[str, Any]:
    """``TSNE_DEFAULTS`` overridden by ``params`` (an unknown name is a ValueError)."""
    unknown = set(params) - set(TSNE_DEFAULTS)
    if unknown:
        raise ValueError(
            f"unknown t-SNE parameters {sorted(unknown)}; known: {sorted(TSNE_DEFAULTS)}"
        )
    # Cast to the defaults' types so perplexity=30 and perplexity=30.0 share one cache key.
    return {
        name: type(default)(params.get(name, default)) for name, default in TSNE_DEFAULTS.items()
    }


def fit_tsne(
    latents: np.ndarray, full: dict[str, Any], seed: int, n_jobs: int, progress: Progress | None
) -> tuple[np.ndarray, tuple[Any, np.ndarray]]:
    """openTSNE on codes [N, k] with the resolved parameters ``full``: (the map float32 [N, 2],
    (the embedding centred, its centre)), the second being what ``place`` needs: the embedding
    keeps its affinities, so new codes are placed without rebuilding them."""
    from openTSNE import TSNE

    total = full["early_exaggeration_iter"] + full["n_iter"]
    reports = iter(range(PROGRESS_EVERY, total + PROGRESS_EVERY, PROGRESS_EVERY))

    def report(*_: Any) -> bool:
        progress(min(next(reports, total) / total, 1.0), "optimising the map")
        return False  # never stop early

    if progress is not None:
        progress(0.0, f"finding each of {len(latents):,} codes' neighbours")
    embedding = TSNE(
        perplexity=full["perplexity"],
        n_iter=full["n_iter"],
        early_exaggeration_iter=full["early_exaggeration_iter"],
        negative_gradient_method=full["negative_gradient_method"],
        ints_in_interval=full["ints_in_interval"],
        neighbors=full["neighbors"],
        n_jobs=n_jobs,
        random_state=seed,
        callbacks=None if progress is None else report,
        callbacks_every_iters=PROGRESS_EVERY,
    ).fit(latents.astype(np.float64))  # TSNEEmbedding [N, 2], keeps its affinities
    coords = np.asarray(embedding, dtype=np.float32)  # a copy, before the centring below
    center = (embedding.max(0) + embedding.min(0)) / 2
    embedding -= center  # the frame openTSNE's transform would move it to; see reference_embedding
    return coords, (embedding, np.asarray(center, dtype=np.float64))


def reference_embedding(
    reference: np.ndarray, coords: np.ndarray, params: dict[str, Any]
) -> tuple[Any, np.ndarray]:
    """The openTSNE embedding of a map ``coords`` [N, 2] of the codes ``reference`` [N, k],
    rebuilt (exact kNN + perplexity calibration: ~1.5 CPU seconds for 5,000 codes), and the
    offset openTSNE removes: ``TSNEEmbedding.transform`` centres the embedding in place, so it
    is built centred and ``place`` adds the centre back, so placed points share ``coords``'
    frame."""
    from openTSNE import TSNEEmbedding, affinity

    center = (coords.max(0) + coords.min(0)).astype(np.float64) / 2
    affinities = affinity.PerplexityBasedNN(
        reference.astype(np.float64),
        perplexity=params["perplexity"],
        method=params["neighbors"],
        random_state=params.get("seed", 0),
    )
    embedding = TSNEEmbedding(
        coords.astype(np.float64) - center,
        affinities,
        negative_gradient_method=params["negative_gradient_method"],
        ints_in_interval=params["ints_in_interval"],
        random_state=params.get("seed", 0),
    )
    return embedding, center


def place(embedding: Any, center: np.ndarray, latents: np.ndarray) -> np.ndarray:
    """New codes [M, k] -> positions float32 [M, 2] on the map of ``embedding`` (centred, with
    its ``center``), each placed against the fixed map points (``TSNE_PLACEMENT``)."""
    placed = embedding.transform(
        latents.astype(np.float64),
        perplexity=TSNE_PLACEMENT["perplexity"],
        n_iter=TSNE_PLACEMENT["n_iter"],
        learning_rate=TSNE_PLACEMENT["learning_rate"],
    )  # [M, 2], in the centred frame
    return (np.asarray(placed) + center).astype(np.float32)
