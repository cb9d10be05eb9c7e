"""What a code buys a classifier when labels are few: a learning curve over labels per class.

``learning_curve(train, train_labels, val, val_labels)`` trains logistic regression and 1-NN on
1, 5, 10, 50 and 100 labelled training examples per class, several random draws each, and scores
them on the whole validation split. Features are any float matrix ``[N, d]``: raw pixels, PCA
components, or a model's codes; the unlabelled training features are what a code is learnt from,
so they may also set the standardisation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from core.metrics import ArrayLike, to_numpy

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
