"""Corrupting and shifting batches: the noise of the denoising pages and the augmentations of
training. Every draw comes from the ``generator`` given (drawn on the CPU, so a seed means the
same numbers on any device)."""

from __future__ import annotations

import torch
from torch import nn


def add_gaussian_noise(
    x: torch.Tensor, std: float, gen: torch.Generator | None = None
) -> torch.Tensor:
    """x + N(0, std^2), clipped to [0, 1]."""
    noise = torch.randn(x.shape, generator=gen, device="cpu").to(x.device)
    return (x + std * noise).clamp_(0.0, 1.0)


def add_salt_and_pepper(
    x: torch.Tensor, amount: float, gen: torch.Generator | None = None
) -> torch.Tensor:
    """Set a fraction ``amount`` of pixels to 0 or 1 at random."""
    u = torch.rand(x.shape, generator=gen, device="cpu").to(x.device)
    out = x.clone()
    out[u < amount / 2] = 0.0
    out[(u >= amount / 2) & (u < amount)] = 1.0
    return out


def random_shift(
    x: torch.Tensor, max_shift: int, gen: torch.Generator, fraction: float = 1.0
) -> torch.Tensor:
    """Translate each image [N, 1, 28, 28] by its own random offset of up to max_shift pixels
    (zero fill). ``fraction`` < 1: each image is moved with that probability and otherwise left
    in place (drawn after the offsets, so fraction 1 draws what it always drew)."""
    if max_shift == 0:
        return x
    n = len(x)
    padded = nn.functional.pad(x, (max_shift,) * 4)  # [N, 1, 28 + 2s, 28 + 2s]
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, n, 1), generator=gen).to(x.device)
    rows = (torch.arange(28, device=x.device) + dy)[:, :, None]  # [N, 28, 1]
    cols = (torch.arange(28, device=x.device) + dx)[:, None, :]  # [N, 1, 28]
    shifted = padded[torch.arange(n, device=x.device)[:, None, None], 0, rows, cols].unsqueeze(1)
    if fraction >= 1.0:
        return shifted
    stay = (torch.rand(n, generator=gen) < 1.0 - fraction).to(x.device)
    return torch.where(stay[:, None, None, None], x, shifted)
