"""Pages that come back after a failover (scripts/serve.sh, deploy/).

When a page's WebSocket drops, Streamlit's browser code reconnects through the balancer. It asks
the server to run the page again only when the page has a timed fragment (``run_every``): a
page without one keeps its old drawing and waits for a click. After a failover the server is
another replica, which has no session for the page, so the page would sit there stale. This
timed fragment, drawn in the sidebar and empty, makes every page ask for a run on reconnect; the
live replica runs it from the URL (page, dataset, model, projection, selection) and the widget
values the browser still holds. Its timer costs one empty run per session every few minutes.
"""

from __future__ import annotations

import streamlit as st

TIMER = "5min"  # any period works: what counts is that the page has a timed fragment


@st.fragment(run_every=TIMER)
def _timed() -> None:
    """Draws nothing; see the module's docstring."""


def rerun_after_reconnect() -> None:
    """Call once per run, after the sidebar: every page then reruns when its WebSocket returns."""
    with st.sidebar:
        _timed()
