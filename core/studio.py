"""What the model studios show: prior samples, the reparameterization trick, KL per dimension,
the discriminator's view, sample quality, and the shapes inside a decoder.

Images come back as float32 ``[N, 28, 28]`` in [0, 1]; codes as float32 ``[N, k]``. Models must
be in eval mode (``load_model`` returns them so); nothing here changes a model's weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.data import to_float
from core.latent import decode_points
from core.losses import kl_to_standard_normal, negative_elbo
from core.metrics import ArrayLike, class_histogram, classifier_fid, to_numpy
from core.models import GAN, VAE, DigitClassifier, Model, transposed_conv_output_size
from core.projection import Projection, model_device, require_eval

# A latent unit is "active" when its posterior mean moves with the input:
# Var_x(E_q[z_u | x]) > 0.01 (Burda, Grosse & Salakhutdinov 2016, "Importance Weighted
# Autoencoders", sec. 5.2).
ACTIVE_UNIT_THRESHOLD = 0.01


# --- samples from the prior -------------------------------------------------------------------


def prior_codes(n: int, latent_dim: int, seed: int) -> np.ndarray:
    """n codes z ~ N(0, I) [n, k], the same for the same seed on every device."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, latent_dim, generator=generator).numpy()


def sample_prior(model: Model, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes [n, k] drawn from N(0, I), their decodings [n, 28, 28]): VAE or GAN samples."""
    z = prior_codes(n, model.latent_dim, seed)
    return z, decode_points(model, z)


def latent_lattice(extent: float, tiles: int) -> np.ndarray:
    """A tiles x tiles lattice over [-extent, extent]^2, [tiles^2, 2], read like an image:
    row 0 is the top (largest z2), columns go left to right (increasing z1)."""
    if extent <= 0 or tiles < 2:
        raise ValueError(f"need extent > 0 and at least 2 tiles, got {extent} and {tiles}")
    axis = np.linspace(-extent, extent, tiles, dtype=np.float32)
    z1, z2 = np.meshgrid(axis, axis[::-1])
    return np.stack([z1.ravel(), z2.ravel()], 1)


# --- the reparameterization trick --------------------------------------------------------------


@dataclass(eq=False)  # array fields
class Reparameterization:
    """One digit x through a VAE: q(z|x) = N(mu, sigma^2), a few z = mu + sigma * eps, and the
    two terms of its negative ELBO in nats."""

    mu: np.ndarray  # float32 [k]
    sigma: np.ndarray  # float32 [k]
    eps: np.ndarray  # float32 [n, k], eps ~ N(0, I)
    z: np.ndarray  # float32 [n, k], mu + sigma * eps
    decoded: np.ndarray  # float32 [n, 28, 28], the decoder's mean image for each z
    mean_decoded: np.ndarray  # float32 [28, 28], the decoding of mu
    recon: np.ndarray  # float64 [n], -log p(x | z_j) (Bernoulli), one per sample
    kl_per_dim: np.ndarray  # float64 [k], KL(q(z_u|x) || N(0, 1)), analytic

    @property
    def kl(self) -> float:
        return float(self.kl_per_dim.sum())

    @property
    def recon_mean(self) -> float:
        """Monte Carlo estimate of E_q[-log p(x|z)] from the n samples."""
        return float(self.recon.mean())

    @property
    def neg_elbo(self) -> float:
        return self.recon_mean + self.kl


@torch.no_grad()
def reparameterize(vae: VAE, image: torch.Tensor, n: int, seed: int) -> Reparameterization:
    """Encode one uint8 digit [28, 28], draw n codes z = mu + sigma * eps with a seeded eps,
    decode them, and score each with ``core.losses.negative_elbo`` (beta = 1)."""
    require_eval(vae)
    if n < 1:
        raise ValueError(f"need at least one sample, got {n}")
    device = model_device(vae)
    x = to_float(image.reshape(1, 28, 28)).to(device)  # state size. 1 x 1 x 28 x 28
    mu, logvar = vae.encode_dist(x)  # each [1, k]
    sigma = torch.exp(0.5 * logvar)
    eps = torch.from_numpy(prior_codes(n, vae.latent_dim, seed)).to(device)  # [n, k]
    z = mu + sigma * eps  # [n, k]: the same formula as VAE.reparameterize, with eps shown
    logits = vae.decoder(z, logits=True)  # [n, 1, 28, 28]
    recon = [negative_elbo(logits[j : j + 1], x, mu, logvar).recon.item() for j in range(n)]
    return Reparameterization(
        mu=mu[0].cpu().numpy(),
        sigma=sigma[0].cpu().numpy(),
        eps=eps.cpu().numpy(),
        z=z.cpu().numpy(),
        decoded=torch.sigmoid(logits).squeeze(1).cpu().numpy(),
        mean_decoded=vae.decode(mu).squeeze(1)[0].cpu().numpy(),
        recon=np.array(recon, dtype=np.float64),
        kl_per_dim=kl_to_standard_normal(mu, logvar)[0].double().cpu().numpy(),
    )


def projected_gaussian(
    projection: Projection, mu: np.ndarray, sigma: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """N(mu, diag(sigma^2)) seen on a linear 2-D map: (centre [2], covariance [2, 2]).

    Raw and PCA maps are affine, m(z) = A z + b, so the image of a Gaussian is the Gaussian
    N(m(mu), A diag(sigma^2) A^T); A is read off ``projection.transform`` of unit steps.
    t-SNE is not a function of the codes, so it has no such image: ValueError.
    """
    if projection.method not in ("raw", "pca"):
        raise ValueError(f"a {projection.method} map is not linear; only raw and PCA maps are")
    mu = np.asarray(mu, dtype=np.float64)
    k = len(mu)
    points = np.vstack([mu, mu + np.eye(k)]).astype(np.float32)  # [k + 1, k]
    mapped = projection.transform(points).astype(np.float64)  # [k + 1, 2]
    centre, columns = mapped[0], mapped[1:] - mapped[0]  # columns: A^T, [k, 2]
    cov = columns.T @ (np.asarray(sigma, dtype=np.float64)[:, None] ** 2 * columns)
    return centre, cov


def ellipse(centre: np.ndarray, cov: np.ndarray, radius: float, n_points: int = 100) -> np.ndarray:
    """The closed curve {x : (x - c)^T cov^-1 (x - c) = radius^2}, [n_points, 2] (first = last):
    the radius-sigma contour of a 2-D Gaussian."""
    values, vectors = np.linalg.eigh(np.asarray(cov, dtype=np.float64))
    t = np.linspace(0.0, 2 * np.pi, n_points)
    circle = np.stack([np.cos(t), np.sin(t)], 1)  # [n_points, 2]
    return np.asarray(centre) + radius * (circle * np.sqrt(np.clip(values, 0, None))) @ vectors.T


@dataclass(eq=False)  # array fields
class KLReport:
    kl: np.ndarray  # float64 [k], mean over the images of KL(q(z_u|x) || N(0, 1)), nats
    activity: np.ndarray  # float64 [k], Var_x(mu_u(x)) across the images
    n_images: int

    @property
    def active(self) -> np.ndarray:
        """bool [k]: the units the decoder can use (see ``ACTIVE_UNIT_THRESHOLD``)."""
        return self.activity > ACTIVE_UNIT_THRESHOLD


@torch.no_grad()
def kl_per_dimension(vae: VAE, images: torch.Tensor, batch_size: int = 1000) -> KLReport:
    """KL to the prior per latent dimension, averaged over uint8 images [N, 28, 28] (N >= 2).

    A dimension whose KL is ~0 has q(z_u|x) = N(0, 1) for every x: it carries no information
    (posterior collapse). Its sum over dimensions is the KL term of the ELBO.
    """
    require_eval(vae)
    if len(images) < 2:
        raise ValueError("need at least 2 images to measure how the codes vary")
    device = model_device(vae)
    mus, kls = [], []
    for start in range(0, len(images), batch_size):
        mu, logvar = vae.encode_dist(to_float(images[start : start + batch_size].to(device)))
        mus.append(mu.double().cpu())
        kls.append(kl_to_standard_normal(mu, logvar).double().cpu())  # [B, k]
    mu = torch.cat(mus)  # [N, k]
    return KLReport(torch.cat(kls).mean(0).numpy(), mu.var(0).numpy(), len(mu))


# --- the GAN's discriminator and sample quality ------------------------------------------------


@torch.no_grad()
def discriminator_probabilities(gan: GAN, images: ArrayLike, batch_size: int = 500) -> np.ndarray:
    """D(x) = sigmoid(logit) in [0, 1], the probability D gives that x is real: float64 [N].

    ``images`` are uint8 [N, 28, 28] or float in [0, 1] ([N, 28, 28] or [N, 1, 28, 28]).
    """
    require_eval(gan)
    x = torch.as_tensor(np.asarray(images))
    x = x.float().div(255.0) if x.dtype == torch.uint8 else x.float()
    x = x.reshape(-1, 1, 28, 28).to(model_device(gan))
    parts = [gan.discriminate(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    return torch.sigmoid(torch.cat(parts)).double().cpu().numpy()


@dataclass(eq=False)  # array fields
class SampleQuality:
    counts: np.ndarray  # int64 [10], samples per class by the digit classifier
    mean_top_probability: float  # the classifier's mean confidence on the samples
    fid: float  # classifier-feature FID(samples, validation digits)
    floor: float  # the same FID for as many real training digits: "as good as real"


def sample_quality(
    classifier: DigitClassifier,
    samples: ArrayLike,
    validation: ArrayLike,
    training: ArrayLike,
    seed: int = 0,
) -> SampleQuality:
    """Class histogram and classifier FID of ``samples`` against the ``validation`` digits.

    FID is biased by the sample size, so the real-data floor compares as many ``training``
    digits (disjoint from the validation ones; a random subset fixed by ``seed``, since a
    dataset may be sorted by class) with the same validation digits.
    """
    n = len(samples)
    if len(training) < n:
        raise ValueError(f"need {n} training digits for the real-data floor, got {len(training)}")
    pick = np.sort(np.random.default_rng(seed).choice(len(training), n, replace=False))
    counts, confidence = class_histogram(classifier, samples)
    return SampleQuality(
        counts=counts,
        mean_top_probability=confidence,
        fid=classifier_fid(classifier, samples, validation),
        floor=classifier_fid(classifier, to_numpy(training)[pick], validation),
    )


# --- transposed convolutions -------------------------------------------------------------------

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
    if model.kind == "gan":
        return model.generator
    if model.kind in ("ae", "vae"):
        return model.decoder
    raise ValueError(f"a {model.kind} has no decoder")
