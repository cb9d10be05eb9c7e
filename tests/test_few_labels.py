"""core.analysis.few_labels: the learning curve on a small real sample and on planted features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.analysis.few_labels import (
    CLASSIFIERS,
    cache_files,
    cached_curve,
    code_features,
    draw_labelled,
    is_conditional,
    learning_curve,
    pca_features,
    pixel_features,
)
from core.data.datasets import Dataset, to_float
from core.training.checkpoints import list_checkpoints

from .conftest import ROOT


def test_draws_are_stratified_reproducible_and_refuse_too_many():
    labels = np.repeat(np.arange(3), 4)
    a = draw_labelled(labels, 2, np.random.default_rng([0, 1]))
    assert np.array_equal(np.bincount(labels[a]), [2, 2, 2])
    assert np.array_equal(a, draw_labelled(labels, 2, np.random.default_rng([0, 1])))
    with pytest.raises(ValueError, match="fewer than 5"):
        draw_labelled(labels, 5, np.random.default_rng(0))


def test_learning_curve_on_small_digits_grows_with_labels(small_digits: Dataset):
    train_x, train_y = small_digits.split("train")  # 540 digits, 54 per class
    val_x, val_y = small_digits.split("val")  # 60 digits
    pixels = lambda x: x.numpy().reshape(len(x), -1) / 255.0  # noqa: E731
    curve = learning_curve(
        pixels(train_x), train_y, pixels(val_x), val_y, per_class=(1, 10, 50), draws=3
    )
    assert [(p.classifier, p.per_class) for p in curve] == [
        (c, n) for c in CLASSIFIERS for n in (1, 10, 50)
    ]
    for p in curve:
        assert len(p.accuracies) == 3 and p.mean == pytest.approx(np.mean(p.accuracies))
    by = {(p.classifier, p.per_class): p.mean for p in curve}
    # measured: logistic 0.37 / 0.73 / 0.86, 1-NN 0.37 / 0.70 / 0.91 (chance is 0.10)
    for c in CLASSIFIERS:
        assert by[c, 1] + 0.2 < by[c, 50] and by[c, 1] > 0.2
    again = learning_curve(
        pixels(train_x), train_y, pixels(val_x), val_y, per_class=(1, 10, 50), draws=3
    )
    assert [p.accuracies for p in again] == [p.accuracies for p in curve]


def test_features_that_know_nothing_of_the_class_score_chance():
    rng = np.random.default_rng(0)
    train_y, val_y = np.repeat(np.arange(10), 60), np.repeat(np.arange(10), 100)
    noise = lambda n: rng.standard_normal((n, 8))  # noqa: E731
    planted = lambda y: np.eye(10)[y][:, :8] * 4 + rng.standard_normal((len(y), 8))  # noqa: E731
    blind = learning_curve(noise(600), train_y, noise(1000), val_y, per_class=(50,), draws=2)
    seeing = learning_curve(
        planted(train_y), train_y, planted(val_y), val_y, per_class=(50,), draws=2
    )
    # measured: noise 0.11 and 0.12; planted 0.87 and 0.80 (classes 8 and 9 share the zero code)
    assert all(abs(p.mean - 0.1) < 0.05 for p in blind)
    assert all(p.mean > 0.7 for p in seeing)


# --- features and the disk cache ---------------------------------------------------------------


def test_code_features_of_a_plain_and_a_conditional_encoder(small_digits: Dataset):
    from core.models.base import ModelConfig
    from core.models.registry import build_model

    from .conftest import TINY, train_tiny

    ae = train_tiny(small_digits, "ae", 4, epochs=1, seed=0)  # fp32
    cvae = build_model(ModelConfig("cvae", 3, **TINY)).eval()
    assert not is_conditional(ae) and is_conditional(cvae)
    for model, k in ((ae, 4), (cvae, 3)):
        train, val = code_features(model, small_digits)
        assert train.shape == (540, k) and val.shape == (60, k)
        assert np.isfinite(train).all()
    # the conditional code depends on the label it is given: not the same as with label 0
    images, labels = small_digits.split("val")
    with torch.no_grad():
        zero = cvae.encode(to_float(images), torch.zeros_like(labels)).numpy()
    assert not np.allclose(code_features(cvae, small_digits)[1], zero)


def test_pixel_and_pca_features(small_digits: Dataset):
    train, val = pixel_features(small_digits)
    assert train.shape == (540, 784) and val.shape == (60, 784)
    assert train.min() >= 0 and train.max() <= 1
    low_train, low_val = pca_features(small_digits, 5)
    assert low_train.shape == (540, 5) and low_val.shape == (60, 5)


def test_cached_curve_is_written_once_and_keyed_by_its_source(small_digits: Dataset, tmp_path):
    calls = []

    def features():
        calls.append(1)
        return pca_features(small_digits, 5)

    first = cached_curve("pca_k5", b"pca 5", small_digits, features, tmp_path, (1, 10), draws=2)
    again = cached_curve("pca_k5", b"pca 5", small_digits, features, tmp_path, (1, 10), draws=2)
    assert len(calls) == 1 and len(list(tmp_path.glob("pca_k5_embedded_*.json"))) == 1
    assert [p.accuracies for p in again] == [p.accuracies for p in first]
    assert {(p.classifier, p.per_class) for p in first} == {
        (c, n) for c in CLASSIFIERS for n in (1, 10)
    }
    cached_curve("pca_k5", b"other bytes", small_digits, features, tmp_path, (1, 10), draws=2)
    assert len(calls) == 2 and len(list(tmp_path.glob("*.json"))) == 2  # a new source misses
    next(tmp_path.glob("*.json")).write_text("not json")  # unreadable: recomputed, not raised
    cached_curve("pca_k5", b"pca 5", small_digits, features, tmp_path, (1, 10), draws=2)
    cached_curve("pca_k5", b"other bytes", small_digits, features, tmp_path, (1, 10), draws=2)
    assert len(calls) == 3


def test_the_shipped_curves_and_probes_are_those_of_the_shipped_checkpoints(digits: Dataset):
    """Each embedded checkpoint's curve and probe ships, and nothing else does (a retrained
    model's old files are pruned: ``python -m core.analysis.few_labels --precompute checkpoints
    --prune``)."""
    folder = ROOT / "checkpoints" / "few_labels"
    infos = [i for i in list_checkpoints(ROOT / "checkpoints") if i.dataset == "embedded"]
    wanted = {p.name for p in cache_files(infos, digits, folder)}
    shipped = {p.name for p in folder.glob("*_embedded_*")}
    assert "mvae_k16" in {i.name for i in infos} and len(wanted) > 20
    assert shipped == wanted, f"missing {wanted - shipped}, stale {shipped - wanted}"
