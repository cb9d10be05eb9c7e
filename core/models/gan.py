"""The GAN's two networks, DCGAN-style (Radford et al. 2016), sized for 28x28 digits.

``GAN`` below pairs them and owns their training; the objective and its R1 penalty are in
``core.models.losses``.
"""

from __future__ import annotations

import torch
from torch import nn

from core.models import losses
from core.models.base import (
    LatentModel,
    ModelConfig,
    Optimizers,
    Schedulers,
    adam,
    model_device,
    optimizer_step,
)
from core.models.layers import UPSAMPLE, check_upsampling, downsample

R1_EVERY = 8  # steps per R1 penalty; every step would make training ~40 % slower


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


class GAN(LatentModel):
    """Generator G and discriminator D of the min-max game min_G max_D V(D, G)."""

    kind = "gan"
    has_prior = True
    epoch_cost = 14.7  # s per epoch in --all (bf16, one thread, 2026-12-06): the wider D
    has_decoder = True

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.generator = Generator(config.latent_dim, config.channels)
        self.discriminator = Discriminator(config.channels)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """Logit that x is a real digit."""
        return self.discriminator(x)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """G(z) for n codes z ~ N(0, I) drawn on the CPU from ``generator``."""
        z = torch.randn(n, self.latent_dim, generator=generator).to(model_device(self))
        return self.decode(z)

    def configure_optimizers(self, lr: float) -> Optimizers:
        """DCGAN's settings: Adam(lr, betas=(0.5, 0.999)) for each player, G first."""
        return [
            adam(torch.optim.Adam, self.generator.parameters(), lr=lr, betas=(0.5, 0.999)),
            adam(torch.optim.Adam, self.discriminator.parameters(), lr=lr, betas=(0.5, 0.999)),
        ]

    def configure_schedulers(self, optimizers: Optimizers, total_steps: int) -> Schedulers:
        """DCGAN's constant rate for the first half, then a linear decay to 0: that settles the
        two players' late oscillation."""
        return [
            torch.optim.lr_scheduler.LambdaLR(o, lambda i: min(1.0, 2.0 * (1.0 - i / total_steps)))
            for o in optimizers
        ]

    def training_step(self, x, y, optimizers, settings, gen) -> dict[str, float]:
        opt_g, opt_d = optimizers
        z = torch.randn(len(x), self.latent_dim, generator=gen).to(x.device)
        fake = self.generator(z)
        # Discriminator: real -> 1, fake -> 0 (fake detached so G is not updated here), and
        # gamma / 2 * R1 on its slope at the real digits, lazily (Karras et al. 2020, StyleGAN2):
        # on a random 1 in R1_EVERY steps, times R1_EVERY, so its double backward costs
        # 1/R1_EVERY.
        gamma = settings.r1_gamma
        lazy = gamma > 0 and torch.randint(R1_EVERY, (), generator=gen).item() == 0
        x = x.requires_grad_(lazy)
        real_logits = self.discriminator(x).float()
        d_loss = losses.gan_discriminator_loss(
            real_logits, self.discriminator(fake.detach()).float()
        )
        r1 = losses.r1_penalty(real_logits, x) if lazy else torch.zeros(())
        optimizer_step(d_loss + gamma / 2 * R1_EVERY * r1, opt_d)
        # Generator: non-saturating, make D call the fakes real.
        g_loss = losses.gan_generator_loss(self.discriminator(fake).float())
        optimizer_step(g_loss, opt_g)
        return {"loss": g_loss.item(), "d_loss": d_loss.item(), "g_loss": g_loss.item()}

    def validation_metrics(self, x, y, gen) -> dict[str, float]:
        """D's mean belief that real digits, and then G's samples, are real."""
        real = torch.sigmoid(self.discriminate(x).float()).mean().item()
        fake = torch.sigmoid(self.discriminate(self.sample(len(x), gen)).float()).mean().item()
        return {"d_real": real, "d_fake": fake}
