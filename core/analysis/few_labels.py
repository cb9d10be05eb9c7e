"""What a code buys a classifier when labels are few: a learning curve over labels per class.

``learning_curve(train, train_labels, val, val_labels)`` trains logistic regression and 1-NN on
1, 5, 10, 50 and 100 labelled training examples per class, several random draws each, and scores
them on the whole validation split. Features are any float matrix ``[N, d]``: raw pixels, PCA
components, or a model's codes; the unlabelled training features are what a code is learnt from,
so they may also set the standardisation.

``cached_curve`` computes a learning curve once per content (the checkpoint's bytes or the name
of a pixel feature set, the dataset, the parameters) and reloads it from a small JSON file
afterwards; ``python -m core.analysis.few_labels --precompute checkpoints [--prune]`` fills the
shipped cache (with the Style & content page's class probes, ``core.analysis.class_probe``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from core.analysis.metrics import ArrayLike, to_numpy
from core.data.datasets import Dataset, load_dataset
from core.files import atomic_path
from core.models.registry import kind_class

if TYPE_CHECKING:
    from core.training.checkpoints import CheckpointInfo

CACHE_FORMAT = 1
DEFAULT_CACHE_DIR = Path("checkpoints/few_labels")
LABELS_PER_CLASS = (1, 5, 10, 50, 100)
DRAWS = 5
CLASSIFIERS = ("logistic", "1-nn")


@dataclass
class CurvePoint:
    """Validation accuracy of one classifier at one number of labels per class."""

    classifier: str  # one of CLASSIFIERS
    per_class: int
    mean: float  # over the draws
    std: float  # population std over the draws
    accuracies: list[float]  # one per draw

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def draw_labelled(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``per_class`` examples of every class, drawn without replacement, sorted."""
    picks = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if len(members) < per_class:
            raise ValueError(f"class {c} has {len(members)} examples, fewer than {per_class}")
        picks.append(rng.choice(members, per_class, replace=False))
    return np.sort(np.concatenate(picks))


def _classifier(name: str):
    if name == "logistic":
        # L2-regularised multinomial logistic regression, scikit-learn's default C = 1
        return LogisticRegression(max_iter=2000)
    if name == "1-nn":
        return KNeighborsClassifier(n_neighbors=1)
    raise ValueError(f"unknown classifier {name!r}; choose one of {CLASSIFIERS}")


def learning_curve(
    train: ArrayLike,
    train_labels: ArrayLike,
    val: ArrayLike,
    val_labels: ArrayLike,
    per_class: tuple[int, ...] = LABELS_PER_CLASS,
    draws: int = DRAWS,
    seed: int = 0,
    classifiers: tuple[str, ...] = CLASSIFIERS,
) -> list[CurvePoint]:
    """Accuracy on (val, val_labels) of each classifier trained on few labelled training rows.

    Logistic regression sees features [N, d] standardised with the mean and std of all training
    rows (labelled or not: the scaler, like PCA or an autoencoder, needs no labels); 1-NN uses
    plain Euclidean distance in the space as it is (standardising pixels would blow up the
    nearly constant border pixels into noise). Draw i
    at every size uses ``np.random.default_rng([seed, i])``: the same inputs give the same curve,
    and every feature set compared with the same seed sees the same labelled digits.
    """
    x_train = np.asarray(to_numpy(train), dtype=np.float64).reshape(len(train), -1)
    x_val = np.asarray(to_numpy(val), dtype=np.float64).reshape(len(val), -1)
    y_train, y_val = to_numpy(train_labels), to_numpy(val_labels)
    if len(x_train) != len(y_train) or len(x_val) != len(y_val):
        raise ValueError("features and labels differ in length")
    scaler = StandardScaler().fit(x_train)  # constant columns keep scale 1
    scaled = (scaler.transform(x_train), scaler.transform(x_val))
    points = []
    for name in classifiers:
        fit_x, score_x = scaled if name == "logistic" else (x_train, x_val)
        for n in per_class:
            scores = []
            for i in range(draws):
                idx = draw_labelled(y_train, n, np.random.default_rng([seed, i]))
                model = _classifier(name).fit(fit_x[idx], y_train[idx])
                scores.append(float((model.predict(score_x) == y_val).mean()))
            points.append(
                CurvePoint(name, n, float(np.mean(scores)), float(np.std(scores)), scores)
            )
    return points


