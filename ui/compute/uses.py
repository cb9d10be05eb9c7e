"""What a code is good for: attributes and latent arithmetic (Attributes) and classifiers
that have few labels (Few labels)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import torch

from core.analysis import attributes, compare, few_labels
from core.latent.operations import decode_points, encode_images
from core.training.checkpoints import CheckpointInfo
from ui.compute.cache import per_checkpoint, version
from ui.compute.codes import encode
from ui.compute.maps import latents_and_projection, map_methods
from ui.compute.resources import checkpoints, dataset, few_labels_dir, labels_of, model

# --- attributes and latent arithmetic (issue 14) ----------------------------------------------

IDENTITY_MIN_DIM = 10  # a direction that holds 9 discriminant scores fixed needs k >= 10
# What each direction is, with {noun} for what the dataset holds ("digit" or "item").
DIRECTIONS = {
    "plain": "Plain: the regression of the attribute on the codes.",
    "scores held": "Keeps the {noun}: the within-class regression, with the nine class-"
    "discriminant scores of the code held fixed.",
    "class edit": "Keeps the {noun}: for the {noun}'s class, the mean change of the code when "
    "its training {noun}s are sheared (slant) or dilated (thickness).",
    "own edit": "Keeps the {noun}: the change of this {noun}'s own code when it is sheared "
    "(slant) or dilated (thickness).",
}
BEST_KEEPING = {"slant": "own edit", "thickness": "scores held"}  # bench/uses.py, part 2


@st.cache_data(show_spinner="Measuring the training digits…", max_entries=4)
def attribute_values(dataset_name: str) -> dict[str, np.ndarray]:
    """Each attribute (``core.analysis.attributes.ATTRIBUTES``) of the training digits: name ->
    [N_train]."""
    return attributes.measure(dataset(dataset_name).split("train")[0])


@per_checkpoint(show_spinner="Encoding the training digits…", max_entries=8)
def training_codes(info: CheckpointInfo, dataset_name: str) -> np.ndarray:
    """Codes [N_train, k] of the training split: what directions are fitted on."""
    return encode_images(model(info), dataset(dataset_name).split("train")[0])


def direction_names(info: CheckpointInfo, attribute: str) -> list[str]:
    """The directions of ``DIRECTIONS`` this model and attribute have: "scores held" needs
    k >= IDENTITY_MIN_DIM, "class edit" and "own edit" an edit of the attribute (slant,
    thickness)."""
    names = ["plain"]
    if info.latent_dim >= IDENTITY_MIN_DIM:
        names.append("scores held")
    if attribute in attributes.EDITS:
        names += ["class edit", "own edit"]
    return names


def _encoder_of_floats(info: CheckpointInfo):
    def encode_floats(x: np.ndarray) -> np.ndarray:  # edited images in [0, 1] -> codes
        return encode_images(model(info), torch.from_numpy(x).float())

    return encode_floats


@per_checkpoint(show_spinner="Fitting the direction on the training digits…", max_entries=32)
def attribute_direction(
    info: CheckpointInfo, dataset_name: str, attribute: str, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """(unit directions [C, k], std of the training codes projected on each [C]: the unit of
    the walk). One row for "plain" and "scores held", one per class for "class edit" ("own edit"
    is the digit's own: ``attribute_walk`` makes it)."""
    codes = training_codes(info, dataset_name)
    images, labels = dataset(dataset_name).split("train")
    values = attribute_values(dataset_name)[attribute]
    if name == "plain":
        v = attributes.direction(codes, values)[None]
    elif name == "scores held":
        v = attributes.class_preserving_direction(codes, values, labels.numpy())[None]
    else:
        classes = len(dataset(dataset_name).class_names)
        encode_floats = _encoder_of_floats(info)
        v = attributes.class_edit_directions(encode_floats, images, labels, attribute, classes)
    return v, attributes.projected_std(codes, v)


@per_checkpoint(show_spinner=False, max_entries=64)
def attribute_walk(
    info: CheckpointInfo,
    dataset_name: str,
    attribute: str,
    index: int,
    alphas: tuple,
    names: tuple,
) -> dict[str, dict[str, Any]]:
    """Digit ``index`` moved to z + alpha s v for each alpha (in std units s) along each named
    direction: name -> {"images" [A, 28, 28], "values" [A] (the attribute measured on them),
    "labels" [A] and "confidence" [A] (the classifier's, absent without one), "class": the
    class whose direction "class edit" took (read by the classifier on g(z), else the label)}."""
    data = dataset(dataset_name)
    z = encode(info, data.images[index].numpy())
    read = labels_of(decode_points(model(info), z[None]), dataset_name)
    own_class = int(read.labels[0]) if read is not None else int(data.labels[index])
    out = {}
    for name in names:
        if name == "own edit":
            own = data.images[index].numpy()[None]
            v = attributes.local_directions(_encoder_of_floats(info), own, attribute)[0]
            scale = attributes.projected_std(training_codes(info, dataset_name), v)
        else:
            directions, scales = attribute_direction(info, dataset_name, attribute, name)
            row = own_class if len(directions) > 1 else 0
            v, scale = directions[row], scales[row]
        codes = z[None] + np.asarray(alphas)[:, None] * scale * v[None]  # [A, k]
        decoded = decode_points(model(info), codes.astype(np.float32))
        out[name] = {"images": decoded, "values": attributes.measure(decoded)[attribute]}
        out[name]["class"] = own_class
        seen = labels_of(decoded, dataset_name)
        if seen is not None:
            out[name] |= {"labels": seen.labels, "confidence": seen.confidence}
    return out


def group_vector(
    info: CheckpointInfo, dataset_name: str, group_a: Sequence[int], group_b: Sequence[int]
) -> np.ndarray:
    """Mean code of the map digits of group a minus that of group b, [k] (not normalised:
    Latent Space Cartography's attribute vector keeps the groups' distance)."""
    latents = latents_and_projection(info, dataset_name, map_methods(info)[0])[0]
    return attributes.group_vector(latents[list(group_a)], latents[list(group_b)])


@per_checkpoint(show_spinner=False, max_entries=32)
def vector_walk(
    info: CheckpointInfo, dataset_name: str, index: int, vector: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray, Any]:
    """Digit ``index`` plus t * vector for t from 0 to 1: (t [steps], images [steps, 28, 28],
    the classifier's Prediction or None)."""
    z = encode(info, dataset(dataset_name).images[index].numpy())
    ts = np.linspace(0.0, 1.0, steps)
    decoded = decode_points(model(info), (z[None] + ts[:, None] * vector[None]).astype(np.float32))
    return ts, decoded, labels_of(decoded, dataset_name)


@per_checkpoint(show_spinner=False, max_entries=32)
def analogy(
    info: CheckpointInfo, dataset_name: str, a: int, b: int, c: int
) -> tuple[np.ndarray, Any]:
    """decode(f(a) - f(b) + f(c)) of three dataset digits: (image [28, 28], Prediction or None)."""
    images_ = dataset(dataset_name).images[[a, b, c]].numpy()
    za, zb, zc = encode_images(model(info), images_)
    decoded = decode_points(model(info), (za - zb + zc)[None])
    return decoded[0], labels_of(decoded, dataset_name)


# --- few labels (issue 14) --------------------------------------------------------------------


def few_labels_sources(dataset_name: str) -> list[CheckpointInfo]:
    """The checkpoints of this dataset whose models encode digits (AE, VAE, and any kind with an
    ``encode``, a conditional one included), smallest code first."""
    infos = [i for i in checkpoints() if i.dataset == dataset_name]
    return sorted(
        [i for i in infos if hasattr(model(i), "encode")], key=lambda i: (i.latent_dim, i.name)
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _few_labels_curve(
    name: str, dataset_name: str, k: int, key: tuple | None, _info: CheckpointInfo | None
) -> list[dict[str, Any]]:
    data = dataset(dataset_name)
    if _info is not None:
        source, features = (
            Path(_info.path).read_bytes(),
            lambda: few_labels.code_features(model(_info), data),
        )
    elif k:
        source, features = f"pca {k}".encode(), lambda: few_labels.pca_features(data, k)
    else:
        source, features = b"pixels", lambda: few_labels.pixel_features(data)
    points = few_labels.cached_curve(name, source, data, features, few_labels_dir())
    return [p.as_dict() for p in points]


def few_labels_table(
    dataset_name: str, progress: Callable[[float, str], None] | None = None
) -> list[dict[str, Any]]:
    """One row per (features, classifier, labels per class): features, family, k, conditional,
    classifier, per_class, mean, std. Raw pixels, PCA at every code size, every encoder.
    Read from checkpoints/few_labels when shipped, else computed (about 10 s per feature set)
    with ``progress(fraction, text)`` told before each."""
    infos = few_labels_sources(dataset_name)
    jobs: list[tuple[str, str, int, CheckpointInfo | None]] = [("pixels", "pixels", 0, None)]
    jobs += [(f"pca_k{k}", "PCA", k, None) for k in sorted({i.latent_dim for i in infos})]
    jobs += [(i.name, compare.family(i), i.latent_dim, i) for i in infos]
    rows = []
    for n, (name, family, k, info) in enumerate(jobs):
        if progress is not None:
            progress(n / len(jobs), f"Learning curve of {name} ({n + 1} of {len(jobs)})…")
        key = version(info) if info is not None else None
        conditional = info is not None and few_labels.is_conditional(model(info))
        for point in _few_labels_curve(name, dataset_name, k, key, info):
            row = {"features": name, "family": family, "k": k or 784, "conditional": conditional}
            rows.append(row | {c: point[c] for c in ("classifier", "per_class", "mean", "std")})
    if progress is not None:
        progress(1.0, "Done.")
    return rows


def few_labels_reading(
    rows: list[dict[str, Any]], classifier: str, per_class: int
) -> tuple[dict[str, Any] | None, float, list[dict[str, Any]]]:
    """What the curves say at ``per_class`` labels: (the best code's row, None when there is no
    code; the pixels' accuracy; the rows of codes whose encoder was given the label)."""
    at = [r for r in rows if r["classifier"] == classifier and r["per_class"] == per_class]
    codes = [r for r in at if r["family"] not in ("pixels", "PCA") and not r["conditional"]]
    pixels = next(r["mean"] for r in at if r["features"] == "pixels")
    best = max(codes, key=lambda r: r["mean"]) if codes else None
    return best, pixels, [r for r in at if r["conditional"]]


def needs_label(info: CheckpointInfo) -> bool:
    """Whether the checkpoint's encoder is given the label too (a conditional model's code)."""
    return few_labels.is_conditional(model(info))
