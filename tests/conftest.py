"""Shared fixtures: the embedded digits are loaded once per test session."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest
import torch

from core.data.datasets import Dataset, load_dataset

ROOT = Path(__file__).resolve().parents[1]


EXPORTS = ROOT / "static" / "onnx"  # the app's ONNX exports: served from static/, so not a tmp dir
TINY = dict(channels=8, hidden=32)  # a network that trains in a second on a CPU


def train_tiny(data: Dataset, kind: str, latent_dim: int, **train):
    """A real tiny model trained on the CPU in float32 (tests state their precision: bf16 CPUs
    would otherwise train these in bf16 and others in fp32)."""
    from core.models.base import ModelConfig
    from core.training.loop import TrainConfig, fit

    config = TrainConfig(ModelConfig(kind, latent_dim, **TINY), precision="fp32", **train)
    return fit(config, data, device="cpu").model


def files_under(folder: Path) -> set[Path]:
    """Every file below ``folder`` (caches in subfolders included), to see what a test added."""
    return {p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture
def exports_removed():
    """For a test whose app exports models it trained: the app must write their ONNX graphs
    under static/ to serve them, so the new files in static/onnx are removed afterwards (the
    shipped exports stay). Yields the files there before the test."""
    before = set(EXPORTS.iterdir())
    yield before
    for path in set(EXPORTS.iterdir()) - before:
        path.unlink(missing_ok=True)


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")  # Linux; elsewhere what platform knows
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def pytest_terminal_summary(terminalreporter) -> None:
    """Which machine a run was on, also under -q: a red run on another CPU says whether bf16
    autocast was in play (``LATENT_LAB_NO_BF16=1`` makes --precision auto train in fp32)."""
    from core.training.devices import cpu_has_bf16, resolve_precision

    auto = resolve_precision("auto", torch.device("cpu"))
    switch = " (LATENT_LAB_NO_BF16=1)" if os.environ.get("LATENT_LAB_NO_BF16") == "1" else ""
    terminalreporter.write_line(
        f"machine: {_cpu_model()}, {os.cpu_count()} cores; torch {torch.__version__}; "
        f"bf16 autocast in hardware: {cpu_has_bf16()}; --precision auto: {auto}{switch}"
    )


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_dataset("embedded")


@pytest.fixture(scope="session")
def small_digits(digits: Dataset) -> Dataset:
    """600 digits (60 per class) with the same kind of split: fast enough for real training."""
    keep = torch.cat([torch.nonzero(digits.labels == c).squeeze(1)[:60] for c in range(10)])
    keep = keep.sort().values
    from core.data.datasets import stratified_split

    labels = digits.labels[keep]
    train_idx, val_idx = stratified_split(labels, 0.1, seed=0)
    return Dataset("embedded", digits.images[keep], labels, digits.class_names, train_idx, val_idx)


@pytest.fixture(scope="session")
def app_url():
    """A real ``streamlit run app.py`` server, shared by the browser tests."""
    from harness.browser import streamlit_server

    with streamlit_server() as (url, _):
        yield url


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium through Playwright. Missing is a failure, not a skip."""
    from harness.browser import CHROMIUM
    from harness.browser import chromium as launch

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does)")
    with launch() as browser:
        yield browser


@pytest.fixture
def page(chromium):
    from harness.browser import ask_for_probes

    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    ask_for_probes(context)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def frames_sent(page):
    """Every websocket frame the page sends to the server (the app's only channel)."""
    sent: list = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    return sent
