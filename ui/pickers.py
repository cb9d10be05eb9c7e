"""The pickers a page draws in its own body: a model of one kind when the sidebar's is of
another, the one picker of a validation digit (by class, then which one), and the map picker
every map page shares (``?proj=``). Each keeps its value valid with ``ui.state.pick``."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.data.datasets import Dataset
from core.training.checkpoints import CheckpointInfo
from ui.compute import maps
from ui.plots import PROJECTIONS
from ui.state import Selection, init, models_for, pick


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


def digit_picker(
    columns: Sequence, class_key: str, nth_key: str, data: Dataset, default: int = 0, nth: int = 0
) -> int:
    """The one way a page picks a validation digit (one the models were not fitted on): a class
    select box in ``columns[0]`` and "which one" of that class's validation digits in
    ``columns[1]``; returns its dataset index. ``default`` and ``nth`` are the first visit's."""
    names, labels = data.class_names, data.labels.numpy()
    pick(class_key, list(range(len(names))), [default])
    label = columns[0].selectbox(
        "Class", range(len(names)), key=class_key, format_func=names.__getitem__
    )
    val_idx = data.val_idx.numpy()
    members = val_idx[labels[val_idx] == label]  # sorted dataset indices
    if not len(members):
        st.warning(f"No validation {data.noun} is labelled {names[label]}; pick another class.")
        st.stop()
    init(**{nth_key: nth})
    st.session_state[nth_key] = min(st.session_state[nth_key], len(members) - 1)
    which = columns[1].number_input(
        f"Which one (of {len(members)})",
        0,
        len(members) - 1,
        step=1,
        key=nth_key,
        help=f"The validation split holds {len(members)} of this class.",
    )
    return int(members[int(which)])


def map_picker(
    where, label: str, info: CheckpointInfo, key: str, preferred: Sequence = (), url=None
) -> str:
    """A horizontal radio of the maps this model offers (raw for a 2-D latent, PCA, t-SNE);
    a link's ``url`` parameter naming none of them is replaced, and said so in one line."""
    methods = maps.map_methods(info)
    refused = pick(key, methods, preferred, url=url)
    method = where.radio(label, methods, key=key, format_func=PROJECTIONS.get, horizontal=True)
    if refused is not None:
        st.warning(
            f"The link's projection {refused!r} is not one of {info.name}'s maps; showing "
            f"the {PROJECTIONS[method]}.",
            icon=":material/link_off:",
        )
    return method
