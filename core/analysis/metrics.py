"""Numbers that say how good a model is: pixel fidelity, latent structure, sample quality.

- Reconstructions: MSE, PSNR and SSIM between image batches in [0, 1].
- Latent spaces: kNN accuracy of the codes (do the classes cluster?) and trustworthiness of a
  2-D map (are its neighbours real neighbours?).
- Samples: the Frechet distance between a digit classifier's features (an MNIST-sized FID), and
  the histogram of the classes the classifier sees.

Image batches are numpy arrays or torch tensors of shape [N, H, W] or [N, 1, H, W]: float in
[0, 1], or uint8 in 0..255 (divided by 255).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy import ndimage
from scipy.special import softmax
from sklearn.manifold import trustworthiness as sklearn_trustworthiness
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from core.data.datasets import to_float
from core.models.classifier import DigitClassifier

ArrayLike = np.ndarray | torch.Tensor

# SSIM constants of Wang et al. (2004), "Image quality assessment: from error visibility to
# structural similarity", sec. III-C: an 11x11 Gaussian window with sigma 1.5, K1 and K2.
SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5  # window radius int(3.5 * 1.5 + 0.5) = 5 px, so 11x11 as in the paper
SSIM_K1, SSIM_K2 = 0.01, 0.03


def to_numpy(x: ArrayLike) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def as_unit_images(images: ArrayLike) -> np.ndarray:
    """[N, H, W] or [N, 1, H, W], uint8 or float -> float64 [N, H, W] in [0, 1]."""
    x = to_numpy(images)
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[1] != 1):
        raise ValueError(f"expected images [N, H, W] or [N, 1, H, W], got shape {x.shape}")
    return to_float(x, torch.float64)[:, 0].double().numpy()


def _image_pair(a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x, y = as_unit_images(a), as_unit_images(b)
    if x.shape != y.shape:
        raise ValueError(f"image batches differ in shape: {x.shape} vs {y.shape}")
    return x, y


# --- reconstructions --------------------------------------------------------------------------


def per_image_mse(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Mean squared error per pixel of each image pair: float64 [N]."""
    x, y = _image_pair(a, b)
    return ((x - y) ** 2).mean(axis=(1, 2))


def mse(a: ArrayLike, b: ArrayLike) -> float:
    """Mean squared error per pixel over the whole batch."""
    return float(per_image_mse(a, b).mean())


def psnr(a: ArrayLike, b: ArrayLike, data_range: float = 1.0) -> float:
    """Mean over images of the per-image PSNR 10 log10(range^2 / MSE), in dB.

    An identical pair has infinite PSNR, so a batch with any identical pair gives ``inf``
    (not capped: a cap would be an arbitrary number that looks like a measurement).
    """
    errors = per_image_mse(a, b)
    exact = errors == 0
    db = 10 * np.log10(data_range**2 / np.where(exact, 1.0, errors))
    return float(np.where(exact, np.inf, db).mean())


def per_image_ssim(a: ArrayLike, b: ArrayLike, data_range: float = 1.0) -> np.ndarray:
    """Mean SSIM of each image pair, float64 [N] (Wang et al. 2004, eq. 13, Gaussian window).

    Equals ``skimage.metrics.structural_similarity(x, y, data_range=data_range,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``: local statistics are
    Gaussian-weighted with reflected edges, and the SSIM map is averaged away from a 5-px border.
    """
    x, y = _image_pair(a, b)
    radius = int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)
    if min(x.shape[1:]) < 2 * radius + 1:
        raise ValueError(f"SSIM needs images of at least {2 * radius + 1} px, got {x.shape[1:]}")

    def local_mean(z: np.ndarray) -> np.ndarray:  # [N, H, W] -> [N, H, W], per image
        return ndimage.gaussian_filter(
            z, SSIM_SIGMA, mode="reflect", truncate=SSIM_TRUNCATE, axes=(1, 2)
        )

    mu_x, mu_y = local_mean(x), local_mean(y)
    var_x = local_mean(x * x) - mu_x**2
    var_y = local_mean(y * y) - mu_y**2
    cov_xy = local_mean(x * y) - mu_x * mu_y
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    return ssim_map[:, radius:-radius, radius:-radius].mean(axis=(1, 2))


def ssim(a: ArrayLike, b: ArrayLike, data_range: float = 1.0) -> float:
    """Mean SSIM over the batch: 1 for identical images, lower as structure is lost."""
    return float(per_image_ssim(a, b, data_range).mean())


# --- latent spaces ----------------------------------------------------------------------------


