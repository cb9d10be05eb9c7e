"""Metrics against known values: constructed pairs, closed forms, reference implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch
from sklearn.datasets import make_blobs

from core.analysis.metrics import (
    as_unit_images,
    class_histogram,
    classifier_fid,
    frechet_distance,
    knn_accuracy,
    mse,
    per_image_mse,
    per_image_ssim,
    psnr,
    ssim,
    trustworthiness,
)
from core.data.datasets import to_float
from core.models.base import ModelConfig
from core.models.registry import build_model


@pytest.fixture(scope="module")
def real(digits) -> np.ndarray:
    """400 real digits, float64 [400, 28, 28] in [0, 1]."""
    return digits.images[:400].numpy() / 255.0


@pytest.fixture(scope="module")
def classifier():
    torch.manual_seed(0)
    return build_model(ModelConfig("classifier", 0, channels=8, hidden=16)).eval()


def pattern() -> np.ndarray:
    """A smooth 28x28 test pattern in [0, 1]."""
    yy, xx = np.mgrid[0:28, 0:28] / 27.0
    return 0.5 + 0.5 * np.sin(6 * xx) * np.cos(4 * yy)


# --- reconstructions --------------------------------------------------------------------------


def test_identical_images(real):
    assert mse(real, real) == 0 and np.all(per_image_mse(real, real) == 0)
    assert psnr(real, real) == math.inf
    assert ssim(real, real) == pytest.approx(1.0, abs=1e-12)


def test_known_mse_and_psnr():
    zeros = np.zeros((2, 28, 28))
    off = np.stack([np.full((28, 28), 0.1), np.full((28, 28), 0.01)])  # MSE 1e-2 and 1e-4
    assert per_image_mse(zeros, off) == pytest.approx([1e-2, 1e-4])
    assert mse(zeros, off) == pytest.approx((1e-2 + 1e-4) / 2)
    assert psnr(zeros, off) == pytest.approx((20 + 40) / 2)  # the mean of per-image PSNRs
    assert psnr(zeros * 255, off * 255, data_range=255) == pytest.approx(30)
    half = zeros.copy()
    half[:, :14] = 0.5  # half the pixels off by 0.5: MSE 0.125
    assert mse(zeros, half) == pytest.approx(0.125)
    assert psnr(zeros, half) == pytest.approx(10 * math.log10(8))


def test_one_identical_pair_makes_the_mean_psnr_infinite():
    zeros = np.zeros((2, 28, 28))
    other = zeros.copy()
    other[1] = 0.1
    assert psnr(zeros, other) == math.inf


def test_shapes_types_and_uint8_scaling(real):
    noisy = np.clip(real + np.random.default_rng(0).normal(0, 0.1, real.shape), 0, 1)
    expected = mse(real, noisy)
    as_tensor = torch.from_numpy(noisy).float().unsqueeze(1)  # [N, 1, 28, 28]
    assert mse(real, as_tensor) == pytest.approx(expected, rel=1e-6)
    assert ssim(torch.from_numpy(real), as_tensor) == pytest.approx(ssim(real, noisy), rel=1e-5)
    uint8 = np.round(real * 255).astype(np.uint8)
    assert np.array_equal(as_unit_images(uint8), uint8 / 255.0)
    assert mse(np.zeros((1, 28, 28), np.uint8), np.full((1, 28, 28), 255, np.uint8)) == 1.0
    with pytest.raises(ValueError, match="differ in shape"):
        mse(real[:3], real[:4])
    with pytest.raises(ValueError, match=r"\[N, H, W\]"):
        mse(real[0], real[0])


@pytest.mark.parametrize(
    ("make_other", "skimage_value"),
    [
        # skimage 0.26 structural_similarity(x, y, data_range=1, gaussian_weights=True,
        # sigma=1.5, use_sample_covariance=False): the paper's settings
        (lambda x: x**2, 0.6919923694202968),
        (lambda x: np.roll(x, 2, axis=1), 0.8265435313773053),
        (lambda x: 0.25 + 0.5 * x, 0.7634833932276135),
    ],
)
def test_ssim_matches_the_reference_implementation(make_other, skimage_value):
    x = pattern()
    assert per_image_ssim(x[None], make_other(x)[None])[0] == pytest.approx(skimage_value, 1e-9)


def test_ssim_falls_as_noise_grows(real):
    rng = np.random.default_rng(0)
    values = [
        ssim(real, np.clip(real + rng.normal(0, std, real.shape), 0, 1)) for std in (0.05, 0.2, 0.5)
    ]
    assert 1 > values[0] > values[1] > values[2]
    assert ssim(real[:50], real[50:100]) < values[0]  # another digit is no copy either


# --- latent spaces ----------------------------------------------------------------------------


def test_knn_accuracy_on_separated_clusters_and_on_shuffled_labels():
    points, labels = make_blobs(1000, n_features=8, centers=10, cluster_std=0.5, random_state=0)
    assert knn_accuracy(points, labels) >= 0.99
    shuffled = np.random.default_rng(0).permutation(labels)
    assert 0.03 < knn_accuracy(points, shuffled) < 0.2  # chance is 0.1
    assert knn_accuracy(points, shuffled, seed=1) != knn_accuracy(points, shuffled, seed=2)
    assert knn_accuracy(points, shuffled) == knn_accuracy(points, shuffled)


def test_knn_accuracy_on_real_pixels(digits):
    images, labels = digits.images[:2000], digits.labels[:2000]  # torch in, flattened inside
    assert 0.8 < knn_accuracy(images.float() / 255, labels) < 0.98  # kNN on MNIST pixels


def test_trustworthiness_of_an_isometry_and_of_a_random_map():
    rng = np.random.default_rng(0)
    flat = rng.normal(size=(600, 2))
    rotation = np.linalg.qr(rng.normal(size=(10, 10)))[0]
    high = np.hstack([flat, np.zeros((600, 8))]) @ rotation  # the plane, turned in 10-D
    assert trustworthiness(high, flat) == pytest.approx(1.0)
    assert trustworthiness(high, rng.normal(size=(600, 2))) < 0.7


def test_trustworthiness_subsamples_reproducibly():
    rng = np.random.default_rng(0)
    high = rng.normal(size=(3000, 10))
    low = high[:, :2] + rng.normal(0, 0.5, size=(3000, 2))
    first = trustworthiness(high, low, max_points=500, seed=0)
    assert first == trustworthiness(high, low, max_points=500, seed=0)
    assert first != trustworthiness(high, low, max_points=500, seed=1)
    assert 0.6 < first < 1


# --- samples ----------------------------------------------------------------------------------


def reference_frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """pytorch-fid's calculate_frechet_distance, for comparison (well-conditioned inputs)."""
    mu1, mu2 = a.mean(axis=0), b.mean(axis=0)
    sigma1, sigma2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def test_frechet_distance_known_values():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))  # correlated features
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    shift = np.arange(6.0)
    assert frechet_distance(a, a + shift) == pytest.approx(shift @ shift)
    # b = 2a + shift: S_b = 4 S_a, so the trace term is Tr(S_a) (1 - 2)^2
    trace_a = np.trace(np.cov(a, rowvar=False))
    expected = (a.mean(0) - (2 * a + shift).mean(0)) @ (a.mean(0) - (2 * a + shift).mean(0))
    assert frechet_distance(a, 2 * a + shift) == pytest.approx(expected + trace_a)


