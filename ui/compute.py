"""The one compute layer between the pages and ``core``: every number and picture a page shows
is computed by a function here, once per input, and cached here and nowhere else.

- Resources (``st.cache_resource``, one object shared by every session; never mutate them):
  datasets, models, latent maps (a ``Projection`` keeps t-SNE's affinities, so placing new codes
  on a map stays fast) and the registry of training jobs.
- Results (``st.cache_data``, a copy per caller): everything else.

Every result of a checkpoint is keyed by ``version(info)``, its path and modification time, so a
retrained file is recomputed and nothing else is. ``@per_checkpoint`` adds that key; a function
written ``f(info, *args)`` is cached on ``(version(info), *args)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import torch

from core import attributes, compare, convolution, few_labels, posterior, sample_quality
from core.checkpoints import CheckpointInfo, load_model, scan_checkpoints
from core.classify import Prediction, fits, predict
from core.data import (
    DATASETS,
    DEBIAN_FASHION_DIR,
    Dataset,
    add_gaussian_noise,
    add_salt_and_pepper,
    load_dataset,
    to_float,
)
from core.devices import select_device
from core.few_labels import learning_curve
from core.inversion import InversionConfig, InversionResult, invert
from core.jobs import TrainingJob
from core.latent import (
    MixConfig,
    MixResult,
    decode_points,
    encode_images,
    interpolate,
    invert_click,
    latent_lattice,
    mix_class,
    nearest_neighbours,
    nearest_training_images,
    prior_codes,
    reconstruct,
    sample_prior,
)
from core.maps import Projection, methods_for, place_problem, project
from core.metrics import mse, per_image_mse, per_image_ssim, psnr
from core.models import Model, transposed_conv_output_size
from core.projection import cached_projection
from ui import explorer
from ui.images import tile

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT_DIR = ROOT / "checkpoints"
PROJECTION_DIR = CHECKPOINT_DIR / "projections"
DATA_DIR = ROOT / "data"
MAP_SIZE = 5000  # digits shown on a map; larger datasets are subsampled (stratified)
GAN_SAMPLES = 1000  # samples the GAN studio draws per seed: grid, D's scores, classifier, FID
GAN_SCORED = 500  # real and generated digits the discriminator scores


# --- the cache key of a checkpoint ------------------------------------------------------------


def version(checkpoint: CheckpointInfo | Path | str) -> tuple[str, float]:
    """(path, modification time): part of the key of every cached result of a checkpoint."""
    path = Path(checkpoint.path if isinstance(checkpoint, CheckpointInfo) else checkpoint)
    return str(path), path.stat().st_mtime


def per_checkpoint(**cache_options: Any) -> Callable:
    """Cache ``f(info, *args)`` with ``st.cache_data(**cache_options)`` on (version, *args)."""

    def decorate(fn: Callable) -> Callable:
        def cached(path: str, mtime: float, _info: CheckpointInfo, *args: Any) -> Any:
            return fn(_info, *args)

        # Streamlit tells caches apart by module and qualified name: give each its own.
        cached.__module__, cached.__qualname__ = fn.__module__, fn.__qualname__
        cached = st.cache_data(**cache_options)(cached)

        @functools.wraps(fn)
        def call(info: CheckpointInfo, *args: Any) -> Any:
            return cached(*version(info), info, *args)

        return call

    return decorate


# --- datasets, checkpoints, models ------------------------------------------------------------


def available_datasets() -> list[str]:
    """Datasets that load here without a download: embedded always, the others when on disk."""
    names = ["embedded"]
    if (DATA_DIR / "MNIST").exists() or (DATA_DIR / "mnist").exists():
        names.append("mnist")
    if DEBIAN_FASHION_DIR.exists() or (DATA_DIR / "FashionMNIST").exists():
        names.append("fashion-mnist")
    return [n for n in DATASETS if n in names]


@st.cache_resource(show_spinner="Loading digits…")
def dataset(name: str) -> Dataset:
    root = DATA_DIR / ("MNIST" if name == "mnist" else "FashionMNIST")
    return load_dataset(name, root=root if root.exists() else None)


@st.cache_resource(show_spinner=False)
def map_dataset(name: str) -> Dataset:
    """The digits drawn on maps: the whole embedded set, a stratified 5,000 of larger ones."""
    return dataset(name).subset(MAP_SIZE)


def checkpoints() -> list[CheckpointInfo]:
    """Every loadable checkpoint; re-read when the folder changes (e.g. after training)."""
    return _scan_checkpoints(str(CHECKPOINT_DIR), _folder_stamp())[0]


def unreadable_checkpoints() -> list[tuple[str, str]]:
    """(file name, why) of each ``*.pt`` file the model picker skips; none is ever run."""
    return _scan_checkpoints(str(CHECKPOINT_DIR), _folder_stamp())[1]


def _folder_stamp() -> tuple:
    return tuple(sorted((p.name, p.stat().st_mtime) for p in CHECKPOINT_DIR.glob("*.pt")))


@st.cache_data(show_spinner=False)
def _scan_checkpoints(
    folder: str, stamp: tuple
) -> tuple[list[CheckpointInfo], list[tuple[str, str]]]:
    # ``stamp`` must be hashed (no leading underscore): it is what makes a new file show up.
    infos, skipped = scan_checkpoints(folder)
    return infos, [(path.name, reason) for path, reason in skipped]


@st.cache_resource(show_spinner=False)
def device_name() -> str:
    return str(select_device("auto"))


@st.cache_resource(show_spinner="Loading model…", max_entries=16)
def _model(path: str, mtime: float, device: str) -> Model:
    return load_model(path, device=device)


def model(checkpoint: CheckpointInfo | Path) -> Model:
    """The model of a checkpoint, on the app's device, loaded once per file version."""
    return _model(*version(checkpoint), device_name())


