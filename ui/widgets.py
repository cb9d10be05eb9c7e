"""Small widgets that several pages lay out the same way: a seed with a "next" button, a code's
numbers, a link's refused parameters, the classifier's readings as captions, tables of scores,
download buttons, progress bars.
Each draws Streamlit elements and computes nothing (numbers come from ``ui.compute``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from core.analysis.classify import Prediction
from ui.state import MAX_SEED

NBSP = "\u00a0"

# One number format per score column, whichever page shows it.
SCORE_FORMATS = {
    "MSE": "%.4f",
    "MSE vs clean": "%.4f",
    "val MSE": "%.5f",
    "PSNR (dB)": "%.2f",
    "SSIM": "%.3f",
    "10-NN acc.": "%.3f",
    "parameters": "localized",
    "training (s)": "%.2f",
}
ROW_PX = 35  # the height of a row of st.dataframe
MIME = {"png": "image/png", "gif": "image/gif", "csv": "text/csv"}


def _next_seed(key: str) -> None:
    st.session_state[key] = (st.session_state[key] + 1) % (MAX_SEED + 1)


def seed_input(where, key: str, label: str = "Seed", button: tuple | None = None, **options) -> int:
    """The one seed widget of every page: a number input from 0 to MAX_SEED in ``where`` and,
    when ``button`` is (where, label, key), a button there that moves it to the next seed
    (``options`` go to ``st.button``: icon, width)."""
    seed = where.number_input(label, min_value=0, max_value=MAX_SEED, step=1, key=key)
    if button is not None:
        button_where, text, button_key = button
        button_where.button(text, key=button_key, on_click=_next_seed, args=(key,), **options)
    return int(seed)


def code(z) -> None:
    """A latent code [k] as a block of numbers, 3 decimals, small ones as 0."""
    text = np.array2string(np.asarray(z), precision=3, max_line_width=38, suppress_small=True)
    # Lines of inline code (no-break spaces keep the columns), not st.code: the code block's
    # syntax highlighter was the largest single cost of the browser's work per map click
    # (0.5 s of 3.6 s main-thread time over 8 clicks, bench/load.py's class).
    st.markdown("  \n".join(f"`{line.replace(' ', NBSP)}`" for line in text.splitlines()))


def refuse_link(problems: Iterable[str], params: Sequence[str]) -> None:
    """A link the page cannot follow: say why (a sentence per problem), drop its ``params``
    from the URL and stop, so nothing is decoded from it."""
    for problem in problems:
        st.warning(f"{problem} Nothing is decoded from this link.", icon=":material/link_off:")
    for name in params:
        st.query_params.pop(name, None)
    st.stop()


def readings(prediction: Prediction | None, names: Sequence[str] | None = None) -> list[str]:
    """'7 · 98%' per image: the classifier's label (its class name when ``names`` are given)
    and confidence; empty strings without a classifier."""
    if prediction is None:
        return []
    return [
        f"{names[c] if names is not None else c} · {p:.0%}"
        for c, p in zip(prediction.labels, prediction.confidence, strict=True)
    ]


def progress_bar(text: str) -> tuple[Any, Callable[[float, str], None]]:
    """An ``st.progress`` bar at 0 saying ``text``, and the ``progress(fraction, text)`` that
    moves it: the callback the compute layer's long functions take."""
    bar = st.progress(0.0, text=text)
    return bar, lambda fraction, now: bar.progress(fraction, text=now)


def score_table(rows, key: str | None = None, every_row: bool = False, **column_config) -> None:
    """A table of scores (records or a DataFrame), each known column in its SCORE_FORMATS;
    ``every_row``: tall enough to show every row without an inner scrollbar."""
    frame = pd.DataFrame(rows)
    formats = {c: f for c, f in SCORE_FORMATS.items() if c in frame.columns}
    config = {c: st.column_config.NumberColumn(format=f) for c, f in formats.items()}
    size: dict[str, Any] = {"height": ROW_PX * (len(frame) + 1) + 3} if every_row else {}
    st.dataframe(
        frame,
        key=key,
        hide_index=True,
        width="stretch",
        column_config=config | column_config,
        **size,
    )


def download_buttons(columns, stem: str, key: str, files: dict[str, tuple[str, bytes]]) -> None:
    """One download button per column: ``files`` maps a suffix ("png", "gif", "csv") to (label,
    bytes); the file is ``<stem>.<suffix>``, the button's key ``<key>_<suffix>``."""
    for column, (suffix, (label, data)) in zip(columns, files.items(), strict=True):
        column.download_button(
            label,
            data,
            file_name=f"{stem}.{suffix}",
            mime=MIME[suffix],
            key=f"{key}_{suffix}",
            on_click="ignore",  # a download needs no rerun
            icon=":material/download:",
            width="stretch",
        )
