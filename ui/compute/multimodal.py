"""One space, two kinds of input: a multimodal VAE's codes of sentences and of digits, where a
sentence lands on the map, the digits it draws, the sentence it writes for a digit and the
walk from one to the other (the "One space, two kinds of input" page)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st
import torch

from core.analysis.attributes import measure
from core.data import descriptions as text
from core.latent.operations import decode_points, encode_images, interpolate
from core.training.checkpoints import CheckpointInfo
from core.training.devices import one_thread
from ui.compute.cache import per_checkpoint
from ui.compute.maps import latents_and_projection, place
from ui.compute.resources import dataset, model

SAMPLES = 6  # digits drawn from a sentence's posterior per "next"
WALK_STEPS = 8
DIGIT_SENTENCES = tuple(f"a {word}" for word in text.DIGIT_WORDS)  # the markers of each digit


@dataclass(frozen=True)
class Reading:
    """What the model makes of a sentence: its posterior q(z|t) (mean and std [k]), what the
    words say (slots [4], -1 unspecified), or the problem with the words (then no code)."""

    sentence: str
    mu: np.ndarray | None
    std: np.ndarray | None
    slots: np.ndarray | None
    problem: str | None = None

    @property
    def empty(self) -> bool:
        """No word at all: the posterior is the prior N(0, I)."""
        return self.problem is None and not text.words_of(self.sentence)


@per_checkpoint(show_spinner=False, max_entries=256)
def read_sentence(info: CheckpointInfo, sentence: str) -> Reading:
    """q(z|t) of one sentence; unknown words give a Reading with the problem and no code."""
    try:
        with one_thread(), torch.no_grad():
            q = model(info).text_posterior([sentence])
    except text.UnknownWords as exc:
        return Reading(sentence, None, None, None, str(exc))
    mu, std = q.mu[0].numpy(), torch.exp(0.5 * q.logvar[0]).numpy()
    return Reading(sentence, mu, std, text.parse(sentence))


@per_checkpoint(show_spinner=False, max_entries=64)
def sentence_samples(info: CheckpointInfo, sentence: str, seed: int) -> np.ndarray:
    """SAMPLES digits g(z), z ~ q(z|t) drawn with ``seed``: float [SAMPLES, 28, 28]."""
    reading = read_sentence(info, sentence)
    eps = np.random.default_rng(seed).standard_normal((SAMPLES, len(reading.mu)))
    z = (reading.mu + reading.std * eps).astype(np.float32)
    with one_thread():
        return decode_points(model(info), z)


@per_checkpoint(show_spinner=False, max_entries=64)
def sentence_on_map(
    info: CheckpointInfo, dataset_name: str, method: str, sentence: str
) -> tuple[np.ndarray, np.ndarray]:
    """(the sentence's code placed on the map [2], the 5 map digits nearest to that code)."""
    reading = read_sentence(info, sentence)
    latents, _ = latents_and_projection(info, dataset_name, method)
    nearest = np.argsort(np.linalg.norm(latents - reading.mu, axis=1))[:5]
    return place(info, dataset_name, method, reading.mu[None])[0], nearest


@per_checkpoint(show_spinner=False, max_entries=8)
def digit_sentence_markers(info: CheckpointInfo, dataset_name: str, method: str) -> np.ndarray:
    """Where the sentences "a zero" ... "a nine" land on the map: [10, 2]."""
    with one_thread(), torch.no_grad():
        codes = model(info).encode_text(list(DIGIT_SENTENCES)).numpy()
    return place(info, dataset_name, method, codes)


@st.cache_resource(show_spinner="Measuring the training digits…", max_entries=4)
def description_thirds(dataset_name: str) -> text.Thirds:
    """The cut points of each attribute's thirds within each class of the training split:
    what the descriptions the model learnt from mean by "thin", "wide", "slanted left"."""
    return text.Thirds.fit(*dataset(dataset_name).split("train"))


@dataclass(frozen=True)
class Description:
    """The sentence the model writes for a digit, beside what is measured on it."""

    sentence: str
    slots: np.ndarray  # int64 [4], what the model wrote
    measured: dict[str, float]  # slant, thickness, width of the digit itself
    measured_slots: np.ndarray  # int64 [4]: the label (or the model's digit) and the thirds
    label_known: bool  # False: the thirds are cut within the class the model wrote


@per_checkpoint(show_spinner=False, max_entries=256)
def describe_digit(
    info: CheckpointInfo, dataset_name: str, digit: np.ndarray, label: int | None
) -> Description:
    """The model's sentence for one uint8 digit [28, 28] and its measured attributes' thirds
    (cut within the class ``label``, or the class the model wrote when the digit has none)."""
    m = model(info)
    with one_thread(), torch.no_grad():
        z = torch.from_numpy(encode_images(m, digit[None]))
        slots = m.decode_slots(z)[0].numpy()
    values = measure(digit[None])
    klass = int(slots[0]) if label is None else int(label)
    thirds = description_thirds(dataset_name).of(values, np.array([klass]))[0]
    return Description(
        text.render(slots),
        slots,
        {a: float(values[a][0]) for a in text.ATTRIBUTE_SLOTS},
        np.concatenate([[klass], thirds]),
        label is not None,
    )


@per_checkpoint(show_spinner=False, max_entries=64)
def sentence_walk(
    info: CheckpointInfo, sentence: str, digit: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """The straight walk from a sentence's code to a digit's code: (the decoded steps float
    [WALK_STEPS, 28, 28], the sentence the model writes at each step)."""
    m = model(info)
    start = read_sentence(info, sentence).mu
    with one_thread(), torch.no_grad():
        end = encode_images(m, digit[None])[0]
        path = interpolate(start, end, WALK_STEPS, "linear")
        written = [text.render(s) for s in m.decode_slots(torch.from_numpy(path)).numpy()]
        return decode_points(m, path), written


def multimodal_vocabulary() -> str:
    """The words the model knows, for the page's help."""
    return ", ".join(text.VOCABULARY)


def slot_words(slots: np.ndarray) -> dict[str, str]:
    """slots [4] -> {slot: word or "unspecified"}."""
    return {
        name: text.SLOT_WORDS[name][v] if v != text.UNSPECIFIED else "unspecified"
        for name, v in zip(text.SLOTS, np.asarray(slots).tolist(), strict=True)
    }


def description_table(said: Description) -> pd.DataFrame:
    """One row per slot: what the model wrote, what is measured on the digit, and its word."""
    wrote, measured = slot_words(said.slots), slot_words(said.measured_slots)
    return pd.DataFrame(
        {
            "slot": list(text.SLOTS),
            "the model wrote": list(wrote.values()),
            "measured on the digit": ["label" if said.label_known else "(the model's digit)"]
            + [f"{said.measured[a]:.2f}" for a in text.ATTRIBUTE_SLOTS],
            "its word": list(measured.values()),
            "agree": [w == m for w, m in zip(wrote.values(), measured.values(), strict=True)],
        }
    )
