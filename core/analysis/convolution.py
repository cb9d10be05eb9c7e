"""Transposed-convolution arithmetic (o = (i - 1) s + k - 2p) as a picture and a check against
PyTorch, and the shapes inside a real decoder recorded by forward hooks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.models.base import model_device, require_eval
from core.models.gan import GAN
from core.models.layers import transposed_conv_output_size
from core.models.registry import Model

# Cells of the picture of a transposed convolution as a stride-1 convolution.
PAD, INSERTED, INPUT = 0, 1, 2


def zero_insert_and_pad(x: np.ndarray, k: int, s: int, p: int, inserted: float = 0) -> np.ndarray:
    """The input [i, i] of ``ConvTranspose2d(k, s, p)`` rewritten for a plain stride-1
    convolution with the flipped kernel (Dumoulin & Visin 2016, "A guide to convolution
    arithmetic", sec. 4): s - 1 zeros between neighbouring pixels (``inserted`` marks them),
    then k - 1 - p zeros of padding on each side (a negative amount crops). Its size minus
    k - 1 is o = (i - 1) * s + k - 2p. Raises ValueError when that is not positive.
    """
    x = np.asarray(x)
    i = x.shape[0]
    if min(i, k, s) < 1 or p < 0:
        raise ValueError(f"need i, k, s >= 1 and p >= 0, got i={i}, k={k}, s={s}, p={p}")
    o = transposed_conv_output_size(i, k, s, p)
    if o <= 0:
        raise ValueError(
            f"o = ({i} - 1) * {s} + {k} - 2 * {p} = {o}: the padding removes every output "
            f"pixel; use p <= {((i - 1) * s + k - 1) // 2} for these i, k, s"
        )
    spread = np.full(((i - 1) * s + 1,) * 2, inserted, dtype=x.dtype)
    spread[::s, ::s] = x
    q = k - 1 - p
    return np.pad(spread, q) if q >= 0 else spread[-q:q, -q:q]


def transposed_conv_picture(i: int, k: int, s: int, p: int) -> np.ndarray:
    """int8 cell codes [(o + k - 1)]^2 of ``zero_insert_and_pad`` for an i x i input:
    INPUT (a pixel of the input), INSERTED (a zero between pixels) or PAD (padding)."""
    marks = np.full((i, i), INPUT, dtype=np.int8)
    return zero_insert_and_pad(marks, k, s, p, inserted=INSERTED)


@torch.no_grad()
def torch_transposed_conv_size(i: int, k: int, s: int, p: int) -> int:
    """What a real ``nn.ConvTranspose2d(k, s, p)`` makes of an i x i input: the check on the
    formula. PyTorch raises RuntimeError where the output would be empty."""
    layer = nn.ConvTranspose2d(1, 1, k, s, p, bias=False)
    return int(layer(torch.zeros(1, 1, i, i)).shape[-1])


# --- shapes inside a network -------------------------------------------------------------------


@dataclass(frozen=True)
class LayerShape:
    name: str  # qualified module name, e.g. 'deconv.1'
    layer: str  # e.g. 'ConvTranspose2d(64, 32, k=4, s=2, p=1)'
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    parameters: int
    formula: int | None  # ConvTranspose2d only: (i - 1) * s + k - 2p (+ output_padding)


def _describe(module: nn.Module) -> str:
    if isinstance(module, nn.ConvTranspose2d | nn.Conv2d):
        k, s, p = module.kernel_size[0], module.stride[0], module.padding[0]
        kind = type(module).__name__
        return f"{kind}({module.in_channels}, {module.out_channels}, k={k}, s={s}, p={p})"
    if isinstance(module, nn.Linear):
        return f"Linear({module.in_features}, {module.out_features})"
    if isinstance(module, nn.BatchNorm2d):
        return f"BatchNorm2d({module.num_features})"
    if isinstance(module, nn.Unflatten):
        return f"Unflatten(to {tuple(module.unflattened_size)})"
    return type(module).__name__


@torch.no_grad()
def layer_shapes(module: nn.Module, x: torch.Tensor) -> list[LayerShape]:
    """Run ``module(x)`` once with a forward hook on every leaf layer and list, in call order,
    each layer with its input and output shapes. The hooks are removed before returning.
    Pass a private copy of a model (hooks are visible to every thread using the module)."""
    require_eval(module)
    rows: list[LayerShape] = []

    def record(name: str):
        def hook(layer: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            shape_in = tuple(inputs[0].shape)
            formula = None
            if isinstance(layer, nn.ConvTranspose2d):
                k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
                size = transposed_conv_output_size(shape_in[-1], k, s, p)
                formula = size + layer.output_padding[0]
            params = sum(t.numel() for t in layer.parameters(recurse=False))
            rows.append(
                LayerShape(name, _describe(layer), shape_in, tuple(output.shape), params, formula)
            )

        return hook

    leaves = [(n, m) for n, m in module.named_modules() if n and not list(m.children())]
    handles = [m.register_forward_hook(record(n)) for n, m in leaves]
    try:
        module(x.to(model_device(module)))
    finally:
        for handle in handles:
            handle.remove()
    return rows


def decoder_of(model: Model) -> nn.Module:
    """The network that maps codes [N, k] to images: an AE's or VAE's decoder, a GAN's G."""
    if isinstance(model, GAN):
        return model.generator
    if model.has_encoder:
        return model.decoder
    raise ValueError(f"a {model.kind} has no decoder")
