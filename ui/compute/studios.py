"""The model pages: the VAE studio (prior, manifold, q(z|x), KL), the GAN studio (samples,
the discriminator's view, FID, inversion), Style & content (the conditional VAE) and
Concepts (transposed-convolution arithmetic, a decoder's layer shapes)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import torch

from core.analysis import class_probe, convolution, posterior, sample_quality
from core.analysis.classify import Prediction
from core.analysis.inversion import InversionConfig, InversionResult, invert
from core.data.datasets import tile
from core.latent.operations import (
    decode_points,
    encode_images,
    prior_codes,
    sample_prior,
)
from core.models.layers import transposed_conv_output_size
from core.training.checkpoints import CheckpointInfo
from ui.compute.cache import lock, per_checkpoint, version
from ui.compute.maps import latents_and_projection
from ui.compute.resources import (
    classifier_file,
    dataset,
    few_labels_dir,
    labels_of,
    map_dataset,
    model,
)

GAN_SAMPLES = 1000  # samples the GAN studio draws per seed: grid, D's scores, classifier, FID
GAN_SCORED = 500  # real and generated digits the discriminator scores
D_KEEPS = 0.5  # the share of G's draws the discriminator keeps when it filters them


# --- the VAE studio ---------------------------------------------------------------------------


@per_checkpoint(show_spinner=False, max_entries=16)
def prior_grid(info: CheckpointInfo, side: int, seed: int) -> np.ndarray:
    """A side x side mosaic of decoded z ~ N(0, I)."""
    return tile(sample_prior(model(info), side * side, seed)[1], columns=side)


@per_checkpoint(show_spinner=False, max_entries=16)
def reparameterization(
    info: CheckpointInfo, dataset_name: str, index: int, n: int, seed: int
) -> posterior.Reparameterization:
    """The trick on map digit ``index``: n codes z = mu + sigma * eps with a seeded eps."""
    return posterior.reparameterize(model(info), map_dataset(dataset_name).images[index], n, seed)


def posterior_on_map(
    info: CheckpointInfo, dataset_name: str, method: str, trick: posterior.Reparameterization
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, float]:
    """q(z|x) on a linear map: (centre [2], the 1- and 2-sigma ellipses, the sampled z placed
    on the map [n, 2], the half-width of a view zoomed on it: 3 sigma along its longest axis,
    at least 0.25)."""
    _, projection = latents_and_projection(info, dataset_name, method)
    centre, cov = posterior.projected_gaussian(projection, trick.mu, trick.sigma)
    ellipses = {f"{r} sigma": posterior.ellipse(centre, cov, r) for r in (1, 2)}
    zoom = max(3 * float(np.sqrt(np.linalg.eigvalsh(cov).max())), 0.25)
    return centre, ellipses, projection.transform(trick.z), zoom


@per_checkpoint(show_spinner="Encoding the validation digits…", max_entries=8)
def kl_report(info: CheckpointInfo, dataset_name: str) -> posterior.KLReport:
    return posterior.kl_per_dimension(model(info), dataset(dataset_name).split("val")[0])


def invert_digit(
    info: CheckpointInfo,
    digit: np.ndarray,
    config: InversionConfig,
    progress: Callable[[float, str], None] | None = None,
) -> InversionResult:
    """The GAN's closest image to a digit, by search (not cached: the page keeps the result);
    ``progress(fraction, text)`` is told every 10 steps and at the end."""

    def report(p) -> None:
        if progress is not None and (p.step % 10 == 0 or p.step == p.steps):
            progress(p.fraction, f"Step {p.step} of {p.steps} · MSE {p.best_mse:.4f}")

    return invert(model(info), digit, config, callback=report)


# --- the GAN studio ---------------------------------------------------------------------------


@per_checkpoint(show_spinner=False, max_entries=16)
def gan_draw(info: CheckpointInfo, seed: int, filtered: bool = False) -> tuple[np.ndarray, ...]:
    """The seed's GAN_SAMPLES codes [N, k] and generated digits float32 [N, 28, 28]: the grid
    shows the first ones, D scores the first GAN_SCORED, the classifier judges them all.
    ``filtered``: of twice as many draws, the half D finds most real (D_KEEPS)."""
    keep = D_KEEPS if filtered else 1.0
    return sample_quality.most_real(model(info), GAN_SAMPLES, seed, keep)


def gan_samples(info: CheckpointInfo, seed: int, filtered: bool = False) -> np.ndarray:
    return gan_draw(info, seed, filtered)[1]


def gan_code(info: CheckpointInfo, seed: int, index: int, filtered: bool = False) -> np.ndarray:
    """The code z [k] of ``gan_samples(info, seed, filtered)[index]``."""
    return gan_draw(info, seed, filtered)[0][index]


@per_checkpoint(show_spinner="Scoring digits with the discriminator…", max_entries=16)
def discriminator_scores(info: CheckpointInfo, dataset_name: str, seed: int, filtered: bool):
    """(N random validation digits uint8 [N, 28, 28], D on them [N], N samples, D on them)."""
    val_images = dataset(dataset_name).split("val")[0].numpy()
    n = min(GAN_SCORED, len(val_images))
    pick = np.sort(np.random.default_rng(seed).choice(len(val_images), n, replace=False))
    real, fake, gan = val_images[pick], gan_samples(info, seed, filtered)[:n], model(info)
    real_scores = sample_quality.discriminator_probabilities(gan, real)
    return real, real_scores, fake, sample_quality.discriminator_probabilities(gan, fake)


def discriminator_extremes(
    real_scores: np.ndarray, fake_scores: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """(the n samples D finds most real, the n real digits it doubts most): indices, the most
    extreme first."""
    return np.argsort(fake_scores)[::-1][:n], np.argsort(real_scores)[:n]


def discriminator_accuracy(real_scores: np.ndarray, fake_scores: np.ndarray) -> float:
    """How often D is right when its D(x) is thresholded at 0.5, over real and generated."""
    right = np.sum(real_scores > 0.5) + np.sum(fake_scores <= 0.5)
    return float(right / (len(real_scores) + len(fake_scores)))


def gan_quality(info: CheckpointInfo, dataset_name: str, seed: int, filtered: bool = False):
    """Class histogram and FID of the seed's samples, or None without the shipped classifier."""
    path = classifier_file(dataset_name)
    if path is None:
        return None
    return _gan_quality(info, version(path), dataset_name, seed, filtered)


