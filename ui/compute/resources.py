"""What the app loads once and shares (``st.cache_resource``): datasets, the checkpoint
folder's models, the classifier, the device, and the registry of training jobs. Every file
the app reads from ``checkpoints/`` is found through ``CHECKPOINT_DIR`` here.

``LATENT_LAB_CHECKPOINTS`` names another checkpoint folder: replicas behind a balancer
(scripts/serve.sh, deploy/) share one, so a model trained on any of them is in every picker
(the picker re-reads the folder's names and modification times on every run)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import streamlit as st

from core.analysis.classify import Prediction, class_names, predict
from core.data.datasets import DATASETS, DEBIAN_FASHION_DIR, Dataset, dataset_problem, load_dataset
from core.models.base import ModelConfig
from core.models.registry import Model
from core.training.checkpoints import CheckpointInfo, load_model, scan_checkpoints
from core.training.devices import select_device
from core.training.jobs import TrainingJob
from core.training.recipes import defaults_for
from ui.compute.cache import version

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT_DIR = Path(os.environ.get("LATENT_LAB_CHECKPOINTS") or ROOT / "checkpoints")
DATA_DIR = ROOT / "data"


def projection_dir() -> Path:
    """The disk caches of latent maps, in the checkpoint folder (read at call time: a test
    that moves ``CHECKPOINT_DIR`` moves them too)."""
    return CHECKPOINT_DIR / "projections"


def few_labels_dir() -> Path:
    """The shipped learning curves and class probes, in the checkpoint folder (at call time, as
    ``projection_dir``)."""
    return CHECKPOINT_DIR / "few_labels"


def scores_dir() -> Path:
    """The PCA vs AE page's scores on disk (``core.analysis.scores_cache``), in the checkpoint
    folder (at call time, as ``projection_dir``)."""
    return CHECKPOINT_DIR / "scores"


def _dataset_root(name: str) -> Path:
    return DATA_DIR / ("MNIST" if name == "mnist" else "FashionMNIST")


def _datasets_on_disk() -> dict[str, str | None]:
    """Each dataset with a folder here -> why its files cannot be loaded (None: they can)."""
    present = {"embedded": True}
    present["mnist"] = (DATA_DIR / "MNIST").exists() or (DATA_DIR / "mnist").exists()
    present["fashion-mnist"] = (
        DEBIAN_FASHION_DIR.exists() or _dataset_root("fashion-mnist").exists()
    )
    root = {n: _dataset_root(n) if _dataset_root(n).exists() else None for n in DATASETS}
    return {n: dataset_problem(n, root[n]) for n in DATASETS if present[n]}


def available_datasets() -> list[str]:
    """Datasets that load here without a download: embedded always, the others when their
    files are on disk and whole (a missing or cut-off file leaves the pages on embedded)."""
    return [n for n, problem in _datasets_on_disk().items() if problem is None]


def dataset_notices() -> list[str]:
    """One sentence per dataset whose folder is here but whose files cannot be loaded."""
    return [
        f"{name} is not offered: {problem}. The pages use the embedded digits."
        for name, problem in _datasets_on_disk().items()
        if problem is not None
    ]


@st.cache_resource(show_spinner="Loading the dataset…")
def dataset(name: str) -> Dataset:
    root = _dataset_root(name)
    return load_dataset(name, root=root if root.exists() else None)


def map_dataset(name: str) -> Dataset:
    """The images drawn on maps: every one of the dataset (5,000 embedded digits, 60,000
    Fashion-MNIST items); the live explorer draws them all."""
    return dataset(name)


def checkpoints() -> list[CheckpointInfo]:
    """Every loadable checkpoint; re-read when the folder changes (e.g. after training)."""
    return _scan_checkpoints(str(CHECKPOINT_DIR), _folder_stamp())[0]


def unreadable_checkpoints() -> list[tuple[str, str]]:
    """(file name, why) of each ``*.pt`` file the model picker skips; none is ever run."""
    return _scan_checkpoints(str(CHECKPOINT_DIR), _folder_stamp())[1]


def _folder_stamp() -> tuple:
    return tuple(sorted((p.name, p.stat().st_mtime) for p in CHECKPOINT_DIR.glob("*.pt")))


@st.cache_data(show_spinner=False)
def _scan_checkpoints(
    folder: str, stamp: tuple
) -> tuple[list[CheckpointInfo], list[tuple[str, str]]]:
    # ``stamp`` must be hashed (no leading underscore): it is what makes a new file show up.
    infos, skipped = scan_checkpoints(folder)
    return infos, [(path.name, reason) for path, reason in skipped]


@st.cache_resource(show_spinner=False)
def device_name() -> str:
    return str(select_device("auto"))


@st.cache_resource(show_spinner="Loading model…", max_entries=16)
def _model(path: str, mtime: float, device: str) -> Model:
    return load_model(path, device=device)


def model(checkpoint: CheckpointInfo | Path) -> Model:
    """The model of a checkpoint, on the app's device, loaded once per file version."""
    return _model(*version(checkpoint), device_name())


def classifier_file(dataset_name: str) -> Path | None:
    """The classifier that labels this dataset's images: one trained on it (``classifier.pt``
    for the embedded digits, ``fashion_classifier.pt`` for Fashion-MNIST), else any whose
    classes are the dataset's (the digit classifier for full MNIST); None without one."""
    found = [i for i in checkpoints() if i.kind == "classifier"]
    own = [i for i in found if i.dataset == dataset_name]
    for info in own + [i for i in found if i not in own]:
        if class_names(info.dataset) == class_names(dataset_name):  # digits on clothes: no
            return info.path
    return None


def classifier(dataset_name: str) -> Model | None:
    """The model of ``classifier_file(dataset_name)``, or None."""
    path = classifier_file(dataset_name)
    return None if path is None else model(path)


def labels_of(images: np.ndarray, dataset_name: str) -> Prediction | None:
    """The classifier's label and confidence for each image, or None when none fits."""
    found = classifier(dataset_name)
    return predict(found, images) if found is not None else None


@st.cache_resource(show_spinner=False)
def training_jobs() -> dict[str, TrainingJob]:
    """Every training job of this server process by id, shared by all browser sessions."""
    return {}


def start_training(
    kind: str,
    dataset_name: str,
    latent_dim: int,
    epochs: int,
    lr: float,
    beta: float,
    device: str,
) -> TrainingJob:
    """Train a new ``kind`` model, its shipped recipe (``core.training.recipes.defaults_for``) with
    these settings, in a background thread listed in ``training_jobs()``; the result is saved as a
    new file in the checkpoint folder. Raises ValueError (settings the config refuses) or
    DatasetUnavailable."""
    model_config = ModelConfig(kind, latent_dim, dataset=dataset_name)
    config = replace(defaults_for(kind), model=model_config, epochs=epochs, lr=lr, beta=beta)
    job = TrainingJob(config, dataset(dataset_name), out_dir=CHECKPOINT_DIR, device=device)
    training_jobs()[job.id] = job.start()
    return job
