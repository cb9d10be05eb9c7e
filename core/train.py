"""Training loops for every kind, device selection, progress callbacks, and the CLI.

``fit(config, dataset, device="auto", callback=None)`` owns the loop: the whole training split
lives on the device as one uint8 tensor and batches are sliced from it (no DataLoader). The
callback receives a ``Progress`` after every epoch and may return True to stop early.

CLI: ``python -m core.train --model vae --latent-dim 16 --epochs 30 --out checkpoints/my.pt``,
``--all`` retrains the shipped set, ``--dry-run`` runs one batch of every kind.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, get_args

import torch
from torch import nn

from core import losses
from core.checkpoints import round_to_half, save_checkpoint
from core.data import DATASETS, Dataset, add_gaussian_noise, load_dataset, to_float
from core.models import GAN, VAE, Model, ModelConfig, ModelKind, build_model, count_parameters

Precision = Literal["auto", "fp32", "bf16"]


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    epochs: int = 30
    batch_size: int = 128
    lr: float = 2e-3
    beta: float = 1.0  # VAE: weight of the KL term (1 = the true ELBO)
    noise_std: float = 0.0  # AE: train as a denoiser on x + N(0, noise_std^2), clipped
    augment_shift: int = 0  # random translations of up to this many pixels (not the GAN)
    seed: int = 0
    max_batches: int | None = None  # per epoch; 1 for --dry-run
    precision: Precision = "auto"  # see resolve_precision

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("epochs, batch_size and lr must be positive")
        if self.precision not in get_args(Precision):
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


def select_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' picks CUDA, then Apple's MPS, then the CPU."""
    if str(device) != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _cpu_has_bf16() -> bool:
    """True on CPUs with bfloat16 arithmetic in hardware (AVX512-BF16 or AMX)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu, 2.3+
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def resolve_precision(precision: Precision, device: torch.device) -> Literal["fp32", "bf16"]:
    """'auto' trains in bfloat16 mixed precision where the hardware has it: CUDA with bf16, or
    a CPU with AVX512-BF16/AMX (1.4x faster per AE epoch on this project's 2-core machines,
    same validation error). Weights, optimiser state and the losses stay float32."""
    if precision != "auto":
        return precision
    if os.environ.get("LATENT_LAB_NO_BF16") == "1":  # act as hardware without bf16 (tests, CI)
        return "fp32"
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if device.type == "cpu" and _cpu_has_bf16() else "fp32"


def _autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision == "bf16" and device.type in ("cuda", "cpu"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _batches(
    images: torch.Tensor, labels: torch.Tensor, batch_size: int, gen: torch.Generator
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Shuffled float batches [B, 1, 28, 28] in [0, 1], sliced from the resident uint8 tensor."""
    order = torch.randperm(len(images), generator=gen).to(images.device)
    for start in range(0, len(images), batch_size):
        idx = order[start : start + batch_size]
        yield to_float(images[idx]), labels[idx]