@per_checkpoint(show_spinner="Classifying 1,000 samples and computing the FID…", max_entries=16)
def _gan_quality(
    info: CheckpointInfo, classifier_version: tuple, dataset_name: str, seed: int, filtered: bool
) -> sample_quality.SampleQuality:
    data = dataset(dataset_name)
    return sample_quality.sample_quality(
        model(classifier_file(dataset_name)),
        gan_samples(info, seed, filtered),
        validation=data.split("val")[0],
        training=data.split("train")[0],
        seed=seed,
    )


# --- style and content: the conditional VAE ---------------------------------------------------


def _codes(info: CheckpointInfo, images: np.ndarray | torch.Tensor, labels) -> np.ndarray:
    """Codes [N, k] of uint8 images: a CVAE's style code given the labels, else the code."""
    found = model(info)
    return encode_images(found, images, labels=labels if found.conditional else None)


@per_checkpoint(show_spinner=False, max_entries=64)
def style_row(
    info: CheckpointInfo, digit: np.ndarray, label: int
) -> tuple[np.ndarray, np.ndarray, Prediction | None]:
    """One uint8 digit [28, 28] of class ``label``: (its style code z = E[q(z|x, y)] [k], z drawn
    as every label float [C, 28, 28], the classifier's reading of each, or None without one)."""
    cvae = model(info)
    z = encode_images(cvae, digit[None], labels=[label])[0]
    classes = np.arange(cvae.num_classes)
    renders = decode_points(cvae, np.repeat(z[None], len(classes), 0), labels=classes)
    return z, renders, labels_of(renders, info.dataset)


@per_checkpoint(show_spinner=False, max_entries=64)
def style_swap(
    info: CheckpointInfo, a: np.ndarray, label_a: int, b: np.ndarray, label_b: int
) -> tuple[np.ndarray, Prediction | None]:
    """Two uint8 digits [28, 28] trade styles: (float [2, 28, 28] = a's z drawn as b's label, b's
    z drawn as a's label; the classifier's reading of both)."""
    cvae = model(info)
    z = encode_images(cvae, np.stack([a, b]), labels=[label_a, label_b])  # [2, k]
    swapped = decode_points(cvae, z, labels=[label_b, label_a])
    return swapped, labels_of(swapped, info.dataset)


