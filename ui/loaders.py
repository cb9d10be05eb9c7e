"""Everything heavy is loaded once per process: datasets, models, latents, projections.

Models are ``st.cache_resource`` singletons: pages must never train or mutate them.
Arrays and projections are ``st.cache_data``. Cache keys include the checkpoint's modification
time, so a retrained file is picked up without restarting the app.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from core.checkpoints import CheckpointInfo, list_checkpoints, load_model
from core.data import DATASETS, DEBIAN_FASHION_DIR, Dataset, load_dataset
from core.models import Model
from core.projection import Projection, cached_projection
from core.train import select_device

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT_DIR = ROOT / "checkpoints"
PROJECTION_DIR = CHECKPOINT_DIR / "projections"
DATA_DIR = ROOT / "data"
MAP_SIZE = 5000  # digits shown on a map; larger datasets are subsampled (stratified)


def available_datasets() -> list[str]:
    """Datasets that load here without a download: embedded always, the others when on disk."""
    names = ["embedded"]
    if (DATA_DIR / "MNIST").exists() or (DATA_DIR / "mnist").exists():
        names.append("mnist")
    if DEBIAN_FASHION_DIR.exists() or (DATA_DIR / "FashionMNIST").exists():
        names.append("fashion-mnist")
    return [n for n in DATASETS if n in names]


@st.cache_resource(show_spinner="Loading digits…")
def dataset(name: str) -> Dataset:
    root = DATA_DIR / ("MNIST" if name == "mnist" else "FashionMNIST")
    return load_dataset(name, root=root if root.exists() else None)


@st.cache_resource(show_spinner=False)
def map_dataset(name: str) -> Dataset:
    """The digits drawn on maps: the whole embedded set, a stratified 5,000 of larger ones."""
    return dataset(name).subset(MAP_SIZE)


def _mtime(path: str | Path) -> float:
    return Path(path).stat().st_mtime


def checkpoints() -> list[CheckpointInfo]:
    """Every loadable checkpoint; re-read when the folder changes (e.g. after training)."""
    stamp = tuple(sorted((p.name, p.stat().st_mtime) for p in CHECKPOINT_DIR.glob("*.pt")))
    return _checkpoints(str(CHECKPOINT_DIR), stamp)


@st.cache_data(show_spinner=False)
def _checkpoints(folder: str, stamp: tuple) -> list[CheckpointInfo]:
    # ``stamp`` must be hashed (no leading underscore): it is what makes a new file show up.
    return list_checkpoints(folder)


@st.cache_resource(show_spinner="Loading model…", max_entries=16)
def _model(path: str, mtime: float, device: str) -> Model:
    return load_model(path, device=device)


def model(path: str | Path) -> Model:
    """The model of a checkpoint, on the app's device, loaded once per file version."""
    return _model(str(path), _mtime(path), device_name())


def classifier() -> Model | None:
    """The shipped digit classifier, used to label generated digits (None if missing)."""
    path = CHECKPOINT_DIR / "classifier.pt"
    return model(path) if path.exists() else None


@st.cache_resource(show_spinner=False)
def device_name() -> str:
    return str(select_device("auto"))


@st.cache_data(show_spinner="Projecting latent codes…", max_entries=32)
def projection(
    path: str, dataset_name: str, method: str, mtime: float
) -> tuple[np.ndarray, Projection]:
    """(latents [N, k], 2-D projection) of the map digits, from the on-disk cache when shipped."""
    return cached_projection(path, map_dataset(dataset_name), method, cache_dir=PROJECTION_DIR)


def latents_and_projection(
    info: CheckpointInfo, dataset_name: str, method: str
) -> tuple[np.ndarray, Projection]:
    return projection(str(info.path), dataset_name, method, _mtime(info.path))