def _shift(x: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Translate each image by its own random offset of up to max_shift pixels (zero fill)."""
    if max_shift == 0:
        return x
    n = len(x)
    padded = nn.functional.pad(x, (max_shift,) * 4)  # [N, 1, 28 + 2s, 28 + 2s]
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, n, 1), generator=gen).to(x.device)
    rows = (torch.arange(28, device=x.device) + dy)[:, :, None]  # [N, 28, 1]
    cols = (torch.arange(28, device=x.device) + dx)[:, None, :]  # [N, 1, 28]
    return padded[torch.arange(n, device=x.device)[:, None, None], 0, rows, cols].unsqueeze(1)


# --- one optimisation step per kind ------------------------------------------------------------


def _step_ae(model, opts, x, y, cfg: TrainConfig, gen) -> dict[str, float]:
    x = _shift(x, cfg.augment_shift, gen)
    inputs = add_gaussian_noise(x, cfg.noise_std, gen) if cfg.noise_std > 0 else x
    loss = losses.reconstruction_mse(model(inputs), x)
    _backward(loss, opts[0])
    return {"loss": loss.item()}


def _step_vae(model: VAE, opts, x, y, cfg: TrainConfig, gen) -> dict[str, float]:
    x = _shift(x, cfg.augment_shift, gen)
    logits, mu, logvar = model(x)
    terms = losses.negative_elbo(logits.float(), x, mu.float(), logvar.float(), beta=cfg.beta)
    _backward(terms.loss, opts[0])
    return {"loss": terms.loss.item(), "recon": terms.recon.item(), "kl": terms.kl.item()}


def _step_gan(model: GAN, opts, x, y, cfg: TrainConfig, gen) -> dict[str, float]:
    opt_g, opt_d = opts
    z = torch.randn(len(x), model.latent_dim, generator=gen).to(x.device)
    fake = model.generator(z)
    # Discriminator: real -> 1, fake -> 0 (fake detached so G is not updated here).
    d_loss = losses.gan_discriminator_loss(
        model.discriminator(x).float(), model.discriminator(fake.detach()).float()
    )
    _backward(d_loss, opt_d)
    # Generator: non-saturating, make D call the fakes real.
    g_loss = losses.gan_generator_loss(model.discriminator(fake).float())
    _backward(g_loss, opt_g)
    return {"loss": g_loss.item(), "d_loss": d_loss.item(), "g_loss": g_loss.item()}


def _step_classifier(model, opts, x, y, cfg: TrainConfig, gen) -> dict[str, float]:
    logits = model(_shift(x, cfg.augment_shift, gen))
    loss = losses.classification_loss(logits.float(), y)
    _backward(loss, opts[0])
    return {"loss": loss.item()}


def _backward(loss: torch.Tensor, opt: torch.optim.Optimizer) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


_STEPS = {"ae": _step_ae, "vae": _step_vae, "gan": _step_gan, "classifier": _step_classifier}


def _adam(kind: type[torch.optim.Optimizer], params, **kw) -> torch.optim.Optimizer:
    """The fused (one kernel per step) implementation where this torch has it for the device,
    else the default one: same update, ~10% faster AE epochs on CPU."""
    params = list(params)
    try:
        return kind(params, fused=True, **kw)
    except (RuntimeError, ValueError):
        return kind(params, **kw)


def _optimizers(model: Model, cfg: TrainConfig) -> list[torch.optim.Optimizer]:
    if isinstance(model, GAN):  # DCGAN's settings: Adam(lr, betas=(0.5, 0.999)) for each player
        return [
            _adam(torch.optim.Adam, model.generator.parameters(), lr=cfg.lr, betas=(0.5, 0.999)),
            _adam(
                torch.optim.Adam, model.discriminator.parameters(), lr=cfg.lr, betas=(0.5, 0.999)
            ),
        ]
    return [_adam(torch.optim.AdamW, model.parameters(), lr=cfg.lr, weight_decay=1e-4)]


def _schedule(
    opt: torch.optim.Optimizer, steps: int, gan: bool
) -> torch.optim.lr_scheduler.LRScheduler:
    """Cosine decay to 0 for AE/VAE/classifier. The GAN keeps DCGAN's constant rate for the
    first half, then decays linearly to 0, which settles the two players' late oscillation."""
    if not gan:
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min(1.0, 2.0 * (1.0 - i / steps)))


# --- validation -------------------------------------------------------------------------------


