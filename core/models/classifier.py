"""A small CNN that labels digits: it judges generated images and gives the FID its features."""

from __future__ import annotations

import torch
from torch import nn

from core.data.augment import random_shift
from core.models import losses
from core.models.base import LatentModel, ModelConfig, optimizer_step


class DigitClassifier(LatentModel):
    """Small CNN that labels digits; used to judge generated images. x -> logits [N, 10]."""

    kind = "classifier"
    epoch_cost = 2.6

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.latent_dim = 0
        c = config.channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1),  # state size. c x 28 x 28
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.MaxPool2d(2),  # state size. c x 14 x 14
            nn.Conv2d(c, 2 * c, 3, padding=1),  # state size. 2c x 14 x 14
            nn.BatchNorm2d(2 * c),
            nn.ReLU(),
            nn.MaxPool2d(2),  # state size. 2c x 7 x 7
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(2 * c * 49, config.hidden),  # state size. hidden (features for FID)
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(config.hidden, 10))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features [N, hidden], used for the classifier-based FID."""
        return self.features(x)

    def forward(self, x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        """Logits [N, 10]. In training, the dropout masks come from ``gen`` when given (a fit's
        generator, so a seeded fit repeats and threads do not share one RNG)."""
        if gen is None or not self.training:
            return self.head(self.features(x))
        for layer in (*self.features, *self.head):
            x = _dropout(x, layer.p, gen) if isinstance(layer, nn.Dropout) else layer(x)
        return x

    def training_step(self, x, y, optimizers, settings, gen) -> dict[str, float]:
        logits = self(random_shift(x, settings.augment_shift, gen, settings.shift_fraction), gen)
        loss = losses.classification_loss(logits.float(), y)
        optimizer_step(loss, optimizers[0])
        return {"loss": loss.item()}

    def validation_metrics(self, x, y, gen) -> dict[str, float]:
        return {"accuracy": (self(x).argmax(1) == y).float().mean().item()}


def _dropout(x: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """Inverted dropout with its mask drawn on the CPU from ``gen``."""
    keep = torch.rand(x.shape, generator=gen) >= p
    return x * keep.to(x.device, x.dtype) / (1 - p)
