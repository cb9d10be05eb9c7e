"""PCA against the autoencoders: the linear and the non-linear answer, measured the same way.

PCA is the autoencoder whose encoder z = W (x - mean) and decoder x' = W^T z + mean are linear,
with W's k rows orthonormal. Here PCA is fitted on the training split's pixels and every method
(PCA, AE, VAE, denoising AE) is measured on the validation split with ``core.analysis.metrics``, so
the
page ``views/pca_vs_ae.py`` and the CLI ``bench/compare.py`` show the same numbers.

PCA's components are nested (PCA with k components keeps the first k of PCA with more), so one
fit with the largest k serves every k; its wall-clock time is PCA's "training time".
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch

from core.analysis import metrics
from core.data.datasets import Dataset, to_float
from core.latent.operations import encode_and_decode
from core.latent.pca import PCAResult, fit_pca
from core.models.registry import Model
from core.training.checkpoints import CheckpointInfo
from core.training.devices import one_thread

KS = (2, 4, 8, 16, 32)  # the latent sizes of the shipped AEs
PIXELS = 28 * 28
KNN_NEIGHBOURS = 10


# --- scores -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodScores:
    """One method at one latent size, measured on the validation split."""

    family: str  # 'PCA' | 'AE' | 'VAE' | 'denoising AE'
    name: str  # 'pca_k8', or the checkpoint's file stem
    latent_dim: int
    mse: float  # per pixel, images in [0, 1]
    psnr: float  # dB, mean over images
    ssim: float  # mean over images
    knn_accuracy: float  # 10-NN label accuracy of the validation codes (5-fold CV)
    parameters: int
    train_seconds: float | None  # None when a checkpoint did not record it


def family(info: CheckpointInfo) -> str:
    """'AE', 'VAE', or 'denoising AE' (an AE trained on noisy inputs)."""
    if info.kind == "ae" and float(info.trained.get("noise_std", 0.0)) > 0:
        return "denoising AE"
    return info.kind.upper()


def score(
    family_name: str,
    name: str,
    originals: torch.Tensor | np.ndarray,
    reconstructions: np.ndarray,
    codes: np.ndarray,
    labels: torch.Tensor | np.ndarray,
    parameters: int,
    train_seconds: float | None,
) -> MethodScores:
    """Scores of reconstructions [N, 28, 28] of ``originals`` (uint8) with their codes [N, k]."""
    with one_thread():  # scikit-learn's kNN spin-waits too (docs/recipes.md)
        accuracy = metrics.knn_accuracy(codes, labels, k=KNN_NEIGHBOURS)
    return MethodScores(
        family=family_name,
        name=name,
        latent_dim=int(codes.shape[1]),
        mse=metrics.mse(originals, reconstructions),
        psnr=metrics.psnr(originals, reconstructions),
        ssim=metrics.ssim(originals, reconstructions),
        knn_accuracy=accuracy,
        parameters=int(parameters),
        train_seconds=None if train_seconds is None else float(train_seconds),
    )


# --- PCA on pixels ----------------------------------------------------------------------------


def pixels(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """uint8 [N, 28, 28] -> float32 [N, 784] in [0, 1]."""
    return to_float(images).float().reshape(len(images), PIXELS).numpy()


@dataclass(eq=False)  # array fields
class PixelPCA:
    """PCA of the training pixels with the largest k asked for, and how long the fit took."""

    pca: PCAResult
    fit_seconds: float

    def first(self, k: int) -> PCAResult:
        """PCA with k components: the first k of the fit (exact, since components are nested)."""
        if not 1 <= k <= self.pca.n_components:
            raise ValueError(f"k must be in 1..{self.pca.n_components}, got {k}")
        p = self.pca
        return PCAResult(
            p.mean, p.components[:k], p.explained_variance[:k], p.explained_variance_ratio[:k]
        )


def fit_pixel_pca(train_images: torch.Tensor | np.ndarray, n_components: int) -> PixelPCA:
    x = pixels(train_images)  # [N, 784]
    start = time.perf_counter()
    pca = fit_pca(x, n_components)
    return PixelPCA(pca, time.perf_counter() - start)


def pca_parameters(k: int) -> int:
    """k components of 784 pixels plus the mean image."""
    return k * PIXELS + PIXELS


def pca_reconstruct(
    pca: PCAResult, images: torch.Tensor | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """uint8 [N, 28, 28] -> (codes float32 [N, k], reconstructions float32 [N, 28, 28]).

    The reconstruction is not clipped to [0, 1]: PCA's error is measured as PCA makes it.
    """
    codes = pca.transform(pixels(images))
    return codes, pca.inverse(codes).reshape(-1, 28, 28)


def score_pca(
    dataset: Dataset, ks: Iterable[int] = KS, fitted: PixelPCA | None = None
) -> tuple[list[MethodScores], PixelPCA]:
    """PCA at each k, scored on the validation split: ``fitted`` (a fit of the training pixels
    with at least max(ks) components), else one fitted here."""
    ks = sorted(set(ks))
    if fitted is None:
        fitted = fit_pixel_pca(dataset.split("train")[0], ks[-1])
    val, val_labels = dataset.split("val")
    rows = []
    for k in ks:
        codes, recon = pca_reconstruct(fitted.first(k), val)
        parameters = pca_parameters(k)
        rows.append(
            score("PCA", f"pca_k{k}", val, recon, codes, val_labels, parameters, fitted.fit_seconds)
        )
    return rows, fitted


# --- autoencoders -----------------------------------------------------------------------------


def score_checkpoint(info: CheckpointInfo, model: Model, dataset: Dataset) -> MethodScores:
    """An AE or VAE on the validation split; parameters and time from its training record."""
    if info.dataset != dataset.name:
        raise ValueError(f"{info.name} was trained on {info.dataset}, not on {dataset.name}")
    val, val_labels = dataset.split("val")
    codes, recon = encode_and_decode(model, val)
    parameters = info.trained.get("parameters") or sum(p.numel() for p in model.parameters())
    seconds = info.trained.get("seconds")
    return score(family(info), info.name, val, recon, codes, val_labels, parameters, seconds)


def pca_sizes(infos: Iterable[CheckpointInfo], ks: Iterable[int] = KS) -> list[int]:
    """The ks PCA is scored at: the standard ones and every compared model's, within 1..784."""
    return sorted({k for k in ks} | {i.latent_dim for i in infos if 1 <= i.latent_dim <= PIXELS})


