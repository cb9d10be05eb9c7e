"""core.analysis.classify on the shipped classifier checkpoint and real digits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.analysis.classify import fits, predict
from core.data.datasets import Dataset, to_float
from core.training.checkpoints import load_model

from .conftest import ROOT

CLASSIFIER = ROOT / "checkpoints" / "classifier.pt"


@pytest.fixture(scope="module")
def classifier():
    if not CLASSIFIER.exists():
        pytest.skip("checkpoints/classifier.pt is not shipped in this checkout")
    return load_model(CLASSIFIER)


def test_prediction_is_the_argmax_and_its_probability(classifier, digits: Dataset):
    images = digits.images[:64]
    pred = predict(classifier, images)
    assert pred.labels.shape == (64,) and pred.labels.dtype == np.int64
    assert pred.probabilities.shape == (64, 10)
    np.testing.assert_allclose(pred.probabilities.sum(1), 1.0, atol=1e-9)
    np.testing.assert_array_equal(pred.labels, pred.probabilities.argmax(1))
    np.testing.assert_array_equal(pred.confidence, pred.probabilities.max(1))
    assert (pred.confidence >= 0.1).all() and (pred.confidence <= 1).all()
    with torch.no_grad():
        logits = classifier(to_float(images))
    np.testing.assert_array_equal(pred.labels, logits.argmax(1).numpy())


def test_uint8_and_float_images_and_batches_agree(classifier, digits: Dataset):
    images = digits.images[:50]
    a = predict(classifier, images, batch_size=7)
    b = predict(classifier, to_float(images).squeeze(1).numpy())
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_allclose(a.confidence, b.confidence, atol=1e-5)


def test_the_classifier_labels_real_digits_better_than_chance(classifier, digits: Dataset):
    images, labels = digits.split("val")
    pred = predict(classifier, images)
    assert (pred.labels == labels.numpy()).mean() > 0.5  # chance is 0.1


def test_training_mode_is_refused_and_fits_matches_classes(classifier):
    assert fits(classifier, "embedded") and fits(classifier, "mnist")
    assert not fits(classifier, "fashion-mnist")
    classifier.train()
    try:
        with pytest.raises(ValueError, match="training mode"):
            predict(classifier, np.zeros((1, 28, 28), dtype=np.float32))
    finally:
        classifier.eval()
