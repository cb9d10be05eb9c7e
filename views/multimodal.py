"""One space, two kinds of input: a multimodal VAE puts pictures and sentences in one latent
space. Type a sentence and see where it lands among the digits and what it draws; point at a
digit (or upload or draw one) and read the sentence the model writes for it; walk from a
sentence to a digit. Every number comes from ``ui.compute``."""

from __future__ import annotations

import streamlit as st

from ui import digit_input, images, map_explorer, pickers, state, widgets
from ui.compute import multimodal, resources
from ui.explorer import overlay

DEFAULT_MVAE = "mvae_k16"
DEFAULT_SENTENCE = "a thick seven, slanted right"
SOURCES = {"map": "Clicked on the map", "yours": "Upload or draw"}
WALK_COLUMNS = 4  # the walk in two rows: each step's sentence needs the width

state.init(
    mm_sentence=DEFAULT_SENTENCE,
    mm_seed=0,
    mm_selected=None,  # a dataset index clicked on the map
    mm_mounted=None,  # (what the explorer shows, the index it was mounted with)
    mm_source="map",
)

selection = state.current()
noun = selection.noun
st.title("One space, two kinds of input")
st.markdown(
    "A **multimodal VAE** (Wu & Goodman 2018) has one encoder per kind of input, a picture "
    "$q(z\\mid x)$ and a sentence $q(z\\mid t)$, and one latent space. Given both, or either "
    "alone, the posterior is the **product of experts** $p(z)\\,q(z\\mid x)\\,q(z\\mid t)$: a "
    "missing input is a missing factor. Both decoders read the same $z$: the picture's and "
    "one that writes each word of a sentence."
)
info = pickers.model_of_kind(selection, "mvae", key="mm_model", default=DEFAULT_MVAE)
data = resources.dataset(selection.dataset)
labels = data.labels.numpy()
class_names = data.class_names

# --- a sentence ---------------------------------------------------------------------------------

left, right = st.columns([3, 1], gap="medium")
sentence = left.text_input(
    "A sentence about a digit",
    key="mm_sentence",
    help=f"The words the model knows: {multimodal.multimodal_vocabulary()} (and the numerals 0-9). "
    "Words you leave out are unspecified.",
)
with right:
    seed_column, next_column = st.columns([3, 2], vertical_alignment="bottom")
    seed = widgets.seed_input(
        seed_column, "mm_seed", button=(next_column, "Next", "mm_next"), icon=":material/casino:"
    )
reading = multimodal.read_sentence(info, sentence)
if reading.problem is not None:
    st.warning(f"Nothing drawn: {reading.problem}.", icon=":material/spellcheck:")
elif reading.empty:
    st.info(
        "An empty sentence gives no text expert: the posterior is the prior N(0, I) alone, so "
        f"these are {noun}s drawn from the prior.",
        icon=":material/info:",
    )
else:
    words = multimodal.slot_words(reading.slots)
    st.caption(" · ".join(f"{slot}: **{word}**" for slot, word in words.items()))

# --- the map: digits as dots, sentences as markers ------------------------------------------

# t-SNE first: it keeps each digit its own island, so a sentence is seen to land in one
method = pickers.map_picker(st, "Projection", info, key="mm_method", preferred=["tsne", "pca"])
shown = (info.name, selection.dataset, method)
mounted = st.session_state["mm_mounted"]
if mounted is None or mounted[0] != shown or state.entering("multimodal"):
    mounted = (shown, st.session_state["mm_selected"])
    st.session_state["mm_mounted"] = mounted

overlays = [
    overlay(
        multimodal.digit_sentence_markers(info, selection.dataset, method),
        "ring",
        label='sentences "a zero" … "a nine"',
    )
]
if reading.problem is None and not reading.empty:
    place, nearest = multimodal.sentence_on_map(info, selection.dataset, method, sentence)
    overlays.append(overlay(place[None], "star", label="your sentence"))


@st.fragment
def map_and_panel(mounted: tuple, overlays: list) -> None:
    event = map_explorer.checkpoint_map(
        info,
        selection.dataset,
        method,
        class_names,
        key="mm_explorer",
        overlays=overlays,
        selected=mounted[1],
    )
    if event.click is not None and event.click["index"] is not None:
        st.session_state["mm_selected"] = int(event.click["index"])
        st.rerun()  # the whole page: the walk below goes to the digit clicked
    index = st.session_state["mm_selected"]
    if index is None:
        st.info(f"Click a dot: the model writes a sentence for that {noun}.")
        return
    digit = data.images[index].numpy()
    said = multimodal.describe_digit(info, selection.dataset, digit, int(labels[index]))
    picture, words = st.columns([1, 4], gap="medium")
    with picture:
        images.digit_row([digit], [f"#{index} · label {class_names[labels[index]]}"], scale=4)
    with words:
        st.markdown(f"For {noun} #{index} the model writes: **“{said.sentence}”**")
        st.dataframe(multimodal.description_table(said), hide_index=True, key="mm_table")


map_and_panel(mounted, overlays)

# --- what the sentence draws ------------------------------------------------------------------

if reading.problem is None:
    st.header("What the sentence draws")
    drawn = multimodal.sentence_samples(info, sentence, seed)
    where = "the prior" if reading.empty else "q(z | t)"
    images.digit_row(drawn, [f"z ~ {where}"] * len(drawn), scale=3)
    if not reading.empty:
        st.markdown(f"**The 5 {noun}s whose codes are nearest to the sentence's code**")
        images.digit_row(
            data.images[nearest].numpy(), [class_names[labels[j]] for j in nearest], scale=2
        )

# --- a digit's sentence, and the walk from the sentence to it -------------------------------

st.header(f"Your {noun} in words")
source = st.radio(
    f"Which {noun}", list(SOURCES), key="mm_source", format_func=SOURCES.get, horizontal=True
)
if source == "yours":
    result = digit_input.render(noun)
    digit, label = (None, None) if result is None else (result.digit, None)
else:
    index = st.session_state["mm_selected"]
    digit, label = (None, None) if index is None else (data.images[index].numpy(), labels[index])
    if digit is None:
        st.info(f"Click a {noun} on the map above, or upload or draw one.")
if digit is not None and source == "yours":  # the clicked digit's words are beside the map
    said = multimodal.describe_digit(info, selection.dataset, digit, label)
    st.markdown(f"For your {noun} the model writes: **“{said.sentence}”**")
    st.dataframe(multimodal.description_table(said), hide_index=True, key="mm_your_table")
    st.caption(
        f"Your {noun} has no label: its attributes' thirds are cut within the class of the "
        f"{noun} word the model wrote."
    )
if digit is not None and reading.problem is None and not reading.empty:
    st.subheader(f"From the sentence to the {noun}")
    steps, written = multimodal.sentence_walk(info, sentence, digit)
    images.digit_row(steps, written, columns=WALK_COLUMNS, scale=3, width=28 * 3)
    st.caption(
        f"A straight line from E[z | “{sentence}”] to this {noun}'s code E[z | x], decoded "
        "at each step; under each step, the sentence the model writes for it."
    )