# --- the features compared ----------------------------------------------------------------------

Features = tuple[np.ndarray, np.ndarray]  # (training rows [N_train, d], validation rows [N_val, d])


def pixel_features(dataset: Dataset) -> Features:
    """Raw pixels in [0, 1], [N, 784]."""
    train, val = dataset.split("train")[0], dataset.split("val")[0]
    return (
        train.numpy().reshape(len(train), -1) / 255.0,
        val.numpy().reshape(len(val), -1) / 255.0,
    )


def pca_features(dataset: Dataset, k: int) -> Features:
    """The first k principal components of the pixels, fitted on the (unlabelled) training rows."""
    from core.latent.pca import fit_pca

    train, val = pixel_features(dataset)
    pca = fit_pca(train, k)
    return pca.transform(train), pca.transform(val)


def is_conditional(model: torch.nn.Module) -> bool:
    """Whether the model's encoder is given the label too (``encode(x, y)``): its code is the
    part of a digit the label does not say (a conditional VAE's style)."""
    return bool(getattr(model, "conditional", False))


@torch.no_grad()
def code_features(model: torch.nn.Module, dataset: Dataset) -> Features:
    """The model's codes of the training and validation digits, float32 [N, k]. A conditional
    encoder is given each digit's true label, as it is when it learns."""
    from core.latent.operations import encode_images

    def codes(part: str) -> np.ndarray:
        images, labels = dataset.split(part)
        return encode_images(model, images, labels=labels if is_conditional(model) else None)

    return codes("train"), codes("val")


# --- the disk cache -------------------------------------------------------------------------------


def cache_key(
    source: bytes, dataset: Dataset, per_class: tuple[int, ...], draws: int, seed: int
) -> str:
    """sha256 over what a curve depends on: the features' source (a checkpoint's bytes, or the
    name of a pixel feature set), the dataset (its digest) and the parameters."""
    h = hashlib.sha256()
    h.update(f"latent-lab few labels {CACHE_FORMAT}\n".encode())
    h.update(source)
    h.update(f"\n{dataset.digest}\n".encode())
    h.update(json.dumps([list(per_class), CLASSIFIERS, draws, seed]).encode())
    return h.hexdigest()


def curve_path(
    name: str,
    source: bytes,
    dataset: Dataset,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    per_class: tuple[int, ...] = LABELS_PER_CLASS,
    draws: int = DRAWS,
    seed: int = 0,
) -> Path:
    """``<cache_dir>/<name>_<dataset>_<key>.json``: where ``cached_curve`` keeps a curve."""
    key = cache_key(source, dataset, per_class, draws, seed)
    return Path(cache_dir) / f"{name}_{dataset.name}_{key[:16]}.json"


def cached_curve(
    name: str,
    source: bytes,
    dataset: Dataset,
    features: Callable[[], Features],
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    per_class: tuple[int, ...] = LABELS_PER_CLASS,
    draws: int = DRAWS,
    seed: int = 0,
) -> list[CurvePoint]:
    """``learning_curve`` of ``features()`` on the dataset's labels, read from
    ``<cache_dir>/<name>_<dataset>_<key>.json`` when its key matches, else computed (seconds to
    a minute) and written atomically. A retrained checkpoint has other bytes: its file misses."""
    path = curve_path(name, source, dataset, cache_dir, per_class, draws, seed)
    if path.exists():
        try:
            return [CurvePoint(**p) for p in json.loads(path.read_text())["points"]]
        except (ValueError, KeyError, TypeError, OSError):
            pass  # an unreadable cache is recomputed and overwritten
    train, val = features()
    labels = (dataset.split("train")[1], dataset.split("val")[1])
    points = learning_curve(train, labels[0], val, labels[1], per_class, draws, seed)
    payload = {"name": name, "points": [p.as_dict() for p in points]}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload))
    return points


