"""A class opening the latent map at once on a freshly started server: everyone gets the map.

Regression: with each session importing torch and numpy itself, one of ten cold sessions showed
``AttributeError: partially initialized module 'numpy' has no attribute 'ndarray'`` (plotly
validating a chart while another session was half-way through importing numpy). ui/preload.py
now imports everything once per process in one thread; bench/load.py repeats this check 5 times.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser import CHROMIUM, open_concurrently, streamlit_server

pytestmark = pytest.mark.browser

SESSIONS = 10


def test_ten_cold_sessions_at_once_all_see_the_map_and_no_exception():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does)")
    with streamlit_server() as (url, _):  # fresh: nothing imported, nothing cached
        results = open_concurrently(url, "latent_map", SESSIONS, timeout=120)
    assert [e for r in results for e in r["exceptions"]] == []
    assert sum(r["map"] for r in results) == SESSIONS
