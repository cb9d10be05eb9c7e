"""How well digits come back: pixel PCA against the autoencoders, validation errors, one
digit's report (Your digit), the PCA vs AE scores and the denoising scores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import streamlit as st
import torch

from core.analysis import axes, compare, scores_cache
from core.analysis.metrics import mse, per_image_mse, per_image_ssim, psnr
from core.data.augment import add_gaussian_noise, add_salt_and_pepper
from core.data.datasets import to_float
from core.latent.operations import encode_images, reconstruct
from core.training.checkpoints import CheckpointInfo
from ui.compute.cache import per_checkpoint
from ui.compute.maps import latents_and_projection
from ui.compute.resources import dataset, map_dataset, model, scores_dir

# --- reconstruction errors and PCA ------------------------------------------------------------


@st.cache_data(show_spinner="Fitting PCA to the training pixels…", max_entries=4)
def pixel_pca(dataset_name: str, n_components: int) -> compare.PixelPCA:
    """PCA of the training pixels with n components (nested: ``.first(k)`` for fewer); shipped
    in ``checkpoints/scores`` for the datasets of the shipped models."""
    return scores_cache.cached_pixel_pca(dataset(dataset_name), n_components, scores_dir())


def eigen_digits(dataset_name: str, n_components: int, n: int) -> np.ndarray:
    """The first ``n`` components of the pixel PCA as pictures [n, 28, 28] (max |w| = 1)."""
    return axes.eigen_digits(pixel_pca(dataset_name, n_components).pca, n)


@per_checkpoint(show_spinner="Scoring every validation digit…", max_entries=16)
def validation_errors(info: CheckpointInfo, dataset_name: str) -> tuple[np.ndarray, np.ndarray]:
    """(per-image MSE [N_val], reconstructions [N_val, 28, 28]) of the clean validation split."""
    clean = dataset(dataset_name).split("val")[0]
    recon = reconstruct(model(info), clean)
    return per_image_mse(recon, clean), recon


def unusual_digits(
    info: CheckpointInfo, dataset_name: str, top: int
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """The ``top`` validation digits the model reconstructs worst: (their positions in the
    validation split, highest error first [top]; every digit's error [N_val]; the median error,
    at least 1e-12 so it divides; the reconstructions [N_val, 28, 28])."""
    errors, recon = validation_errors(info, dataset_name)
    worst = np.argsort(-errors)[:top]
    return worst, errors, max(float(np.median(errors)), 1e-12), recon


@st.cache_data(show_spinner=False, max_entries=8)
def pca_validation_errors(dataset_name: str, n_components: int, k: int) -> np.ndarray:
    val = dataset(dataset_name).split("val")[0]
    pca = pixel_pca(dataset_name, n_components).first(k)
    return per_image_mse(val, compare.pca_reconstruct(pca, val)[1])


# Is one digit like the dataset's? (upper percentile of its error among the validation digits',
# how sure the verdict is as a Streamlit message kind, the words)
VERDICTS = (
    (75.0, "success", "Looks like a {noun}: {model} reconstructs it as well as a typical one."),
    (95.0, "info", "Probably a {noun}, if an unusual one."),
    (99.0, "warning", "Unusual: the model finds it harder than almost all real {noun}s."),
    (100.0, "error", "Probably not a {noun}, or written very unlike this dataset's {noun}s."),
)


def verdict(percentile: float) -> tuple[str, str]:
    """(message kind, words with {noun} and {model} to fill) for an error at this percentile
    of the validation digits' errors: the higher, the less like the dataset's."""
    return next((kind, words) for upper, kind, words in VERDICTS if percentile <= upper)


def digit_report(
    infos: Sequence[CheckpointInfo], dataset_name: str, digit: np.ndarray
) -> list[dict[str, Any]]:
    """One uint8 digit [28, 28] through PCA (at every k of ``infos``) and every AE/VAE: a row per
    method with its family, k, reconstruction [28, 28], MSE and the percentile of that MSE among
    the validation digits' ("pct": the digit is reconstructed worse than pct % of them)."""
    ks = sorted({i.latent_dim for i in infos})
    pca = pixel_pca(dataset_name, ks[-1])
    rows = []
    for k in ks:
        recon = compare.pca_reconstruct(pca.first(k), digit[None])[1][0]
        errors = pca_validation_errors(dataset_name, ks[-1], k)
        rows.append(("PCA k=" + str(k), "PCA", k, recon, errors))
    for info in sorted(infos, key=lambda i: (i.latent_dim, i.kind, i.name)):
        recon = reconstruct(model(info), digit[None])[0]
        errors = validation_errors(info, dataset_name)[0]
        rows.append((info.name, compare.family(info), info.latent_dim, recon, errors))
    report = []
    for name, family, k, recon, errors in rows:
        error = float(per_image_mse(digit[None], recon[None])[0])
        percentile = 100.0 * float((errors < error).mean())
        row = {"method": name, "family": family, "k": k, "recon": recon}
        report.append({**row, "MSE": error, "pct": percentile})
    return report