# --- CLI ------------------------------------------------------------------------------------------


def precompute(folder: str | Path, cache_dir: str | Path = DEFAULT_CACHE_DIR) -> list[Path]:
    """The curves of pixels, PCA at every code size, and every encoder checkpoint in ``folder``,
    and each encoder's class probe, on each dataset that a checkpoint there was trained on.
    Returns their files (``cache_files``)."""
    from core.training.checkpoints import list_checkpoints

    infos = list_checkpoints(folder)
    used: list[Path] = []
    for name in sorted({i.dataset for i in infos}):
        dataset = load_dataset(name)
        sets = _feature_sets([i for i in infos if i.dataset == name])
        _precompute_dataset(sets, dataset, cache_dir)
        used += _files(sets, dataset, cache_dir)
    return used


class FeatureSet(NamedTuple):
    """One curve's features: the pixels, PCA at ``pca_k`` or the codes of ``info``'s encoder."""

    name: str
    source: bytes  # what its cache key reads
    info: CheckpointInfo | None = None
    pca_k: int | None = None


def _feature_sets(infos: list[CheckpointInfo]) -> list[FeatureSet]:
    """The pixels, PCA at each encoder's code size, and each encoder's codes."""
    coded = [i for i in infos if hasattr(kind_class(i.kind), "encode")]  # a CVAE's too
    sizes = sorted({i.latent_dim for i in coded})
    sets = [FeatureSet("pixels", b"pixels")]
    sets += [FeatureSet(f"pca_k{k}", f"pca {k}".encode(), pca_k=k) for k in sizes]
    return sets + [FeatureSet(i.name, i.path.read_bytes(), info=i) for i in coded]


def cache_files(infos: list[CheckpointInfo], dataset: Dataset, cache_dir: str | Path) -> list[Path]:
    """The files ``precompute`` keeps for these checkpoints of ``dataset``: each curve's and
    each encoder's class probe (what ``--prune`` leaves)."""
    return _files(_feature_sets(infos), dataset, cache_dir)


def _files(sets: list[FeatureSet], dataset: Dataset, cache_dir: str | Path) -> list[Path]:
    from core.analysis.class_probe import probe_path  # it builds on this module

    curves = [curve_path(f.name, f.source, dataset, cache_dir) for f in sets]
    return curves + [probe_path(f.info.path, dataset, cache_dir) for f in sets if f.info]


def _precompute_dataset(sets: list[FeatureSet], dataset: Dataset, cache_dir: str | Path) -> None:
    from core.analysis.class_probe import cached_class_probe  # it builds on this module
    from core.training.checkpoints import load_model

    for name, source, info, pca_k in sets:
        model = None if info is None else load_model(info.path)
        if model is not None:
            features = partial(code_features, model, dataset)
        elif pca_k is not None:
            features = partial(pca_features, dataset, pca_k)
        else:
            features = partial(pixel_features, dataset)
        start = time.perf_counter()
        cached_curve(name, source, dataset, features, cache_dir)
        print(f"{dataset.name} {name}: {time.perf_counter() - start:.1f}s", flush=True)
        if model is not None:  # the Style & content page's "does the code know the class?"
            start = time.perf_counter()
            cached_class_probe(info.path, model, dataset, cache_dir)
            print(f"{dataset.name} {name} probe: {time.perf_counter() - start:.1f}s", flush=True)


def main(argv: list[str] | None = None) -> None:
    from core.latent.folder_caches import precompute_parser, prune_stale

    parser = precompute_parser(
        "python -m core.analysis.few_labels",
        __doc__.split("\n")[0],
        "learning curves and class probes to cache",
        "cache-dir",
        DEFAULT_CACHE_DIR,
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    used = precompute(args.precompute, args.cache_dir)
    if args.prune:  # the curves and probes of retrained or removed checkpoints
        prune_stale(args.cache_dir, "*", used)


if __name__ == "__main__":
    main()