@per_checkpoint(show_spinner=False, max_entries=32)
def style_grid(
    info: CheckpointInfo, dataset_name: str, source: str, rows: int, seed: int
) -> tuple[np.ndarray | None, np.ndarray]:
    """Rows of styles, columns the labels 0..C-1: (the real validation digits whose styles the
    rows are, uint8 [rows, 28, 28], or None for ``source="prior"`` (z ~ N(0, I)), the grid of
    renders float [rows * C, 28, 28], row-major)."""
    cvae = model(info)
    if source == "prior":
        real, z = None, prior_codes(rows, cvae.latent_dim, seed)
    else:
        val_x, val_y = dataset(dataset_name).split("val")
        pick = np.sort(np.random.default_rng(seed).choice(len(val_x), rows, replace=False))
        real = val_x[pick].numpy()
        z = encode_images(cvae, real, labels=val_y[pick])
    classes = np.tile(np.arange(cvae.num_classes), len(z))  # [rows * C]
    return real, decode_points(cvae, np.repeat(z, cvae.num_classes, 0), labels=classes)


PROBE_PER_CLASS = class_probe.PER_CLASS  # the page says how many labels the probe saw
PROBE_DRAWS = class_probe.DRAWS


def class_in_code(info: CheckpointInfo, dataset_name: str) -> dict[str, Any]:
    """How much of the class a code carries (``core.analysis.class_probe``): read from the
    shipped file beside the learning curves; for any other model computed first (encoding,
    the probes, a t-SNE: seconds) under a progress bar, outside the cache (a cached function
    must not draw)."""
    path = _probe_file(*version(info), dataset_name)
    if not path.exists():
        with lock(str(path)):  # two sessions asking at once compute it once
            if not path.exists():
                _probe_with_progress(info, dataset_name)
    return _class_in_code(info, dataset_name)


@per_checkpoint(show_spinner=False, max_entries=16)
def _class_in_code(info: CheckpointInfo, dataset_name: str) -> dict[str, Any]:
    return class_probe.cached_class_probe(
        info.path, model(info), dataset(dataset_name), few_labels_dir()
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _probe_file(path: str, mtime: float, dataset_name: str) -> Path:
    # memoised: the key reads the checkpoint (the dataset's digest is hashed once per process)
    return class_probe.probe_path(path, dataset(dataset_name), few_labels_dir())


def _probe_with_progress(info: CheckpointInfo, dataset_name: str) -> None:
    title = f"Does {info.name}'s code know the class?"
    bar = st.progress(0.0, text=f"{title} (encoding the digits…)")
    try:
        class_probe.cached_class_probe(
            info.path,
            model(info),
            dataset(dataset_name),
            few_labels_dir(),
            progress=lambda share, what: bar.progress(share, text=f"{title} ({what}…)"),
        )
    finally:
        bar.empty()


# --- concepts ---------------------------------------------------------------------------------


def transposed_conv(i: int, k: int, s: int, p: int) -> tuple[int, int | None, np.ndarray | None]:
    """ConvTranspose2d(k, s, p) on an i x i input: (o by the formula, the size PyTorch makes,
    the zero-inserted grid's cells); the last two are None when o <= 0 (no output)."""
    o = transposed_conv_output_size(i, k, s, p)
    if o <= 0:
        return o, None, None
    real = convolution.torch_transposed_conv_size(i, k, s, p)
    return o, real, convolution.transposed_conv_picture(i, k, s, p)


@per_checkpoint(show_spinner=False, max_entries=16)
def decoder_shapes(info: CheckpointInfo) -> list[convolution.LayerShape]:
    """Forward hooks on a private copy of the checkpoint's decoder, run on one zero code (the
    cached model is shared by every session, so it is never hooked)."""
    private = copy.deepcopy(model(info))
    return convolution.layer_shapes(
        convolution.decoder_of(private), torch.zeros(1, private.latent_dim)
    )