def classifier(dataset_name: str) -> Model | None:
    """The shipped digit classifier when it exists and its classes are this dataset's."""
    path = CHECKPOINT_DIR / "classifier.pt"
    if not path.exists():
        return None
    found = model(path)
    return found if fits(found, dataset_name) else None  # a digit classifier on clothes: no


def labels_of(images: np.ndarray, dataset_name: str) -> Prediction | None:
    """The classifier's label and confidence for each image, or None when none fits."""
    found = classifier(dataset_name)
    return predict(found, images) if found is not None else None


@st.cache_resource(show_spinner=False)
def training_jobs() -> dict[str, TrainingJob]:
    """Every training job of this server process by id, shared by all browser sessions."""
    return {}


# --- latent maps ------------------------------------------------------------------------------


def map_methods(info: CheckpointInfo) -> list[str]:
    return methods_for(info.latent_dim)


@st.cache_resource(show_spinner="Projecting latent codes…", max_entries=32)
def _latent_map(
    path: str, mtime: float, dataset_name: str, method: str
) -> tuple[np.ndarray, Projection]:
    latents, projection = cached_projection(
        path, map_dataset(dataset_name), method, cache_dir=PROJECTION_DIR
    )
    for array in (latents, projection.coords):
        array.flags.writeable = False  # shared by every session
    return latents, projection


def latents_and_projection(
    info: CheckpointInfo, dataset_name: str, method: str
) -> tuple[np.ndarray, Projection]:
    """(codes [N, k] of the map digits, their 2-D map), from the on-disk cache when shipped."""
    return _latent_map(*version(info), dataset_name, method)


@per_checkpoint(show_spinner="Placing the codes on the map…", max_entries=64)
def place(info: CheckpointInfo, dataset_name: str, method: str, codes: np.ndarray) -> np.ndarray:
    """New codes [M, k] -> map positions [M, 2] (t-SNE places them in about a second)."""
    return latents_and_projection(info, dataset_name, method)[1].transform(codes)


