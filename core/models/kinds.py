"""Networks for 28x28 digits: convolutional AE, VAE, DCGAN-style GAN, and a small classifier.

Every model shares one protocol on float tensors ``[N, 1, 28, 28]`` in [0, 1]: ``kind``,
``latent_dim``, ``has_encoder``; generative ones add ``decode(z)``, AE/VAE ``encode(x)`` and the
GAN ``discriminate(x)``. Callers ask ``model.has_encoder`` rather than test kind strings.
The CVAE is ``conditional``: its ``encode(x, y)`` and ``decode(z, y)`` also take the label (int64
``[N]``), so it is in neither ``ENCODER_KINDS`` nor ``GENERATIVE_KINDS`` (whose callers pass
no label) but in ``CONDITIONAL_KINDS``.
Each model is built from a dataclass config, so a checkpoint can rebuild it from plain types.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal, get_args

import torch
from torch import nn

from core.models.gan import Discriminator, Generator
from core.models.layers import (
    UPSAMPLE,
    check_upsampling,
    downsample,
    transposed_conv_output_size,  # noqa: F401  (callers import it from here)
)

ModelKind = Literal["ae", "vae", "gan", "classifier", "cvae"]
KINDS: tuple[ModelKind, ...] = get_args(ModelKind)


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


def model_device(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


def require_eval(module: nn.Module) -> None:
    """Batch norm in training mode would use batch statistics and update its running stats."""
    if module.training:
        raise ValueError(
            "the model is in training mode; call model.eval() first "
            "(load_model and fit already return eval-mode models)"
        )


class _LatentModel(nn.Module):
    """What every model here shares: its config, the size of its code, and what it can do."""

    kind: ClassVar[ModelKind]
    has_encoder: ClassVar[bool] = False  # True: ``encode(x)`` gives codes of real digits
    conditional: ClassVar[bool] = False  # True: ``encode(x, y)``, ``decode(z, y)`` take labels

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim


class _EncoderDecoder(_LatentModel):
    """The convolutional encoder and decoder that the AE and the VAE share."""

    has_encoder = True

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.encoder = ConvEncoder(config.channels, config.hidden)
        self.decoder = ConvDecoder(config.latent_dim, config.channels, config.hidden)

    def decode(self, z: torch.Tensor, logits: bool = False) -> torch.Tensor:
        return self.decoder(z, logits=logits)


class ConvEncoder(nn.Module):
    """x [N, 1, 28, 28] -> features [N, hidden]."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        c = channels
        self.net = nn.Sequential(
            *downsample(c),  # state size. 2c x 7 x 7
            nn.Flatten(),  # state size. 2c*49
            nn.Linear(2 * c * 49, hidden),  # state size. hidden
            nn.LeakyReLU(0.2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ConvDecoder(nn.Module):
    """z [N, k] -> image [N, 1, 28, 28] in [0, 1] (logits with ``logits=True``)."""

    def __init__(self, latent_dim: int, channels: int, hidden: int) -> None:
        super().__init__()
        c = channels
        k, s, p = UPSAMPLE
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, hidden),  # state size. hidden
            nn.ReLU(),
            nn.Linear(hidden, 2 * c * 49),  # state size. 2c*49
            nn.ReLU(),
        )
        self.deconv = nn.Sequential(
            nn.Unflatten(1, (2 * c, 7, 7)),  # state size. 2c x 7 x 7
            nn.ConvTranspose2d(2 * c, c, k, s, p),  # state size. c x 14 x 14
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.ConvTranspose2d(c, 1, k, s, p),  # state size. 1 x 28 x 28 (logits)
        )
        check_upsampling(self.deconv)

    def forward(self, z: torch.Tensor, logits: bool = False) -> torch.Tensor:
        out = self.deconv(self.fc(z))
        return out if logits else torch.sigmoid(out)


