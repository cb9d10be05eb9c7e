"""The multimodal VAE (issue 26): the product of experts, its losses on a tiny seeded model,
cross-generation shapes and determinism, unknown words and empty sentences, training through
``core.training.loop.fit`` and the checkpoint round trip.

Tiny real models (8 channels, hidden 32) in float32 on the CPU."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from core.data import descriptions as text
from core.data.datasets import Dataset, to_float
from core.models.base import ModelConfig
from core.models.experts import Gaussian, product_of_experts
from core.models.multimodal import MultimodalVAE, mvae_loss, training_sentences
from core.models.registry import ENCODER_KINDS, GENERATIVE_KINDS, build_model
from core.training.checkpoints import load_model, save_checkpoint
from core.training.loop import TrainConfig, fit
from core.training.recipes import shipped_configs

TINY = dict(channels=8, hidden=32)
TRAIN = TrainConfig(ModelConfig("mvae", 4, **TINY), epochs=3, batch_size=32, lr=5e-3, seed=3)
SENTENCES = ["a thick seven, slanted right", "the digit two, narrow", "1", ""]


def tiny_mvae(seed: int = 0) -> MultimodalVAE:
    return build_model(ModelConfig("mvae", 4, **TINY), torch.Generator().manual_seed(seed)).eval()


@pytest.fixture(scope="module")
def trained(small_digits: Dataset):
    return fit(replace(TRAIN, precision="fp32"), small_digits, device="cpu")


def test_the_kind_is_registered_for_pages_that_encode_and_decode():
    assert "mvae" in ENCODER_KINDS and "mvae" in GENERATIVE_KINDS
    assert shipped_configs()["mvae_k16"].model.kind == "mvae"


def test_the_product_of_experts_weighs_each_by_its_precision():
    a = Gaussian(torch.tensor([[2.0]]), torch.log(torch.tensor([[1.0]])))  # precision 1
    b = Gaussian(torch.tensor([[-1.0]]), torch.log(torch.tensor([[0.5]])))  # precision 2
    q = product_of_experts([a, b], [None, None])
    # precision 1 (prior) + 1 + 2 = 4; mean (0 * 1 + 2 * 1 - 1 * 2) / 4 = 0
    assert torch.allclose(q.mu, torch.tensor([[0.0]])) and torch.allclose(
        q.logvar, -torch.log(torch.tensor([[4.0]]))
    )
    absent = product_of_experts([a, b], [None, torch.tensor([0.0])])  # b missing in this row
    assert torch.allclose(absent.mu, torch.tensor([[1.0]]))  # (2 * 1) / (1 + 1)
    prior = product_of_experts([b], [torch.tensor([0.0])])
    assert torch.equal(prior.mu, torch.zeros(1, 1)) and torch.equal(prior.logvar, torch.zeros(1, 1))


def test_losses_on_a_tiny_seeded_model(small_digits: Dataset):
    model = tiny_mvae().train()
    images, labels = small_digits.split("train")
    x, y = to_float(images[:16]), labels[:16]
    thirds = text.Thirds.fit(images, labels)
    tokens, slots = training_sentences(x, y, thirds, torch.Generator().manual_seed(0))
    assert tokens.shape[0] == 16 and slots.shape == (16, 4)
    terms = mvae_loss(model, x, tokens, slots, torch.Generator().manual_seed(1))
    assert torch.isfinite(terms.loss) and terms.loss > 0
    assert torch.allclose(terms.loss, terms.joint + terms.image + terms.text)
    assert terms.image > terms.image_recon > 0 and terms.kl > 0
    again = mvae_loss(model, x, tokens, slots, torch.Generator().manual_seed(1))
    assert torch.equal(terms.loss, again.loss)  # the same draws give the same loss
    # A sentence with no words is no expert: the pair's posterior is the picture's alone.
    joint, alone = model.posterior(x, torch.zeros_like(tokens)), model.posterior(x)
    assert torch.equal(joint.mu, alone.mu) and torch.equal(joint.logvar, alone.logvar)
    unsaid = torch.full_like(slots, text.UNSPECIFIED)
    silent = mvae_loss(model, x, tokens, unsaid, torch.Generator().manual_seed(1))
    assert silent.image_recon == terms.image_recon  # the same draws of z
    assert silent.loss < terms.loss  # and no likelihood for unspecified slots
    terms.loss.backward()
    assert all(p.grad is not None for p in model.text_encoder.parameters() if p.requires_grad)


def test_free_bits_leave_each_dimensions_first_nats_unpenalised(small_digits):
    """The picture's term charges max(FREE_BITS, KL of each dimension); it reports the true KL."""
    from core.models import losses
    from core.models.multimodal import FREE_BITS

    model = tiny_mvae().train()
    images, labels = small_digits.split("train")
    x, y = to_float(images[:16]), labels[:16]
    tokens, slots = training_sentences(x, y, text.Thirds.fit(images, labels), torch.Generator())
    unsaid = torch.full_like(slots, text.UNSPECIFIED)  # no sentence likelihood in the terms
    terms = mvae_loss(model, x, tokens, unsaid, torch.Generator().manual_seed(1))
    q = model.posterior(x)
    per_dim = losses.kl_to_standard_normal(q.mu, q.logvar).mean(0)
    assert (per_dim < FREE_BITS).any()  # a fresh model: some dimensions below the free nats
    charged = per_dim.clamp(min=FREE_BITS).sum()
    assert torch.allclose(terms.image - terms.image_recon, charged, atol=1e-4)
    assert torch.allclose(terms.kl, per_dim.sum(), atol=1e-4) and terms.kl < charged


