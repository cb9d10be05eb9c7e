"""core.latent.operations: decoding, interpolation, neighbours, class mixing, and inverting map
clicks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.data.datasets import Dataset, to_float
from core.latent.mixing import MixConfig, mix_class
from core.latent.operations import (
    decode_points,
    encode_images,
    interpolate,
    invert_click,
    nearest_neighbours,
    nearest_training_images,
    random_pair,
)
from core.latent.projections import project
from core.models.base import ModelConfig
from core.models.registry import build_model

from .conftest import train_tiny

TINY = dict(channels=8, hidden=32)
SMALL_MIX = dict(n_source=40, n_combine=5, n_new=6)


@pytest.fixture(scope="module")
def ae2(small_digits: Dataset):
    """A real AE with a 2-D latent space, trained for a few batches."""
    return train_tiny(small_digits, "ae", 2, epochs=2, batch_size=64, max_batches=9)


@pytest.fixture(scope="module")
def vae8():
    torch.manual_seed(0)
    return build_model(ModelConfig("vae", 8, **TINY)).eval()


# --- decode and interpolate -------------------------------------------------------------------


def test_decode_points_gives_float_images_in_the_unit_range(ae2):
    images = decode_points(ae2, np.array([[0.0, 0.0], [3.0, -2.0]]))
    assert images.shape == (2, 28, 28) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    assert decode_points(ae2, np.array([3.0, -2.0])).shape == (1, 28, 28)  # one code [k]
    with pytest.raises(ValueError, match="3-D.*2-D"):
        decode_points(ae2, np.zeros((1, 3)))


@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_interpolation_end_points_equal_the_inputs(method):
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal((2, 16)).astype(np.float32)
    path = interpolate(z0, z1, 7, method)
    assert path.shape == (7, 16) and path.dtype == np.float32
    assert np.array_equal(path[0], z0) and np.array_equal(path[-1], z1)


def test_linear_is_a_straight_line_and_slerp_keeps_the_norm():
    z0 = np.array([3.0, 0.0, 0.0], np.float32)
    z1 = np.array([0.0, 3.0, 0.0], np.float32)
    line = interpolate(z0, z1, 5, "linear")
    np.testing.assert_allclose(line[2], (z0 + z1) / 2)
    arc = interpolate(z0, z1, 5, "slerp")
    np.testing.assert_allclose(np.linalg.norm(arc, axis=1), 3.0, rtol=1e-6)
    np.testing.assert_allclose(arc[2], [3 / np.sqrt(2), 3 / np.sqrt(2), 0], rtol=1e-6)


@pytest.mark.parametrize(
    "z0, z1",
    [([1.0, 2.0], [2.0, 4.0]), ([1.0, 2.0], [-1.0, -2.0]), ([0.0, 0.0], [1.0, 1.0])],
    ids=["parallel", "antiparallel", "zero"],
)
def test_slerp_falls_back_to_linear_where_the_arc_is_undefined(z0, z1):
    z0, z1 = np.float32(z0), np.float32(z1)
    arc = interpolate(z0, z1, 5, "slerp")
    assert np.all(np.isfinite(arc))
    np.testing.assert_allclose(arc, interpolate(z0, z1, 5, "linear"))


def test_interpolation_rejects_bad_arguments():
    with pytest.raises(ValueError, match="at least 2"):
        interpolate(np.zeros(2), np.ones(2), 1)
    with pytest.raises(ValueError, match="unknown interpolation"):
        interpolate(np.zeros(2), np.ones(2), 3, "cubic")


def test_nearest_neighbours_are_sorted_and_can_exclude_the_query():
    rng = np.random.default_rng(1)
    latents = rng.standard_normal((300, 4)).astype(np.float32)
    idx, dist = nearest_neighbours(latents, latents[42], n=5, exclude=42)
    brute = np.linalg.norm(latents - latents[42], axis=1)
    expected = np.argsort(brute)[1:6]  # [0] is the query itself
    assert np.array_equal(idx, expected) and 42 not in idx
    np.testing.assert_allclose(dist, brute[expected], rtol=1e-5)
    idx, dist = nearest_neighbours(latents, latents[42], n=3)
    assert idx[0] == 42 and dist[0] == pytest.approx(0, abs=1e-5)


# --- mixing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mixing", ["dirichlet", "mean", "noise"])
def test_mixing_weights_are_convex_and_a_seed_gives_the_same_digits(ae2, small_digits, mixing):
    config = MixConfig(label=8, mixing=mixing, seed=3, **SMALL_MIX)
    a = mix_class(ae2, small_digits, config)
    b = mix_class(ae2, small_digits, config)
    assert a.images.shape == (6, 28, 28) and a.latents.shape == (6, 2)
    assert a.weights.shape == (6, 5) and np.all(a.weights >= 0)
    np.testing.assert_allclose(a.weights.sum(1), 1.0, atol=1e-12)
    for name in ("images", "latents", "source_indices", "weights", "nearest_index"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    other = mix_class(ae2, small_digits, MixConfig(label=8, mixing=mixing, seed=4, **SMALL_MIX))
    assert not np.array_equal(a.latents, other.latents)
    if mixing == "mean":
        assert np.all(a.weights == 1 / 5)


def test_mixed_codes_are_the_weighted_codes_of_training_digits_of_the_class(ae2, small_digits):
    result = mix_class(ae2, small_digits, MixConfig(label=3, seed=0, **SMALL_MIX))
    train = set(small_digits.train_idx.tolist())
    assert set(result.source_indices.tolist()) <= train
    assert np.all(small_digits.labels[torch.from_numpy(result.source_indices)].numpy() == 3)
    assert set(result.combined_indices.ravel().tolist()) <= set(result.source_indices.tolist())
    mixed_codes = encode_images(
        ae2, small_digits.images[torch.from_numpy(result.combined_indices[0])]
    )
    np.testing.assert_allclose(result.latents[0], result.weights[0] @ mixed_codes, atol=1e-5)
    np.testing.assert_allclose(result.images, decode_points(ae2, result.latents), atol=1e-6)


def test_noise_mixing_moves_away_from_the_mean(ae2, small_digits):
    mean = mix_class(ae2, small_digits, MixConfig(mixing="mean", seed=5, **SMALL_MIX))
    noisy = mix_class(ae2, small_digits, MixConfig(mixing="noise", seed=5, **SMALL_MIX))
    assert np.array_equal(mean.combined_indices, noisy.combined_indices)
    offset = noisy.latents - mean.latents  # [n_new, k], N(0, (0.5 * std)^2) per dimension
    assert 0 < np.abs(offset).max() < 5 * 0.5 * mean.source_latents.std(0).max()


def test_mix_reports_the_nearest_training_image_in_pixels(ae2, small_digits):
    result = mix_class(ae2, small_digits, MixConfig(label=8, seed=1, **SMALL_MIX))
    train_idx = small_digits.train_idx
    train = to_float(small_digits.images[train_idx]).flatten(1).numpy()  # [T, 784]
    rmse = np.sqrt(((result.images.reshape(6, 1, 784) - train[None]) ** 2).mean(2))  # [6, T]
    assert np.array_equal(result.nearest_index, train_idx.numpy()[rmse.argmin(1)])
    np.testing.assert_allclose(result.nearest_distance, rmse.min(1), rtol=1e-4, atol=1e-6)


def test_mixing_works_for_a_vae_and_refuses_a_gan(vae8, small_digits):
    result = mix_class(vae8, small_digits, MixConfig(**SMALL_MIX))
    assert result.latents.shape == (6, 8)
    gan = build_model(ModelConfig("gan", 8, **TINY)).eval()
    with pytest.raises(ValueError, match="GAN has none"):
        mix_class(gan, small_digits, MixConfig(**SMALL_MIX))


# --- inverting a click ------------------------------------------------------------------------


def test_a_click_on_a_raw_map_decodes_that_exact_latent(ae2, small_digits):
    latents = encode_images(ae2, small_digits.images)
    raw = project(latents, "raw")
    z, exact = invert_click(raw, (0.75, -1.25), latents)
    assert exact and np.array_equal(z, np.float32([0.75, -1.25]))
    with torch.no_grad():
        direct = ae2.decode(torch.tensor([[0.75, -1.25]])).squeeze(1).numpy()
    np.testing.assert_array_equal(decode_points(ae2, z), direct)


def test_a_click_on_a_pca_map_inverts_to_a_code_that_projects_back(vae8, small_digits):
    latents = encode_images(vae8, small_digits.images)
    pca_map = project(latents, "pca")
    z, exact = invert_click(pca_map, np.array([0.1, -0.2]), latents)
    assert exact and z.shape == (8,)
    np.testing.assert_allclose(pca_map.transform(z[None])[0], [0.1, -0.2], atol=1e-5)


# --- picking endpoints and judging novelty ----------------------------------------------------


def test_random_pair_has_the_asked_classes_and_a_seed_gives_the_same_pair(small_digits):
    labels = small_digits.labels.numpy()
    i, j = random_pair(labels, 3, 8, seed=5)
    assert (labels[i], labels[j]) == (3, 8)
    assert random_pair(labels, 3, 8, seed=5) == (i, j)
    assert len({random_pair(labels, 3, 8, seed=s) for s in range(10)}) > 1
    a, b = random_pair(labels, 4, 4, seed=0)
    assert a != b and labels[a] == labels[b] == 4
    with pytest.raises(ValueError, match="no digit is labelled 11"):
        random_pair(labels, 2, 11)


def test_nearest_training_image_of_a_training_digit_is_itself(small_digits):
    train = small_digits.train_idx[:3].numpy()
    val = small_digits.val_idx[:2].numpy()
    queries = to_float(small_digits.images[np.concatenate([train, val])]).squeeze(1).numpy()
    index, rmse = nearest_training_images(small_digits, queries)
    np.testing.assert_array_equal(index[:3], train)
    np.testing.assert_allclose(rmse[:3], 0.0, atol=1e-6)
    assert np.isin(index[3:], small_digits.train_idx.numpy()).all() and (rmse[3:] > 0).all()
    pixels = to_float(small_digits.images[index[3:]]).squeeze(1).numpy()
    np.testing.assert_allclose(
        rmse[3:], np.sqrt(((pixels - queries[3:]) ** 2).mean((1, 2))), rtol=1e-5
    )
