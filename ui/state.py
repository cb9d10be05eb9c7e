"""The shared sidebar (dataset, model, device) and the selection every page reads.

Session-state keys are prefixed by page (``app_`` here); the URL's query parameters mirror the
model so that a link reopens the same view.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.checkpoints import CheckpointInfo
from ui import loaders

GENERATIVE_KINDS = ("ae", "vae", "gan")
DEFAULT_MODEL = "ae_k2"


@dataclass(frozen=True)
class Selection:
    dataset: str
    model: CheckpointInfo | None  # None when no model was trained on this dataset yet

    @property
    def has_encoder(self) -> bool:
        return self.model is not None and self.model.kind in ("ae", "vae")


def models_for(dataset: str, kinds: tuple[str, ...] = GENERATIVE_KINDS) -> list[CheckpointInfo]:
    return [i for i in loaders.checkpoints() if i.kind in kinds and i.dataset == dataset]


def _init_from_url(key: str, param: str, choices: list[str], default: str) -> None:
    """First visit: take the value from the URL when it is valid; later: keep it valid."""
    if key not in st.session_state:
        wanted = st.query_params.get(param, default)
        st.session_state[key] = wanted if wanted in choices else default
    elif st.session_state[key] not in choices:
        st.session_state[key] = default


def render_sidebar() -> Selection:
    """Dataset and model pickers plus the device in use. Called once per run by app.py."""
    with st.sidebar:
        datasets = loaders.available_datasets()
        _init_from_url("app_dataset", "dataset", datasets, "embedded")
        dataset = st.selectbox("Dataset", datasets, key="app_dataset")
        infos = {i.name: i for i in models_for(dataset)}
        names = list(infos)
        if names:
            default = DEFAULT_MODEL if DEFAULT_MODEL in infos else names[0]
            _init_from_url("app_model", "model", names, default)
            name = st.selectbox(
                "Model", names, key="app_model", format_func=lambda n: infos[n].label
            )
            st.query_params["model"] = name
        else:
            st.info("No model trained on this dataset yet. Train one on the Train page.")
        if dataset != "embedded":
            st.query_params["dataset"] = dataset
        st.caption(f"Device: **{loaders.device_name()}**")
    return current()


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
