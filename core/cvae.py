"""Conditional VAE: the label carries the content (which digit), z the handwriting (style).

Encoder q(z | x, y) and decoder p(x | z, y), the label given to both as a one-hot vector
(Sohn, Lee & Yan 2015, "Learning Structured Output Representation using Deep Conditional
Generative Models"; Kingma et al. 2014's M2 model with y observed). Trained on the VAE's
negative ELBO (``core.losses.negative_elbo``): since the decoder is told y, z is pushed by the
KL term to keep only what y does not say.

API, as the other kinds, on x float ``[N, 1, 28, 28]`` in [0, 1] and y int64 ``[N]``:
``kind == "cvae"``, ``latent_dim``, ``num_classes``, ``encode(x, y)`` (posterior mean),
``encode_dist(x, y)`` -> (mu, logvar), ``decode(z, y)`` -> images in [0, 1].

``fit_cvae`` is this kind's training loop until ``core.train`` knows it: ``step`` and
``batch_metrics`` have the shape of that module's per-kind functions. ``load_cvae`` reads the
checkpoint dict ``core.checkpoints`` writes.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from core import losses
from core.checkpoints import CheckpointError, _read
from core.data import Dataset, to_float
from core.models import ConvDecoder, ConvEncoder, count_parameters


@dataclass
class CVAEConfig:
    """Everything needed to rebuild a CVAE; the fields of ``ModelConfig`` plus ``num_classes``."""

    kind: str = "cvae"
    latent_dim: int = 8
    channels: int = 32  # width of the first conv block; the second has 2x
    hidden: int = 192  # fully connected layer between the conv stack and the code
    dataset: str = "embedded"
    num_classes: int = 10

    def __post_init__(self) -> None:
        if self.kind != "cvae":
            raise ValueError(f"a CVAEConfig has kind 'cvae', got {self.kind!r}")
        if not 2 <= self.latent_dim <= 128:
            raise ValueError(f"latent_dim must be in 2..128, got {self.latent_dim}")
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {self.num_classes}")


class CVAE(nn.Module):
    """q(z|x,y) = N(mu, sigma^2) from conv features of x joined with one-hot y; p(x|z,y) a
    Bernoulli decoder of [z, one-hot y]; prior N(0, I) on z whatever y."""

    kind = "cvae"

    def __init__(self, config: CVAEConfig) -> None:
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        self.num_classes = config.num_classes
        h = config.hidden
        self.encoder = ConvEncoder(config.channels, h)  # x -> state size. hidden
        self.join = nn.Sequential(
            nn.Linear(h + config.num_classes, h),  # [features, one-hot] -> state size. hidden
            nn.LeakyReLU(0.2),
        )
        self.to_mu = nn.Linear(h, config.latent_dim)  # state size. k
        self.to_logvar = nn.Linear(h, config.latent_dim)  # state size. k
        # [z, one-hot] -> image: the AE/VAE decoder with k + classes inputs
        self.decoder = ConvDecoder(config.latent_dim + config.num_classes, config.channels, h)

    def one_hot(self, y: torch.Tensor) -> torch.Tensor:
        """int64 [N] -> float [N, classes]; a label outside 0..classes-1 is a ValueError."""
        if y.dtype != torch.int64 or y.ndim != 1:
            raise ValueError(f"labels must be int64 [N], got {y.dtype} {tuple(y.shape)}")
        if len(y) and (y.min() < 0 or y.max() >= self.num_classes):
            raise ValueError(f"labels must be in 0..{self.num_classes - 1}")
        return F.one_hot(y, self.num_classes).float()

    def encode_dist(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.join(torch.cat([self.encoder(x), self.one_hot(y).to(x.dtype)], dim=1))
        return self.to_mu(h), self.to_logvar(h)

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The posterior mean: the style code used for maps, swaps and renders."""
        return self.encode_dist(x, y)[0]

    def decode(self, z: torch.Tensor, y: torch.Tensor, logits: bool = False) -> torch.Tensor:
        return self.decoder(torch.cat([z, self.one_hot(y).to(z.dtype)], dim=1), logits=logits)

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, eps: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(reconstruction logits, mu, logvar) with z = mu + sigma * eps; eps ~ N(0, I) drawn
        from the global generator unless given (``step`` passes draws from its own)."""
        mu, logvar = self.encode_dist(x, y)
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * logvar) * eps
        return self.decode(z, y, logits=True), mu, logvar


def init_parameters(model: nn.Module, gen: torch.Generator) -> nn.Module:
    """PyTorch's default initialisation of Linear and conv layers, U(-1/sqrt(fan_in),
    1/sqrt(fan_in)) for weights and biases (kaiming_uniform with a = sqrt(5)), drawn from a
    local generator; batch norm reset to scale 1, shift 0 and fresh running statistics."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                bound = 1.0 / math.sqrt(m.weight[0].numel())  # fan_in, as torch computes it
                m.weight.uniform_(-bound, bound, generator=gen)
                if m.bias is not None:
                    m.bias.uniform_(-bound, bound, generator=gen)
            elif isinstance(m, nn.BatchNorm2d):
                m.reset_parameters()  # deterministic: ones, zeros, running mean 0 and var 1
    return model


def build_cvae(config: CVAEConfig, seed: int | torch.Generator = 0) -> CVAE:
    """A CVAE initialised from a local generator (or seed), without drawing from the global
    RNG: the layers are made on the meta device, where their own init draws nothing."""
    gen = seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(seed)
    with torch.device("meta"):
        model = CVAE(config)
    return init_parameters(model.to_empty(device="cpu"), gen)


# --- training ---------------------------------------------------------------------------------


