"""GAN inversion: the code whose generated image comes closest to a given digit.

A GAN has no encoder, so "what is the closest digit this GAN can make?" is answered by search:
minimise the per-pixel MSE between G(z) and the target over z by gradient descent (Adam), from
several random starts at once, and keep the best code seen (Zhu et al. 2016, "Generative Visual
Manipulation on the Natural Image Manifold", sec. 3; Creswell & Bharath 2018, "Inverting the
Generator of a Generative Adversarial Network"). A small penalty on mean(z^2) keeps the codes
where the prior N(0, I) has mass, so the answer is an image the GAN would actually sample.

Only z is optimised. Gradients come from ``torch.autograd.grad(objective, z)``, so the model's
parameters (a shared, cached model in the app) are never touched, not even their ``.grad``.
Works for any model with ``decode`` (GAN generator, AE/VAE decoder); it must be in eval mode.

The search runs with one OpenMP thread: its tensors are tiny ([8, 1, 28, 28]), and torch's
spin-waiting threads made it many times slower on a busy 2-core machine (docs/recipes.md).
The limit is per calling thread (``omp_set_num_threads``) and restored afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from core.analysis.metrics import ArrayLike, as_unit_images
from core.models.base import model_device, require_eval
from core.models.registry import Model
from core.training.devices import one_thread


@dataclass(frozen=True)
class InversionConfig:
    steps: int = 300
    lr: float = 0.05  # Adam's step size in latent units
    restarts: int = 8  # random starts optimised together in one batch; the best code is kept
    prior_weight: float = 1e-3  # weight of mean(z^2): 0 searches the whole latent space
    seed: int = 0  # draws the starting codes; the same seed gives the same result on one device

    def __post_init__(self) -> None:
        if self.steps < 1 or self.restarts < 1:
            raise ValueError("steps and restarts must be at least 1")
        if self.lr <= 0 or self.prior_weight < 0:
            raise ValueError("lr must be positive and prior_weight non-negative")


@dataclass(frozen=True)
class InversionStep:
    """What the callback sees after each optimisation step."""

    step: int  # 1-based, the step just taken
    steps: int
    best_mse: float  # the lowest per-pixel MSE among the codes evaluated so far

    @property
    def fraction(self) -> float:
        return self.step / self.steps


Callback = Callable[[InversionStep], bool | None]  # return True to stop early


@dataclass(frozen=True, eq=False)  # array fields: compare them with numpy
class InversionResult:
    latent: np.ndarray  # float32 [k], the best code found
    image: np.ndarray  # float32 [28, 28] in [0, 1], G(latent)
    mse: float  # per-pixel MSE between image and target
    initial_mse: float  # the best random start's MSE, before any step
    history: np.ndarray  # float64 [steps_run + 1], best MSE so far; [0] is before any step
    steps_run: int
    stopped: bool  # True when the callback stopped the search early


def _target(target: ArrayLike) -> torch.Tensor:
    """One digit (784 values: [28, 28], [1, 28, 28], ...), uint8 or float in [0, 1]
    -> float32 [1, 1, 28, 28]."""
    x = target.detach().cpu().numpy() if torch.is_tensor(target) else np.asarray(target)
    if x.size != 28 * 28:
        raise ValueError(f"expected one 28 x 28 digit, got shape {x.shape}")
    x = as_unit_images(x.reshape(1, 28, 28))  # float64 [1, 28, 28] in [0, 1]
    if not np.isfinite(x).all():
        raise ValueError("the target digit contains NaN or infinite values")
    return torch.from_numpy(x).float().reshape(1, 1, 28, 28)


def invert(
    model: Model,
    target: ArrayLike,
    config: InversionConfig = InversionConfig(),
    callback: Callback | None = None,
) -> InversionResult:
    """The code z whose decoded image G(z) is closest (per-pixel MSE) to ``target``.

    ``target`` is one digit: uint8 [28, 28] or float [28, 28] / [1, 1, 28, 28] in [0, 1].
    """
    require_eval(model)
    device = model_device(model)
    x = _target(target).to(device)  # [1, 1, 28, 28]
    gen = torch.Generator().manual_seed(config.seed)
    z = torch.randn(config.restarts, model.latent_dim, generator=gen).to(device)  # [R, k]
    z.requires_grad_(True)
    optimizer = torch.optim.Adam([z], lr=config.lr)

    best_z = z.detach().clone()  # [R, k], per start
    best_mse = torch.full((config.restarts,), float("inf"), device=device)  # [R]
    history: list[float] = []
    stopped = False
    with torch.enable_grad(), one_thread():
        for step in range(config.steps + 1):  # step 0 only measures the starting codes
            images = model.decode(z)  # [R, 1, 28, 28]
            mse = ((images - x) ** 2).mean(dim=(1, 2, 3))  # [R]
            better = mse.detach() < best_mse
            best_mse = torch.where(better, mse.detach(), best_mse)
            best_z[better] = z.detach()[better]
            history.append(float(best_mse.min()))
            if step == config.steps or stopped:
                break
            # The starts do not interact, so summing their objectives optimises each alone.
            objective = (mse + config.prior_weight * (z**2).mean(dim=1)).sum()
            (grad,) = torch.autograd.grad(objective, z)  # never touches the model's .grad
            z.grad = grad
            optimizer.step()
            if callback is not None:
                stopped = bool(callback(InversionStep(step + 1, config.steps, history[-1])))

    winner = int(best_mse.argmin())
    latent = best_z[winner : winner + 1]  # [1, k]
    with torch.no_grad():
        image = model.decode(latent).float()  # [1, 1, 28, 28]
    return InversionResult(
        latent=latent[0].cpu().numpy().astype(np.float32),
        image=image[0, 0].cpu().numpy(),
        mse=float(((image - x) ** 2).mean()),
        initial_mse=history[0],
        history=np.asarray(history, dtype=np.float64),
        steps_run=len(history) - 1,
        stopped=stopped,
    )
