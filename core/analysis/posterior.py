"""A VAE's posterior q(z|x) made visible: the reparameterization trick on one digit, its
Gaussian drawn on a linear map, and the KL to the prior per latent dimension.

Models must be in eval mode (``load_model`` returns them so); nothing here changes weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.data.datasets import to_float
from core.latent.operations import prior_codes
from core.latent.projections import Projection
from core.models.autoencoders import VAE
from core.models.base import model_device, require_eval
from core.models.losses import kl_to_standard_normal, negative_elbo

# A latent unit is "active" when its posterior mean moves with the input:
# Var_x(E_q[z_u | x]) > 0.01 (Burda, Grosse & Salakhutdinov 2016, "Importance Weighted
# Autoencoders", sec. 5.2).
ACTIVE_UNIT_THRESHOLD = 0.01


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
    decode them, and score each with ``core.models.losses.negative_elbo`` (beta = 1)."""
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
