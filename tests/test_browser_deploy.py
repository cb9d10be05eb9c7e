"""Two replicas behind HAProxy (``scripts/serve.sh --replicas 2``) in a real Chromium: a model
trained on one replica is in the other's model picker (they share a checkpoint folder), and when
a replica dies its pages come back on the other one with the same map and selection.

The replicas share a temporary checkpoint folder with two shipped models in it; every process
(serve.sh, both replicas, HAProxy) is stopped by ``replicas_behind_balancer``, also on failure.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import time

import pytest

from harness.browser import (
    MAP_DRAWN_JS,
    ROOT,
    ask_for_probes,
    goto,
    open_tiny_training,
    replicas_behind_balancer,
    screenshot,
)

pytestmark = pytest.mark.browser

SHIPPED = ("ae_k2.pt", "classifier.pt")  # the map's model and the classifier its pages use
SELECTIONS = (7, 120, 2500, 4321)  # one selected digit per session, carried by the URL
COOKIE = "LATENTLAB_REPLICA"  # deploy/haproxy.cfg.template: which replica a browser is on
FAILOVER_SECONDS = 30


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shared_checkpoints")
    for name in SHIPPED:
        shutil.copy2(ROOT / "checkpoints" / name, folder / name)
    with replicas_behind_balancer(2, env={"LATENT_LAB_CHECKPOINTS": str(folder)}) as cluster:
        assert len(cluster.replicas) == 2
        yield cluster, folder


def _replica_of(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == COOKIE), None)


def test_a_model_trained_on_one_replica_is_in_the_other_s_picker(
    cluster, chromium, exports_removed
):
    cluster, folder = cluster
    first, second = cluster.replicas
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        main, _ = open_tiny_training(page, first.url, epochs=1)
        main.get_by_role("button", name="Start training").click()
        # Beside a running job: it lives in this replica's process and dies with it.
        page.get_by_text("is lost if this replica stops").wait_for()
        page.get_by_text("It is now in the sidebar's model picker").wait_for(timeout=300_000)
        new = [p for p in folder.glob("*.pt") if p.name not in SHIPPED]
        assert len(new) == 1, new

        # The other replica never ran this training; it reads the shared folder.
        goto(page, second.url, "latent_map")
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="Model").click()
        page.get_by_role("option", name=re.compile(re.escape(new[0].stem))).wait_for()
        screenshot(page, "deploy_trained_elsewhere")
    finally:
        context.close()


# The page has finished its run, shows its selected digit's panel, and its map is drawn.
_SHOWS_SELECTION_JS = f"""(index) => {{
    const app = document.querySelector('[data-testid="stApp"]');
    const main = document.querySelector('[data-testid="stMain"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && main.innerText.includes(`Digit #${{index}} `) && ({MAP_DRAWN_JS})();
}}"""


def _count_frames(ws, received: list) -> None:
    """Append a counter for this WebSocket to ``received``; it counts the frames it receives."""
    count = [0]
    received.append(count)
    ws.on("framereceived", lambda _: count.__setitem__(0, count[0] + 1))


def test_a_dead_replica_s_pages_come_back_on_the_other_with_their_selection(cluster, chromium):
    cluster, _ = cluster
    contexts = [chromium.new_context(viewport={"width": 1400, "height": 1000}) for _ in SELECTIONS]
    for context in contexts:
        ask_for_probes(context)  # the explorer's probe says when its map is drawn
    try:
        pages = [context.new_page() for context in contexts]
        sockets: list[list] = [[] for _ in pages]  # per page, per WebSocket: [frames received]
        for page, received in zip(pages, sockets, strict=True):
            page.on("websocket", lambda ws, received=received: _count_frames(ws, received))
        for page, index in zip(pages, SELECTIONS, strict=True):  # all four load at once
            page.goto(f"{cluster.url}/latent_map?model=ae_k2&sel=i{index}", wait_until="commit")
        for page, index in zip(pages, SELECTIONS, strict=True):
            page.wait_for_function(_SHOWS_SELECTION_JS, arg=index, timeout=120_000)
        before = [_replica_of(c) for c in contexts]
        assert set(before) == {"replica1", "replica2"}, before  # round robin, then sticky

        os.kill(cluster.replicas[0].pid, signal.SIGKILL)
        killed = time.monotonic()
        for page, received, index, was in zip(pages, sockets, SELECTIONS, before, strict=True):
            if was == "replica1":  # reconnected: the live replica ran the page for a new socket
                while not (len(received) >= 2 and received[-1][0] >= 3):
                    waited = time.monotonic() - killed
                    assert waited < FAILOVER_SECONDS, f"#{index} did not reconnect: {received}"
                    page.wait_for_timeout(200)
            left = max(1.0, FAILOVER_SECONDS - (time.monotonic() - killed))
            page.wait_for_function(_SHOWS_SELECTION_JS, arg=index, timeout=left * 1000)
            main = page.locator('[data-testid="stMain"]')
            assert page.locator('[data-testid="stException"]').count() == 0
            assert "Traceback" not in main.inner_text()
            assert f"sel=i{index}" in page.url
        seconds = time.monotonic() - killed
        print(f"every page shows its selection again {seconds:.1f} s after the kill")
        assert seconds < FAILOVER_SECONDS
        screenshot(pages[before.index("replica1")], "deploy_after_failover")
        # The sessions on the live replica did not notice: still their first WebSocket.
        assert [len(r) for r, w in zip(sockets, before, strict=True) if w == "replica2"] == [1, 1]
        assert {_replica_of(c) for c in contexts} == {"replica2"}
    finally:
        for context in contexts:
            context.close()