@torch.no_grad()
def evaluate(
    model: Model,
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int = 1000,
    precision: Precision = "fp32",
) -> dict[str, float]:
    """Validation metrics on uint8 images, per kind. Model is left in the mode it was in.

    ``precision="bf16"`` runs the forward passes under bfloat16 autocast: fit uses it for the
    per-epoch progress readings (a third of the cost on CPU); the metrics a checkpoint records
    are float32."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    sums: dict[str, float] = {}
    n = len(images)
    for start in range(0, n, batch_size):
        x = to_float(images[start : start + batch_size].to(device))
        y = labels[start : start + batch_size].to(device)
        with _autocast(device, precision):
            metrics = _batch_metrics(model, x, y)
        for key, value in metrics.items():
            sums[key] = sums.get(key, 0.0) + value * len(x)
    model.train(was_training)
    return {f"val_{k}": v / n for k, v in sums.items()}


def _batch_metrics(model: Model, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    if model.kind == "ae":
        return {"mse": losses.reconstruction_mse(model(x).float(), x).item()}
    if model.kind == "vae":
        mu, logvar = model.encode_dist(x)
        mu, logvar = mu.float(), logvar.float()
        logits = model.decoder(model.reparameterize(mu, logvar), logits=True).float()
        terms = losses.negative_elbo(logits, x, mu, logvar)
        mse = losses.reconstruction_mse(model.decode(mu).float(), x)
        return {
            "neg_elbo": terms.neg_elbo.item(),
            "recon": terms.recon.item(),
            "kl": terms.kl.item(),
            "mse": mse.item(),
        }
    if model.kind == "gan":
        real = torch.sigmoid(model.discriminate(x).float()).mean().item()
        fake = torch.sigmoid(model.discriminate(model.sample(len(x))).float()).mean().item()
        return {"d_real": real, "d_fake": fake}
    return {"accuracy": (model(x).argmax(1) == y).float().mean().item()}


# --- the loop ---------------------------------------------------------------------------------


def fit(
    config: TrainConfig,
    dataset: Dataset,
    device: str | torch.device = "auto",
    callback: Callback | None = None,
) -> TrainResult:
    """Train a fresh model from ``config`` on the dataset's training split."""
    dev = select_device(device)
    precision = resolve_precision(config.precision, dev)
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    model = build_model(replace(config.model, dataset=dataset.name)).to(dev).train()
    opts = _optimizers(model, config)
    steps_per_epoch = math.ceil(len(dataset.train_idx) / config.batch_size)
    if config.max_batches is not None:
        steps_per_epoch = min(steps_per_epoch, config.max_batches)
    scheds = [_schedule(o, config.epochs * steps_per_epoch, isinstance(model, GAN)) for o in opts]
    train_x, train_y = (t.to(dev) for t in dataset.split("train"))
    val_x, val_y = dataset.split("val")
    step = _STEPS[model.kind]
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
            with _autocast(dev, precision):
                out = step(model, opts, x, y, config, gen)
            for s in scheds:
                s.step()
            for key, value in out.items():
                sums[key] = sums.get(key, 0.0) + value
            count += 1
            seen += len(x)
        row = {"epoch": float(epoch), **{k: v / count for k, v in sums.items()}}
        row.update(evaluate(model, val_x, val_y, precision=precision))
        history.append(row)
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


# --- the shipped set --------------------------------------------------------------------------


def shipped_configs() -> dict[str, TrainConfig]:
    """The pretrained models in ``checkpoints/``, all trained on the embedded digits.

    Recipe notes (measured on the embedded validation split with ``bench/quality.py``):
    - With 4,500 digits the AEs overfit (k=16: train MSE 0.006, val 0.010), and a random
      one-pixel shift of each training digit closes most of the gap.
    - ae_k2 needs many epochs (250) for 0.72x PCA's error, and runs land on either side of it:
      0.716x and 0.7175x (float32, 32 and 16 channels), 0.725x (bfloat16, 32 channels), 0.715x
      (bfloat16, 16 channels: the shipped one). 16 channels take half the time of 32.
    - ae_k16 and ae_k32 need their 60 epochs: at 40, 0.319x and 0.314x PCA's error (targets
      0.33x and 0.30x).
    - vae_k16 underfits (train -ELBO = validation's), so it gets hidden=256, batches of 64 and
      120 epochs: 0.897x the MLP VAE's -ELBO; a 100-epoch run without the shift overfits (105).
    - The GAN: see models.Generator. Batches of 32 (twice the updates per epoch) at twice DCGAN's
      rate: every class 8-12% of samples; batches of 16, or 75 epochs, did no better.
    - ae_k4 and ae_k8 (only the PCA-vs-AE curve), dae_k16 and vae_k2 have no target and get
      fewer epochs (20/20/30/30), so that ``--all`` fits in 15 minutes on 2 CPU cores;
      vae_k2's -ELBO at 30 epochs is 158.2 nats, at 50 it was 159.5.
    hidden=192 elsewhere keeps the whole float16 set under 25 MB.
    """

    def model(kind: ModelKind, k: int, **kw) -> ModelConfig:
        return ModelConfig(kind, k, **{"hidden": 192, **kw})

    return {
        "ae_k2": TrainConfig(model("ae", 2, channels=16), epochs=250, augment_shift=1),
        "ae_k4": TrainConfig(model("ae", 4), epochs=20, augment_shift=1),
        "ae_k8": TrainConfig(model("ae", 8), epochs=20, augment_shift=1),
        "ae_k16": TrainConfig(model("ae", 16), epochs=60, augment_shift=1),
        "ae_k32": TrainConfig(model("ae", 32), epochs=60, augment_shift=1),
        "dae_k16": TrainConfig(model("ae", 16), epochs=30, augment_shift=1, noise_std=0.4),
        "vae_k2": TrainConfig(model("vae", 2), epochs=30, batch_size=64),
        "vae_k16": TrainConfig(
            model("vae", 16, hidden=256), epochs=120, batch_size=64, augment_shift=1
        ),
        "gan_k32": TrainConfig(ModelConfig("gan", 32), epochs=60, batch_size=32, lr=4e-4),
        "classifier": TrainConfig(
            ModelConfig("classifier", 0, channels=32, hidden=128), epochs=20, augment_shift=2
        ),
    }


