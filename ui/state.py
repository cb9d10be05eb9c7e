"""The shared sidebar (dataset, model, device), the selection every page reads, and pickers.

Session-state keys are prefixed by page (``app_`` here); the URL's query parameters mirror the
model so that a link reopens the same view. Every picker keeps its value valid with ``pick``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.data.datasets import noun_of
from core.models.registry import ENCODER_KINDS, GENERATIVE_KINDS
from core.training.checkpoints import CheckpointInfo
from ui import compute
from ui.explorer import latent_explorer
from ui.plots import PROJECTIONS

DEFAULT_MODEL = "ae_k2"


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


def pick(key: str, options: Sequence, preferred: Sequence = (), url: str | None = None) -> None:
    """Keep a picker's value valid before it is drawn. While it is missing or not among
    ``options`` it becomes the first valid one of: the URL's query parameter ``url``, the
    ``preferred`` values in order, the first option."""
    if st.session_state.get(key) in options:
        return
    wanted = [st.query_params.get(url)] if url else []
    st.session_state[key] = next((v for v in [*wanted, *preferred] if v in options), options[0])


def a(noun: str) -> str:
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
    return [i for i in compute.checkpoints() if i.kind in kinds and i.dataset == dataset]


def record_page(url_path: str) -> None:
    """Note the page this run shows (app.py, every run), so that a page can tell a first run
    of a visit (``entering``) from a rerun of its own widgets."""
    st.session_state["app_previous_page"] = st.session_state.get("app_page")
    st.session_state["app_page"] = url_path


def entering(url_path: str) -> bool:
    """Whether this run opens the page at ``url_path`` (the run before showed another page),
    so its components are mounted afresh."""
    return st.session_state.get("app_previous_page") != url_path


def render_sidebar() -> Selection:
    """Dataset and model pickers plus the device in use. Called once per run by app.py."""
    with st.sidebar:
        datasets = compute.available_datasets()
        pick("app_dataset", datasets, ["embedded"], url="dataset")
        dataset = st.selectbox("Dataset", datasets, key="app_dataset")
        infos = {i.name: i for i in models_for(dataset)}
        names = list(infos)
        if names:
            pick("app_model", names, [DEFAULT_MODEL], url="model")
            name = st.selectbox(
                "Model", names, key="app_model", format_func=lambda n: infos[n].label
            )
            st.query_params["model"] = name
        else:
            st.info("No model trained on this dataset yet. Train one on the Train page.")
        if dataset != "embedded":
            st.query_params["dataset"] = dataset
        st.caption(f"Device: **{compute.device_name()}**")
        _skipped_notice(compute.unreadable_checkpoints())
    return current()


def _skipped_notice(skipped: list[tuple[str, str]]) -> None:
    """One collapsed notice naming each file in checkpoints/ that was skipped, and why."""
    if not skipped:
        return
    files = "file" if len(skipped) == 1 else "files"
    with st.expander(f"{len(skipped)} {files} in checkpoints/ skipped", icon=":material/warning:"):
        st.caption("They were not loaded, and nothing in them was run.")
        st.markdown("\n".join(f"- `{name}` {reason}" for name, reason in skipped))


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


def model_of_kind(selection: Selection, kind: str, key: str, default: str) -> CheckpointInfo:
    """The sidebar's model when it is of this kind, else a picker of this kind's checkpoints
    (``default`` first when it exists). Stops the page with a message when there is none."""
    title = kind.upper()
    if selection.model is not None and selection.model.kind == kind:
        st.caption(f"Model: **{selection.model.label}** (from the sidebar).")
        return selection.model
    infos = {i.name: i for i in models_for(selection.dataset, (kind,))}
    if not infos:
        st.info(f"No {title} is trained on this dataset yet: train one on the Train page.")
        st.stop()
    pick(key, list(infos), [default])
    sidebar = selection.model.name if selection.model else "none"
    name = st.selectbox(
        f"{title} to explore",
        list(infos),
        key=key,
        format_func=lambda n: infos[n].label,
        help=f"The sidebar's model ({sidebar}) is not a {title}; this page picks its own.",
    )
    return infos[name]


def map_picker(
    where, label: str, info: CheckpointInfo, key: str, preferred: Sequence = (), url=None
) -> str:
    """A horizontal radio of the maps this model offers (raw for a 2-D latent, PCA, t-SNE)."""
    methods = compute.map_methods(info)
    pick(key, methods, preferred, url=url)
    return where.radio(label, methods, key=key, format_func=PROJECTIONS.get, horizontal=True)


# --- a validation digit by class and index (issue 14's pages) ---------------------------------


def digit_picker(
    where, key: str, labels, class_names: Sequence[str], val_idx, default: int = 0, nth: int = 0
):
    """A class select box and a number input "which one" among that class's validation digits
    (digits the directions were not fitted on); returns the dataset index. Session keys
    ``<key>_class`` and ``<key>_nth``."""
    pick(f"{key}_class", list(range(len(class_names))), [default])
    left, right = where.columns(2)
    label = left.selectbox(
        "Class", range(len(class_names)), key=f"{key}_class", format_func=class_names.__getitem__
    )
    members = [int(i) for i in val_idx if labels[i] == label]
    if not members:
        where.error(f"The validation split has no digit of class {class_names[label]}.")
        st.stop()
    init(**{f"{key}_nth": nth})
    st.session_state[f"{key}_nth"] = min(st.session_state[f"{key}_nth"], len(members) - 1)
    nth = right.number_input(
        f"Which one (of {len(members)})", 0, len(members) - 1, key=f"{key}_nth", step=1
    )
    return members[int(nth)]


def checkpoint_map(
    info: CheckpointInfo,
    dataset_name: str,
    method: str,
    class_names: Sequence[str],
    *,
    key: str,
    **options: Any,
) -> Any:
    """The live explorer on a checkpoint's map of a dataset: its decoder, arrays and inverse
    rule come from ``ui.compute`` (cached per checkpoint version). ``options`` are
    ``ui.explorer.latent_explorer``'s (overlays, background, selected, height, callbacks)."""
    return latent_explorer(
        None,
        None,
        class_names,
        compute.decoder(info),
        compute.explorer_inverse(info, dataset_name, method),
        key=key,
        published=compute.explorer_map(info, dataset_name, method),
        **options,
    )