def knn_accuracy(
    points: ArrayLike, labels: ArrayLike, k: int = 10, folds: int = 5, seed: int = 0
) -> float:
    """Cross-validated accuracy of a k-nearest-neighbour classifier on the points [N, d].

    Stratified ``folds``-fold split, shuffled with ``seed``: the same inputs give the same number.
    """
    x, y = to_numpy(points).reshape(len(points), -1), to_numpy(labels)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} points but {len(y)} labels")
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_score(KNeighborsClassifier(n_neighbors=k), x, y, cv=cv, error_score="raise")
    return float(scores.mean())


def trustworthiness(
    high: ArrayLike, low: ArrayLike, k: int = 10, max_points: int = 2000, seed: int = 0
) -> float:
    """How far the k nearest neighbours in the map ``low`` [N, 2] are true neighbours in
    ``high`` [N, D] (Venna & Kaski 2001): 1 when the map invents no neighbours.

    The cost is quadratic in N, so above ``max_points`` a random subset (fixed by ``seed``)
    is scored.
    """
    x, y = to_numpy(high).reshape(len(high), -1), to_numpy(low)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} points in high dimension but {len(y)} in the map")
    if len(x) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(x), max_points, replace=False))
        x, y = x[keep], y[keep]
    return float(sklearn_trustworthiness(x, y, n_neighbors=k))


# --- samples ----------------------------------------------------------------------------------


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a covariance matrix (tiny negative eigenvalues clipped)."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def frechet_distance(feats_a: ArrayLike, feats_b: ArrayLike) -> float:
    """Squared Frechet distance between Gaussians fitted to two feature sets [N, d], [M, d]:

        |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))    (Dowson & Landau 1982)

    as in FID (Heusel et al. 2017). The reference code takes ``scipy.linalg.sqrtm(S_a S_b)``,
    which can turn complex or fail when the covariances are singular (fewer samples than
    features); here Tr((S_a S_b)^(1/2)) = Tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)), the square root of
    a symmetric PSD matrix, whose eigenvalues are real: no complex parts, no epsilon offset.
    """
    a, b = to_numpy(feats_a).astype(np.float64), to_numpy(feats_b).astype(np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"expected features [N, d] and [M, d], got {a.shape} and {b.shape}")
    if min(len(a), len(b)) < 2:
        raise ValueError("each feature set needs at least 2 samples for a covariance")
    mean_gap = a.mean(axis=0) - b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))  # [d, d]
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))  # [d, d]
    root_a = _psd_sqrt(cov_a)
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = np.sqrt(np.clip(cross, 0.0, None)).sum()
    distance = mean_gap @ mean_gap + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt
    return float(max(distance, 0.0))  # rounding can leave -1e-12 for identical sets


def classifier_outputs(
    classifier: DigitClassifier,
    output: Callable[[torch.Tensor], torch.Tensor],
    images: ArrayLike,
    batch_size: int,
) -> np.ndarray:
    """Run ``output`` (the classifier or its ``embed``) over images in batches: float64 [N, h]."""
    if classifier.training:  # dropout and batch statistics would make the numbers random
        raise ValueError("the classifier is in training mode; pass classifier.eval()")
    x = torch.from_numpy(as_unit_images(images)).float().unsqueeze(1)  # state size. N x 1 x 28 x 28
    device = next(classifier.parameters()).device
    with torch.inference_mode():
        parts = [
            output(x[i : i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)
        ]
    return torch.cat(parts).double().numpy()


def classifier_fid(
    classifier: DigitClassifier, images_a: ArrayLike, images_b: ArrayLike, batch_size: int = 500
) -> float:
    """FID with a digit classifier's penultimate features instead of Inception's.

    Only comparable between runs that use the same classifier checkpoint.
    """
    feats_a = classifier_outputs(classifier, classifier.embed, images_a, batch_size)
    feats_b = classifier_outputs(classifier, classifier.embed, images_b, batch_size)
    return frechet_distance(feats_a, feats_b)


def class_probabilities(
    classifier: DigitClassifier, images: ArrayLike, batch_size: int = 500
) -> np.ndarray:
    """The classifier's softmax over the classes for each image: float64 [N, 10]."""
    return softmax(classifier_outputs(classifier, classifier, images, batch_size), axis=1)


def class_histogram(
    classifier: DigitClassifier, images: ArrayLike, batch_size: int = 500
) -> tuple[np.ndarray, float]:
    """(how many images the classifier assigns to each class: int64 [10], mean top probability).

    For GAN samples: a flat histogram means no mode collapse; a high mean top probability
    means the samples look like confident digits.
    """
    probabilities = class_probabilities(classifier, images, batch_size)  # [N, 10]
    counts = np.bincount(probabilities.argmax(axis=1), minlength=probabilities.shape[1])
    return counts, float(probabilities.max(axis=1).mean())
