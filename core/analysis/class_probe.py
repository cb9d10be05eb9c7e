"""Does a model's code carry the class? The Style & content page's last section, on disk.

``class_probe(model, dataset)`` encodes the training and validation images (a conditional
encoder is given the true labels, so a CVAE's codes are its style z), trains logistic regression
and 1-NN on ``PER_CLASS`` labelled training codes per class (``DRAWS`` draws,
``few_labels.learning_curve``) and scores them on the validation split, and maps the validation
codes with t-SNE (PCA of 16-D codes hides clusters that t-SNE shows). That t-SNE is most of a
fresh server's first open of the page (~20 s on 2 cores for two models), and it is fixed for a
checkpoint file: ``cached_class_probe`` keeps it in
``<cache_dir>/<stem>_<dataset>_probe_<key>.npz``, keyed by the checkpoint's bytes and the
dataset (``few_labels.cache_key``), and ``python -m core.analysis.few_labels --precompute
checkpoints`` ships the probes of the shipped models beside their learning curves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.analysis.few_labels import DEFAULT_CACHE_DIR, cache_key, code_features, learning_curve
from core.data.datasets import Dataset
from core.latent.projections import UNREADABLE_NPZ, project, save_npz
from core.latent.tsne import Progress

PER_CLASS = 100  # labelled training codes per class the probe sees
DRAWS = 5
SCORES = ("logistic", "1-nn", "chance")  # validation accuracies; chance = 1 / classes


# Shares of the work, for a progress bar: encoding, then the probes, then the t-SNE (most of it).
ENCODED, FITTED = 0.1, 0.25


def class_probe(
    model: torch.nn.Module, dataset: Dataset, progress: Progress | None = None
) -> dict[str, Any]:
    """{"logistic", "1-nn": mean validation accuracy over the draws, "chance": 1 / classes,
    "coords": float32 [N_val, 2] t-SNE of the validation codes, "labels": int64 [N_val]}.
    ``progress(share done, what is being done)`` hears each step and the t-SNE's iterations."""
    tell = progress or (lambda share, what: None)
    tell(0.0, "encoding the digits")
    train_z, val_z = code_features(model, dataset)
    train_y, val_y = dataset.split("train")[1], dataset.split("val")[1]
    tell(ENCODED, f"fitting the class probes on {PER_CLASS} labels per class")
    points = learning_curve(train_z, train_y, val_z, val_y, per_class=(PER_CLASS,), draws=DRAWS)
    tell(FITTED, "t-SNE of the validation codes")

    def tsne_progress(share: float, what: str) -> None:
        tell(FITTED + (1.0 - FITTED) * share, f"t-SNE of the validation codes: {what}")

    coords = project(val_z, "tsne", progress=tsne_progress).coords.astype(np.float32)
    tell(1.0, "done")
    return {
        **{p.classifier: p.mean for p in points},
        "chance": 1.0 / len(dataset.class_names),
        "coords": coords,
        "labels": val_y.numpy(),
    }


def probe_path(checkpoint: str | Path, dataset: Dataset, cache_dir: str | Path) -> Path:
    key = cache_key(Path(checkpoint).read_bytes(), dataset, (PER_CLASS,), DRAWS, 0)
    return Path(cache_dir) / f"{Path(checkpoint).stem}_{dataset.name}_probe_{key[:16]}.npz"


def cached_class_probe(
    checkpoint: str | Path,
    model: torch.nn.Module,
    dataset: Dataset,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """``class_probe`` of the model loaded from ``checkpoint``, read from ``cache_dir`` when its
    key matches, else computed (``progress`` hears how it goes) and written atomically (a
    damaged file is recomputed)."""
    path = probe_path(checkpoint, dataset, cache_dir)
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                found = {
                    name: f[name] for name in ("logistic", "1-nn", "chance", "coords", "labels")
                }
            if len(found["coords"]) == len(dataset.val_idx):
                scores = {name: float(found[name]) for name in SCORES}
                return {**scores, "coords": found["coords"], "labels": found["labels"]}
        except UNREADABLE_NPZ:
            pass  # recomputed and overwritten below
    report = class_probe(model, dataset, progress)
    save_npz(path, **{name: np.asarray(value) for name, value in report.items()})
    return report
