"""A bare page with the training playback on a shipped history, its points repeated to ``n``
(query parameter, default 5,000) with jitter: for bench/playback.py's frame times at 5,000 and
60,000 points. ``streamlit run tests/apps/playback_demo.py`` from the repository root.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.training.history import load_history  # noqa: E402
from ui.playback import playback_element, publish_history  # noqa: E402

st.set_page_config(page_title="Playback demo", layout="wide")


@st.cache_resource(show_spinner=False)
def _published(name: str, n: int) -> dict:
    history = load_history(ROOT / "checkpoints" / f"{name}.pt")
    repeat = np.arange(n) % len(history.labels)
    jitter = np.random.default_rng(0).normal(scale=0.02, size=(1, n, 2)).astype(np.float32)
    maps = history.maps[:, repeat] + jitter * history.maps.std(axis=(0, 1))
    bigger = replace(history, maps=maps, labels=history.labels[repeat])
    return {**publish_history(bigger), "keyframes": {}}


name, n = st.query_params.get("model", "vae_k2"), int(st.query_params.get("n", 5000))
st.title(f"Playback demo · {name} · {n:,} points")
playback_element(_published(name, n), [str(c) for c in range(10)], key="demo", height=520)
