"""core.analysis.inversion: searching a GAN's latent space for the image closest to a digit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.analysis.inversion import InversionConfig, invert
from core.data.datasets import Dataset
from core.latent.operations import decode_points
from core.models.base import ModelConfig
from core.training.checkpoints import load_model
from core.training.loop import TrainConfig, fit

from .conftest import ROOT

FAST = InversionConfig(steps=60, restarts=4, lr=0.1)


@pytest.fixture(scope="module")
def gan(small_digits: Dataset):
    """A real tiny GAN, trained for a few batches."""
    cfg = TrainConfig(
        ModelConfig("gan", 8, channels=8, hidden=32),
        epochs=1,
        batch_size=64,
        max_batches=8,
        precision="fp32",
    )
    return fit(cfg, small_digits, device="cpu").model


@pytest.fixture(scope="module")
def digit(small_digits: Dataset) -> np.ndarray:
    return small_digits.images[small_digits.val_idx[0]].numpy()  # uint8 [28, 28]


def test_optimisation_lowers_the_loss_and_reports_the_image_it_found(gan, digit):
    result = invert(gan, digit, FAST)
    assert result.mse < result.initial_mse
    assert result.initial_mse == result.history[0] and result.mse == pytest.approx(
        result.history[-1], rel=1e-5
    )
    assert np.all(np.diff(result.history) <= 0)  # best so far never gets worse
    assert result.steps_run == FAST.steps and len(result.history) == FAST.steps + 1
    assert result.latent.shape == (8,) and result.image.shape == (28, 28)
    assert np.allclose(decode_points(gan, result.latent), result.image, atol=1e-6)
    assert result.mse == pytest.approx(
        float(((result.image - digit / 255.0) ** 2).mean()), rel=1e-5
    )


def test_a_digit_the_generator_made_is_found_again(gan):
    made = decode_points(gan, np.random.default_rng(3).standard_normal((1, 8)))[0]
    result = invert(gan, made, InversionConfig(steps=200, restarts=4, lr=0.1, prior_weight=0.0))
    assert result.mse < 0.2 * result.initial_mse  # fp32 and bf16 GANs, seeds 0-4: < 1e-8


def test_the_seed_reproduces_the_search(gan, digit):
    first, again = invert(gan, digit, FAST), invert(gan, digit, FAST)
    assert np.array_equal(first.latent, again.latent)
    assert np.array_equal(first.history, again.history)
    other = invert(gan, digit, InversionConfig(steps=60, restarts=4, lr=0.1, seed=1))
    assert not np.array_equal(first.latent, other.latent)


def test_the_shared_model_is_left_untouched(gan, digit):
    gan.zero_grad(set_to_none=True)  # training left gradients behind
    before = {name: p.detach().clone() for name, p in gan.state_dict().items()}
    threads = torch.get_num_threads()
    invert(gan, torch.from_numpy(digit), FAST)
    assert torch.get_num_threads() == threads  # the one-thread limit is lifted again
    assert not gan.training
    assert all(p.grad is None for p in gan.parameters())
    assert all(torch.equal(before[name], p) for name, p in gan.state_dict().items())


def test_progress_callback_sees_every_step_and_can_stop(gan, digit):
    seen = []

    def callback(progress):
        seen.append((progress.step, progress.fraction, progress.best_mse))
        return progress.step == 10

    result = invert(gan, digit, FAST, callback=callback)
    assert [s for s, _, _ in seen] == list(range(1, 11))
    assert seen[-1][1] == pytest.approx(10 / FAST.steps)
    assert result.stopped and result.steps_run == 10 and len(result.history) == 11


def test_bad_inputs_are_refused(gan):
    with pytest.raises(ValueError, match="28 x 28"):
        invert(gan, np.zeros((27, 28)), FAST)
    with pytest.raises(ValueError, match="NaN"):
        invert(gan, np.full((28, 28), np.nan), FAST)
    with pytest.raises(ValueError, match="steps"):
        InversionConfig(steps=0)
    gan.train()
    try:
        with pytest.raises(ValueError, match="training mode"):
            invert(gan, np.zeros((28, 28)), FAST)
    finally:
        gan.eval()


def test_the_shipped_gan_gets_closer_to_a_real_digit(digit):
    gan = load_model(ROOT / "checkpoints" / "gan_k32.pt", device="cpu")
    result = invert(gan, digit, InversionConfig(steps=40, restarts=4, lr=0.1))
    assert result.mse < result.initial_mse
