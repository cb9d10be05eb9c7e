"""core.latent.operations (prior), core.analysis.posterior, core.analysis.sample_quality and
core.analysis.convolution against closed
forms, PyTorch itself and the shipped checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from core.analysis import convolution, posterior, sample_quality
from core.analysis.metrics import classifier_fid
from core.latent import operations as latent
from core.latent.projections import project
from core.models.base import ModelConfig
from core.models.layers import transposed_conv_output_size
from core.models.losses import kl_to_standard_normal, negative_elbo
from core.models.registry import build_model
from core.training.checkpoints import load_model

from .conftest import ROOT

CHECKPOINTS = ROOT / "checkpoints"


@pytest.fixture(scope="module")
def vae():
    return load_model(CHECKPOINTS / "vae_k2.pt")


@pytest.fixture(scope="module")
def vae16():
    return load_model(CHECKPOINTS / "vae_k16.pt")


@pytest.fixture(scope="module")
def gan():
    return load_model(CHECKPOINTS / "gan_k32.pt")


# --- prior samples and the lattice -----------------------------------------------------------


def test_prior_samples_are_seeded_images(vae):
    z, images = latent.sample_prior(vae, 9, seed=3)
    assert z.shape == (9, 2) and images.shape == (9, 28, 28)
    assert images.min() >= 0 and images.max() <= 1
    z_again, images_again = latent.sample_prior(vae, 9, seed=3)
    np.testing.assert_array_equal(z, z_again)
    np.testing.assert_array_equal(images, images_again)
    assert not np.allclose(z, latent.sample_prior(vae, 9, seed=4)[0])


def test_prior_codes_look_standard_normal():
    z = latent.prior_codes(20000, 4, seed=0)
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02


def test_lattice_reads_like_an_image():
    grid = latent.latent_lattice(2.0, 5).reshape(5, 5, 2)
    np.testing.assert_allclose(grid[0, 0], [-2, 2])  # top left: smallest z1, largest z2
    np.testing.assert_allclose(grid[0, -1], [2, 2])
    np.testing.assert_allclose(grid[-1, 0], [-2, -2])
    np.testing.assert_allclose(grid[2, 2], [0, 0], atol=1e-7)
    with pytest.raises(ValueError):
        latent.latent_lattice(0.0, 5)


# --- the reparameterization trick -------------------------------------------------------------


def test_reparameterization_is_mu_plus_sigma_eps(vae, digits):
    trick = posterior.reparameterize(vae, digits.images[10], n=5, seed=1)
    np.testing.assert_allclose(trick.z, trick.mu + trick.sigma * trick.eps, rtol=1e-6)
    np.testing.assert_array_equal(trick.eps, latent.prior_codes(5, 2, seed=1))
    assert (trick.sigma > 0).all() and trick.decoded.shape == (5, 28, 28)


def test_loss_split_matches_the_training_objective(vae, digits):
    """recon of each sample and the KL equal core.models.losses on the same z; -ELBO is their
    sum."""
    image = digits.images[42]
    trick = posterior.reparameterize(vae, image, n=4, seed=0)
    x = image.float().div(255).reshape(1, 1, 28, 28)
    with torch.no_grad():
        mu, logvar = vae.encode_dist(x)
        for j in range(4):
            logits = vae.decoder(torch.from_numpy(trick.z[j : j + 1]), logits=True)
            expected = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
            assert trick.recon[j] == pytest.approx(expected.item(), rel=1e-5)
        kl = negative_elbo(logits, x, mu, logvar).kl.item()
    assert trick.kl == pytest.approx(kl, rel=1e-5)
    assert trick.neg_elbo == pytest.approx(trick.recon.mean() + kl, rel=1e-6)


# --- ellipses on maps -------------------------------------------------------------------------


def test_ellipse_is_the_mahalanobis_contour():
    cov = np.array([[2.0, 0.6], [0.6, 0.5]])
    centre = np.array([1.0, -1.0])
    points = posterior.ellipse(centre, cov, radius=2.0, n_points=50)
    d = points - centre
    mahalanobis = np.sqrt(np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d))
    np.testing.assert_allclose(mahalanobis, 2.0, rtol=1e-9)
    np.testing.assert_allclose(points[0], points[-1])  # closed


def test_projected_gaussian_on_a_raw_map_is_the_posterior():
    projection = project(latent.prior_codes(50, 2, 0), "raw")
    mu, sigma = np.array([0.5, -1.0]), np.array([0.2, 0.3])
    centre, cov = posterior.projected_gaussian(projection, mu, sigma)
    np.testing.assert_allclose(centre, [0.5, -1.0], rtol=1e-6)
    np.testing.assert_allclose(cov, np.diag([0.04, 0.09]), atol=1e-7)


def test_projected_gaussian_on_a_pca_map_matches_projected_samples():
    rng = np.random.default_rng(0)
    latents = rng.normal(size=(400, 6)) * np.arange(1, 7)  # anisotropic, so PCA has a shape
    projection = project(latents.astype(np.float32), "pca")
    mu, sigma = rng.normal(size=6), rng.uniform(0.2, 1.5, size=6)
    centre, cov = posterior.projected_gaussian(projection, mu, sigma)
    samples = mu + sigma * rng.normal(size=(40000, 6))
    mapped = projection.transform(samples.astype(np.float32)).astype(np.float64)
    np.testing.assert_allclose(mapped.mean(0), centre, atol=0.03)
    np.testing.assert_allclose(np.cov(mapped, rowvar=False), cov, rtol=0.04, atol=0.01)


def test_projected_gaussian_refuses_tsne():
    projection = project(latent.prior_codes(60, 3, 0), "pca")
    projection.method = "tsne"
    with pytest.raises(ValueError, match="not linear"):
        posterior.projected_gaussian(projection, np.zeros(3), np.ones(3))


# --- KL per dimension -------------------------------------------------------------------------


def test_kl_per_dimension_is_the_mean_analytic_kl(vae16, digits):
    images = digits.images[:300]
    report = posterior.kl_per_dimension(vae16, images, batch_size=128)  # batches must not matter
    with torch.no_grad():
        mu, logvar = vae16.encode_dist(images.float().div(255).unsqueeze(1))
    np.testing.assert_allclose(report.kl, kl_to_standard_normal(mu, logvar).mean(0), rtol=1e-5)
    np.testing.assert_allclose(report.activity, mu.double().var(0), rtol=1e-5)
    assert report.kl.shape == (16,) and report.n_images == 300
    np.testing.assert_array_equal(report.active, report.activity > posterior.ACTIVE_UNIT_THRESHOLD)


def test_a_dimension_the_encoder_ignores_is_inactive_with_zero_kl(digits):
    """Zero the weights of unit 0 in to_mu and to_logvar: q(z_0|x) = N(0, 1) for every x."""
    torch.manual_seed(0)
    model = build_model(ModelConfig("vae", 3, channels=4, hidden=16)).eval()
    with torch.no_grad():
        for layer in (model.to_mu, model.to_logvar):
            layer.weight[0] = 0
            layer.bias[0] = 0
    report = posterior.kl_per_dimension(model, digits.images[:200])
    assert report.kl[0] == pytest.approx(0, abs=1e-7)
    assert not report.active[0] and report.activity[0] == pytest.approx(0, abs=1e-12)


# --- the discriminator and sample quality -----------------------------------------------------


def test_discriminator_probabilities_are_sigmoid_logits(gan, digits):
    real = digits.images[:64]
    probs = sample_quality.discriminator_probabilities(gan, real, batch_size=20)
    with torch.no_grad():
        logits = gan.discriminate(real.float().div(255).unsqueeze(1))
    np.testing.assert_allclose(probs, torch.sigmoid(logits).double().numpy(), rtol=1e-5)
    # uint8 and float [0, 1] inputs are the same images
    np.testing.assert_allclose(
        sample_quality.discriminator_probabilities(gan, real.numpy() / 255.0), probs, rtol=1e-5
    )


def test_most_real_keeps_the_draws_d_scores_highest_in_the_order_drawn(gan):
    codes, images = sample_quality.most_real(gan, 40, seed=3, keep=0.25)
    drawn = latent.prior_codes(160, 32, 3)
    scores = sample_quality.discriminator_probabilities(gan, latent.decode_points(gan, drawn))
    kept = np.flatnonzero(np.isin(drawn[:, 0], codes[:, 0]))
    assert len(kept) == 40 and np.array_equal(drawn[kept], codes)  # a subset, in draw order
    assert scores[kept].min() >= np.sort(scores)[-40]  # and the 40 highest
    np.testing.assert_allclose(images, latent.decode_points(gan, codes), atol=1e-6)
    plain = sample_quality.most_real(gan, 40, seed=3, keep=1.0)  # keep = 1 is G alone
    np.testing.assert_array_equal(plain[0], latent.prior_codes(40, 32, 3))
    with pytest.raises(ValueError, match="keep"):
        sample_quality.most_real(gan, 40, seed=3, keep=0)


def test_sample_quality_of_real_digits_is_the_floor(digits):
    classifier = load_model(CHECKPOINTS / "classifier.pt")
    val = digits.split("val")[0]
    train = digits.split("train")[0]
    real = train[torch.randperm(len(train), generator=torch.Generator().manual_seed(5))[:300]]
    quality = sample_quality.sample_quality(classifier, real, val, train, seed=1)
    assert quality.counts.sum() == 300 and quality.counts.shape == (10,)
    assert 0.1 <= quality.mean_top_probability <= 1
    # Real digits are "as good as real": FID about the floor, far below the FID of noise.
    noise = torch.rand(300, 28, 28, generator=torch.Generator().manual_seed(0))
    noise_fid = classifier_fid(classifier, noise, val)
    assert quality.floor < noise_fid / 10 and quality.fid < noise_fid / 10
    # Identical sets have FID ~0.
    assert classifier_fid(classifier, val, val) == pytest.approx(0, abs=1e-6)
    with pytest.raises(ValueError, match="training digits"):
        sample_quality.sample_quality(classifier, train[:50], val, train[:20])


def test_the_floor_draws_from_every_class(digits):
    """The embedded training split is sorted by class: a prefix would be only 0s and 1s."""
    classifier = load_model(CHECKPOINTS / "classifier.pt")
    val, train = digits.split("val")[0], digits.split("train")[0]
    prefix_fid = classifier_fid(classifier, train[:300], val)
    quality = sample_quality.sample_quality(classifier, train[:300], val, train)
    assert quality.floor < prefix_fid / 5


# --- transposed convolutions ------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    i=st.integers(1, 9),
    k=st.integers(1, 6),
    s=st.integers(1, 4),
    p=st.integers(0, 6),
)
def test_zero_insertion_is_a_transposed_convolution(i, k, s, p):
    """conv_transpose2d(x, w) == conv2d(zero_insert_and_pad(x), flipped w), value for value."""
    o = transposed_conv_output_size(i, k, s, p)
    x = torch.randn(1, 1, i, i, dtype=torch.float64)
    w = torch.randn(1, 1, k, k, dtype=torch.float64)
    if o <= 0:
        with pytest.raises(ValueError, match="removes every output"):
            convolution.zero_insert_and_pad(x[0, 0].numpy(), k, s, p)
        return
    expected = F.conv_transpose2d(x, w, stride=s, padding=p)
    grid = torch.from_numpy(convolution.zero_insert_and_pad(x[0, 0].numpy(), k, s, p))[None, None]
    got = F.conv2d(grid, torch.flip(w, dims=(2, 3)))
    assert got.shape == expected.shape == (1, 1, o, o)
    torch.testing.assert_close(got, expected)
    assert convolution.torch_transposed_conv_size(i, k, s, p) == o


def test_picture_marks_input_inserted_and_padding():
    cells = convolution.transposed_conv_picture(3, 4, 2, 1)  # 3x3 -> 5x5 spread, pad 2 -> 9x9
    assert cells.shape == (9, 9)
    assert (cells == convolution.INPUT).sum() == 9
    assert (cells == convolution.INSERTED).sum() == 25 - 9
    assert (cells == convolution.PAD).sum() == 81 - 25
    assert cells[2, 2] == convolution.INPUT and cells[2, 3] == convolution.INSERTED
    assert cells[0, 0] == convolution.PAD
    # p > k - 1 crops instead of padding: no padding cells left
    cropped = convolution.transposed_conv_picture(4, 2, 2, 2)  # spread 7x7, crop 1 -> 5x5
    assert cropped.shape == (5, 5) and (cropped == convolution.PAD).sum() == 0


# --- shapes inside a decoder ------------------------------------------------------------------


def test_layer_shapes_of_the_shipped_ae_decoder():
    model = load_model(CHECKPOINTS / "ae_k2.pt")
    decoder = convolution.decoder_of(model)
    rows = convolution.layer_shapes(decoder, torch.zeros(1, 2))
    assert rows[0].input_shape == (1, 2)
    assert rows[-1].output_shape == (1, 1, 28, 28)
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.input_shape == before.output_shape  # a chain, in call order
    transposed = [r for r in rows if r.formula is not None]
    assert [r.output_shape[-1] for r in transposed] == [14, 28]
    assert all(r.formula == r.output_shape[-1] for r in transposed)
    assert sum(r.parameters for r in rows) == sum(p.numel() for p in decoder.parameters())
    assert all(not m._forward_hooks for m in decoder.modules())  # hooks removed


def test_decoder_of_each_kind(gan):
    assert convolution.decoder_of(gan) is gan.generator
    rows = convolution.layer_shapes(convolution.decoder_of(gan), torch.zeros(2, 32))
    assert rows[-1].output_shape == (2, 1, 28, 28)
    with pytest.raises(ValueError):
        convolution.decoder_of(load_model(CHECKPOINTS / "classifier.pt"))
