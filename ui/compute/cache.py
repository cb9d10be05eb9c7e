"""The cache key of a checkpoint, defined once: every cached result of a checkpoint is keyed
by ``version(info)``, its path and modification time, so a retrained file is recomputed and
nothing else is. ``@per_checkpoint`` adds that key; a function written ``f(info, *args)`` is
cached on ``(version(info), *args)``. ``lock(key)`` makes two sessions compute one file once."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from core.training.checkpoints import CheckpointInfo


def version(checkpoint: CheckpointInfo | Path | str) -> tuple[str, float]:
    """(path, modification time): part of the key of every cached result of a checkpoint."""
    path = Path(checkpoint.path if isinstance(checkpoint, CheckpointInfo) else checkpoint)
    return str(path), path.stat().st_mtime


def per_checkpoint(**cache_options: Any) -> Callable:
    """Cache ``f(info, *args)`` with ``st.cache_data(**cache_options)`` on (version, *args)."""

    def decorate(fn: Callable) -> Callable:
        def cached(path: str, mtime: float, _info: CheckpointInfo, *args: Any) -> Any:
            return fn(_info, *args)

        # Streamlit tells caches apart by module and qualified name: give each its own.
        cached.__module__, cached.__qualname__ = fn.__module__, fn.__qualname__
        cached = st.cache_data(**cache_options)(cached)

        @functools.wraps(fn)
        def call(info: CheckpointInfo, *args: Any) -> Any:
            return cached(*version(info), info, *args)

        return call

    return decorate


@st.cache_resource(show_spinner=False)
def lock(_key: str) -> threading.Lock:
    """One lock per key for the whole server: two sessions that need the same file computed
    (a t-SNE, a class probe) compute it once, the other waits and reads it."""
    return threading.Lock()