def test_cross_generation_shapes_and_determinism(trained):
    model = trained.model
    z = model.encode_text(SENTENCES)
    assert z.shape == (4, 4) and torch.equal(z, model.encode_text(SENTENCES))
    assert torch.equal(z[3], torch.zeros(4))  # an empty sentence: the prior's mean
    images = model.decode(z)
    assert images.shape == (4, 1, 28, 28) and images.min() >= 0 and images.max() <= 1
    x = torch.rand(3, 1, 28, 28)
    written = model.describe(x)
    assert len(written) == 3 and written == model.describe(x)
    for sentence in written:  # every slot written, in the vocabulary
        assert (text.parse(sentence) != text.UNSPECIFIED).all()
    q = model.text_posterior(SENTENCES[:1])
    from core.models.experts import reparameterize

    draw = [reparameterize(q, torch.Generator().manual_seed(5)) for _ in range(2)]
    assert torch.equal(draw[0], draw[1])


def test_unknown_words_are_refused_and_name_the_vocabulary():
    model = tiny_mvae()
    with pytest.raises(text.UnknownWords, match="the words I know: .*thick"):
        model.encode_text(["a fat seven"])


def test_training_lowers_the_loss_and_the_checkpoint_round_trips(trained, tmp_path):
    history = trained.history
    assert history[-1]["loss"] < history[0]["loss"]
    assert {"mse", "neg_elbo", "digit_word"} <= {k.removeprefix("val_") for k in trained.metrics}
    path = save_checkpoint(tmp_path / "mvae.pt", trained.model, metrics=trained.metrics)
    loaded = load_model(path)
    assert isinstance(loaded, MultimodalVAE)
    assert torch.equal(loaded.encode_text(SENTENCES), trained.model.encode_text(SENTENCES))
    assert np.isfinite(trained.metrics["val_mse"])


def test_training_on_a_dataset_from_a_folder_never_reloads_it_by_name(small_digits, monkeypatch):
    """fit hands the model its training split: the thirds are cut on the digits given (a
    dataset read from --data-root), not on ``load_dataset(name)`` without the root."""
    import core.data.datasets

    def no_reload(*args, **kw):
        raise AssertionError(f"load_dataset{args} called during training")

    monkeypatch.setattr(core.data.datasets, "load_dataset", no_reload)
    text.thirds_for.cache_clear()
    folder = replace(small_digits, name="mnist")  # as load_dataset("mnist", root=...) gives it
    one = replace(TRAIN, epochs=1, max_batches=2, precision="fp32")
    result = fit(replace(one, model=replace(one.model, dataset="mnist")), folder, device="cpu")
    cuts = text.Thirds.fit(*folder.split("train")).cuts
    assert np.array_equal(result.model.thirds.cuts, cuts, equal_nan=True)
    assert 0 <= result.metrics["val_digit_word"] <= 1


def test_the_sentence_posterior_is_pulled_into_its_pictures_not_the_reverse(small_digits):
    """KL(q(z|t) || q(z|x)) trains the sentence's expert only: the pictures' posteriors are
    its targets, held fixed."""
    model = tiny_mvae().train()
    images, labels = small_digits.split("train")
    x, y = to_float(images[:16]), labels[:16]
    tokens, slots = training_sentences(
        x, y, text.Thirds.fit(images, labels), torch.Generator().manual_seed(0)
    )
    terms = mvae_loss(model, x, tokens, slots, torch.Generator().manual_seed(1))
    assert terms.align > 0
    terms.align.backward()
    assert all(p.grad is None for p in model.encoder.parameters())
    assert model.text_encoder.to_mu.weight.grad.abs().sum() > 0
    from core.models.experts import gaussian_kl

    same = Gaussian(torch.randn(3, 4), torch.randn(3, 4))
    assert torch.allclose(gaussian_kl(same, same), torch.zeros(3), atol=1e-6)
