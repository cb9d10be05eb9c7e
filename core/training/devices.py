"""Where and in what precision models run: the device picked for "auto", the devices this
machine offers, and whether bfloat16 autocast pays off here."""

from __future__ import annotations

import contextlib
import os
from typing import Literal, get_args

import torch
from threadpoolctl import threadpool_limits  # a scikit-learn dependency

Precision = Literal["auto", "fp32", "bf16"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)


def select_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' picks CUDA, then Apple's MPS, then the CPU."""
    if str(device) != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def available_devices() -> list[str]:
    """'auto' and every device torch can use here: the CPU, then CUDA and MPS when present."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    if torch.backends.mps.is_available():
        found.append("mps")
    return ["auto", *found]


def cpu_has_bf16() -> bool:
    """True on CPUs with bfloat16 arithmetic in hardware (AVX512-BF16 or AMX)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu, 2.3+
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def resolve_precision(precision: Precision, device: torch.device) -> Literal["fp32", "bf16"]:
    """'auto' trains in bfloat16 mixed precision where the hardware has it: CUDA with bf16, or
    a CPU with AVX512-BF16/AMX (faster epochs at the same validation error, docs/recipes.md).
    Weights, optimiser state and the losses stay float32."""
    if precision != "auto":
        return precision
    if os.environ.get("LATENT_LAB_NO_BF16") == "1":  # act as hardware without bf16 (tests, CI)
        return "fp32"
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if device.type == "cpu" and cpu_has_bf16() else "fp32"


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """bfloat16 autocast for "bf16" on CUDA and CPU; nothing otherwise."""
    if precision == "bf16" and device.type in ("cuda", "cpu"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def one_thread() -> contextlib.AbstractContextManager:
    """Run OpenMP work (torch's CPU kernels, scikit-learn's kNN) in the calling thread alone;
    the limit is per calling thread and restored on exit. For small work (one image, a GAN
    inversion's batch of 8, a kNN score): threads do not pay off there, and on a busy machine
    OpenMP's spin-waiting threads made it many times slower (docs/recipes.md)."""
    return threadpool_limits(limits=1, user_api="openmp")
