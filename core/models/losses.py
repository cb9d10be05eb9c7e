"""Objectives, separate from the networks: each takes a model's outputs and returns a loss."""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F


def reconstruction_mse(recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean squared error per pixel: the AE objective E||x - g(f(x))||^2 / d."""
    return F.mse_loss(recon, x)


class ELBOTerms(NamedTuple):
    """Negative ELBO and its two parts, each in nats per image (batch mean)."""

    loss: torch.Tensor  # recon + beta * kl: what is minimised
    recon: torch.Tensor  # -E_q[log p(x|z)], Bernoulli likelihood
    kl: torch.Tensor  # KL(q(z|x) || N(0, I))

    @property
    def neg_elbo(self) -> torch.Tensor:
        """-ELBO with beta = 1, whatever beta was trained with: the comparable number."""
        return self.recon + self.kl


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Analytic KL(N(mu, sigma^2) || N(0, I)) per latent dimension, shape [N, k].

    See Appendix B of Kingma & Welling (2014): -0.5 * (1 + log sigma^2 - mu^2 - sigma^2).
    """
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


def negative_elbo(
    recon_logits: torch.Tensor,
    x: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float = 1.0,
) -> ELBOTerms:
    """-ELBO = recon + KL(q(z|x) || N(0, I)) with a Bernoulli decoder (BCE on logits)."""
    n = x.shape[0]
    recon = F.binary_cross_entropy_with_logits(recon_logits, x, reduction="sum") / n
    kl = kl_to_standard_normal(mu, logvar).sum() / n
    return ELBOTerms(recon + beta * kl, recon, kl)


def gan_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D maximises log D(x) + log(1 - D(G(z))); written as a BCE to minimise."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def gan_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: maximise log D(G(z)) (Goodfellow et al. 2014, sec. 3)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R1 = E ||grad_x D(x)||^2 at real digits (Mescheder et al. 2018, "Which Training Methods
    for GANs do actually Converge?", eq. 9): D is penalised for a steep slope on the data, so it
    cannot sharpen into a detector of the 4,500 training digits. ``real`` must require grad."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return grad.float().pow(2).sum(dim=(1, 2, 3)).mean()


def classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, labels)
