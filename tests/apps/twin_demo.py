"""A bare page with the twin maps (ui/explorer.py twin_maps) on shipped checkpoints, for
bench/explorer.py. ``streamlit run tests/apps/twin_demo.py`` from the repository root. Query
parameter ``pair``: two sides as ``ui.compute.twin_options`` names them, comma-separated
(default ``pca,ae_k2:raw``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.models.registry import ENCODER_KINDS  # noqa: E402
from ui import state, twin_sides  # noqa: E402
from ui.compute import resources  # noqa: E402

st.set_page_config(page_title="Twin maps demo", layout="wide")
pair = st.query_params.get("pair", "pca,ae_k2:raw").split(",")
infos = state.models_for("embedded", ENCODER_KINDS)
st.title(f"Twin maps demo · {' | '.join(pair)}")
names = resources.dataset("embedded").class_names
twin_sides.linked_maps(pair, infos, "embedded", names, key="demo_twin")
