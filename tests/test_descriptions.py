"""The second modality: descriptions of digits from their label and measured attributes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from core.analysis.attributes import measure, shear, thicken
from core.data import descriptions as text


@pytest.fixture(scope="module")
def thirds(digits) -> text.Thirds:
    return text.Thirds.fit(*digits.split("train"))


def test_thirds_split_each_class_in_three(digits, thirds):
    images, labels = digits.split("train")
    slots = text.slots_of(images, labels, thirds)
    assert (slots[:, 0] == labels.numpy()).all()
    for a in range(len(text.ATTRIBUTE_SLOTS)):
        share = np.bincount(slots[:, 1 + a], minlength=3) / len(slots)
        # thirds by construction; width is whole pixels, so ties move a few percent
        assert share.min() > 0.2, (text.ATTRIBUTE_SLOTS[a], share)


def test_known_images_give_known_words(digits, thirds):
    """An upright digit sheared to the right reads "slanted right", to the left "slanted
    left"; dilated twice it reads "thick"; the widest and narrowest of a class read as such."""
    images, labels = digits.split("val")
    values = measure(images)
    sevens = np.flatnonzero(labels.numpy() == 7)
    middle = sevens[np.argsort(values["slant"][sevens])[len(sevens) // 2]]
    x, y = images[middle : middle + 1].numpy(), np.array([7])

    def words(image: np.ndarray) -> dict[str, str]:
        slots = text.slots_of(image, y, thirds)[0]
        return {s: text.SLOT_WORDS[s][v] for s, v in zip(text.SLOTS, slots, strict=True)}

    assert words(shear(x, 0.5))["slant"] == "slanted right"
    assert words(shear(x, -0.5))["slant"] == "slanted left"
    assert words(thicken(x, 2))["thickness"] == "thick"
    assert words(x)["digit"] == "seven"
    widest = sevens[np.argmax(values["width"][sevens])]
    narrowest = sevens[np.argmin(values["width"][sevens])]
    assert words(images[widest : widest + 1].numpy())["width"] == "wide"
    assert words(images[narrowest : narrowest + 1].numpy())["width"] == "narrow"


def test_every_sentence_says_its_slots():
    """Every template with every choice of words, unspecified included, reads back as the
    slots it was written from, and is made of vocabulary words only."""
    choices = [range(-1, 10, 3)] + [range(-1, 3)] * 3
    for slots in itertools.product(*choices):
        for template in range(len(text.TEMPLATES)):
            sentence = text.render(np.array(slots), template)
            assert (text.parse(sentence) == slots).all(), (sentence, slots)
            text.tokenize([sentence])  # no UnknownWords


def test_tokenize_slots_gives_what_tokenize_gives_the_rendered_sentences():
    """Training's shortcut (each distinct sentence written once) changes no token."""
    rng = np.random.default_rng(0)
    slots = np.concatenate([rng.integers(-1, 10, (200, 1)), rng.integers(-1, 3, (200, 3))], axis=1)
    slots[0] = text.UNSPECIFIED  # an empty sentence among them
    templates = rng.integers(0, len(text.TEMPLATES), 200)
    sentences = [text.render(row, t) for row, t in zip(slots, templates, strict=True)]
    assert torch.equal(text.tokenize_slots(slots, templates), text.tokenize(sentences))
    assert text.tokenize_slots(slots[:1], templates[:1]).shape == (1, 1)  # padding only


def test_templates_put_the_digit_in_different_places():
    slots = np.array([7, 2, 0, 1])
    places = {
        text.words_of(text.render(slots, t)).index("seven") for t in range(len(text.TEMPLATES))
    }
    assert len(places) >= 3


def test_tokenize_pads_reads_numerals_and_refuses_unknown_words():
    ids = text.tokenize(["a thick 7", "", "A THICK SEVEN"])
    assert ids.shape == (3, 3) and ids.dtype.is_floating_point is False
    assert (ids[1] == 0).all()  # an empty sentence is all padding
    assert (ids[0] == ids[2]).all()  # numerals and case do not matter
    with pytest.raises(text.UnknownWords) as caught:
        text.tokenize(["a fat seven, very fat"])
    assert caught.value.words == ["fat", "very"]
    assert "thick" in str(caught.value) and "slanted" in str(caught.value)


def test_articles_follow_the_next_word():
    assert text.render(np.array([8, -1, -1, -1])) == "an eight"
    assert text.render(np.array([7, -1, 1, -1]), 3) == "a seven, upright"


def test_said_slots_hide_words_at_the_rates_asked(digits, thirds):
    slots = text.slots_of(*digits.split("val"), thirds)
    said, template = text.said_slots(slots, torch.Generator().manual_seed(0))
    kept = (said != text.UNSPECIFIED).mean(axis=0)
    assert abs(kept[0] - 0.9) < 0.05 and all(abs(k - 0.7) < 0.06 for k in kept[1:])
    assert set(template) == set(range(len(text.TEMPLATES)))
    shown = said != text.UNSPECIFIED
    assert (said[shown] == slots[shown]).all()
