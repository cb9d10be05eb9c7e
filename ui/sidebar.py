"""The shared sidebar (dataset, model, device), drawn once per run by app.py; the URL's
``dataset`` and ``model`` parameters choose its first values, so that a link reopens the same
view (a model the link names that does not exist is replaced by the default, and said so)."""

from __future__ import annotations

import streamlit as st

from ui.compute import resources
from ui.state import Selection, current, models_for, pick

DEFAULT_MODEL = "ae_k2"


def render_sidebar() -> Selection:
    """Dataset and model pickers plus the device in use. Called once per run by app.py."""
    with st.sidebar:
        datasets = resources.available_datasets()
        pick("app_dataset", datasets, ["embedded"], url="dataset")
        dataset = st.selectbox("Dataset", datasets, key="app_dataset")
        infos = {i.name: i for i in models_for(dataset)}
        names = list(infos)
        if names:
            refused = pick("app_model", names, [DEFAULT_MODEL], url="model")
            name = st.selectbox(
                "Model", names, key="app_model", format_func=lambda n: infos[n].label
            )
            st.query_params["model"] = name
        else:
            st.info("No model trained on this dataset yet. Train one on the Train page.")
        if dataset != "embedded":
            st.query_params["dataset"] = dataset
        st.caption(f"Device: **{resources.device_name()}**")
        _skipped_notice(resources.unreadable_checkpoints())
    if names and refused is not None:  # in the page, where a link's other refusals are said
        st.warning(
            f"The link's model {refused!r} is not among this dataset's models; showing "
            f"{st.session_state['app_model']}.",
            icon=":material/link_off:",
        )
    return current()


def _skipped_notice(skipped: list[tuple[str, str]]) -> None:
    """One collapsed notice naming each file in checkpoints/ that was skipped, and why."""
    if not skipped:
        return
    files = "file" if len(skipped) == 1 else "files"
    with st.expander(f"{len(skipped)} {files} in checkpoints/ skipped", icon=":material/warning:"):
        st.caption("They were not loaded, and nothing in them was run.")
        st.markdown("\n".join(f"- `{name}` {reason}" for name, reason in skipped))
