"""Exact Euclidean nearest neighbours of codes or pixels (numpy; small enough to be exact)."""

from __future__ import annotations

import numpy as np


def nearest(reference: np.ndarray, queries: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact Euclidean kNN: reference [N, d], queries [M, d] -> (indices, distances) [M, n],
    nearest first."""
    reference = np.asarray(reference, dtype=np.float64)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float64))
    n = min(n, len(reference))
    sq = (
        (queries**2).sum(1, keepdims=True) - 2 * queries @ reference.T + (reference**2).sum(1)
    )  # [M, N] squared distances
    idx = np.argpartition(sq, n - 1, axis=1)[:, :n]  # [M, n], unordered
    part = np.take_along_axis(sq, idx, axis=1)
    order = np.argsort(part, axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    dist = np.sqrt(np.maximum(np.take_along_axis(part, order, axis=1), 0.0))
    return idx, dist
