"""Screening of GAN recipe ideas on the embedded digits: the table in docs/recipes.md.

Each variant trains from the same seed for the same (short) number of epochs, one thread, in
bf16 where the CPU has it, with a loop of its own: the variants (the old DCGAN discriminator,
hinge loss, EMA of G, ...) are not all in ``core``. Quality is the GAN studio's: the shipped
classifier's FID of 1,000 samples against the validation digits, with the real-data floor,
averaged over 3 seeds. The shipped recipe itself is measured by ``bench/quality.py``.

``python bench/gan_recipes.py --epochs 15 [--only NAME,...]``, writing
bench/results/gan_recipes.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analysis.sample_quality import sample_quality  # noqa: E402
from core.data.datasets import load_dataset, to_float  # noqa: E402
from core.latent.operations import sample_prior  # noqa: E402
from core.models.base import ModelConfig  # noqa: E402
from core.models.layers import downsample  # noqa: E402
from core.models.losses import r1_penalty  # noqa: E402
from core.models.registry import build_model  # noqa: E402
from core.training.checkpoints import load_model  # noqa: E402
from core.training.devices import autocast, resolve_precision  # noqa: E402

# name -> (D width as a multiple of 32, extra 3x3 convs at 7x7 in D, loss, R1 gamma, EMA decay)
VARIANTS = {
    "dcgan_d": (1, 0, "bce", 0.0, 0.0),  # the recipe shipped until 2026-12-01
    "dcgan_d_r1": (1, 0, "bce", 1.0, 0.0),
    "dcgan_d_hinge_r1": (1, 0, "hinge", 1.0, 0.0),
    "wide_d": (2, 1, "bce", 0.0, 0.0),
    "wide_d_r1": (2, 1, "bce", 1.0, 0.0),  # core.models.gan.Discriminator + TrainConfig.r1_gamma
    "wide_d_r1_ema": (2, 1, "bce", 1.0, 0.999),
    "wide_d_r1_gamma10": (2, 1, "bce", 10.0, 0.0),
    "wider_d_r1": (3, 1, "bce", 1.0, 0.0),
}
R1_EVERY = 4  # as screened; core.training.loop.R1_EVERY (8, random steps) came after, for time


def discriminator(width: int, extra: int) -> nn.Module:
    """DCGAN's D at ``width`` x 32 channels, with ``extra`` 3x3 convs at 7x7."""
    c = 32 * width
    layers = downsample(c)  # state size. 2c x 7 x 7
    for _ in range(extra):
        layers += [nn.Conv2d(2 * c, 2 * c, 3, 1, 1), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(2 * c * 49, 1), nn.Flatten(0))


def train(variant: tuple, train_u8: torch.Tensor, epochs: int, seed: int = 0) -> tuple:
    """(generator to sample from, seconds): the shipped lr schedule, batches of 32, lr 4e-4."""
    width, extra, loss, gamma, ema = variant
    gen = torch.Generator().manual_seed(seed)
    g = build_model(ModelConfig("gan", 32), torch.Generator().manual_seed(seed)).generator.train()
    torch.manual_seed(seed)
    d = discriminator(width, extra).train()
    opts = [torch.optim.Adam(m.parameters(), lr=4e-4, betas=(0.5, 0.999)) for m in (g, d)]
    total = epochs * math.ceil(len(train_u8) / 32)
    scheds = [
        torch.optim.lr_scheduler.LambdaLR(o, lambda i: min(1.0, 2.0 * (1.0 - i / total)))
        for o in opts
    ]
    g_ema = copy.deepcopy(g) if ema else None
    cpu = torch.device("cpu")
    precision = resolve_precision("auto", cpu)
    step, start = 0, time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(train_u8), generator=gen)
        for i in range(0, len(train_u8), 32):
            x = to_float(train_u8[order[i : i + 32]])
            lazy = gamma > 0 and step % R1_EVERY == 0
            with autocast(cpu, precision):
                fake = g(torch.randn(len(x), 32, generator=gen))
                x.requires_grad_(lazy)
                real, faked = d(x).float(), d(fake.detach()).float()
                if loss == "hinge":
                    d_loss = F.relu(1 - real).mean() + F.relu(1 + faked).mean()
                else:
                    d_loss = F.softplus(-real).mean() + F.softplus(faked).mean()
                if lazy:
                    d_loss = d_loss + gamma / 2 * R1_EVERY * r1_penalty(real, x)
            opts[1].zero_grad(set_to_none=True)
            d_loss.backward()
            opts[1].step()
            with autocast(cpu, precision):
                out = d(fake).float()
                g_loss = -out.mean() if loss == "hinge" else F.softplus(-out).mean()
            opts[0].zero_grad(set_to_none=True)
            g_loss.backward()
            opts[0].step()
            for s in scheds:
                s.step()
            if g_ema is not None:  # weights averaged, batch-norm statistics copied
                with torch.no_grad():
                    torch._foreach_lerp_(list(g_ema.parameters()), list(g.parameters()), 1 - ema)
                    for mine, theirs in zip(g_ema.buffers(), g.buffers(), strict=True):
                        mine.copy_(theirs)
            step += 1
    return (g_ema or g).eval(), time.perf_counter() - start


def quality(generator: nn.Module, data, seeds=(0, 1, 2)) -> dict[str, float]:
    gan = build_model(ModelConfig("gan", 32)).eval()
    gan.generator = generator
    clf = load_model(ROOT / "checkpoints" / "classifier.pt")
    val, train_u8 = data.split("val")[0], data.split("train")[0]
    reports = [
        sample_quality(clf, sample_prior(gan, 1000, s)[1], val, train_u8, seed=s) for s in seeds
    ]
    fractions = np.stack([r.counts / r.counts.sum() for r in reports])
    return {
        "fid": float(np.mean([r.fid for r in reports])),
        "floor": float(np.mean([r.floor for r in reports])),
        "ratio": float(np.mean([r.fid / r.floor for r in reports])),
        "worst_class": float(fractions.min()),
        "best_class": float(fractions.max()),
        "mean_top_probability": float(np.mean([r.mean_top_probability for r in reports])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--only", default=",".join(VARIANTS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "gan_recipes.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_dataset("embedded")
    rows = {}
    print(
        f"{'variant':18} {'FID':>6} {'floor':>6} {'ratio':>6} {'class %':>11} {'top p':>6} {'s':>5}"
    )
    for name in args.only.split(","):
        generator, seconds = train(VARIANTS[name], data.split("train")[0], args.epochs)
        row = {**quality(generator, data), "seconds": seconds, "epochs": args.epochs}
        rows[name] = row
        print(
            f"{name:18} {row['fid']:6.1f} {row['floor']:6.1f} {row['ratio']:6.2f} "
            f"{100 * row['worst_class']:4.1f}-{100 * row['best_class']:4.1f} "
            f"{row['mean_top_probability']:6.3f} {seconds:5.0f}",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
