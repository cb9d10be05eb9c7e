"""One space, two kinds of input under real Streamlit (AppTest) on the shipped mvae_k16: a
sentence lands on the map, unknown words and an empty sentence are answered with a sentence,
a clicked digit gets the model's description, and the walk from a sentence to a digit."""

from __future__ import annotations

from .apptest import component_data, open_page

PAGE = "views/multimodal.py"


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


def marks(at) -> dict[str, dict]:
    return {m.get("label", m["kind"]): m for m in component_data(at, "mm_explorer")["overlays"]}


def test_a_sentence_lands_on_the_map_and_draws_its_digits():
    at = open_page(PAGE)
    assert at.text_input(key="mm_sentence").value == "a thick seven, slanted right"
    shown = marks(at)
    assert len(shown["your sentence"]["points"]) == 1
    assert len(shown['sentences "a zero" … "a nine"']["points"]) == 10
    caption = texts(at.caption)
    assert "digit: **seven**" in caption and "slant: **slanted right**" in caption
    assert "What the sentence draws" in [h.value for h in at.header]
    images = len(at.get("imgs"))
    at.button(key="mm_next").click().run()  # the next seed: other draws, the same layout
    assert not at.exception and at.number_input(key="mm_seed").value == 1
    assert len(at.get("imgs")) == images


def test_unknown_words_list_the_vocabulary_and_an_empty_sentence_samples_the_prior():
    at = open_page(PAGE)
    at.text_input(key="mm_sentence").set_value("a fat seven, very fat").run()
    assert not at.exception
    warning = texts(at.warning)
    assert "unknown words 'fat', 'very'" in warning and "thick" in warning
    assert "your sentence" not in marks(at)
    at.text_input(key="mm_sentence").set_value("").run()
    assert not at.exception
    assert "the posterior is the prior N(0, I)" in texts(at.info)
    assert "your sentence" not in marks(at)


def test_a_clicked_digit_gets_a_sentence_and_a_walk_from_the_sentence():
    at = open_page(PAGE, mm_selected=7)
    assert not at.exception
    assert "For digit #7 the model writes: **“" in texts(at.markdown)
    table = at.dataframe[0].value  # the panel beside the map
    assert list(table["slot"]) == ["digit", "thickness", "slant", "width"]
    assert "From the sentence to the digit" in [h.value for h in at.subheader]


def test_your_digit_gets_a_sentence_cut_within_the_class_the_model_wrote(digits):
    from core.data.preprocess import preprocess_array

    images, labels = digits.split("val")
    seven = images[int((labels == 7).nonzero()[0, 0])].numpy()
    at = open_page(PAGE, mm_source="yours", reconstruct_input=preprocess_array(seven))
    assert not at.exception
    assert "For your digit the model writes: **“" in texts(at.markdown)
    table = at.dataframe[0].value
    # no label: the thirds are cut within the class of the digit word the model wrote
    assert table["measured on the digit"][0] == "(the model's digit)"
    assert table["its word"][0] == table["the model wrote"][0]
    assert "From the sentence to the digit" in [h.value for h in at.subheader]
