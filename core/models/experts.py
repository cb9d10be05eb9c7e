"""Diagonal Gaussians and their product: the experts of the multimodal VAE
(``core.models.multimodal``), the posterior given any subset of its inputs, a draw and a KL."""

from __future__ import annotations

from typing import NamedTuple

import torch


class Gaussian(NamedTuple):
    mu: torch.Tensor  # [N, k]
    logvar: torch.Tensor  # [N, k]


def product_of_experts(experts: list[Gaussian], present: list[torch.Tensor | None]) -> Gaussian:
    """The product of the prior N(0, I) and the experts, row by row: precision T = 1 + sum_i
    T_i, mean = sum_i T_i mu_i / T (the prior's mean is 0). ``present[i]`` is a float [N] mask
    (0: that row has no such input, so its expert adds no precision) or None (every row has it).
    """
    precision = torch.ones_like(experts[0].mu)  # the prior's
    weighted = torch.zeros_like(experts[0].mu)
    for expert, mask in zip(experts, present, strict=True):
        t = torch.exp(-expert.logvar)  # [N, k]
        if mask is not None:
            t = t * mask[:, None].to(t.dtype)
        precision = precision + t
        weighted = weighted + expert.mu * t
    return Gaussian(weighted / precision, -torch.log(precision))


def reparameterize(q: Gaussian, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + sigma * eps, eps ~ N(0, I) drawn on the CPU from ``generator``."""
    eps = torch.randn(q.mu.shape, generator=generator).to(q.mu)
    return q.mu + torch.exp(0.5 * q.logvar) * eps


def gaussian_kl(p: Gaussian, q: Gaussian) -> torch.Tensor:
    """KL(p || q) of diagonal Gaussians, nats [N]."""
    p_mu, p_lv, q_mu, q_lv = (t.float() for t in (p.mu, p.logvar, q.mu, q.logvar))
    return 0.5 * (q_lv - p_lv + (p_lv.exp() + (p_mu - q_mu) ** 2) / q_lv.exp() - 1).sum(1)
