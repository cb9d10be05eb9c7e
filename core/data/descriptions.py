"""A second modality made from the digits themselves: a short sentence per digit.

Each digit is described by four slots: its digit word and, for slant, thickness and width
(``core.analysis.attributes.measure``), the third of that attribute's distribution *within the
digit's class* it falls in ("thin" / "medium" / "thick", "slanted left" / "upright" / "slanted
right", "narrow" / "regular" / "wide"). A slot may be unspecified (-1): its words are left out
of the sentence. The sentence follows one of ``TEMPLATES``, which put the slots in different
orders and among different filler words, so a text encoder cannot key on position alone.

Slots are int64 ``[N, 4]`` (columns ``SLOTS``); token ids int64 ``[N, L]`` with 0 for padding.
The vocabulary is fixed (``VOCABULARY``); ``tokenize`` turns any other word into an
``UnknownWords`` error that names the words it knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from core.analysis.attributes import measure
from core.analysis.metrics import ArrayLike

SLOTS = ("digit", "thickness", "slant", "width")
ATTRIBUTE_SLOTS = SLOTS[1:]  # the measured ones, in the order of their thirds
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# The words of each attribute's thirds, lowest third first (slant grows as the top leans right).
THIRD_WORDS = {
    "thickness": ("thin", "medium", "thick"),
    "slant": ("slanted left", "upright", "slanted right"),
    "width": ("narrow", "regular", "wide"),
}
SLOT_WORDS = {"digit": DIGIT_WORDS, **THIRD_WORDS}
UNSPECIFIED = -1

# A template is a sequence of parts; a part is (words, slot or None). A part that names a slot
# is left out when that slot is unspecified, with the words around the slot in it ("with
# {thickness} strokes"). "{}" marks where the slot's word goes.
Template = tuple[tuple[str, str | None], ...]
TEMPLATES: tuple[Template, ...] = (
    (("a", None), ("{}", "thickness"), ("{}", "width"), ("{}", "digit"), ("{}", "slant")),
    (("{},", "digit"), ("{},", "slant"), ("{},", "thickness"), ("{}", "width")),
    (
        ("the digit", None),
        ("{},", "digit"),
        ("{},", "width"),
        ("written {}", "slant"),
        ("with {} strokes", "thickness"),
    ),
    (
        ("a", None),
        ("{}", "width"),
        ("{},", "digit"),
        ("{},", "slant"),
        ("with {} strokes", "thickness"),
    ),
)
FILLER_WORDS = ("a", "an", "the", "digit", "written", "with", "strokes", "stroke", "and")
VOCABULARY: tuple[str, ...] = tuple(
    dict.fromkeys(
        FILLER_WORDS
        + DIGIT_WORDS
        + tuple(w for words in THIRD_WORDS.values() for phrase in words for w in phrase.split())
    )
)
TOKEN_IDS = {word: i + 1 for i, word in enumerate(VOCABULARY)}  # 0 is padding
NUMERALS = {str(d): word for d, word in enumerate(DIGIT_WORDS)}  # "7" reads as "seven"


class UnknownWords(ValueError):
    """A sentence has words outside ``VOCABULARY``; ``words`` lists them in order."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        super().__init__(
            f"unknown word{'s' if len(words) > 1 else ''} {', '.join(repr(w) for w in words)}; "
            f"the words I know: {', '.join(VOCABULARY)} (and the numerals 0-9)"
        )


# --- measured attributes -> slots ---------------------------------------------------------------


@dataclass(frozen=True)
class Thirds:
    """The two cut points of each attribute's distribution within each class: float64
    ``cuts[class, attribute, 2]`` (attributes in ``ATTRIBUTE_SLOTS`` order)."""

    cuts: np.ndarray

    @classmethod
    def fit(cls, images: ArrayLike, labels: ArrayLike, classes: int = 10) -> Thirds:
        """The 1/3 and 2/3 quantiles of each attribute over the images of each class."""
        values = measure(images)
        y = np.asarray(labels)
        cuts = np.full((classes, len(ATTRIBUTE_SLOTS), 2), np.nan)
        for c in range(classes):
            for a, name in enumerate(ATTRIBUTE_SLOTS):
                v = values[name][y == c]
                if np.isfinite(v).any():
                    cuts[c, a] = np.nanquantile(v, [1 / 3, 2 / 3])
        return cls(cuts)

    def of(self, values: dict[str, np.ndarray], labels: ArrayLike) -> np.ndarray:
        """The third (0, 1, 2) of each measured attribute of each image, int64 [N, 3];
        UNSPECIFIED where a value is NaN (an empty image)."""
        y = np.asarray(labels)
        out = np.empty((len(y), len(ATTRIBUTE_SLOTS)), dtype=np.int64)
        for a, name in enumerate(ATTRIBUTE_SLOTS):
            v = np.asarray(values[name], dtype=np.float64)
            lo, hi = self.cuts[y, a, 0], self.cuts[y, a, 1]
            third = (v > lo).astype(np.int64) + (v > hi)
            out[:, a] = np.where(np.isfinite(v), third, UNSPECIFIED)
        return out


