"""The CVAE as a registered kind: shapes, labels, training through ``core.training.loop.fit``,
checkpoint round trip through ``core.training.checkpoints``, and the pickers that must not get it.

Tiny real models (8 channels, hidden 32) in float32 on the CPU."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from core.data.datasets import Dataset, to_float
from core.latent.operations import decode_points, encode_images
from core.models.base import KINDS, ModelConfig
from core.models.registry import CONDITIONAL_KINDS, ENCODER_KINDS, GENERATIVE_KINDS, build_model
from core.training.checkpoints import list_checkpoints, load_model, save_checkpoint
from core.training.loop import TrainConfig, evaluate, fit, train_and_save
from core.training.recipes import defaults_for, shipped_configs

TINY = dict(channels=8, hidden=32)
TRAIN = TrainConfig(
    ModelConfig("cvae", 4, **TINY), epochs=3, batch_size=32, lr=5e-3, beta=1.0, seed=3
)


def tiny_cvae(k: int = 4, seed: int = 0):
    return build_model(ModelConfig("cvae", k, **TINY), torch.Generator().manual_seed(seed)).eval()


@pytest.fixture(scope="module")
def trained(small_digits: Dataset):
    return fit(replace(TRAIN, precision="fp32"), small_digits, device="cpu")


def test_the_kind_is_registered_but_not_handed_to_unconditional_callers():
    assert "cvae" in KINDS and CONDITIONAL_KINDS == ("cvae",)
    assert "cvae" not in ENCODER_KINDS and "cvae" not in GENERATIVE_KINDS  # they pass no label
    assert shipped_configs()["cvae_k8"].beta == 4.0 and defaults_for("cvae").beta == 4.0


def test_shapes_and_ranges():
    model = tiny_cvae()
    x = torch.rand(5, 1, 28, 28)
    y = torch.tensor([0, 3, 9, 3, 1])
    mu, logvar = model.encode_dist(x, y)
    assert mu.shape == logvar.shape == (5, 4) and model.kind == "cvae" and model.num_classes == 10
    assert torch.equal(model.encode(x, y), mu)
    images = model.decode(torch.randn(5, 4), y)
    assert images.shape == (5, 1, 28, 28) and images.min() >= 0 and images.max() <= 1


def test_the_label_changes_the_render_and_bad_labels_are_refused():
    model = tiny_cvae()
    z = torch.randn(2, 4)
    a = model.decode(z, torch.tensor([1, 1]))
    b = model.decode(z, torch.tensor([7, 7]))
    assert (a - b).abs().max() > 1e-4  # the label reaches the decoder
    with pytest.raises(ValueError, match=r"0\.\.9"):
        model.decode(z, torch.tensor([1, 10]))
    with pytest.raises(ValueError, match="int64"):
        model.decode(z, torch.tensor([1.0, 2.0]))


def test_latent_helpers_need_labels_for_a_cvae_and_refuse_them_elsewhere(small_digits):
    model = tiny_cvae()
    images, labels = small_digits.images[:6], small_digits.labels[:6]
    with pytest.raises(ValueError, match="needs the label"):
        encode_images(model, images)
    codes = encode_images(model, images, labels=labels)
    assert codes.shape == (6, 4) and codes.dtype == np.float32
    row = decode_points(model, np.repeat(codes[:1], 10, 0), labels=np.arange(10))
    assert row.shape == (10, 28, 28)
    assert np.allclose(decode_points(model, codes[:1], labels=3)[0], row[3], atol=1e-6)
    vae = build_model(ModelConfig("vae", 4, **TINY)).eval()
    with pytest.raises(ValueError, match="takes no labels"):
        encode_images(vae, images, labels=labels)


def test_fit_lowers_the_negative_elbo_reproducibly(trained, small_digits: Dataset):
    history = trained.history
    assert len(history) == 3 and trained.model.training is False and trained.precision == "fp32"
    assert set(trained.metrics) == {"val_neg_elbo", "val_recon", "val_kl", "val_mse"}
    untrained = evaluate(tiny_cvae(seed=3), *small_digits.split("val"))["val_neg_elbo"]
    assert history[-1]["val_neg_elbo"] < 0.6 * untrained
    assert history[-1]["val_neg_elbo"] < history[0]["val_neg_elbo"]
    before = torch.random.get_rng_state()
    again = fit(replace(TRAIN, precision="fp32"), small_digits, device="cpu")
    assert torch.equal(torch.random.get_rng_state(), before)
    assert [row["val_neg_elbo"] for row in again.history] == pytest.approx(
        [row["val_neg_elbo"] for row in history], rel=1e-5
    )


def test_checkpoint_round_trip_and_listing(trained, small_digits: Dataset, tmp_path):
    path = save_checkpoint(tmp_path / "cvae_k4.pt", trained.model, metrics=trained.metrics)
    payload = torch.load(path, weights_only=True)  # plain types only
    assert payload["kind"] == "cvae" and payload["config"]["num_classes"] == 10
    loaded = load_model(path)
    assert loaded.kind == "cvae" and loaded.latent_dim == 4 and not loaded.training
    x, y = to_float(small_digits.images[:8]), small_digits.labels[:8]
    with torch.no_grad():
        original = trained.model.decode(trained.model.encode(x, y), y)
        back = loaded.decode(loaded.encode(x, y), y)
    assert torch.allclose(original, back, atol=1e-6)
    save_checkpoint(tmp_path / "vae_k4.pt", build_model(ModelConfig("vae", 4, **TINY)))
    infos = {i.name: i for i in list_checkpoints(tmp_path)}
    assert set(infos) == {"cvae_k4", "vae_k4"}
    assert infos["cvae_k4"].label == "cvae_k4 · CVAE, k=4"


def test_train_and_save_with_half_weights_records_true_metrics(small_digits, tmp_path):
    cfg = replace(TRAIN, epochs=1, max_batches=3, precision="fp32")
    result = train_and_save(cfg, small_digits, tmp_path / "c.pt", device="cpu", half=True)
    again = evaluate(load_model(tmp_path / "c.pt"), *small_digits.split("val"))
    assert again == pytest.approx(result.metrics, rel=1e-4)
    assert load_model(tmp_path / "c.pt").kind == "cvae"
