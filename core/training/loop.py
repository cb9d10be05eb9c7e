"""The training loop for every kind, and its progress callbacks.

``fit(config, dataset, device="auto", callback=None)`` owns the loop: the whole training split
lives on the device as one uint8 tensor and batches are sliced from it (no DataLoader). The
callback receives a ``Progress`` after every epoch and may return True to stop early.

Every random draw of a training (initial weights, shuffling, shifts, noise, eps, z) comes from
generators seeded by ``config.seed``, never from the process-wide RNG: trainings that run at
once in threads of one process (the Train page) give the weights their seeds say.

The shipped recipes are in ``core.training.recipes``; the CLI (``python -m core.training``) in
``core.training.cli``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from core.data.datasets import Dataset, to_float
from core.models.base import ModelConfig, count_parameters, model_device
from core.models.registry import Model, build_model
from core.training.checkpoints import round_to_half, save_checkpoint
from core.training.devices import PRECISIONS, Precision, autocast, resolve_precision, select_device
from core.training.history import HistoryRecorder


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    epochs: int = 30
    batch_size: int = 128
    lr: float = 2e-3
    beta: float = 1.0  # VAE and CVAE: weight of the KL term (1 = the true ELBO)
    noise_std: float = 0.0  # AE: train as a denoiser on x + N(0, noise_std^2), clipped
    augment_shift: int = 0  # random translations of up to this many pixels (not the GAN)
    shift_fraction: float = 1.0  # the share of images augment_shift moves; the rest stay put
    r1_gamma: float = 1.0  # GAN: weight of the R1 penalty on D (losses.r1_penalty); 0 = none
    seed: int = 0
    max_batches: int | None = None  # per epoch; 1 for --dry-run
    precision: Precision = "auto"  # see resolve_precision

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("epochs, batch_size and lr must be positive")
        if not 0.0 < self.shift_fraction <= 1.0:
            raise ValueError(f"shift_fraction must be in (0, 1], got {self.shift_fraction}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be auto, fp32 or bf16, got {self.precision!r}")


@dataclass
class Progress:
    epoch: int  # 1-based, the epoch just finished
    epochs: int
    metrics: dict[str, float]  # training means of this epoch + validation metrics
    seconds: float

    @property
    def fraction(self) -> float:
        return self.epoch / self.epochs


Callback = Callable[[Progress], bool | None]  # return True to stop training


@dataclass
class TrainResult:
    model: Model
    metrics: dict[str, float]  # final validation metrics
    history: list[dict[str, float]]  # one row per epoch
    seconds: float
    device: str
    images_per_second: float
    stopped_early: bool = False
    precision: str = "fp32"  # what the forward passes ran in ("bf16": autocast)

    @property
    def trained(self) -> dict[str, object]:
        """What a checkpoint records about how the model was made."""
        return {
            "seconds": round(self.seconds, 2),
            "device": self.device,
            "precision": self.precision,
            "epochs": len(self.history),
            "images_per_second": round(self.images_per_second, 1),
            "parameters": count_parameters(self.model),
            "stopped_early": self.stopped_early,
            "history": self.history,
        }


def _batches(
    images: torch.Tensor, labels: torch.Tensor, batch_size: int, gen: torch.Generator
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Shuffled float batches [B, 1, 28, 28] in [0, 1], sliced from the resident uint8 tensor."""
    order = torch.randperm(len(images), generator=gen).to(images.device)
    for start in range(0, len(images), batch_size):
        idx = order[start : start + batch_size]
        yield to_float(images[idx]), labels[idx]


# --- validation -------------------------------------------------------------------------------


@torch.no_grad()
def evaluate(
    model: Model,
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int = 1000,
    precision: Precision = "fp32",
    seed: int = 0,
) -> dict[str, float]:
    """Validation metrics on uint8 images, per kind. Model is left in the mode it was in.

    ``precision="bf16"`` runs the forward passes under bfloat16 autocast: fit uses it for the
    per-epoch progress readings (cheaper on CPU); the metrics a checkpoint records are float32.
    The draws of the metrics (a VAE's eps, a GAN's z) come from a generator seeded by ``seed``,
    so the same model always scores the same."""
    was_training = model.training
    model.eval()
    device = model_device(model)
    gen = torch.Generator().manual_seed(seed)
    sums: dict[str, float] = {}
    n = len(images)
    for start in range(0, n, batch_size):
        x = to_float(images[start : start + batch_size].to(device))
        y = labels[start : start + batch_size].to(device)
        with autocast(device, precision):
            metrics = model.validation_metrics(x, y, gen)
        for key, value in metrics.items():
            sums[key] = sums.get(key, 0.0) + value * len(x)
    model.train(was_training)
    return {f"val_{k}": v / n for k, v in sums.items()}


