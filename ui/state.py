"""The selection every page reads (dataset and model, chosen in ``ui.sidebar``), the session
and the URL: widget values kept valid (``pick``), a link's parameters read and refused in one
sentence, the pair clicked on the map, which page a run shows. (The pickers a page draws are in
``ui.pickers``, the sidebar in ``ui.sidebar``, the explorer mounted on a map in
``ui.map_explorer`` and ``ui.twin_sides``.)

Session-state keys are prefixed by page (``app_`` for the shared ones); the URL's query
parameters mirror the selection so that a link reopens the same view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.data.datasets import noun_of
from core.models.registry import ENCODER_KINDS, GENERATIVE_KINDS
from core.training.checkpoints import CheckpointInfo
from ui.compute import resources


@dataclass(frozen=True)
class Selection:
    dataset: str
    model: CheckpointInfo | None  # None when no model was trained on this dataset yet

    @property
    def has_encoder(self) -> bool:
        return self.model is not None and self.model.kind in ENCODER_KINDS

    @property
    def noun(self) -> str:
        """What one image of the dataset is called on the pages: "digit" or "item"."""
        return noun_of(self.dataset)


def init(**values: Any) -> None:
    """A page's widget values on a session's first visit; later runs keep the user's."""
    for key, value in values.items():
        st.session_state.setdefault(key, value)


def pick(
    key: str, options: Sequence, preferred: Sequence = (), url: str | None = None
) -> str | None:
    """Keep a picker's value valid before it is drawn. While it is missing or not among
    ``options`` it becomes the first valid one of: the URL's query parameter ``url``, the
    ``preferred`` values in order, the first option. Returns the URL's value when it was read
    and named none of the options (the caller says so), else None."""
    if st.session_state.get(key) in options:
        return None
    wanted = st.query_params.get(url) if url else None
    st.session_state[key] = next((v for v in [wanted, *preferred] if v in options), options[0])
    return wanted if wanted is not None and wanted not in options else None


def with_article(noun: str) -> str:
    """The noun with its indefinite article: "a digit", "an item"."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


MAX_SEED = 2**32 - 1  # numpy's and torch's seeds both take this range


def url_int(name: str, lo: int, hi: int, what: str) -> tuple[int | None, str | None]:
    """The URL's query parameter ``name`` as an integer in [lo, hi]: (value, None), (None, None)
    when the link has none, or (None, one sentence saying why it is refused)."""
    raw = st.query_params.get(name)
    if raw is None:
        return None, None
    text = raw.strip().removeprefix("i")
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else None
    if value is None or not lo <= value <= hi:
        return None, f"The link's {what} {raw!r} is not a whole number from {lo:,} to {hi:,}."
    return value, None


def link_ints(
    page: str, fields: dict[str, tuple[int, int, str]]
) -> tuple[dict[str, int], dict[str, str]]:
    """A link's whole-number parameters, read on the page's first run of the session only
    (``<page>_link_read``): ``fields`` maps a query parameter to (lo, hi, what it is). Returns
    (the valid values, the refused ones' sentences), each by parameter; later runs get neither."""
    if st.session_state.get(f"{page}_link_read"):
        return {}, {}
    st.session_state[f"{page}_link_read"] = True
    values, problems = {}, {}
    for name, (lo, hi, what) in fields.items():
        value, problem = url_int(name, lo, hi, what)
        if problem is not None:
            problems[name] = problem
        elif value is not None:
            values[name] = value
    return values, problems


def map_pair(n: int) -> tuple[int, int]:
    """The last two digits clicked (or dragged between) on the Latent map, as indices among its
    ``n`` digits; stops the page with what to do while there is no such pair."""
    clicked = [int(i) for i in st.session_state.get("map_pair", [])]
    if len(clicked) < 2:
        st.info(
            "Click two digits on the Latent map: the last two you clicked arrive here. "
            "Or choose the endpoints by class or by index."
        )
        st.page_link("views/latent_map.py", label="Open the latent map", icon="🗺️")
        st.stop()
    if not all(0 <= i < n for i in clicked):
        st.warning(
            f"The pair {clicked} was clicked on another dataset's map (this one has {n:,} "
            "digits). Click two digits on the Latent map again."
        )
        st.stop()
    return clicked[-2], clicked[-1]


def models_for(dataset: str, kinds: Sequence[str] = GENERATIVE_KINDS) -> list[CheckpointInfo]:
    return [i for i in resources.checkpoints() if i.kind in kinds and i.dataset == dataset]


def record_page(url_path: str) -> None:
    """Note the page this run shows (app.py, every run), so that a page can tell a first run
    of a visit (``entering``) from a rerun of its own widgets."""
    st.session_state["app_previous_page"] = st.session_state.get("app_page")
    st.session_state["app_page"] = url_path


def entering(url_path: str) -> bool:
    """Whether this run opens the page at ``url_path`` (the run before showed another page),
    so its components are mounted afresh."""
    return st.session_state.get("app_previous_page") != url_path


def current() -> Selection:
    """What the sidebar selected in this run."""
    dataset = st.session_state.get("app_dataset", "embedded")
    infos = {i.name: i for i in models_for(dataset)}
    return Selection(dataset, infos.get(st.session_state.get("app_model", "")))


def require_encoder(selection: Selection) -> CheckpointInfo:
    """Stop the page with a clear message unless an AE or VAE is selected."""
    if selection.model is None:
        st.info("Pick a model in the sidebar (none is trained on this dataset yet).")
        st.stop()
    if not selection.has_encoder:
        st.info(
            f"**{selection.model.name}** is a GAN: it has no encoder, so it cannot place digits "
            "in its latent space. Pick an AE or VAE in the sidebar, or open the GAN studio."
        )
        st.stop()
    return selection.model
