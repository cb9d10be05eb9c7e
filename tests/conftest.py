"""Shared fixtures: the embedded digits are loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.data import Dataset, load_dataset

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_dataset("embedded")


@pytest.fixture(scope="session")
def small_digits(digits: Dataset) -> Dataset:
    """600 digits (60 per class) with the same kind of split: fast enough for real training."""
    keep = torch.cat([torch.nonzero(digits.labels == c).squeeze(1)[:60] for c in range(10)])
    keep = keep.sort().values
    from core.data import stratified_split

    labels = digits.labels[keep]
    train_idx, val_idx = stratified_split(labels, 0.1, seed=0)
    return Dataset("embedded", digits.images[keep], labels, digits.class_names, train_idx, val_idx)
