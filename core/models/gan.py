"""The GAN's two networks, DCGAN-style (Radford et al. 2016), sized for 28x28 digits.

``core.models.kinds.GAN`` pairs them; the objective and its R1 penalty are in
``core.models.losses``.
"""

from __future__ import annotations

import torch
from torch import nn

from core.models.layers import UPSAMPLE, check_upsampling, downsample


class Generator(nn.Module):
    """z [N, k] -> image [N, 1, 28, 28] in [0, 1]."""

    def __init__(self, latent_dim: int, channels: int) -> None:
        super().__init__()
        c = channels
        k, s, p = UPSAMPLE
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 4 * c * 49),  # state size. 4c*49
            nn.Unflatten(1, (4 * c, 7, 7)),  # state size. 4c x 7 x 7
            nn.BatchNorm2d(4 * c),
            nn.ReLU(),
            # Two 3x3 convs at 7x7, where a digit's overall shape is decided: they spread the
            # samples over every class (docs/recipes.md).
            nn.Conv2d(4 * c, 4 * c, 3, 1, 1, bias=False),  # state size. 4c x 7 x 7
            nn.BatchNorm2d(4 * c),
            nn.ReLU(),
            nn.Conv2d(4 * c, 4 * c, 3, 1, 1, bias=False),  # state size. 4c x 7 x 7
            nn.BatchNorm2d(4 * c),
            nn.ReLU(),
            nn.ConvTranspose2d(4 * c, 2 * c, k, s, p),  # state size. 2c x 14 x 14
            nn.BatchNorm2d(2 * c),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * c, c, k, s, p),  # state size. c x 28 x 28
            nn.BatchNorm2d(c),
            nn.ReLU(),
            # A 3x3 conv at full size draws the strokes (docs/recipes.md).
            nn.Conv2d(c, 1, 3, 1, 1),  # state size. 1 x 28 x 28
            nn.Sigmoid(),
        )
        check_upsampling(self.net)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """image [N, 1, 28, 28] -> real/fake logit [N].

    Twice the encoder's width and a 3x3 conv at 7x7, ~14M multiply-adds per image against G's
    ~28M: a D of the encoder's size (~1.7M) let malformed samples through, and this one halves
    the FID at the same number of epochs (docs/recipes.md).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        c = 2 * channels
        self.net = nn.Sequential(
            *downsample(c),  # state size. 2c x 7 x 7
            nn.Conv2d(2 * c, 2 * c, 3, 1, 1),  # state size. 2c x 7 x 7
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * c * 49, 1),  # state size. 1
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)
