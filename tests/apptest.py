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
