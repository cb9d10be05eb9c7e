"""The Attributes and Few labels pages under real Streamlit (AppTest) on the shipped checkpoints:
no exception, widgets by key, the numbers they draw, and bad input answered with a sentence."""

from __future__ import annotations

import re

from .apptest import open_page


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


# --- Attributes -------------------------------------------------------------------------------


def test_attributes_page_walks_both_directions_and_the_slider_moves_the_code():
    at = open_page("views/attributes.py", app_model="ae_k16")
    captions = texts(at.caption)
    assert "Plain: the regression" in captions
    assert "the change of this digit's own code when it is sheared" in captions  # slant's best
    assert at.radio(key="attr_keep").value == "own edit"
    spans = re.findall(r"slant \(shear\) from (-?[\d.]+) to (-?[\d.]+)", captions)
    assert len(spans) == 2 and all(float(a) < float(b) for a, b in spans)  # both walks: more slant
    assert captions.count("the classifier reads the same digit as at α = 0 on") == 2
    assert texts(at.markdown).count("At α = +1.00: slant **") == 2  # the slider's default
    at.slider(key="attr_alpha").set_value(-2.0).run()
    assert not at.exception
    assert texts(at.markdown).count("At α = -2.00: slant **") == 2
    at.radio(key="attr_keep").set_value("class edit").run()
    assert "This digit walks class 7's." in texts(at.caption)
    at.radio(key="attr_keep").set_value("scores held").run()
    assert "class-discriminant scores of the code held fixed" in texts(at.caption)
    at.radio(key="attr_attribute").set_value("thickness").run()
    assert not at.exception and "thickness (px) from" in texts(at.caption)
    at.selectbox(key="attr_digit_class").set_value(3).run()
    at.number_input(key="attr_digit_nth").set_value(4).run()
    assert not at.exception


def test_attributes_refuses_a_gan_with_a_sentence():
    at = open_page("views/attributes.py", app_model="gan_k32")
    assert "is a GAN: it has no encoder" in texts(at.info)
    assert not at.get("plotly_chart")


def test_a_2d_code_keeps_the_digit_only_where_an_edit_exists():
    at = open_page("views/attributes.py", app_model="vae_k2")
    assert at.radio(key="attr_keep").options == ["the class's mean edit", "its own edit"]
    at.radio(key="attr_attribute").set_value("width").run()
    assert not at.exception
    assert "Keeps the digit" not in texts(at.caption)
    assert "No direction here keeps the digit" in texts(at.info)


def test_an_empty_group_selection_gets_a_message():
    at = open_page("views/attributes.py", app_model="ae_k16")
    assert "0 digits selected on the map." in texts(at.caption)
    at.button(key="attr_set_a").click().run()
    assert not at.exception
    assert "Nothing is selected" in texts(at.warning)
    assert at.session_state["attr_group_a"] == []
    assert "Select both groups" in texts(at.info)


def test_two_groups_make_a_vector_and_an_analogy_is_read(digits):
    labels = digits.labels.numpy()  # the embedded map shows every digit: same indices
    sevens, ones = ([int(i) for i in (labels == c).nonzero()[0][:3]] for c in (7, 1))
    at = open_page(
        "views/attributes.py", app_model="ae_k16", attr_group_a=sevens, attr_group_b=ones
    )
    markdown = texts(at.markdown)
    assert "**Group A**: 3 digits (7 ×3)" in markdown and "**Group B**: 3 digits" in markdown
    assert "|mean A − mean B| =" in markdown
    assert "read as **" in markdown  # the analogy's digit, labelled
    at.button(key="attr_clear").click().run()
    assert at.session_state["attr_group_a"] == [] and "Select both groups" in texts(at.info)


# --- Few labels -------------------------------------------------------------------------------


def test_few_labels_page_reads_the_shipped_curves():
    at = open_page("views/few_labels.py")
    reading = texts(at.markdown)
    assert "A good code is a better starting point than pixels" in reading
    table = at.dataframe[0].value
    assert {"pixels", "pca_k16", "ae_k16", "vae_k16"} <= set(table["features"])
    assert list(table.columns[-5:]) == [f"{n} per class" for n in (1, 5, 10, 50, 100)]
    assert "±" in table.iloc[0]["10 per class"]
    at.radio(key="few_classifier").set_value("1-nn").run()
    assert not at.exception and at.dataframe[0].value.shape == table.shape
