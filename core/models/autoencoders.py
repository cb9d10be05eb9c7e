"""The autoencoders: a deterministic AE, a VAE and a conditional VAE on one conv encoder/decoder.

AE: f maps R^784 to R^k, g maps back, trained on E||x - g(f(x))||^2. VAE: q(z|x) = N(mu, sigma^2),
z = mu + sigma * eps, trained on -ELBO = recon + KL(q(z|x) || N(0, I)). The CVAE's encode(x, y)
and decode(z, y) also take the label.
"""

from __future__ import annotations

import torch
from torch import nn

from core.data.augment import add_gaussian_noise, random_shift
from core.models import losses
from core.models.base import (
    LatentModel,
    ModelConfig,
    Optimizers,
    StepSettings,
    optimizer_step,
)
from core.models.layers import UPSAMPLE, check_upsampling, downsample


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

    def forward(self, z: torch.Tensor, logits: bool = False, groups: int = 1) -> torch.Tensor:
        """``groups`` > 1: z is that many equal batches stacked, and BatchNorm normalises each
        batch on its own, so one call gives what ``groups`` calls would, in fewer, larger
        convolutions (the multimodal VAE decodes two posteriors' draws a step)."""
        if groups == 1:
            out = self.deconv(self.fc(z))
        else:
            unflatten, upsample, norm, relu, to_pixels = self.deconv
            h = upsample(unflatten(self.fc(z)))  # state size. c x 14 x 14
            h = torch.cat([norm(part) for part in h.chunk(groups)])
            out = to_pixels(relu(h))  # state size. 1 x 28 x 28
        return out if logits else torch.sigmoid(out)


class _EncoderDecoder(LatentModel):
    """The convolutional encoder and decoder that the AE and the VAE share."""

    has_encoder = True
    has_decoder = True

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.encoder = ConvEncoder(config.channels, config.hidden)
        self.decoder = ConvDecoder(config.latent_dim, config.channels, config.hidden)

    def decode(self, z: torch.Tensor, logits: bool = False) -> torch.Tensor:
        return self.decoder(z, logits=logits)


class Autoencoder(_EncoderDecoder):
    """Deterministic AE: f maps R^784 to R^k, g maps back; trained on E||x - g(f(x))||^2."""

    kind = "ae"
    epoch_cost = 1.4

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.to_code = nn.Linear(config.hidden, config.latent_dim)  # state size. k

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_code(self.encoder(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def training_step(self, x, y, optimizers, settings, gen) -> dict[str, float]:
        """E||x - g(f(x))||^2; as a denoiser (``noise_std`` > 0) f sees a noisy x."""
        x = random_shift(x, settings.augment_shift, gen, settings.shift_fraction)
        noisy = add_gaussian_noise(x, settings.noise_std, gen) if settings.noise_std > 0 else x
        loss = losses.reconstruction_mse(self(noisy), x)
        optimizer_step(loss, optimizers[0])
        return {"loss": loss.item()}

    def validation_metrics(self, x, y, gen) -> dict[str, float]:
        return {"mse": losses.reconstruction_mse(self(x).float(), x).item()}


class VAE(_EncoderDecoder):
    """Gaussian encoder q(z|x) = N(mu, sigma^2), Bernoulli decoder p(x|z), prior N(0, I)."""

    kind = "vae"
    has_prior = True
    epoch_cost = 1.9

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

    def training_step(self, x, y, optimizers, settings, gen) -> dict[str, float]:
        return _elbo_step(self, (), x, optimizers, settings, gen)

    def validation_metrics(self, x, y, gen) -> dict[str, float]:
        return _elbo_metrics(self, (), x, gen)


class CVAE(LatentModel):
    """Conditional VAE: the label carries the content (which digit), z the handwriting (style).

    q(z|x,y) = N(mu, sigma^2) from conv features of x joined with one-hot y; p(x|z,y) a
    Bernoulli decoder of [z, one-hot y]; prior N(0, I) on z whatever y (Sohn, Lee & Yan 2015,
    "Learning Structured Output Representation using Deep Conditional Generative Models";
    Kingma et al. 2014's M2 with y observed). Trained on the VAE's negative ELBO: since the
    decoder is told y, the KL term pushes z to keep only what y does not say.
    """

    kind = "cvae"
    has_prior = True
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

    def training_step(self, x, y, optimizers, settings, gen) -> dict[str, float]:
        return _elbo_step(self, (y,), x, optimizers, settings, gen)

    def validation_metrics(self, x, y, gen) -> dict[str, float]:
        return _elbo_metrics(self, (y,), x, gen)


# --- the objective the VAE and the CVAE share (the CVAE's encode/decode also take y) ----------


def _elbo_step(
    model: VAE | CVAE,
    given: tuple[torch.Tensor, ...],
    x: torch.Tensor,
    optimizers: Optimizers,
    settings: StepSettings,
    gen: torch.Generator,
) -> dict[str, float]:
    """One step on -ELBO = recon + beta * KL(q(z|x) || N(0, I)) (``losses.negative_elbo``)."""
    x = random_shift(x, settings.augment_shift, gen, settings.shift_fraction)
    logits, mu, logvar = model(x, *given, generator=gen)
    terms = losses.negative_elbo(logits.float(), x, mu.float(), logvar.float(), beta=settings.beta)
    optimizer_step(terms.loss, optimizers[0])
    return {"loss": terms.loss.item(), "recon": terms.recon.item(), "kl": terms.kl.item()}


def _elbo_metrics(
    model: VAE | CVAE, given: tuple[torch.Tensor, ...], x: torch.Tensor, gen: torch.Generator
) -> dict[str, float]:
    """-ELBO and its terms at one draw of z, and the MSE of decoding the posterior mean."""
    mu, logvar = model.encode_dist(x, *given)
    mu, logvar = mu.float(), logvar.float()
    z = VAE.reparameterize(mu, logvar, gen)
    logits = model.decode(z, *given, logits=True).float()
    terms = losses.negative_elbo(logits, x, mu, logvar)
    mse = losses.reconstruction_mse(model.decode(mu, *given).float(), x)
    return {
        "neg_elbo": terms.neg_elbo.item(),
        "recon": terms.recon.item(),
        "kl": terms.kl.item(),
        "mse": mse.item(),
    }