# --- the loop ---------------------------------------------------------------------------------


def fit(
    config: TrainConfig,
    dataset: Dataset,
    device: str | torch.device = "auto",
    callback: Callback | None = None,
    recorder: HistoryRecorder | None = None,
) -> TrainResult:
    """Train a fresh model from ``config`` on the dataset's training split; ``recorder`` (if
    any) records each epoch for playback (``core.training.history``)."""
    dev = select_device(device)
    precision = resolve_precision(config.precision, dev)
    gen = torch.Generator().manual_seed(config.seed)  # batches, shifts, noise, eps, z
    init = torch.Generator().manual_seed(config.seed)  # the initial weights
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    model = build_model(replace(config.model, dataset=dataset.name), init).to(dev).train()
    model.prepare(*dataset.split("train"))  # the dataset as given (its root), not reloaded
    opts = model.configure_optimizers(config.lr)
    steps_per_epoch = math.ceil(len(dataset.train_idx) / config.batch_size)
    if config.max_batches is not None:
        steps_per_epoch = min(steps_per_epoch, config.max_batches)
    scheds = model.configure_schedulers(opts, config.epochs * steps_per_epoch)
    train_x, train_y = (t.to(dev) for t in dataset.split("train"))
    val_x, val_y = dataset.split("val")
    history: list[dict[str, float]] = []
    seen = 0
    stopped = False
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        sums: dict[str, float] = {}
        count = 0
        for i, (x, y) in enumerate(_batches(train_x, train_y, config.batch_size, gen)):
            if i == steps_per_epoch:
                break
            with autocast(dev, precision):
                out = model.training_step(x, y, opts, config, gen)
            for s in scheds:
                s.step()
            for key, value in out.items():
                sums[key] = sums.get(key, 0.0) + value
            count += 1
            seen += len(x)
        row = {"epoch": float(epoch), **{k: v / count for k, v in sums.items()}}
        row.update(evaluate(model, val_x, val_y, precision=precision))
        history.append(row)
        if recorder is not None:
            recorder.record(model, epoch, row)
        elapsed = time.perf_counter() - start
        if callback is not None and callback(Progress(epoch, config.epochs, row, elapsed)):
            stopped = epoch < config.epochs
            break
    seconds = time.perf_counter() - start
    model.eval()
    return TrainResult(
        model=model,
        metrics=evaluate(model, val_x, val_y),
        history=history,
        seconds=seconds,
        device=str(dev),
        images_per_second=seen / max(seconds, 1e-9),
        stopped_early=stopped,
        precision=precision,
    )


def train_and_save(
    config: TrainConfig,
    dataset: Dataset,
    out: Path,
    device: str = "auto",
    callback: Callback | None = None,
    half: bool = False,
    recorder: HistoryRecorder | None = None,
) -> TrainResult:
    """Train, then save atomically. ``half`` stores float16 weights and re-measures the
    validation metrics on exactly those weights, so the recorded numbers stay true.
    ``recorder``: its history is saved beside ``out`` (``core.training.history``)."""
    result = fit(config, dataset, device=device, callback=callback, recorder=recorder)
    if half:
        round_to_half(result.model)
        result.metrics = evaluate(result.model, *dataset.split("val"))
    trained = {
        **result.trained,
        **{k: getattr(config, k) for k in ("lr", "batch_size", "beta", "noise_std", "seed")},
        "augment_shift": config.augment_shift,
        "shift_fraction": config.shift_fraction,
        "weights": "float16" if half else "float32",
    }
    save_checkpoint(out, result.model, metrics=result.metrics, trained=trained, half=half)
    if recorder is not None:
        recorder.save(out)
    return result