class Autoencoder(_EncoderDecoder):
    """Deterministic AE: f maps R^784 to R^k, g maps back; trained on E||x - g(f(x))||^2."""

    kind = "ae"

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.to_code = nn.Linear(config.hidden, config.latent_dim)  # state size. k

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_code(self.encoder(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class VAE(_EncoderDecoder):
    """Gaussian encoder q(z|x) = N(mu, sigma^2), Bernoulli decoder p(x|z), prior N(0, I)."""

    kind = "vae"

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.to_mu = nn.Linear(config.hidden, config.latent_dim)  # state size. k
        self.to_logvar = nn.Linear(config.hidden, config.latent_dim)  # state size. k

    def encode_dist(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior mean: the deterministic code used for maps and latent arithmetic."""
        return self.encode_dist(x)[0]

    @staticmethod
    def reparameterize(
        mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """z = mu + sigma * eps with eps ~ N(0, I), so gradients flow through mu and sigma.
        eps is drawn on the CPU from ``generator``: the same seed gives the same eps anywhere."""
        eps = torch.randn(mu.shape, generator=generator).to(mu)
        return mu + torch.exp(0.5 * logvar) * eps

    def forward(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (reconstruction logits, mu, logvar); the loss wants logits for stable BCE."""
        mu, logvar = self.encode_dist(x)
        z = self.reparameterize(mu, logvar, generator)
        return self.decoder(z, logits=True), mu, logvar


class GAN(_LatentModel):
    """Generator G and discriminator D of the min-max game min_G max_D V(D, G)."""

    kind = "gan"

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.generator = Generator(config.latent_dim, config.channels)
        self.discriminator = Discriminator(config.channels)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """Logit that x is a real digit."""
        return self.discriminator(x)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """G(z) for n codes z ~ N(0, I) drawn on the CPU from ``generator``."""
        z = torch.randn(n, self.latent_dim, generator=generator).to(model_device(self))
        return self.decode(z)


class DigitClassifier(_LatentModel):
    """Small CNN that labels digits; used to judge generated images. x -> logits [N, 10]."""

    kind = "classifier"

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.latent_dim = 0
        c = config.channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1),  # state size. c x 28 x 28
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.MaxPool2d(2),  # state size. c x 14 x 14
            nn.Conv2d(c, 2 * c, 3, padding=1),  # state size. 2c x 14 x 14
            nn.BatchNorm2d(2 * c),
            nn.ReLU(),
            nn.MaxPool2d(2),  # state size. 2c x 7 x 7
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(2 * c * 49, config.hidden),  # state size. hidden (features for FID)
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(config.hidden, 10))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features [N, hidden], used for the classifier-based FID."""
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class CVAE(_LatentModel):
    """Conditional VAE: the label carries the content (which digit), z the handwriting (style).

    q(z|x,y) = N(mu, sigma^2) from conv features of x joined with one-hot y; p(x|z,y) a
    Bernoulli decoder of [z, one-hot y]; prior N(0, I) on z whatever y (Sohn, Lee & Yan 2015,
    "Learning Structured Output Representation using Deep Conditional Generative Models";
    Kingma et al. 2014's M2 with y observed). Trained on the VAE's negative ELBO: since the
    decoder is told y, the KL term pushes z to keep only what y does not say.
    """

    kind = "cvae"
    conditional = True

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
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
        return nn.functional.one_hot(y, self.num_classes).float()

    def encode_dist(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.join(torch.cat([self.encoder(x), self.one_hot(y).to(x.dtype)], dim=1))
        return self.to_mu(h), self.to_logvar(h)

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The posterior mean: the style code used for maps, swaps and renders."""
        return self.encode_dist(x, y)[0]

    def decode(self, z: torch.Tensor, y: torch.Tensor, logits: bool = False) -> torch.Tensor:
        return self.decoder(torch.cat([z, self.one_hot(y).to(z.dtype)], dim=1), logits=logits)

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(reconstruction logits, mu, logvar), z drawn as the VAE draws it."""
        mu, logvar = self.encode_dist(x, y)
        z = VAE.reparameterize(mu, logvar, generator)
        return self.decode(z, y, logits=True), mu, logvar


Model = Autoencoder | VAE | GAN | DigitClassifier | CVAE

_BUILDERS: dict[str, type[_LatentModel]] = {
    "ae": Autoencoder,
    "vae": VAE,
    "gan": GAN,
    "classifier": DigitClassifier,
    "cvae": CVAE,
}


ENCODER_KINDS = tuple(kind for kind, cls in _BUILDERS.items() if cls.has_encoder)
GENERATIVE_KINDS = tuple(
    kind for kind, cls in _BUILDERS.items() if hasattr(cls, "decode") and not cls.conditional
)  # decode(z) alone
CONDITIONAL_KINDS = tuple(kind for kind, cls in _BUILDERS.items() if cls.conditional)


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
    +-1/sqrt(fan_in), batch norm at identity), drawn from ``generator`` instead of the
    process-wide RNG: trainings in threads of one process start from the weights their seeds
    say, and leave each other's random numbers alone."""
    for layer in model.modules():
        if isinstance(layer, nn.Linear | nn.Conv2d | nn.ConvTranspose2d):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            if layer.bias is not None:
                bound = 1 / math.sqrt(layer.weight[0].numel())  # fan_in, as torch computes it
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
        elif isinstance(layer, nn.BatchNorm2d):
            layer.reset_parameters()  # weight 1, bias 0, fresh running statistics
        elif (
            next(layer.parameters(recurse=False), None) is not None
            or next(layer.buffers(recurse=False), None) is not None
        ):
            raise TypeError(f"no initialisation for {type(layer).__name__}: add it here")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