def neighbours(
    info: CheckpointInfo, dataset_name: str, method: str, z: np.ndarray, exclude: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances) of the 5 map digits whose codes are nearest to z (any map of the
    model: they share its codes; pass the one on screen, which is loaded already)."""
    latents, _ = latents_and_projection(info, dataset_name, method)
    return nearest_neighbours(latents, z, n=5, exclude=exclude)


def decode_place(
    info: CheckpointInfo, dataset_name: str, method: str, point: np.ndarray
) -> tuple[np.ndarray, bool, np.ndarray]:
    """A place on a map [2] -> (its code [k], whether exact, the decoded digit [28, 28])."""
    latents, projection = latents_and_projection(info, dataset_name, method)
    z, exact = invert_click(projection, point, latents)
    return z, exact, decode_points(model(info), z[None])[0]


@per_checkpoint(show_spinner=False, max_entries=8)
def manifold_background(
    info: CheckpointInfo, ranges: tuple, tiles: int
) -> tuple[np.ndarray, list[float]]:
    """The decoder's output over a tiles x tiles lattice of the axes ``ranges`` ((x0, x1),
    (y0, y1)): (uint8 mosaic [28 t, 28 t], row 0 the top (largest z2); its extent [x0, x1, y0,
    y1], the lattice's outer tile edges, so that each tile is centred on the code it decodes)."""
    xs = np.linspace(*ranges[0], tiles)
    ys = np.linspace(*ranges[1], tiles)[::-1]
    z = np.array([[x, y] for y in ys for x in xs], dtype=np.float32)
    half = [(hi - lo) / (tiles - 1) / 2 for lo, hi in ranges]
    extent = [
        ranges[0][0] - half[0],
        ranges[0][1] + half[0],
        ranges[1][0] - half[1],
        ranges[1][1] + half[1],
    ]
    return tile(decode_points(model(info), z), columns=tiles, gap=0), [float(v) for v in extent]


# --- the live explorer: what the browser fetches ---------------------------------------------


@per_checkpoint(show_spinner=False, max_entries=64)
def decoder(info: CheckpointInfo) -> explorer.Decoder:
    """The URL of the checkpoint's ONNX decoder (exported on first use), or why there is none.
    Cached per version: finding the export hashes the checkpoint's bytes (~3 ms per MB)."""
    return explorer.decoder_for(info.path)


@per_checkpoint(show_spinner=False, max_entries=64)
def explorer_map(info: CheckpointInfo, dataset_name: str, method: str) -> dict[str, Any]:
    """A map's arrays published for the browser (``ui.explorer.publish_map``: coords, labels,
    codes, the originals' sprite atlas), hashed once per checkpoint version, not per rerun."""
    latents, projection = latents_and_projection(info, dataset_name, method)
    digits = map_dataset(dataset_name)
    return explorer.publish_map(
        projection.coords, digits.labels.numpy(), latents, digits.images.numpy()
    )


def explorer_inverse(info: CheckpointInfo, dataset_name: str, method: str) -> dict[str, Any]:
    """The map's way back from a point to a code, for the browser (``ui.explorer.inverse_rule``)."""
    return explorer.inverse_rule(latents_and_projection(info, dataset_name, method)[1])


def map_point_problem(
    info: CheckpointInfo, dataset_name: str, method: str, point: Sequence[float]
) -> str | None:
    """Why a place [x, y] from a link or a click is not decoded, or None when it may be: not
    two finite numbers, or farther off the map than the explorer's own preview decodes."""
    _, projection = latents_and_projection(info, dataset_name, method)
    return place_problem(point, projection.coords)


# --- single digits ----------------------------------------------------------------------------


def encode(info: CheckpointInfo, digit: np.ndarray) -> np.ndarray:
    """The code [k] of one uint8 digit [28, 28]."""
    return encode_images(model(info), digit[None])[0]


def reconstruction(info: CheckpointInfo, digit: np.ndarray) -> tuple[np.ndarray, float]:
    """(g(f(x)) float [28, 28], its per-pixel MSE) of one uint8 digit [28, 28]."""
    recon = reconstruct(model(info), digit[None])[0]
    return recon, float(per_image_mse(digit[None], recon[None])[0])


@per_checkpoint(show_spinner=False, max_entries=16)
def home_row(info: CheckpointInfo, dataset_name: str) -> tuple[np.ndarray, np.ndarray]:
    """(one real validation digit per class uint8 [C, 28, 28], their reconstructions, or as many
    samples G(z) for a GAN, float [C, 28, 28])."""
    data = dataset(dataset_name)
    val_x, val_y = data.split("val")
    rng = np.random.default_rng(0)
    picks = [rng.choice(np.flatnonzero(val_y.numpy() == c)) for c in range(len(data.class_names))]
    real = val_x[picks].numpy()
    if model(info).has_encoder:
        return real, reconstruct(model(info), real)
    z = np.random.default_rng(0).standard_normal((len(real), info.latent_dim))
    return real, decode_points(model(info), z.astype(np.float32))


# --- walks and mixtures -----------------------------------------------------------------------


@per_checkpoint(show_spinner=False, max_entries=32)
def walk(info: CheckpointInfo, z0: np.ndarray, z1: np.ndarray, steps: int, method: str):
    """(codes [steps, k] from z0 to z1, their decodings float [steps, 28, 28])."""
    path = interpolate(z0, z1, steps, method)
    return path, decode_points(model(info), path)


def random_codes(info: CheckpointInfo, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two codes z ~ N(0, I) drawn with this seed: the ends of a walk without an encoder."""
    z0, z1 = prior_codes(2, info.latent_dim, seed)
    return z0, z1


@per_checkpoint(show_spinner="Encoding the class and mixing its codes…", max_entries=16)
def mix(info: CheckpointInfo, dataset_name: str, config: MixConfig) -> MixResult:
    return mix_class(model(info), dataset(dataset_name), config)


@st.cache_data(show_spinner=False, max_entries=32)
def held_out_distances(dataset_name: str, label: int, n: int) -> np.ndarray:
    """Per-pixel RMSE from real validation digits of the class to their nearest training digit:
    how far a digit that is genuinely not in the training set usually is."""
    data = dataset(dataset_name)
    val = data.val_idx[data.labels[data.val_idx] == label][:n]
    return nearest_training_images(data, to_float(data.images[val]).squeeze(1).numpy())[1]


@per_checkpoint(show_spinner="Placing the codes on the map…", max_entries=16)
def mix_on_map(info: CheckpointInfo, dataset_name: str, method: str, config: MixConfig):
    """(source codes, new codes) as map positions, each float32 [M, 2]. Source digits drawn on
    the map (all of them when the map shows the whole dataset) keep their exact place."""
    _, projection = latents_and_projection(info, dataset_name, method)
    result = mix(info, dataset_name, config)
    if len(map_dataset(dataset_name)) == len(dataset(dataset_name)):
        return projection.coords[result.source_indices], projection.transform(result.latents)
    both = projection.transform(np.concatenate([result.source_latents, result.latents]))
    return both[: len(result.source_latents)], both[len(result.source_latents) :]


# --- reconstruction errors and PCA ------------------------------------------------------------


@st.cache_data(show_spinner="Fitting PCA to the training pixels…", max_entries=4)
def pixel_pca(dataset_name: str, n_components: int) -> compare.PixelPCA:
    """PCA of the training pixels with n components (nested: ``.first(k)`` for fewer)."""
    return compare.fit_pixel_pca(dataset(dataset_name).split("train")[0], n_components)


@per_checkpoint(show_spinner="Scoring every validation digit…", max_entries=16)
def validation_errors(info: CheckpointInfo, dataset_name: str) -> tuple[np.ndarray, np.ndarray]:
    """(per-image MSE [N_val], reconstructions [N_val, 28, 28]) of the clean validation split."""
    clean = dataset(dataset_name).split("val")[0]
    recon = reconstruct(model(info), clean)
    return per_image_mse(recon, clean), recon


@st.cache_data(show_spinner=False, max_entries=8)
def pca_validation_errors(dataset_name: str, n_components: int, k: int) -> np.ndarray:
    val = dataset(dataset_name).split("val")[0]
    pca = pixel_pca(dataset_name, n_components).first(k)
    return per_image_mse(val, compare.pca_reconstruct(pca, val)[1])


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


def invert_digit(
    info: CheckpointInfo, digit: np.ndarray, config: InversionConfig, callback=None
) -> InversionResult:
    """The GAN's closest image to a digit, by search (not cached: the page keeps the result)."""
    return invert(model(info), digit, config, callback=callback)


# --- PCA vs AE --------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def pca_scores(dataset_name: str, ks: tuple[int, ...]) -> list[compare.MethodScores]:
    fitted = pixel_pca(dataset_name, max(ks))
    return compare.score_pca(dataset(dataset_name), ks, fitted)[0]


@per_checkpoint(show_spinner=False, max_entries=64)
def model_scores(info: CheckpointInfo, dataset_name: str) -> compare.MethodScores:
    return compare.score_checkpoint(info, model(info), dataset(dataset_name))


@st.cache_data(show_spinner=False, max_entries=4)
def pca_map_scores(dataset_name: str, n_components: int) -> compare.MapScores:
    digits = map_dataset(dataset_name)
    plane = pixel_pca(dataset_name, n_components).first(2)
    codes, _ = compare.pca_reconstruct(plane, digits.images)
    return compare.score_map(digits.images, codes, digits.labels)


@per_checkpoint(show_spinner=False, max_entries=16)
def model_map_scores(info: CheckpointInfo, dataset_name: str) -> compare.MapScores:
    digits = map_dataset(dataset_name)
    _, projection = latents_and_projection(info, dataset_name, "raw")
    return compare.score_map(digits.images, projection.coords, digits.labels)


@per_checkpoint(show_spinner=False, max_entries=16)
def axis_traversal(
    info: CheckpointInfo, dataset_name: str, steps: int, span: float
) -> compare.AxisTraversal:
    codes = encode_images(model(info), dataset(dataset_name).split("val")[0])
    return compare.axis_traversal(model(info), codes, steps, span)


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


# --- the VAE studio ---------------------------------------------------------------------------


@per_checkpoint(show_spinner=False, max_entries=16)
def prior_grid(info: CheckpointInfo, side: int, seed: int) -> np.ndarray:
    """A side x side mosaic of decoded z ~ N(0, I)."""
    return tile(sample_prior(model(info), side * side, seed)[1], columns=side)


@per_checkpoint(show_spinner=False, max_entries=16)
def manifold(info: CheckpointInfo, extent: float, tiles: int) -> np.ndarray:
    """The decoder's output over a tiles x tiles lattice of [-extent, extent]^2, top row z2 max."""
    return tile(decode_points(model(info), latent_lattice(extent, tiles)), columns=tiles, gap=0)


def manifold_extent(extent: float, tiles: int) -> list[float]:
    """The box [z1 min, z1 max, z2 min, z2 max] that ``manifold``'s mosaic covers on the raw
    map: tiles are 2 extent / (tiles - 1) apart and each is centred on its own code."""
    reach = extent + extent / (tiles - 1)  # half a tile beyond the outer codes
    return [-reach, reach, -reach, reach]


@per_checkpoint(show_spinner=False, max_entries=16)
def reparameterization(
    info: CheckpointInfo, dataset_name: str, index: int, n: int, seed: int
) -> posterior.Reparameterization:
    """The trick on map digit ``index``: n codes z = mu + sigma * eps with a seeded eps."""
    return posterior.reparameterize(model(info), map_dataset(dataset_name).images[index], n, seed)


def posterior_on_map(
    info: CheckpointInfo, dataset_name: str, method: str, trick: posterior.Reparameterization
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """q(z|x) on a linear map: (centre [2], covariance [2, 2], the 1- and 2-sigma ellipses,
    the sampled z placed on the map [n, 2])."""
    _, projection = latents_and_projection(info, dataset_name, method)
    centre, cov = posterior.projected_gaussian(projection, trick.mu, trick.sigma)
    ellipses = {f"{r} sigma": posterior.ellipse(centre, cov, r) for r in (1, 2)}
    return centre, cov, ellipses, projection.transform(trick.z)


@per_checkpoint(show_spinner="Encoding the validation digits…", max_entries=8)
def kl_report(info: CheckpointInfo, dataset_name: str) -> posterior.KLReport:
    return posterior.kl_per_dimension(model(info), dataset(dataset_name).split("val")[0])


# --- the GAN studio ---------------------------------------------------------------------------


@per_checkpoint(show_spinner=False, max_entries=16)
def gan_samples(info: CheckpointInfo, seed: int) -> np.ndarray:
    """The seed's GAN_SAMPLES generated digits float32 [N, 28, 28]: the grid shows the first
    ones, D scores the first GAN_SCORED, the classifier judges them all."""
    return sample_prior(model(info), GAN_SAMPLES, seed)[1]


def gan_code(info: CheckpointInfo, seed: int, index: int) -> np.ndarray:
    """The code z [k] of ``gan_samples(info, seed)[index]`` (the same draw of N(0, I))."""
    return prior_codes(GAN_SAMPLES, info.latent_dim, seed)[index]


@per_checkpoint(show_spinner="Scoring digits with the discriminator…", max_entries=16)
def discriminator_scores(info: CheckpointInfo, dataset_name: str, seed: int):
    """(N random validation digits uint8 [N, 28, 28], D on them [N], N samples, D on them)."""
    val_images = dataset(dataset_name).split("val")[0].numpy()
    n = min(GAN_SCORED, len(val_images))
    pick = np.sort(np.random.default_rng(seed).choice(len(val_images), n, replace=False))
    real, fake, gan = val_images[pick], gan_samples(info, seed)[:n], model(info)
    real_scores = sample_quality.discriminator_probabilities(gan, real)
    return real, real_scores, fake, sample_quality.discriminator_probabilities(gan, fake)


def discriminator_accuracy(real_scores: np.ndarray, fake_scores: np.ndarray) -> float:
    """How often D is right when its D(x) is thresholded at 0.5, over real and generated."""
    right = np.sum(real_scores > 0.5) + np.sum(fake_scores <= 0.5)
    return float(right / (len(real_scores) + len(fake_scores)))


def gan_quality(info: CheckpointInfo, dataset_name: str, seed: int):
    """Class histogram and FID of the seed's samples, or None without the shipped classifier."""
    path = CHECKPOINT_DIR / "classifier.pt"
    if not path.exists():
        return None
    return _gan_quality(info, version(path), dataset_name, seed)


@per_checkpoint(show_spinner="Classifying 1,000 samples and computing the FID…", max_entries=16)
def _gan_quality(
    info: CheckpointInfo, classifier_version: tuple, dataset_name: str, seed: int
) -> sample_quality.SampleQuality:
    data = dataset(dataset_name)
    return sample_quality.sample_quality(
        model(CHECKPOINT_DIR / "classifier.pt"),
        gan_samples(info, seed),
        validation=data.split("val")[0],
        training=data.split("train")[0],
        seed=seed,
    )


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
    private = load_model(info.path)
    return convolution.layer_shapes(
        convolution.decoder_of(private), torch.zeros(1, private.latent_dim)
    )


# --- attributes and latent arithmetic (issue 14) ----------------------------------------------

IDENTITY_MIN_DIM = 10  # a direction that holds 9 discriminant scores fixed needs k >= 10
DIRECTIONS = {
    "plain": "Plain: the regression of the attribute on the codes.",
    "scores held": "Keeps the digit: the within-class regression, with the nine class-"
    "discriminant scores of the code held fixed.",
    "class edit": "Keeps the digit: for the digit's class, the mean change of the code when its "
    "training digits are sheared (slant) or dilated (thickness).",
}


@st.cache_data(show_spinner="Measuring the training digits…", max_entries=4)
def attribute_values(dataset_name: str) -> dict[str, np.ndarray]:
    """Each attribute (``core.attributes.ATTRIBUTES``) of the training digits: name -> [N_train]."""
    return attributes.measure(dataset(dataset_name).split("train")[0])


@per_checkpoint(show_spinner="Encoding the training digits…", max_entries=8)
def training_codes(info: CheckpointInfo, dataset_name: str) -> np.ndarray:
    """Codes [N_train, k] of the training split: what directions are fitted on."""
    return encode_images(model(info), dataset(dataset_name).split("train")[0])


def direction_names(info: CheckpointInfo, attribute: str) -> list[str]:
    """The directions of ``DIRECTIONS`` this model and attribute have: "scores held" needs
    k >= IDENTITY_MIN_DIM, "class edit" an edit of the attribute (slant, thickness)."""
    names = ["plain"]
    if info.latent_dim >= IDENTITY_MIN_DIM:
        names.append("scores held")
    if attribute in attributes.EDITS:
        names.append("class edit")
    return names


@per_checkpoint(show_spinner="Fitting the direction on the training digits…", max_entries=32)
def attribute_direction(
    info: CheckpointInfo, dataset_name: str, attribute: str, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """(unit directions [C, k], std of the training codes projected on each [C]: the unit of
    the walk). One row for "plain" and "scores held", one per class for "class edit"."""
    codes = training_codes(info, dataset_name)
    images, labels = dataset(dataset_name).split("train")
    values = attribute_values(dataset_name)[attribute]
    if name == "plain":
        v = attributes.direction(codes, values)[None]
    elif name == "scores held":
        v = attributes.class_preserving_direction(codes, values, labels.numpy())[None]
    else:

        def encode_floats(x: np.ndarray) -> np.ndarray:  # edited images in [0, 1] -> codes
            return encode_images(model(info), torch.from_numpy(x).float())

        classes = len(dataset(dataset_name).class_names)
        v = attributes.class_edit_directions(encode_floats, images, labels, attribute, classes)
    return v, attributes.projected_std(codes, v)


@per_checkpoint(show_spinner=False, max_entries=64)
def attribute_walk(
    info: CheckpointInfo,
    dataset_name: str,
    attribute: str,
    index: int,
    alphas: tuple,
    names: tuple,
) -> dict[str, dict[str, Any]]:
    """Digit ``index`` moved to z + alpha s v for each alpha (in std units s) along each named
    direction: name -> {"images" [A, 28, 28], "values" [A] (the attribute measured on them),
    "labels" [A] and "confidence" [A] (the classifier's, absent without one), "class": the
    class whose direction "class edit" took (read by the classifier on g(z), else the label)}."""
    data = dataset(dataset_name)
    z = encode(info, data.images[index].numpy())
    read = labels_of(decode_points(model(info), z[None]), dataset_name)
    own_class = int(read.labels[0]) if read is not None else int(data.labels[index])
    out = {}
    for name in names:
        directions, scales = attribute_direction(info, dataset_name, attribute, name)
        row = own_class if len(directions) > 1 else 0
        v, scale = directions[row], scales[row]
        codes = z[None] + np.asarray(alphas)[:, None] * scale * v[None]  # [A, k]
        decoded = decode_points(model(info), codes.astype(np.float32))
        out[name] = {"images": decoded, "values": attributes.measure(decoded)[attribute]}
        out[name]["class"] = own_class
        seen = labels_of(decoded, dataset_name)
        if seen is not None:
            out[name] |= {"labels": seen.labels, "confidence": seen.confidence}
    return out


def group_vector(
    info: CheckpointInfo, dataset_name: str, group_a: Sequence[int], group_b: Sequence[int]
) -> np.ndarray:
    """Mean code of the map digits of group a minus that of group b, [k] (not normalised:
    Latent Space Cartography's attribute vector keeps the groups' distance)."""
    latents = latents_and_projection(info, dataset_name, map_methods(info)[0])[0]
    if not len(group_a) or not len(group_b):
        raise ValueError("both groups need at least one digit")
    return latents[list(group_a)].mean(axis=0) - latents[list(group_b)].mean(axis=0)


@per_checkpoint(show_spinner=False, max_entries=32)
def vector_walk(
    info: CheckpointInfo, dataset_name: str, index: int, vector: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray, Any]:
    """Digit ``index`` plus t * vector for t from 0 to 1: (t [steps], images [steps, 28, 28],
    the classifier's Prediction or None)."""
    z = encode(info, dataset(dataset_name).images[index].numpy())
    ts = np.linspace(0.0, 1.0, steps)
    decoded = decode_points(model(info), (z[None] + ts[:, None] * vector[None]).astype(np.float32))
    return ts, decoded, labels_of(decoded, dataset_name)


@per_checkpoint(show_spinner=False, max_entries=32)
def analogy(
    info: CheckpointInfo, dataset_name: str, a: int, b: int, c: int
) -> tuple[np.ndarray, Any]:
    """decode(f(a) - f(b) + f(c)) of three dataset digits: (image [28, 28], Prediction or None)."""
    images_ = dataset(dataset_name).images[[a, b, c]].numpy()
    za, zb, zc = encode_images(model(info), images_)
    decoded = decode_points(model(info), (za - zb + zc)[None])
    return decoded[0], labels_of(decoded, dataset_name)


# --- few labels (issue 14) --------------------------------------------------------------------

FEW_LABELS_DIR = CHECKPOINT_DIR / "few_labels"


def few_labels_sources(dataset_name: str) -> list[CheckpointInfo]:
    """The checkpoints of this dataset whose models encode digits (AE, VAE, and any kind with an
    ``encode``, a conditional one included), smallest code first."""
    infos = [i for i in checkpoints() if i.dataset == dataset_name]
    return sorted(
        [i for i in infos if hasattr(model(i), "encode")], key=lambda i: (i.latent_dim, i.name)
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _few_labels_curve(
    name: str, dataset_name: str, k: int, key: tuple | None, _info: CheckpointInfo | None
) -> list[dict[str, Any]]:
    data = dataset(dataset_name)
    if _info is not None:
        source, features = (
            Path(_info.path).read_bytes(),
            lambda: few_labels.code_features(model(_info), data),
        )
    elif k:
        source, features = f"pca {k}".encode(), lambda: few_labels.pca_features(data, k)
    else:
        source, features = b"pixels", lambda: few_labels.pixel_features(data)
    points = few_labels.cached_curve(name, source, data, features, FEW_LABELS_DIR)
    return [p.as_dict() for p in points]


def few_labels_table(
    dataset_name: str, progress: Callable[[float, str], None] | None = None
) -> list[dict[str, Any]]:
    """One row per (features, classifier, labels per class): features, family, k, conditional,
    classifier, per_class, mean, std. Raw pixels, PCA at every code size, every encoder.
    Read from checkpoints/few_labels when shipped, else computed (about 10 s per feature set)
    with ``progress(fraction, text)`` told before each."""
    infos = few_labels_sources(dataset_name)
    jobs: list[tuple[str, str, int, CheckpointInfo | None]] = [("pixels", "pixels", 0, None)]
    jobs += [(f"pca_k{k}", "PCA", k, None) for k in sorted({i.latent_dim for i in infos})]
    jobs += [(i.name, compare.family(i), i.latent_dim, i) for i in infos]
    rows = []
    for n, (name, family, k, info) in enumerate(jobs):
        if progress is not None:
            progress(n / len(jobs), f"Learning curve of {name} ({n + 1} of {len(jobs)})…")
        key = version(info) if info is not None else None
        conditional = info is not None and few_labels.is_conditional(model(info))
        for point in _few_labels_curve(name, dataset_name, k, key, info):
            row = {"features": name, "family": family, "k": k or 784, "conditional": conditional}
            rows.append(row | {c: point[c] for c in ("classifier", "per_class", "mean", "std")})
    if progress is not None:
        progress(1.0, "Done.")
    return rows


def few_labels_reading(
    rows: list[dict[str, Any]], classifier: str, per_class: int
) -> tuple[dict[str, Any] | None, float, list[dict[str, Any]]]:
    """What the curves say at ``per_class`` labels: (the best code's row, None when there is no
    code; the pixels' accuracy; the rows of codes whose encoder was given the label)."""
    at = [r for r in rows if r["classifier"] == classifier and r["per_class"] == per_class]
    codes = [r for r in at if r["family"] not in ("pixels", "PCA") and not r["conditional"]]
    pixels = next(r["mean"] for r in at if r["features"] == "pixels")
    best = max(codes, key=lambda r: r["mean"]) if codes else None
    return best, pixels, [r for r in at if r["conditional"]]


def needs_label(info: CheckpointInfo) -> bool:
    """Whether the checkpoint's encoder is given the label too (a conditional model's code)."""
    return few_labels.is_conditional(model(info))


# --- style and content: the conditional VAE ---------------------------------------------------

PROBE_PER_CLASS = 100  # labelled training codes per class the "does z know the class?" probe sees
PROBE_DRAWS = 5


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


@per_checkpoint(show_spinner="Encoding the digits and fitting the class probes…", max_entries=16)
def class_in_code(info: CheckpointInfo, dataset_name: str) -> dict[str, Any]:
    """How much of the class a code carries, on the validation split: the mean accuracy of
    logistic regression and 1-NN trained on PROBE_PER_CLASS labelled training codes per class
    (PROBE_DRAWS draws, ``core.few_labels``), and the t-SNE map of the validation codes
    (``coords`` float32 [N_val, 2], ``labels`` int64 [N_val]; PCA of 16-D codes hides clusters
    that t-SNE shows). A CVAE's codes are its z given the true label."""
    data = dataset(dataset_name)
    (train_x, train_y), (val_x, val_y) = data.split("train"), data.split("val")
    train_z, val_z = _codes(info, train_x, train_y), _codes(info, val_x, val_y)
    points = learning_curve(
        train_z, train_y, val_z, val_y, per_class=(PROBE_PER_CLASS,), draws=PROBE_DRAWS
    )
    return {
        **{p.classifier: p.mean for p in points},
        "chance": 1.0 / len(data.class_names),
        "coords": project(val_z, "tsne").coords,
        "labels": val_y.numpy(),
    }