@dataclass
class CVAETrainConfig:
    model: CVAEConfig
    epochs: int = 30
    batch_size: int = 64
    lr: float = 2e-3
    beta: float = 1.0  # weight of the KL term (1 = the true ELBO)
    seed: int = 0
    max_batches: int | None = None  # per epoch; 1 for a smoke test

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("epochs, batch_size and lr must be positive")


@dataclass
class CVAEResult:
    model: CVAE
    metrics: dict[str, float]  # final validation metrics, float32
    history: list[dict[str, float]]  # one row per epoch
    seconds: float

    def trained(self, config: CVAETrainConfig, device: str) -> dict[str, Any]:
        """What a checkpoint records about how the model was made."""
        return {
            **{k: v for k, v in asdict(config).items() if k != "model"},
            "seconds": round(self.seconds, 2),
            "device": device,
            "precision": "fp32",
            "epochs": len(self.history),
            "parameters": count_parameters(self.model),
            "history": self.history,
        }


def step(
    model: CVAE,
    opt: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: CVAETrainConfig,
    gen: torch.Generator,
) -> dict[str, float]:
    """One optimisation step on the negative ELBO of a batch."""
    eps = torch.randn(len(x), model.latent_dim, generator=gen).to(x.device)
    logits, mu, logvar = model(x, y, eps)
    terms = losses.negative_elbo(logits.float(), x, mu.float(), logvar.float(), beta=cfg.beta)
    opt.zero_grad(set_to_none=True)
    terms.loss.backward()
    opt.step()
    return {"loss": terms.loss.item(), "recon": terms.recon.item(), "kl": terms.kl.item()}


@torch.no_grad()
def batch_metrics(
    model: CVAE, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator
) -> dict[str, float]:
    """-ELBO (one posterior sample), its parts, and the MSE of decoding the posterior mean."""
    eps = torch.randn(len(x), model.latent_dim, generator=gen).to(x.device)
    logits, mu, logvar = model(x, y, eps)
    terms = losses.negative_elbo(logits.float(), x, mu.float(), logvar.float())
    mse = losses.reconstruction_mse(model.decode(mu, y).float(), x)
    return {
        "neg_elbo": terms.neg_elbo.item(),
        "recon": terms.recon.item(),
        "kl": terms.kl.item(),
        "mse": mse.item(),
    }


def evaluate(
    model: CVAE, images: torch.Tensor, labels: torch.Tensor, seed: int = 0, batch_size: int = 1000
) -> dict[str, float]:
    """Validation metrics on uint8 images [N, 28, 28]; eps drawn from a generator seeded with
    ``seed``, so the same weights give the same numbers. Leaves the model's mode as it was."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    sums: dict[str, float] = {}
    for start in range(0, len(images), batch_size):
        x = to_float(images[start : start + batch_size].to(device))
        y = labels[start : start + batch_size].to(device)
        for key, value in batch_metrics(model, x, y, gen).items():
            sums[key] = sums.get(key, 0.0) + value * len(x)
    model.train(was_training)
    return {f"val_{k}": v / len(images) for k, v in sums.items()}


def fit_cvae(
    config: CVAETrainConfig, dataset: Dataset, device: str | torch.device = "cpu", callback=None
) -> CVAEResult:
    """Train a fresh CVAE on the dataset's training split, in float32, seeded by a local
    generator (initialisation, batch order, posterior samples). ``callback(epoch, row)`` is
    called after each epoch; returning True stops training."""
    dev = torch.device(device)
    gen = torch.Generator().manual_seed(config.seed)
    model_config = CVAEConfig(**{**asdict(config.model), "dataset": dataset.name})
    model = build_cvae(model_config, gen).to(dev).train()
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=1e-4)
    train_x, train_y = (t.to(dev) for t in dataset.split("train"))
    val_x, val_y = dataset.split("val")
    steps = math.ceil(len(train_x) / config.batch_size)
    if config.max_batches is not None:
        steps = min(steps, config.max_batches)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.epochs * steps)
    history: list[dict[str, float]] = []
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        order = torch.randperm(len(train_x), generator=gen).to(dev)
        sums: dict[str, float] = {}
        for i in range(steps):
            idx = order[i * config.batch_size : (i + 1) * config.batch_size]
            out = step(model, opt, to_float(train_x[idx]), train_y[idx], config, gen)
            sched.step()
            for key, value in out.items():
                sums[key] = sums.get(key, 0.0) + value / steps
        row = {"epoch": float(epoch), **sums, **evaluate(model, val_x, val_y)}
        history.append(row)
        if callback is not None and callback(epoch, row):
            break
    seconds = time.perf_counter() - start
    model.eval()
    return CVAEResult(model, evaluate(model, val_x, val_y), history, seconds)


# --- checkpoints ------------------------------------------------------------------------------


def from_payload(payload: dict[str, Any], name: str = "checkpoint") -> CVAE:
    """Rebuild a CVAE from the dict ``core.checkpoints.save_checkpoint`` writes, in eval mode."""
    if payload.get("kind") != "cvae":
        raise CheckpointError(Path(name), f"holds a {payload.get('kind')!r} model, not a CVAE")
    try:
        model = build_cvae(CVAEConfig(**payload["config"]))
        model.load_state_dict(payload["state_dict"])  # float16 weights are cast back
    except (TypeError, ValueError, RuntimeError, KeyError) as exc:
        raise CheckpointError(
            Path(name), f"holds weights that do not match its config ({exc})"
        ) from exc
    return model.eval()


def load_cvae(path: str | Path, device: str | torch.device = "cpu") -> CVAE:
    """A CVAE checkpoint, read with ``weights_only=True`` like every checkpoint."""
    path = Path(path)
    return from_payload(_read(path), path.name).to(device)