def test_frechet_distance_matches_the_reference_fid_code():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(300, 16))
    b = rng.normal(0.3, 1.5, size=(250, 16)) @ rng.normal(size=(16, 16)) * 0.3
    assert frechet_distance(a, b) == pytest.approx(reference_frechet_distance(a, b), rel=1e-6)
    assert frechet_distance(torch.from_numpy(a), b) == frechet_distance(a, b)


def test_frechet_distance_with_fewer_samples_than_features():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(5, 64)), rng.normal(1.0, 1.0, size=(7, 64))  # singular covariances
    distance = frechet_distance(a, b)
    assert math.isfinite(distance) and distance > frechet_distance(a, a) >= 0
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_rejects_mismatched_features():
    with pytest.raises(ValueError, match=r"\[N, d\]"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))


def test_classifier_fid(classifier, digits):
    images = digits.images[:600]  # uint8 [600, 28, 28]
    assert classifier_fid(classifier, images, images) == pytest.approx(0.0, abs=1e-6)
    # uint8 [N, 28, 28] and float [N, 1, 28, 28] are the same images; batching changes nothing
    assert classifier_fid(classifier, images, to_float(images), batch_size=64) == pytest.approx(
        0.0, abs=1e-6
    )
    halves = classifier_fid(classifier, images[:300], images[300:])
    noise = torch.rand(300, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    assert 0 < halves < classifier_fid(classifier, images[:300], noise)


def test_classifier_metrics_refuse_a_model_in_training_mode(digits):
    torch.manual_seed(0)
    training = build_model(ModelConfig("classifier", 0, channels=8, hidden=16))
    with pytest.raises(ValueError, match="eval"):
        classifier_fid(training, digits.images[:10], digits.images[:10])
    with pytest.raises(ValueError, match="eval"):
        class_histogram(training, digits.images[:10])


def test_class_histogram_counts_the_classifiers_decisions(classifier, digits):
    images = digits.images[:300]
    counts, top = class_histogram(classifier, images, batch_size=64)
    with torch.no_grad():
        probabilities = classifier(to_float(images)).softmax(dim=1)
    assert counts.shape == (10,) and counts.sum() == 300
    assert np.array_equal(counts, np.bincount(probabilities.argmax(1).numpy(), minlength=10))
    assert top == pytest.approx(probabilities.max(1).values.mean().item(), rel=1e-5)
    assert 0.1 <= top <= 1
