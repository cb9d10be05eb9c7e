"""The one way the page tests open the app under Streamlit's AppTest."""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest

from .conftest import ROOT

APP = str(ROOT / "app.py")
HOME = "views/home.py"


def open_page(
    path: str = HOME, timeout: float = 120, query: dict[str, str] | None = None, **state
) -> AppTest:
    """Run the app with ``state`` in the session (and ``query`` as the URL's query parameters,
    as a link would open it), then switch to the page at ``path``."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params.update(query or {})
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if path != HOME:
        at.switch_page(path)
        at.run()
    assert not at.exception, at.exception
    return at


def component_data(at: AppTest, key: str) -> dict[str, Any]:
    """The ``data`` a page handed the live explorer (or its sliders) mounted with ``key``:
    AppTest runs no JavaScript, but it keeps what Python sent."""
    for element in at.get("bidi_component"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.json)
    raise AssertionError(f"no component with key {key!r}")


def keep_media(monkeypatch) -> dict[str, bytes]:
    """The bytes of every file the app hands Streamlit's media store from now on (images and
    download buttons), by file id. AppTest builds a new store each run and drops it, so this
    notes what goes in, and changes nothing of what the app sees."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files: dict[str, bytes] = {}
    store = MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
        file_id = store(self, path_or_data, mimetype, kind, filename)
        files[file_id] = self.get_file(file_id).content
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)
    return files


def downloaded(at: AppTest, key: str, media: dict[str, bytes]) -> bytes:
    """What the download button with ``key`` hands a person (``media`` from ``keep_media``)."""
    (button,) = [b for b in at.get("download_button") if b.proto.id.endswith(f"-{key}")]
    return media[button.proto.url.rsplit("/", 1)[1].split(".")[0]]
