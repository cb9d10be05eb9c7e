"""The recipes of the shipped models, and the defaults a new model of each kind starts from.

The CLI (``--all``, and the defaults of a single training) and the Train page read both from
here, so a setting is written once. Why each recipe is what it is: docs/recipes.md.
"""

from __future__ import annotations

from dataclasses import replace

from core.models.base import KINDS, ModelConfig, ModelKind
from core.training.loop import TrainConfig

# The shipped model whose recipe a new model of each kind starts from (its lr and batch size).
REFERENCE = {
    "ae": "ae_k16",
    "vae": "vae_k16",
    "gan": "gan_k32",
    "classifier": "classifier",
    "cvae": "cvae_k8",
    "mvae": "mvae_k16",
}


def shipped_configs() -> dict[str, TrainConfig]:
    """The pretrained models in ``checkpoints/``, all trained on the embedded digits.

    Why each recipe is what it is, with the measurements behind it: docs/recipes.md. In short:
    a one-pixel shift against overfitting on 4,500 digits; many epochs where a quality target
    needs them and few where there is none; hidden=192 keeps the float16 set small.
    """

    def model(kind: ModelKind, k: int, **kw) -> ModelConfig:
        return ModelConfig(kind, k, **{"hidden": 192, **kw})

    return {
        "ae_k2": TrainConfig(model("ae", 2, channels=16), epochs=250, augment_shift=1),
        "ae_k4": TrainConfig(model("ae", 4), epochs=20, augment_shift=1),
        "ae_k8": TrainConfig(model("ae", 8), epochs=20, augment_shift=1),
        "ae_k16": TrainConfig(model("ae", 16), epochs=60, augment_shift=1),
        "ae_k32": TrainConfig(model("ae", 32), epochs=60, augment_shift=1),
        "dae_k16": TrainConfig(model("ae", 16), epochs=30, augment_shift=1, noise_std=0.4),
        "vae_k2": TrainConfig(model("vae", 2), epochs=30, batch_size=64),
        "vae_k16": TrainConfig(
            model("vae", 16, hidden=256), epochs=120, batch_size=64, augment_shift=1
        ),
        "gan_k32": TrainConfig(ModelConfig("gan", 32), epochs=50, batch_size=32, lr=4e-4),
        "classifier": TrainConfig(
            ModelConfig("classifier", 0, channels=32, hidden=128), epochs=20, augment_shift=2
        ),
        # beta = 4 pushes the class out of z: at beta 1-2 a style rendered as another label
        # still reads as the source's digit (docs/recipes.md)
        "cvae_k8": TrainConfig(model("cvae", 8), epochs=20, batch_size=64, beta=4.0),
        # pictures and sentences in one space (issue 26): beta 0.1 and a quarter of the digits
        # shifted draw strokes sharp enough for a sentence's "thin" to be drawn thin, with the
        # MSE within 1.2x vae_k16's; 100 epochs add +154 s to --all (docs/recipes.md, fifth round)
        "mvae_k16": TrainConfig(
            model("mvae", 16),
            epochs=100,
            batch_size=64,
            beta=0.1,
            augment_shift=1,
            shift_fraction=0.25,
        ),
    }


def defaults_for(kind: ModelKind, latent_dim: int | None = None) -> TrainConfig:
    """A new model of this kind: the model defaults of ``ModelConfig`` and ``TrainConfig``, with
    the learning rate, batch size and beta of the shipped model of that kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}")
    reference = shipped_configs()[REFERENCE[kind]]
    model = ModelConfig(kind) if latent_dim is None else ModelConfig(kind, latent_dim)
    return replace(
        TrainConfig(model), lr=reference.lr, batch_size=reference.batch_size, beta=reference.beta
    )


def fashion_configs() -> dict[str, TrainConfig]:
    """The shipped Fashion-MNIST models (60,000 training images): the same networks with fewer
    epochs, sized for ``--all --dataset fashion-mnist`` to fit in 30 minutes on 2 cores; no
    pixel shift (54,000 training images do not overfit in so few epochs). docs/recipes.md."""
    embedded = shipped_configs()
    return {
        "fashion_ae_k2": replace(embedded["ae_k2"], epochs=15, augment_shift=0),
        "fashion_vae_k16": replace(embedded["vae_k16"], epochs=12, augment_shift=0, beta=0.5),
        "fashion_gan_k32": replace(embedded["gan_k32"], epochs=6),
        "fashion_classifier": replace(embedded["classifier"], epochs=6, augment_shift=1),
        "fashion_cvae_k8": replace(embedded["cvae_k8"], epochs=8),
    }


SHIPPED = {"embedded": shipped_configs, "fashion-mnist": fashion_configs}


def recipes_for(dataset: str) -> dict[str, TrainConfig]:
    """The shipped recipes of a dataset (``--all --dataset``); ValueError when none ship."""
    if dataset not in SHIPPED:
        raise ValueError(f"no shipped models for {dataset!r}; these have: {', '.join(SHIPPED)}")
    return SHIPPED[dataset]()
