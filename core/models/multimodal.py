"""A multimodal VAE: a digit's picture and a sentence about it in one latent space.

Wu & Goodman (2018), "Multimodal Generative Models for Scalable Weakly-Supervised Learning".
Each kind of input m has an encoder, an *expert* giving a Gaussian q_m(z|m); the posterior
given any subset of them is the product of their experts and the prior expert N(0, I):

    q(z | x, t) ∝ p(z) q(z|x) q(z|t)

a Gaussian whose precision is the sum of the experts' precisions and whose mean is their
precision-weighted mean. A missing input is a missing factor: an empty sentence leaves the
prior alone. Training sums the -ELBOs under the pair's posterior and under each input's alone
(``mvae_loss``), so either input can be given alone at test time.

Picture: our VAE's ``ConvEncoder`` and ``ConvDecoder`` (Bernoulli pixels). Sentence: the
descriptions of ``core.data.descriptions``, read and written by ``core.models.sentence``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.data import descriptions as text
from core.data.augment import random_shift
from core.models import losses
from core.models.autoencoders import ConvDecoder, ConvEncoder
from core.models.base import LatentModel, ModelConfig, model_device, optimizer_step
from core.models.experts import Gaussian, gaussian_kl, product_of_experts, reparameterize
from core.models.sentence import TextDecoder, TextEncoder, sentence_nll

TEXT_WEIGHT = 10.0  # the sentence's log-likelihood counts this many times (their lambda)
# The sentence's posterior lies within its pictures' (KL(q(z|t) || q(z|x)), ``mvae_loss``)
ALIGN_WEIGHT = 1.0
ALIGN_FLOOR = 0.1  # ... with the pictures' posterior std read as at least this (bounds the KL)
FREE_BITS = 0.5  # nats of KL per latent dimension the picture's terms may spend unpenalised


class MVAEObjective(NamedTuple):
    """The objective and its parts, nats per example (batch means)."""

    loss: torch.Tensor  # joint + image + text: what is minimised
    joint: torch.Tensor  # -ELBO(x, t) under q(z|x, t), with beta, TEXT_WEIGHT and free bits
    image: torch.Tensor  # -ELBO(x, t) under q(z|x), likewise
    text: torch.Tensor  # -ELBO(t) under q(z|t)
    image_recon: torch.Tensor  # -E log p(x|z), z ~ q(z|x)
    kl: torch.Tensor  # KL(q(z|x) || p(z)), the true one (no free bits)
    align: torch.Tensor  # KL(q(z|t) || q(z|x)) over the rows with a sentence


def mvae_loss(
    model: MultimodalVAE,
    x: torch.Tensor,
    tokens: torch.Tensor,
    slots: torch.Tensor,
    generator: torch.Generator | None = None,
    beta: float = 1.0,
) -> MVAEObjective:
    """Three -ELBOs, summed: of (x, t) under the pair's posterior q(z|x, t); of (x, t) under
    the picture's alone, q(z|x); of t under the sentence's alone, q(z|t) (Wu & Goodman's
    sub-sampled term). Each term: -log p(x|z) (Bernoulli) where the picture is explained,
    TEXT_WEIGHT * ``sentence_nll`` where the sentence is, + beta * KL(q || N(0, I)); the
    sentence's term adds ALIGN_WEIGHT * KL(q(z|t) || q(z|x)) with the picture's posterior held
    fixed and its std read as at least ALIGN_FLOOR, which bounds the term (JMVAE's KL terms,
    Suzuki et al. 2016, in the mode-seeking direction). Trained on the sentence alone, q(z|t)
    sat near the prior, broad and beside its pictures' codes: 18 % of its draws read as
    another digit at 20 epochs; held within its pictures' posteriors, 2 % (0.2 % at 60).

    In the two terms that explain the picture, each latent dimension's first FREE_BITS nats
    of KL (batch mean) are free (Kingma et al. 2016): at beta 1 the three KL terms switched
    off up to 3 of the 16 dimensions, depending on the seed (docs/recipes.md, fourth round).
    The shipped recipe's beta of 0.1 leaves every dimension 3 to 4.5 nats, so there they do
    not bind; they guard a model trained at a beta near 1 (the Train page's slider).

    The picture's posterior explains the sentence too (a bound on log p(x, t) like the
    pair's): with Wu & Goodman's image-only term the model wrote the right digit word for 86 %
    of validation pictures, with this one 97 %. Making the sentence's posterior explain the
    picture as well cost reconstruction (MSE 0.020 against 0.0125) for no better drawings of a
    sentence's digit: docs/recipes.md.
    """
    image_expert = model.image_expert(x)
    text_expert, has_words = model.text_encoder(tokens)
    n = len(x)
    posteriors = {
        "joint": product_of_experts([image_expert, text_expert], [None, has_words]),
        "image": product_of_experts([image_expert], [None]),
        "text": product_of_experts([text_expert], [has_words]),
    }
    z = {name: reparameterize(q, generator) for name, q in posteriors.items()}
    # Each decoder runs once on the draws stacked (the picture's BatchNorm still per posterior)
    said = sentence_nll(model.text_decoder(torch.cat(list(z.values()))), slots.repeat(3, 1))
    said = TEXT_WEIGHT * said.view(3, n).mean(1)  # [3]: joint, image, text
    logits = model.decoder(torch.cat([z["joint"], z["image"]]), logits=True, groups=2).float()
    drawn = F.binary_cross_entropy_with_logits(logits, x.repeat(2, 1, 1, 1), reduction="none")
    drawn = drawn.view(2, -1).sum(1) / n  # [2]: joint, image
    terms = {}
    for i, (name, q) in enumerate(posteriors.items()):
        per_dim = losses.kl_to_standard_normal(q.mu.float(), q.logvar.float()).mean(0)  # [k]
        kl = per_dim.sum()
        # free bits where the picture is explained: a dimension's first FREE_BITS nats are free
        penalty = kl if name == "text" else per_dim.clamp(min=FREE_BITS).sum()
        recon = said[i]
        if name != "text":
            recon = recon + drawn[i]
            terms[f"{name}_recon"] = drawn[i]
        else:  # the pictures' posteriors are targets here, not trained by this term
            q_x = posteriors["image"]
            floor = 2 * math.log(ALIGN_FLOOR)
            picture = Gaussian(q_x.mu.detach(), q_x.logvar.detach().clamp(min=floor))
            inside = (gaussian_kl(q, picture) * has_words).sum() / n
            recon = recon + ALIGN_WEIGHT * inside
            terms["text_align"] = inside
        terms[name] = recon + beta * penalty
        terms[f"{name}_kl"] = kl
    return MVAEObjective(
        terms["joint"] + terms["image"] + terms["text"],
        terms["joint"],
        terms["image"],
        terms["text"],
        terms["image_recon"],
        terms["image_kl"],
        terms["text_align"],
    )


class MultimodalVAE(LatentModel):
    """Picture expert + sentence expert + prior expert -> z [N, k] -> picture and words."""

    kind = "mvae"
    has_encoder = True
    has_decoder = True
    has_prior = True
    epoch_cost = 2.9  # s per epoch in --all (bf16, one thread, 2026-12-06: 291 s for 100)

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        h, k = config.hidden, config.latent_dim
        self.encoder = ConvEncoder(config.channels, h)  # x -> state size. hidden
        self.to_mu = nn.Linear(h, k)  # state size. k
        self.to_logvar = nn.Linear(h, k)  # state size. k
        self.decoder = ConvDecoder(k, config.channels, h)  # z -> 1 x 28 x 28
        self.text_encoder = TextEncoder(k, h // 2)  # tokens -> state size. k
        self.text_decoder = TextDecoder(k, h // 2)  # z -> slot logits
        self.thirds: text.Thirds | None = None  # what the words mean: ``prepare`` fits them

    def prepare(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        """The thirds of the training split ``fit`` was given, so a dataset loaded from a
        folder (mnist with a root) is never reloaded by name."""
        self.thirds = text.Thirds.fit(images, labels)

    def description_thirds(self) -> text.Thirds:
        """The thirds the sentences are cut by: those of the training split, if this model
        was trained in this process, else those of its dataset by name (the embedded set)."""
        return self.thirds if self.thirds is not None else text.thirds_for(self.config.dataset)

    # --- experts and posteriors ---

    def image_expert(self, x: torch.Tensor) -> Gaussian:
        h = self.encoder(x)
        return Gaussian(self.to_mu(h), self.to_logvar(h))

    def posterior(
        self, x: torch.Tensor | None = None, tokens: torch.Tensor | None = None
    ) -> Gaussian:
        """q(z | the inputs given): the product of the prior and their experts."""
        experts, present = [], []
        if x is not None:
            experts.append(self.image_expert(x))
            present.append(None)
        if tokens is not None:
            expert, has_words = self.text_encoder(tokens)
            experts.append(expert)
            present.append(has_words)
        if not experts:
            raise ValueError("give pictures, sentences or both")
        return product_of_experts(experts, present)

    def text_posterior(self, texts: list[str]) -> Gaussian:
        """q(z|t) of sentences [N, k]; an empty one is the prior. ``text.UnknownWords`` for
        words outside the vocabulary."""
        return self.posterior(tokens=text.tokenize(texts).to(model_device(self)))

    # --- the model protocol ---

    def encode_dist(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) of q(z|x) = p(z) q_x(z|x): the prior is one of the experts."""
        q = self.posterior(x=x)
        return q.mu, q.logvar

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior mean E[z|x]: the code of a picture, for maps and walks."""
        return self.posterior(x=x).mu

    def decode(self, z: torch.Tensor, logits: bool = False) -> torch.Tensor:
        return self.decoder(z, logits=logits)

    def encode_text(self, texts: list[str]) -> torch.Tensor:
        """The posterior mean E[z|t] [N, k]: the code of a sentence."""
        return self.text_posterior(texts).mu

    def decode_slots(self, z: torch.Tensor) -> torch.Tensor:
        """The most likely word of each slot, int64 [N, 4] (columns ``text.SLOTS``)."""
        return torch.stack([logits.argmax(1) for logits in self.text_decoder(z)], dim=1)

    def describe(self, x: torch.Tensor, template: int = 0) -> list[str]:
        """The sentence the model writes for each picture, through its code E[z|x]."""
        slots = self.decode_slots(self.encode(x)).cpu().numpy()
        return [text.render(row, template) for row in slots]

    # --- training: what fit asks of every kind (AdamW with a cosine decay: the base's) ---

    def training_step(self, x, y, opts, settings, gen) -> dict[str, float]:
        """One step on a batch: each picture gets a random sentence about itself (a random
        template, some words left out), then the three -ELBOs are minimised together."""
        x = random_shift(x, settings.augment_shift, gen, settings.shift_fraction)
        tokens, slots = training_sentences(x, y, self.description_thirds(), gen)
        terms = mvae_loss(self, x, tokens, slots, gen, beta=settings.beta)
        optimizer_step(terms.loss, opts[0])
        return {
            "loss": terms.loss.item(),
            "joint": terms.joint.item(),
            "image": terms.image.item(),
            "text": terms.text.item(),
            "align": terms.align.item(),
        }

    def validation_metrics(self, x, y, gen) -> dict[str, float]:
        """The picture alone, as the VAE's metrics (-ELBO of q(z|x), its parts, the MSE of
        g(E[z|x])), and how often the sentence written for it has each word right (the thirds
        cut on the training split, as the model learnt them)."""
        q = self.posterior(x=x)
        mu, logvar = q.mu.float(), q.logvar.float()
        logits = self.decode(reparameterize(Gaussian(mu, logvar), gen), logits=True).float()
        terms = losses.negative_elbo(logits, x, mu, logvar)
        mse = losses.reconstruction_mse(self.decode(mu).float(), x)
        right = slot_accuracy(self, x, y, self.description_thirds(), codes=q.mu)
        return {
            "neg_elbo": terms.neg_elbo.item(),
            "recon": terms.recon.item(),
            "kl": terms.kl.item(),
            "mse": mse.item(),
            **{f"{slot}_word": float(r) for slot, r in zip(text.SLOTS, right, strict=True)},
        }


def training_sentences(
    x: torch.Tensor, y: torch.Tensor, thirds: text.Thirds, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """A random sentence about each picture of a batch: (token ids [B, L], the slots it says
    [B, 4], -1 where unspecified), on x's device. The attributes are measured on x itself, so
    a shifted digit is described as it is shown."""
    slots = text.slots_of(x.detach().float().cpu().numpy(), y.cpu().numpy(), thirds)
    said, template = text.said_slots(slots, gen)
    tokens = text.tokenize_slots(said, template)
    return tokens.to(x.device), torch.from_numpy(said).to(x.device)


def slot_accuracy(
    model: MultimodalVAE,
    x: torch.Tensor,
    y: torch.Tensor,
    thirds: text.Thirds,
    codes: torch.Tensor | None = None,
) -> np.ndarray:
    """How often the sentence written for each picture has each slot right, float [4].
    ``codes``: the pictures' E[z|x], when the caller has them already."""
    truth = text.slots_of(x.detach().float().cpu().numpy(), y.cpu().numpy(), thirds)
    written = model.decode_slots(model.encode(x) if codes is None else codes).cpu().numpy()
    return (written == truth).mean(axis=0)
