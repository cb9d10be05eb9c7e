"""The one way the page tests open the app under Streamlit's AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from .conftest import ROOT

APP = str(ROOT / "app.py")
HOME = "views/home.py"


def open_page(path: str = HOME, timeout: float = 120, **state) -> AppTest:
    """Run the app with ``state`` in the session, then switch to the page at ``path``."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if path != HOME:
        at.switch_page(path)
        at.run()
    assert not at.exception, at.exception
    return at
