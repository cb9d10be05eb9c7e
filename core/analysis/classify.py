"""Label digits with the shipped classifier: the predicted class and how sure it is.

Used to say what an interpolated or mixed digit looks like. The classifier was trained on one
dataset's classes; ``fits`` says whether its labels mean anything for another dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.metrics import ArrayLike, class_probabilities
from core.data.datasets import DIGIT_NAMES, FASHION_NAMES
from core.models.classifier import DigitClassifier


@dataclass(eq=False)  # array fields: compare them with numpy, not ==
class Prediction:
    labels: np.ndarray  # int64 [N], the most probable class
    confidence: np.ndarray  # float64 [N], its softmax probability, in (0, 1]
    probabilities: np.ndarray  # float64 [N, 10], each row sums to 1


def predict(classifier: DigitClassifier, images: ArrayLike, batch_size: int = 500) -> Prediction:
    """Images [N, 28, 28] (float in [0, 1] or uint8) -> the classifier's labels and confidence.

    The classifier must be in eval mode (dropout and batch norm would make the output random).
    """
    probabilities = class_probabilities(classifier, images, batch_size)  # [N, 10]
    labels = probabilities.argmax(axis=1)
    return Prediction(
        labels=labels.astype(np.int64),
        confidence=np.take_along_axis(probabilities, labels[:, None], axis=1)[:, 0],
        probabilities=probabilities,
    )


def class_names(dataset: str) -> tuple[str, ...]:
    return FASHION_NAMES if dataset == "fashion-mnist" else DIGIT_NAMES


def fits(classifier: DigitClassifier, dataset: str) -> bool:
    """Whether the classifier's classes are this dataset's (a digit classifier on clothes: no)."""
    return class_names(classifier.config.dataset) == class_names(dataset)