def train_and_save(
    config: TrainConfig,
    dataset: Dataset,
    out: Path,
    device: str = "auto",
    callback: Callback | None = None,
    half: bool = False,
) -> TrainResult:
    """Train, then save atomically. ``half`` stores float16 weights and re-measures the
    validation metrics on exactly those weights, so the recorded numbers stay true."""
    result = fit(config, dataset, device=device, callback=callback)
    if half:
        round_to_half(result.model)
        result.metrics = evaluate(result.model, *dataset.split("val"))
    trained = {
        **result.trained,
        **{k: getattr(config, k) for k in ("lr", "batch_size", "beta", "noise_std", "seed")},
        "augment_shift": config.augment_shift,
        "weights": "float16" if half else "float32",
    }
    save_checkpoint(out, result.model, metrics=result.metrics, trained=trained, half=half)
    return result


def _tqdm_callback(bar) -> Callback:
    def on_epoch(p: Progress) -> None:
        bar.update(1)
        bar.set_postfix(
            {k: f"{v:.4g}" for k, v in p.metrics.items() if k != "epoch"}, refresh=False
        )

    return on_epoch


def main(argv: list[str] | None = None) -> None:
    from tqdm import tqdm

    parser = argparse.ArgumentParser(
        prog="python -m core.train", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--model", choices=["ae", "vae", "gan", "classifier"], default="ae")
    parser.add_argument("--latent-dim", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=None, help="default: 2e-3 (2e-4 for the GAN)")
    parser.add_argument("--beta", type=float, default=1.0, help="VAE: weight of the KL term")
    parser.add_argument("--noise-std", type=float, default=0.0, help="AE: train as a denoiser")
    parser.add_argument("--dataset", choices=DATASETS, default="embedded")
    parser.add_argument("--data-root", default=None, help="folder with IDX files (mnist, fashion)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="checkpoint path to write")
    parser.add_argument("--all", action="store_true", help="retrain the shipped set into --out-dir")
    parser.add_argument("--out-dir", type=Path, default=Path("checkpoints"))
    parser.add_argument("--only", default=None, help="with --all: comma-separated names to train")
    parser.add_argument("--half", action="store_true", help="store float16 weights (--all does)")
    parser.add_argument("--max-batches", type=int, default=None, help="cap batches per epoch")
    parser.add_argument("--dry-run", action="store_true", help="one batch of every kind, no files")
    parser.add_argument(
        "--jobs",
        type=int,
        default=0,
        help="models trained at once, each in its own process (0: 2 on a CPU, 1 on a GPU)",
    )
    parser.add_argument(
        "--precision",
        choices=get_args(Precision),
        default=None,
        help="auto (the default; --all: each model's own): bfloat16 autocast where the GPU or "
        "CPU has bf16 hardware, else fp32",
    )
    args = parser.parse_args(argv)

    torch.set_float32_matmul_precision("high")
    dataset = load_dataset(args.dataset, root=args.data_root)
    if args.dry_run:
        for name, cfg in shipped_configs().items():
            result = fit(replace(cfg, epochs=1, max_batches=1), dataset, device=args.device)
            print(f"{name:12s} ok  {result.metrics}")
        return
    if args.all:
        shipped = shipped_configs()
        names = args.only.split(",") if args.only else list(shipped)
        unknown = set(names) - set(shipped)
        if unknown:
            parser.error(f"not in the shipped set: {', '.join(sorted(unknown))}")
        jobs = {
            args.out_dir / f"{name}.pt": replace(
                shipped[name],
                precision=args.precision or shipped[name].precision,
                max_batches=args.max_batches or shipped[name].max_batches,
            )
            for name in names
        }
    else:
        lr = args.lr if args.lr is not None else (2e-4 if args.model == "gan" else 2e-3)
        cfg = TrainConfig(
            ModelConfig(args.model, args.latent_dim),
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=lr,
            beta=args.beta,
            noise_std=args.noise_std,
            seed=args.seed,
            max_batches=args.max_batches,
            precision=args.precision or "auto",
        )
        out = args.out or args.out_dir / f"{args.model}_k{args.latent_dim}_custom.pt"
        jobs = {out: cfg}
    total = time.perf_counter()
    workers = _workers(args.jobs, len(jobs), select_device(args.device))
    if workers > 1:
        _run_parallel(jobs, args, workers)
    else:
        for out, cfg in jobs.items():
            with tqdm(total=cfg.epochs, desc=out.stem, unit="epoch") as bar:
                result = train_and_save(
                    cfg,
                    dataset,
                    out,
                    device=args.device,
                    callback=_tqdm_callback(bar),
                    half=args.all or args.half,
                )
            print(_summary(out, result))
    print(f"total {time.perf_counter() - total:.1f}s with {workers} worker(s)")


def _summary(out: Path, result: TrainResult) -> str:
    shown = ", ".join(f"{k}={v:.4g}" for k, v in result.metrics.items())
    return (
        f"{out}: {result.seconds:.1f}s on {result.device} ({result.precision}), "
        f"{result.images_per_second:.0f} img/s, {shown}"
    )


def _workers(requested: int, n_jobs: int, device: torch.device) -> int:
    """0 = auto: two processes on a CPU with 2 or more cores (fewer if fewer jobs), one on a GPU.

    On 2 cores two single-threaded trainings finish sooner than one after the other with two
    threads each: one epoch of the GAN takes 8.1 s on one thread and 6.0 s on two."""
    if requested > 0:
        return min(requested, n_jobs)
    if device.type != "cpu":
        return 1
    return max(1, min(2, n_jobs, os.cpu_count() or 1))


# Rough seconds per epoch on one CPU thread, per kind (32 channels); only orders the jobs.
_EPOCH_COST = {"ae": 1.4, "vae": 1.9, "gan": 8.1, "classifier": 2.6}


def _job_cost(cfg: TrainConfig) -> float:
    return cfg.epochs * _EPOCH_COST[cfg.model.kind] * cfg.model.channels / 32


def _train_job(out: Path, cfg: TrainConfig, args: argparse.Namespace, threads: int) -> str:
    """One job of a parallel run, in its own process with its share of the cores."""
    torch.set_num_threads(threads)
    torch.set_float32_matmul_precision("high")
    dataset = load_dataset(args.dataset, root=args.data_root)
    result = train_and_save(cfg, dataset, out, device=args.device, half=args.all or args.half)
    return _summary(out, result)


def _run_parallel(jobs: dict[Path, TrainConfig], args: argparse.Namespace, workers: int) -> None:
    """Longest jobs first, each in a spawned process; a line per model as it finishes."""
    threads = max(1, (os.cpu_count() or 1) // workers)
    order = sorted(jobs, key=lambda out: -_job_cost(jobs[out]))
    print(f"training {len(jobs)} models in {workers} processes x {threads} thread(s)", flush=True)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(_train_job, out, jobs[out], args, threads) for out in order]
        for future in as_completed(futures):
            print(future.result(), flush=True)


if __name__ == "__main__":
    main()
