"""A bare page with the latent explorer on a shipped checkpoint: for the browser tests and
bench/explorer.py. ``streamlit run tests/apps/explorer_demo.py`` from the repository root
(``tests/apps/static`` links to the repository's ``static/``, which Streamlit serves beside the
script). Query parameters: ``model`` (a checkpoint stem, default ae_k2), ``proj`` (raw, pca,
tsne), ``n`` (repeat the map's points with jitter up to n, to time a 60,000-point map),
``decoder=missing`` (no export: the fallback).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.data.datasets import load_dataset  # noqa: E402
from core.latent.caches import cached_projection  # noqa: E402
from core.training.checkpoints import load_model, read_info  # noqa: E402
from ui.explorer import Decoder, decoder_for, inverse_rule, latent_explorer  # noqa: E402

st.set_page_config(page_title="Explorer demo", layout="wide")


@st.cache_resource(show_spinner=False)
def _map(name: str, method: str, n: int):
    """(codes [N, k], coords [N, 2], labels [N], images [N, 28, 28], inverse rule, names)."""
    info = read_info(ROOT / "checkpoints" / f"{name}.pt")
    dataset = load_dataset(info.dataset)
    codes, projection = cached_projection(
        load_model(info.path), info.path, dataset, method, ROOT / "checkpoints" / "projections"
    )
    coords, labels, images = projection.coords, dataset.labels.numpy(), dataset.images.numpy()
    if n > len(coords):  # a bigger map for timing: the same points again, jittered
        repeat = np.arange(n) % len(coords)
        jitter = np.random.default_rng(0).normal(scale=0.01, size=(n, 2)).astype(np.float32)
        spread = coords.std(0) * jitter
        coords, labels, images = coords[repeat] + spread, labels[repeat], images[repeat]
        codes = coords.copy() if method == "raw" else codes[repeat]
    return codes, coords, labels, images, inverse_rule(projection), dataset.class_names


params = st.query_params
name, method = params.get("model", "ae_k2"), params.get("proj", "raw")
codes, coords, labels, images, inverse, class_names = _map(name, method, int(params.get("n", 0)))
decoder = (
    Decoder(None, "Live preview off: this demo was asked to run without a decoder.")
    if params.get("decoder") == "missing"
    else decoder_for(ROOT / "checkpoints" / f"{name}.pt")
)
st.session_state.setdefault("demo_runs", 0)
st.session_state["demo_runs"] += 1

st.title(f"Explorer demo · {name} · {method}")
result = latent_explorer(
    coords,
    labels,
    class_names,
    decoder,
    inverse,
    key="demo_explorer",
    codes=codes,
    images=images,
    height=480,
)
st.caption(f"script runs: {st.session_state['demo_runs']} · points: {len(coords):,}")
if result.click is not None:
    st.markdown("**Last click**")
    st.code(json.dumps({"click": result.click}), language="json")
if result.pair is not None:
    st.markdown("**Last pair**")
    st.code(json.dumps({"pair": result.pair}), language="json")
