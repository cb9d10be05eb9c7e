"""How good a GAN's samples are: the discriminator's view, and a digit classifier's verdict
(class histogram for mode collapse, classifier-feature FID with a real-data floor); and D as a
filter on G's draws."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.analysis.metrics import ArrayLike, class_histogram, classifier_fid, to_numpy
from core.data.datasets import to_float
from core.latent.operations import decode_points, prior_codes, sample_prior
from core.models.base import model_device, require_eval
from core.models.classifier import DigitClassifier
from core.models.gan import GAN


@torch.no_grad()
def discriminator_probabilities(gan: GAN, images: ArrayLike, batch_size: int = 500) -> np.ndarray:
    """D(x) = sigmoid(logit) in [0, 1], the probability D gives that x is real: float64 [N].

    ``images`` are uint8 [N, 28, 28] or float in [0, 1] ([N, 28, 28] or [N, 1, 28, 28]).
    """
    require_eval(gan)
    x = to_float(to_numpy(images).reshape(-1, 28, 28)).float().to(model_device(gan))
    parts = [gan.discriminate(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    return torch.sigmoid(torch.cat(parts)).double().cpu().numpy()


def most_real(gan: GAN, n: int, seed: int, keep: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """(codes float32 [n, k], images float32 [n, 28, 28]): of ceil(n / keep) draws z ~ N(0, I)
    from ``seed``, the n whose G(z) the discriminator finds most real, in the order drawn.

    A deterministic form of discriminator rejection sampling (Azadi et al., "Discriminator
    Rejection Sampling", ICLR 2019): D, trained with G, keeps the draws it scores highest, so the
    samples are G's distribution reweighted by D rather than G's alone. ``keep`` = 1 is plain G.
    """
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    if keep == 1:
        return sample_prior(gan, n, seed)  # nothing to choose: D need not score them
    codes = prior_codes(int(np.ceil(n / keep)), gan.latent_dim, seed)
    images = decode_points(gan, codes)
    chosen = np.sort(np.argsort(-discriminator_probabilities(gan, images), kind="stable")[:n])
    return codes[chosen], images[chosen]


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
