"""core.analysis.compare against known answers: exact PCA, independent re-computations, real
checkpoints."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from core.analysis import axes, compare
from core.analysis.metrics import mse
from core.latent.operations import decode_points, encode_and_decode
from core.training.checkpoints import read_info

from .conftest import ROOT

CKPT = ROOT / "checkpoints"


@pytest.fixture(scope="module")
def shipped(digits):
    """ae_k2 and vae_k2 as the app loads them, with their infos."""
    from core.training.checkpoints import load_model

    return [
        (read_info(CKPT / f"{n}.pt"), load_model(CKPT / f"{n}.pt")) for n in ("ae_k2", "vae_k2")
    ]


@pytest.fixture(scope="module")
def table(digits, shipped):
    return compare.compare(digits, shipped)


# --- PCA --------------------------------------------------------------------------------------


def test_pca_with_all_784_components_reconstructs_exactly(digits):
    images = digits.images[:1000]  # more images than pixels: 784 components span every image
    fitted = compare.fit_pixel_pca(images, 784)
    codes, recon = compare.pca_reconstruct(fitted.pca, images)
    assert codes.shape == (1000, 784) and recon.shape == (1000, 28, 28)
    np.testing.assert_allclose(recon, images.numpy() / 255.0, atol=2e-5)
    assert mse(images, recon) < 1e-10


def test_pca_error_on_its_training_images_never_grows_with_k(digits):
    images = digits.images[::6]
    fitted = compare.fit_pixel_pca(images, 32)
    errors = [
        mse(images, compare.pca_reconstruct(fitted.first(k), images)[1]) for k in range(1, 33)
    ]
    assert all(b <= a + 1e-9 for a, b in zip(errors, errors[1:], strict=False))
    assert errors[-1] < 0.6 * errors[0]


def test_first_k_components_match_a_direct_fit_with_k(digits):
    """PCA is nested: the first 8 of 32 components reconstruct like an 8-component fit."""
    train, val = digits.split("train")[0][::3], digits.split("val")[0]
    x_train, x_val = compare.pixels(train), compare.pixels(val)
    direct = PCA(8, svd_solver="full").fit(x_train)
    expected = ((direct.inverse_transform(direct.transform(x_val)) - x_val) ** 2).mean()
    fitted = compare.fit_pixel_pca(train, 32)
    got = mse(val, compare.pca_reconstruct(fitted.first(8), val)[1])
    assert got == pytest.approx(expected, rel=1e-3)
    with pytest.raises(ValueError, match="k must be in 1..32"):
        fitted.first(33)


def test_pca_rows_count_parameters_and_time_the_one_fit(digits):
    rows, fitted = compare.score_pca(digits, (2, 8))
    assert [r.name for r in rows] == ["pca_k2", "pca_k8"]
    assert [r.parameters for r in rows] == [2 * 784 + 784, 8 * 784 + 784]
    assert fitted.pca.n_components == 8
    assert all(r.train_seconds == fitted.fit_seconds > 0 for r in rows)


def test_identical_reconstructions_score_perfectly(digits):
    val, labels = digits.split("val")
    codes = compare.pixels(val)[:, :4]
    row = compare.score("AE", "copy", val, val.numpy() / 255.0, codes, labels, 1, None)
    assert row.mse == 0 and row.ssim == pytest.approx(1.0) and row.psnr == math.inf


# --- the whole table on real checkpoints ------------------------------------------------------


def test_table_has_a_row_per_method_with_finite_numbers(table, shipped):
    assert [(r.family, r.latent_dim) for r in table] == [
        ("PCA", 2),
        ("PCA", 4),
        ("PCA", 8),
        ("PCA", 16),
        ("PCA", 32),
        ("AE", 2),
        ("VAE", 2),
    ]
    for row in table:
        values = [row.mse, row.psnr, row.ssim, row.knn_accuracy, row.train_seconds]
        assert all(math.isfinite(v) for v in values), row
        assert 0 < row.mse < 1 and 0 < row.ssim < 1 and 0 <= row.knn_accuracy <= 1
    ae_row = table[5]
    info, model = shipped[0]
    assert ae_row.name == "ae_k2"
    assert ae_row.parameters == sum(p.numel() for p in model.parameters())
    assert ae_row.train_seconds == info.trained["seconds"]


def test_model_mse_is_the_mean_squared_error_of_g_of_f(digits, shipped):
    info, model = shipped[0]
    val, _ = digits.split("val")
    with torch.no_grad():
        x = val.float().div(255).unsqueeze(1)
        expected = torch.mean((model(x) - x) ** 2).item()
    assert compare.score_checkpoint(info, model, digits).mse == pytest.approx(expected, rel=1e-5)


def test_a_checkpoint_of_another_dataset_is_refused(digits, shipped):
    info, model = shipped[0]
    with pytest.raises(ValueError, match="trained on fashion-mnist"):
        compare.score_checkpoint(replace(info, dataset="fashion-mnist"), model, digits)


def test_records_and_text_table_show_every_row(table):
    records = compare.records(table)
    assert [list(r) for r in records] == [list(compare.COLUMNS)] * len(table)
    lines = compare.format_table(table).splitlines()
    assert len(lines) == 2 + len(table)
    assert lines[0].split()[:3] == ["method", "k", "model"]
    assert lines[-1].split()[:3] == ["VAE", "2", "vae_k2"]


def test_a_second_model_of_the_same_family_and_k_gets_its_own_line(table):
    mine = replace(table[5], name="my_ae", mse=0.5)
    lines = compare.curves([*table, mine])
    assert [r.latent_dim for r in lines["PCA"]] == [2, 4, 8, 16, 32]
    assert [r.name for r in lines["AE"]] == ["ae_k2"]
    assert [r.name for r in lines["my_ae"]] == ["my_ae"]


def test_family_tells_denoising_autoencoders_apart():
    assert compare.family(read_info(CKPT / "ae_k16.pt")) == "AE"
    assert compare.family(read_info(CKPT / "dae_k16.pt")) == "denoising AE"
    assert compare.family(read_info(CKPT / "vae_k16.pt")) == "VAE"


def test_pca_is_scored_at_every_compared_model_size():
    infos = [read_info(CKPT / "ae_k2.pt"), replace(read_info(CKPT / "ae_k2.pt"), latent_dim=10)]
    assert compare.pca_sizes(infos) == [2, 4, 8, 10, 16, 32]


# --- components, axes, maps -------------------------------------------------------------------


def test_eigen_digits_are_the_components_scaled_to_unit_peak(digits):
    fitted = compare.fit_pixel_pca(digits.images[::10], 4)
    eigen = axes.eigen_digits(fitted.pca, 16)
    assert eigen.shape == (4, 28, 28)
    np.testing.assert_allclose(np.abs(eigen).reshape(4, -1).max(1), 1.0, rtol=1e-6)
    cosine = (eigen.reshape(4, -1) * fitted.pca.components).sum(1) / np.linalg.norm(
        eigen.reshape(4, -1), axis=1
    )
    np.testing.assert_allclose(cosine, 1.0, rtol=1e-5)  # same direction and sign


def test_axis_traversal_walks_one_axis_at_a_time_from_the_mean_code(digits):
    from core.training.checkpoints import load_model

    model = load_model(CKPT / "ae_k4.pt")
    codes, _ = encode_and_decode(model, digits.split("val")[0])
    walk = axes.axis_traversal(model, codes, steps=5, span=2.0)
    assert walk.frames.shape == (4, 5, 28, 28)
    np.testing.assert_allclose(walk.offsets, [-2, -1, 0, 1, 2])
    np.testing.assert_allclose(walk.mean, codes.mean(0), rtol=1e-5)
    mean_digit = decode_points(model, walk.mean)[0]
    for axis in range(4):
        np.testing.assert_allclose(walk.frames[axis, 2], mean_digit, atol=1e-6)
    z = walk.mean.copy()
    z[3] += 2.0 * walk.scale[3]
    np.testing.assert_allclose(walk.frames[3, 4], decode_points(model, z)[0], atol=1e-5)
    assert not np.allclose(walk.frames[3, 0], walk.frames[3, 4], atol=1e-3)  # it moves


@pytest.mark.parametrize("steps", [2, 4])
def test_axis_traversal_needs_an_odd_number_of_steps(steps):
    from core.models.base import ModelConfig
    from core.models.registry import build_model

    model = build_model(ModelConfig("ae", 2, channels=8, hidden=16)).eval()
    with pytest.raises(ValueError, match="odd"):
        axes.axis_traversal(model, np.zeros((3, 2)), steps=steps)


def test_map_scores_of_pca_plane(digits):
    images, labels = digits.images[::5], digits.labels[::5]  # 100 of each class
    fitted = compare.fit_pixel_pca(images, 2)
    coords, _ = compare.pca_reconstruct(fitted.pca, images)
    scores = compare.score_map(images, coords, labels)
    assert scores.coords.shape == (1000, 2)
    assert 0.1 < scores.knn_accuracy < 1  # better than chance, far from perfect in 2-D
    assert 0.5 < scores.trustworthiness <= 1
    shuffled = compare.score_map(images, np.random.default_rng(0).permutation(coords), labels)
    assert shuffled.trustworthiness < scores.trustworthiness - 0.1
    assert shuffled.knn_accuracy < 0.2


def test_one_per_class_takes_the_first_of_each_label():
    labels = torch.tensor([3, 1, 1, 0, 3, 2, 0])
    np.testing.assert_array_equal(compare.one_per_class(labels), [3, 1, 5, 0])
