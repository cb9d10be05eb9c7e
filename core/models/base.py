"""What every model shares: its config, its protocol, and the behaviour each kind overrides.

Every model works on float tensors ``[N, 1, 28, 28]`` in [0, 1] and carries ``kind``,
``latent_dim``, ``has_encoder``, ``has_decoder`` and ``conditional``. A kind owns how it is
trained (``configure_optimizers``, ``configure_schedulers``, ``training_step``) and what it reports
on validation data (``validation_metrics``), as nanoGPT's model owns ``configure_optimizers``:
the loop in ``core.training.loop`` never asks which kind it trains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol, get_args

import torch
from torch import nn

ModelKind = Literal["ae", "vae", "gan", "classifier", "cvae", "mvae"]
KINDS: tuple[ModelKind, ...] = get_args(ModelKind)

Optimizers = list[torch.optim.Optimizer]
Schedulers = list[torch.optim.lr_scheduler.LRScheduler]


@dataclass
class ModelConfig:
    """Everything needed to rebuild a network. Defaults live here and only here."""

    kind: ModelKind = "ae"
    latent_dim: int = 16
    channels: int = 32  # width of the first conv block; the second has 2x
    hidden: int = 256  # fully connected layer between the conv stack and the code
    dataset: str = "embedded"
    num_classes: int = 10  # CVAE: the classes of the label given to encoder and decoder

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown model kind {self.kind!r}")
        if self.kind != "classifier" and not 2 <= self.latent_dim <= 128:
            raise ValueError(f"latent_dim must be in 2..128, got {self.latent_dim}")
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {self.num_classes}")


class StepSettings(Protocol):
    """The parts of a training config that a step reads (``core.training.loop.TrainConfig``)."""

    beta: float  # VAE and CVAE: weight of the KL term
    noise_std: float  # AE: train as a denoiser
    augment_shift: int  # random translations of up to this many pixels
    shift_fraction: float  # ... of this share of the images (the rest stay in place)
    r1_gamma: float  # GAN: weight of the R1 penalty


def model_device(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


def require_eval(module: nn.Module) -> None:
    """Batch norm in training mode would use batch statistics and update its running stats."""
    if module.training:
        raise ValueError(
            "the model is in training mode; call model.eval() first "
            "(load_model and fit already return eval-mode models)"
        )


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def adam(
    kind: type[torch.optim.Optimizer], params: Iterable[nn.Parameter], **kw: object
) -> torch.optim.Optimizer:
    """The fused (one kernel per step) implementation where this torch has it for the device,
    else the default one: the same update, faster on a CPU (docs/recipes.md)."""
    params = list(params)
    try:
        return kind(params, fused=True, **kw)
    except (RuntimeError, ValueError):
        return kind(params, **kw)


def optimizer_step(loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


class LatentModel(nn.Module):
    """The base of every kind: its config, the size of its code, what it can do, and the
    defaults of its training (AdamW with a cosine decay to 0)."""

    kind: ClassVar[ModelKind]
    has_encoder: ClassVar[bool] = False  # True: ``encode(x)`` gives codes of real digits
    has_decoder: ClassVar[bool] = False  # True: ``decode(z)`` alone draws a digit
    conditional: ClassVar[bool] = False  # True: ``encode(x, y)``, ``decode(z, y)`` take labels
    has_prior: ClassVar[bool] = False  # True: codes drawn from N(0, I) decode to samples
    epoch_cost: ClassVar[float] = 2.0  # rough CPU time of an epoch, relative: orders --all's jobs

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim

    def configure_optimizers(self, lr: float) -> Optimizers:
        return [adam(torch.optim.AdamW, self.parameters(), lr=lr, weight_decay=1e-4)]

    def configure_schedulers(self, optimizers: Optimizers, total_steps: int) -> Schedulers:
        """Cosine decay to 0 over the whole training."""
        return [
            torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total_steps) for o in optimizers
        ]

    def prepare(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        """Called by ``fit`` once before the first step with the training split it was given
        (uint8 [N, 28, 28], int64 [N]): for a kind that derives something from its training
        data (the multimodal VAE's description thirds). Nothing by default."""

    def training_step(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        optimizers: Optimizers,
        settings: StepSettings,
        gen: torch.Generator,
    ) -> dict[str, float]:
        """One optimisation step on a batch x [B, 1, 28, 28], labels y int64 [B]: the step's
        training readings (``loss`` at least)."""
        raise NotImplementedError

    def validation_metrics(
        self, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator
    ) -> dict[str, float]:
        """Means over a validation batch (no ``val_`` prefix); draws come from ``gen``."""
        raise NotImplementedError
