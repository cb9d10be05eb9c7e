"""Every kind by name: build a model from its config, and the kinds that can encode or decode.

A new kind is a class (a ``LatentModel`` that sets ``kind`` and overrides what it does
differently) added to ``ModelKind`` in ``core.models.base`` and to ``_BUILDERS`` here. The kind
tuples below are derived from the classes, so callers never list kinds by hand.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from core.models.autoencoders import CVAE, VAE, Autoencoder
from core.models.base import LatentModel, ModelConfig
from core.models.classifier import DigitClassifier
from core.models.gan import GAN
from core.models.multimodal import MultimodalVAE

Model = Autoencoder | VAE | GAN | DigitClassifier | CVAE | MultimodalVAE

_BUILDERS: dict[str, type[LatentModel]] = {
    "ae": Autoencoder,
    "vae": VAE,
    "gan": GAN,
    "classifier": DigitClassifier,
    "cvae": CVAE,
    "mvae": MultimodalVAE,
}


ENCODER_KINDS = tuple(kind for kind, cls in _BUILDERS.items() if cls.has_encoder)
GENERATIVE_KINDS = tuple(kind for kind, cls in _BUILDERS.items() if cls.has_decoder)  # decode(z)
CONDITIONAL_KINDS = tuple(kind for kind, cls in _BUILDERS.items() if cls.conditional)


_LISTED = ("ae", "vae", "cvae", "mvae", "gan", "classifier")  # how pickers and lists order them


def listing_rank(kind: str) -> int:
    """Where a kind's checkpoints come in a list: autoencoders first, the classifier last."""
    return _LISTED.index(kind) if kind in _LISTED else len(_LISTED)


def kind_class(kind: str) -> type[LatentModel]:
    """The class of a kind, to read what it declares (``has_encoder``, ``epoch_cost``, ...)."""
    return _BUILDERS[kind]


def build_model(config: ModelConfig, generator: torch.Generator | None = None) -> Model:
    """A fresh network. With ``generator`` its initial weights are drawn from it alone: the
    layers are made on the meta device (no draws at all) and then initialised on the CPU."""
    cls = _BUILDERS[config.kind]
    if generator is None:
        return cls(config)  # type: ignore[return-value]
    with torch.device("meta"):
        model = cls(config)
    model = model.to_empty(device="cpu")
    _initialise(model, generator)
    return model  # type: ignore[return-value]


@torch.no_grad()
def _initialise(model: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default initialisation of each layer (kaiming-uniform weights, biases uniform in
    +-1/sqrt(fan_in), batch norm at identity, embeddings N(0, 1)), drawn from ``generator``
    instead of the process-wide RNG: trainings in threads of one process start from the weights
    their seeds say, and leave each other's random numbers alone."""
    for layer in model.modules():
        if isinstance(layer, nn.Linear | nn.Conv2d | nn.ConvTranspose2d):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            if layer.bias is not None:
                bound = 1 / math.sqrt(layer.weight[0].numel())  # fan_in, as torch computes it
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
        elif isinstance(layer, nn.BatchNorm2d):
            layer.reset_parameters()  # weight 1, bias 0, fresh running statistics
        elif isinstance(layer, nn.Embedding):  # N(0, 1) as torch draws it, the padding row 0
            nn.init.normal_(layer.weight, generator=generator)
            if layer.padding_idx is not None:
                layer.weight[layer.padding_idx].zero_()
        elif (
            next(layer.parameters(recurse=False), None) is not None
            or next(layer.buffers(recurse=False), None) is not None
        ):
            raise TypeError(f"no initialisation for {type(layer).__name__}: add it here")
