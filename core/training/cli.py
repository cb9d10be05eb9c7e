"""The training CLI: one model, the whole shipped set (``--all``), or a smoke test.

``python -m core.training --model vae --latent-dim 16 --epochs 30 --out checkpoints/my.pt``;
``--all`` retrains the shipped set (in parallel processes on a CPU), ``--dry-run`` runs one batch
of every recipe. Defaults come from ``core.models.registry``, ``core.training.loop`` and
``core.training.recipes``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

import torch

from core.data.datasets import DATASETS, load_dataset
from core.models.base import KINDS, ModelConfig
from core.training.devices import PRECISIONS, select_device
from core.training.loop import Callback, Progress, TrainConfig, TrainResult, fit, train_and_save
from core.training.recipes import SHIPPED, defaults_for, recipes_for, shipped_configs


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
        prog="python -m core.training", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--model", choices=KINDS, default=ModelConfig.kind)
    parser.add_argument("--latent-dim", type=int, default=ModelConfig.latent_dim)
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument(
        "--batch-size", type=int, default=None, help="default: the shipped model's of that kind"
    )
    parser.add_argument(
        "--lr", type=float, default=None, help="default: the shipped model's of that kind"
    )
    parser.add_argument(
        "--beta",
        type=float,
        default=None,
        help="VAE/CVAE: weight of the KL term (default: the shipped model's of that kind)",
    )
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
        choices=PRECISIONS,
        default=None,
        help="auto (the default; --all: each model's own): bfloat16 autocast where the GPU or "
        "CPU has bf16 hardware, else fp32",
    )
    args = parser.parse_args(argv)

    torch.set_float32_matmul_precision("high")
    dataset = load_dataset(args.dataset, root=args.data_root)
    if args.dry_run:
        dry = recipes_for(args.dataset) if args.dataset in SHIPPED else shipped_configs()
        for name, cfg in dry.items():
            result = fit(replace(cfg, epochs=1, max_batches=1), dataset, device=args.device)
            print(f"{name:12s} ok  {result.metrics}")
        return
    if args.all:
        if args.dataset not in SHIPPED:
            parser.error(
                f"--all: no shipped models for {args.dataset}; these have: {', '.join(SHIPPED)}"
            )
        shipped = recipes_for(args.dataset)
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
        defaults = defaults_for(args.model, args.latent_dim)
        cfg = replace(
            defaults,
            epochs=args.epochs,
            batch_size=args.batch_size or defaults.batch_size,
            lr=args.lr or defaults.lr,
            beta=defaults.beta if args.beta is None else args.beta,
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
    threads each (docs/recipes.md)."""
    if requested > 0:
        return min(requested, n_jobs)
    if device.type != "cpu":
        return 1
    return max(1, min(2, n_jobs, os.cpu_count() or 1))


# Rough relative cost of an epoch per kind (32 channels): only orders the jobs, longest first.
_EPOCH_COST = {"ae": 1.4, "vae": 1.9, "cvae": 2.0, "gan": 8.1, "classifier": 2.6, "mvae": 3.6}


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
