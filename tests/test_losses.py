import math

import torch

from core.models import losses


def test_mse_of_known_values():
    x = torch.zeros(2, 1, 28, 28)
    assert losses.reconstruction_mse(x + 0.5, x).item() == 0.25


def test_kl_is_zero_at_the_prior_and_known_elsewhere():
    mu, logvar = torch.zeros(3, 4), torch.zeros(3, 4)
    assert losses.kl_to_standard_normal(mu, logvar).abs().max() == 0
    # KL(N(1, 1) || N(0, 1)) = 0.5 per dimension
    kl = losses.kl_to_standard_normal(torch.ones(1, 2), torch.zeros(1, 2))
    assert torch.allclose(kl, torch.full((1, 2), 0.5))


def test_negative_elbo_in_nats_per_image():
    x = torch.full((2, 1, 28, 28), 1.0)
    logits = torch.zeros_like(x)  # p = 0.5 for every pixel: log 2 nats each
    mu, logvar = torch.ones(2, 3), torch.zeros(2, 3)
    terms = losses.negative_elbo(logits, x, mu, logvar, beta=2.0)
    assert math.isclose(terms.recon.item(), 784 * math.log(2), rel_tol=1e-5)
    assert math.isclose(terms.kl.item(), 1.5, rel_tol=1e-6)
    assert math.isclose(terms.loss.item(), terms.recon.item() + 3.0, rel_tol=1e-6)
    assert math.isclose(terms.neg_elbo.item(), terms.recon.item() + 1.5, rel_tol=1e-6)


def test_gan_losses_at_the_equilibrium():
    half = torch.zeros(8)  # D(x) = 0.5 everywhere
    assert math.isclose(
        losses.gan_discriminator_loss(half, half).item(), 2 * math.log(2), rel_tol=1e-6
    )
    assert math.isclose(losses.gan_generator_loss(half).item(), math.log(2), rel_tol=1e-6)
    # Non-saturating: a confident discriminator still gives the generator a large loss.
    assert losses.gan_generator_loss(torch.full((8,), -10.0)).item() > 9


def test_r1_is_the_squared_slope_of_d_at_the_real_digits():
    # D(x) = <w, x> + (x . x) / 2 has gradient w + x: R1 is the batch mean of ||w + x||^2.
    w = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1)).requires_grad_()
    logits = (w * x).sum((1, 2, 3)) + x.pow(2).sum((1, 2, 3)) / 2
    r1 = losses.r1_penalty(logits, x)
    expected = (w + x.detach()).pow(2).sum((1, 2, 3)).mean()
    assert torch.allclose(r1, expected, rtol=1e-5)
    # It is differentiable (create_graph): D's optimiser steps on it.
    r1.backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