# --- PCA vs AE --------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def pca_scores(dataset_name: str, ks: tuple[int, ...]) -> list[compare.MethodScores]:
    fitted = pixel_pca(dataset_name, max(ks))
    return scores_cache.cached_pca_scores(dataset(dataset_name), ks, fitted, scores_dir())


@per_checkpoint(show_spinner=False, max_entries=64)
def model_scores(info: CheckpointInfo, dataset_name: str) -> compare.MethodScores:
    """One checkpoint's row of the table, from ``checkpoints/scores`` when shipped."""
    loaded = lambda: model(info)  # noqa: E731 (loaded only when the scores are not on disk)
    return scores_cache.cached_model_scores(info, loaded, dataset(dataset_name), scores_dir())


@st.cache_data(show_spinner=False, max_entries=4)
def pca_map_scores(dataset_name: str, n_components: int) -> compare.MapScores:
    digits = map_dataset(dataset_name)
    fitted = pixel_pca(dataset_name, n_components)
    codes, _ = compare.pca_reconstruct(fitted.first(2), digits.images)
    source = scores_cache.pca_plane(fitted)
    return scores_cache.cached_map_scores("pixels_pca", digits, codes, scores_dir(), source)


@per_checkpoint(show_spinner=False, max_entries=16)
def model_map_scores(
    info: CheckpointInfo, dataset_name: str, method: str = "raw"
) -> compare.MapScores:
    digits = map_dataset(dataset_name)
    _, projection = latents_and_projection(info, dataset_name, method)
    name = f"{info.name}_{method}"
    return scores_cache.cached_map_scores(name, digits, projection.coords, scores_dir())


@per_checkpoint(show_spinner=False, max_entries=16)
def axis_traversal(
    info: CheckpointInfo, dataset_name: str, steps: int, span: float
) -> axes.AxisTraversal:
    codes = encode_images(model(info), dataset(dataset_name).split("val")[0])
    return axes.axis_traversal(model(info), codes, steps, span)


def all_model_scores(
    infos: Sequence[CheckpointInfo],
    dataset_name: str,
    progress: Callable[[float, str], None] | None = None,
) -> list[compare.MethodScores]:
    """Each checkpoint's scores on the validation split (``model_scores``, cached per version);
    ``progress(fraction, text)`` is told before each."""
    rows = []
    for n, info in enumerate(infos):
        if progress is not None:
            progress(n / len(infos), f"Scoring {info.name} on the validation images…")
        rows.append(model_scores(info, dataset_name))
    return rows


def reconstruction_grid(
    infos: Sequence[CheckpointInfo], dataset_name: str, k: int, n_components: int
) -> list[tuple[str, np.ndarray, float | None]]:
    """One validation digit per class, then PCA's and each k-D model's reconstructions of them:
    rows of (name, images float [C, 28, 28], MSE or None for the originals)."""
    val_images, val_labels = dataset(dataset_name).split("val")
    originals = val_images[compare.one_per_class(val_labels)]
    pca = pixel_pca(dataset_name, n_components).first(k)
    made = {f"PCA k={k}": compare.pca_reconstruct(pca, originals)[1]}
    for info in infos:
        if info.latent_dim == k:
            made[f"{info.name} ({compare.family(info)})"] = reconstruct(model(info), originals)
    rows = [("original", to_float(originals)[:, 0].numpy(), None)]
    return rows + [(name, recon, mse(originals, recon)) for name, recon in made.items()]


# --- denoising --------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def noisy_validation(
    dataset_name: str, noise: str, amount: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(clean, noisy) float [N_val, 28, 28] in [0, 1]: the whole validation split, corrupted."""
    clean = to_float(dataset(dataset_name).split("val")[0])  # [N, 1, 28, 28]
    gen = torch.Generator().manual_seed(seed)
    corrupt = add_gaussian_noise if noise == "gaussian" else add_salt_and_pepper
    noisy = corrupt(clean, amount, gen)
    return clean.squeeze(1).numpy(), noisy.squeeze(1).numpy()


def shown_sample(n: int, shown: int, seed: int) -> np.ndarray:
    """Which ``shown`` of ``n`` validation digits a page draws (the seed's, no repeats)."""
    return np.random.default_rng(seed).choice(n, size=min(shown, n), replace=False)


@per_checkpoint(show_spinner="Reconstructing…", max_entries=64)
def denoised(info: CheckpointInfo, dataset_name: str, noise: str, amount: float, seed: int):
    """g(f(noisy)) of the validation split for one checkpoint, float [N_val, 28, 28]."""
    return reconstruct(model(info), noisy_validation(dataset_name, noise, amount, seed)[1])


def cleanup_scores(clean: np.ndarray, outputs: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Mean MSE, PSNR and SSIM of each named output against the clean digits."""
    return [
        {
            "digits": label,
            "MSE vs clean": float(per_image_mse(out, clean).mean()),
            "PSNR (dB)": psnr(out, clean),
            "SSIM": float(per_image_ssim(out, clean).mean()),
        }
        for label, out in outputs.items()
    ]