def compare(
    dataset: Dataset, models: Sequence[tuple[CheckpointInfo, Model]], ks: Iterable[int] = KS
) -> list[MethodScores]:
    """The whole table: PCA at every k and each AE/VAE, ordered by family then k."""
    pca_rows, _ = score_pca(dataset, pca_sizes([info for info, _ in models], ks))
    model_rows = [score_checkpoint(info, model, dataset) for info, model in models]
    return sort_rows(pca_rows + model_rows)


FAMILY_ORDER = {"PCA": 0, "AE": 1, "VAE": 2, "denoising AE": 3}


def sort_rows(rows: Iterable[MethodScores]) -> list[MethodScores]:
    return sorted(rows, key=lambda r: (FAMILY_ORDER.get(r.family, 9), r.latent_dim, r.name))


def curves(rows: Iterable[MethodScores]) -> dict[str, list[MethodScores]]:
    """Lines of MSE against k: one per family, one point per k. A second model of the same
    family and k (e.g. one a user trained) gets a line of its own, named after its file."""
    lines: dict[str, list[MethodScores]] = {}
    for row in sort_rows(rows):
        line = lines.setdefault(row.family, [])
        if any(r.latent_dim == row.latent_dim for r in line):
            lines.setdefault(row.name, []).append(row)
        else:
            line.append(row)
    return lines


# --- the table as records (the page's dataframe and the CLI's text) ---------------------------

COLUMNS = {  # record key -> column title
    "method": "method",
    "k": "k",
    "name": "model",
    "mse": "val MSE",
    "psnr": "PSNR (dB)",
    "ssim": "SSIM",
    "knn_accuracy": "10-NN acc.",
    "parameters": "parameters",
    "train_seconds": "training (s)",
}


def records(rows: Iterable[MethodScores]) -> list[dict]:
    """Plain dicts keyed by ``COLUMNS``: JSON-ready, and one dataframe row each."""
    out = []
    for row in rows:
        d = asdict(row)
        out.append({"method": d.pop("family"), "k": d.pop("latent_dim"), **d})
    return [{key: r[key] for key in COLUMNS} for r in out]


def format_table(rows: Iterable[MethodScores]) -> str:
    """The table as fixed-width text, as ``bench/compare.py`` prints it."""
    cells = [list(COLUMNS.values())]
    for r in records(rows):
        seconds = "-" if r["train_seconds"] is None else f"{r['train_seconds']:.2f}"
        numbers = (f"{r['mse']:.5f}", f"{r['psnr']:.2f}", f"{r['ssim']:.3f}")
        cells.append(
            [r["method"], str(r["k"]), r["name"], *numbers, f"{r['knn_accuracy']:.3f}"]
            + [f"{r['parameters']:,}", seconds]
        )
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    left = {0, 2}  # text columns; numbers are right-aligned
    lines = [
        "  ".join(
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- 2-D maps ---------------------------------------------------------------------------------


@dataclass(eq=False)  # array fields
class MapScores:
    """A 2-D map of N digits and how faithful it is."""

    coords: np.ndarray  # float32 [N, 2]
    knn_accuracy: float  # 10-NN label accuracy in the map (5-fold CV)
    trustworthiness: float  # of the map's 10 nearest neighbours w.r.t. the pixels


def score_map(
    images: torch.Tensor | np.ndarray, coords: np.ndarray, labels: torch.Tensor | np.ndarray
) -> MapScores:
    """``coords`` [N, 2] of the uint8 ``images`` [N, 28, 28]: trustworthiness is measured
    against the pixels, the common ground of PCA and the AE (on a fixed subset of 2,000)."""
    coords = np.asarray(coords, dtype=np.float32)
    with one_thread():  # scikit-learn's kNN spin-waits too (docs/recipes.md)
        accuracy = metrics.knn_accuracy(coords, labels, k=KNN_NEIGHBOURS)
    return MapScores(
        coords=coords,
        knn_accuracy=accuracy,
        trustworthiness=metrics.trustworthiness(pixels(images), coords, k=KNN_NEIGHBOURS),
    )


def one_per_class(labels: torch.Tensor | np.ndarray, per_class: int = 1) -> np.ndarray:
    """Indices of the first ``per_class`` items of each class, class by class: int64 [M]."""
    y = labels.numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    return np.concatenate([np.flatnonzero(y == c)[:per_class] for c in np.unique(y)])