def slots_of(images: ArrayLike, labels: ArrayLike, thirds: Thirds) -> np.ndarray:
    """Every slot of each image, int64 [N, 4]: the label and the thirds of its attributes."""
    y = np.asarray(labels, dtype=np.int64)
    return np.concatenate([y[:, None], thirds.of(measure(images), y)], axis=1)


@lru_cache(maxsize=4)
def thirds_for(dataset_name: str) -> Thirds:
    """The thirds of a dataset's training split (what the shipped descriptions use)."""
    from core.data.datasets import load_dataset

    images, labels = load_dataset(dataset_name).split("train")
    return Thirds.fit(images, labels)


# --- slots -> sentences -> token ids ------------------------------------------------------------


def _article(words: list[str]) -> list[str]:
    """'a' before a vowel sound becomes 'an' ("an eight", "an upright one")."""
    return [
        "an" if w == "a" and i + 1 < len(words) and words[i + 1][0] in "aeiou" else w
        for i, w in enumerate(words)
    ]


def render(slots: ArrayLike, template: int = 0) -> str:
    """One sentence for one row of slots [4]; unspecified slots are left out."""
    values = dict(zip(SLOTS, np.asarray(slots).tolist(), strict=True))
    words: list[str] = []
    for text, slot in TEMPLATES[template]:
        if slot is None:
            words += text.split()
        elif values[slot] != UNSPECIFIED:
            words += text.format(SLOT_WORDS[slot][values[slot]]).split()
    sentence = " ".join(_article(words))
    return sentence.rstrip(",").replace(",,", ",")


def words_of(text: str) -> list[str]:
    """Lower-case words of a sentence (letters and digits), numerals read as digit words."""
    return [NUMERALS.get(w, w) for w in re.findall(r"[a-z0-9]+", text.lower())]


def tokenize(texts: list[str], length: int | None = None) -> torch.Tensor:
    """Sentences -> token ids int64 [N, L], 0-padded (L: the longest sentence, at least 1, or
    ``length``). Raises ``UnknownWords`` naming every word outside ``VOCABULARY``."""
    rows = [words_of(t) for t in texts]
    unknown = [w for row in rows for w in row if w not in TOKEN_IDS]
    if unknown:
        raise UnknownWords(list(dict.fromkeys(unknown)))
    width = length or max([1, *(len(r) for r in rows)])
    ids = torch.zeros(len(rows), width, dtype=torch.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor([TOKEN_IDS[w] for w in row[:width]], dtype=torch.int64)
    return ids


@lru_cache(maxsize=4096)  # 11 digit words x 4^3 attribute words x 4 templates, at most 2,816
def _sentence_ids(slots: tuple[int, ...], template: int) -> tuple[int, ...]:
    return tuple(TOKEN_IDS[w] for w in words_of(render(slots, template)))


def tokenize_slots(slots: np.ndarray, templates: np.ndarray) -> torch.Tensor:
    """``tokenize`` of the sentences ``render`` writes for rows of slots [N, 4] in the
    templates [N]: token ids int64 [N, L]. Each distinct sentence is written once per process
    (training asks for 64 a step)."""
    pairs = zip(slots.tolist(), templates.tolist(), strict=True)
    rows = [_sentence_ids(tuple(r), t) for r, t in pairs]
    ids = np.zeros((len(rows), max([1, *map(len, rows)])), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
    return torch.from_numpy(ids)


def parse(text: str) -> np.ndarray:
    """The slots a sentence names, int64 [4] (UNSPECIFIED for those it does not): what the
    words say, read without a model (for benches and captions)."""
    words = words_of(text)
    slots = np.full(len(SLOTS), UNSPECIFIED, dtype=np.int64)
    for s, name in enumerate(SLOTS):
        for value, phrase in enumerate(SLOT_WORDS[name]):
            if phrase.split()[-1] in words and all(w in words for w in phrase.split()):
                slots[s] = value
    return slots


def said_slots(slots: np.ndarray, gen: torch.Generator, keep: float = 0.7, keep_digit: float = 0.9):
    """(slots with some left unspecified, template per row): each slot is said with
    probability ``keep`` (the digit ``keep_digit``), and each row gets a random template."""
    n = len(slots)
    template = torch.randint(len(TEMPLATES), (n,), generator=gen).numpy()
    p = torch.tensor([keep_digit] + [keep] * len(ATTRIBUTE_SLOTS))
    said = (torch.rand(n, len(SLOTS), generator=gen) < p).numpy()
    return np.where(said, slots, UNSPECIFIED), template
