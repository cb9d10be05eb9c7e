"""A real browser on the real app, for the tests and the benches alike: a ``streamlit run``
server on a free port, Debian's Chromium driven by Playwright with the project's flags, and
the waits, clicks, probes and screenshots that both need.

Plotly points are found at their pixel position (``plot_pixel``), computed in the page from the
plot div's ``_fullData`` (x, y, customdata of each trace) and its axes' ``_offset``, ``_length``
and ``range``.
The live explorer (ui/explorer.py) is driven through the probe it leaves in the page,
``window.latentExplorer[key]``: its status, timings and the map's own data -> pixel transform.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server(NamedTuple):
    url: str  # http://127.0.0.1:<port>
    process: subprocess.Popen  # e.g. for its peak memory


@contextmanager
def streamlit_server(
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    script: Path = ROOT / "app.py",
    cwd: Path = ROOT,
) -> Iterator[Server]:
    """Start ``streamlit run <script>`` on a free loopback port from ``cwd`` (whose .streamlit/
    config turns on static serving); yield (URL, process) once it answers; stop it."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / f"streamlit-{port}.log").open("w")
    proc = subprocess.Popen(
        cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log.name}")
            time.sleep(0.2)
        yield Server(url, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


class Replica(NamedTuple):
    url: str  # http://127.0.0.1:<port>, the replica itself (not through the balancer)
    pid: int  # its `streamlit run` process: /proc/<pid> for CPU and memory; kill it to fail over


class Cluster(NamedTuple):
    url: str  # the balancer: what a class opens
    replicas: list[Replica]
    process: subprocess.Popen  # scripts/serve.sh, leader of its own process group


_REPLICA_LINE = re.compile(r"replica (\d+): (http://\S+) pid (\d+)")


@contextmanager
def replicas_behind_balancer(
    replicas: int, env: dict[str, str] | None = None, timeout: float = 180.0
) -> Iterator[Cluster]:
    """``bash scripts/serve.sh --replicas N`` on a free loopback port (replicas on free ports
    too); yields the balancer's URL and each replica once all answer through it. On the way out
    serve.sh gets SIGTERM (it stops what it started), then its whole process group SIGKILL for
    anything still there: nothing outlives a failed test."""
    port = free_port()
    logs = ARTIFACTS / f"serve-{port}"
    logs.mkdir(parents=True, exist_ok=True)
    cmd = ["bash", str(ROOT / "scripts/serve.sh"), "--replicas", str(replicas)]
    cmd += ["--port", str(port), "--address", "127.0.0.1", "--logs", str(logs)]
    out = (logs / "serve.out").open("w+")
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable, **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: one signal reaches every replica
    )
    try:
        deadline = time.monotonic() + timeout
        while "Ctrl-C stops everything" not in (text := (logs / "serve.out").read_text()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"scripts/serve.sh did not start:\n{text}")
            time.sleep(0.3)
        found = [Replica(url, int(pid)) for _, url, pid in _REPLICA_LINE.findall(text)]
        yield Cluster(f"http://127.0.0.1:{port}", found, proc)
    finally:
        proc.terminate()  # serve.sh's own way out: it stops every process it started
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(30)
        with contextlib.suppress(ProcessLookupError):  # anything left behind, serve.sh included
            os.killpg(proc.pid, signal.SIGKILL)
        out.close()


def launch_chromium(playwright):
    """Debian's Chromium with the project's flags, from a sync or an async Playwright (await
    the async one's result). Never ``playwright install``: the system's browser is the one."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def chromium():
    """A sync Playwright and its Chromium (``launch_chromium``); yields the browser, closes it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield browser
        finally:
            browser.close()


def wait_idle(page, timeout: float = 60.0) -> None:
    """Wait until the app has drawn something and its script run has finished, twice in a row
    (a rerun that a click triggers may start a moment after the click)."""
    idle = """() => {
        const app = document.querySelector('[data-testid="stApp"]');
        const main = document.querySelector('[data-testid="stMain"]');
        return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
            && !!main && main.innerText.trim().length > 0;
    }"""
    for _ in range(2):
        page.wait_for_function(idle, timeout=timeout * 1000)
        page.wait_for_timeout(200)


def goto(page, app_url: str, url_path: str = "", timeout: float = 90.0) -> None:
    page.goto(f"{app_url}/{url_path}", wait_until="domcontentloaded")
    wait_idle(page, timeout)


_POINT_JS = """([chart, match]) => {
    const plots = document.querySelectorAll('.js-plotly-plot');
    const gd = plots[chart];
    if (!gd || !gd._fullData) return null;
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const box = gd.querySelector('.nsewdrag') || gd;
    const r = box.getBoundingClientRect();
    const px = (x) => r.left + (x - xa.range[0]) / (xa.range[1] - xa.range[0]) * xa._length;
    const py = (y) => r.top + (ya.range[1] - y) / (ya.range[1] - ya.range[0]) * ya._length;
    if (match.xy) return [px(match.xy[0]), py(match.xy[1])];
    for (const t of gd._fullData) {
        if (!t.customdata || t.visible !== true) continue;
        for (let i = 0; i < t.customdata.length; i++) {
            const c = Array.isArray(t.customdata[i]) ? t.customdata[i][0] : t.customdata[i];
            if (c === match.index) return [px(t.x[i]), py(t.y[i])];
        }
    }
    return null;
}"""


def main_text(page) -> str:
    """The text of the page's main area (no sidebar)."""
    return page.inner_text('[data-testid="stMain"]')


def pointer_sweep(page, box: dict, moves: int) -> None:
    """Move the pointer ``moves`` times along a Lissajous path over ``box`` (a bounding box),
    one move per 60 Hz frame: every part of a map, at a pace a hand could keep."""
    for i in range(moves):
        t = i / moves * 2 * math.pi
        x = box["x"] + box["width"] * (0.5 + 0.42 * math.sin(3 * t))
        y = box["y"] + box["height"] * (0.5 + 0.42 * math.sin(2 * t + 0.3))
        page.mouse.move(x, y)
        page.wait_for_timeout(16)


def open_tiny_training(page, url: str, epochs: int):
    """Open the Train page at ``url`` and set up the smallest run: ``epochs`` epochs of an AE
    with a 2-D code. Returns the page's main area and the latent-size slider."""
    goto(page, url, "training")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_label("Epochs").fill(str(epochs))
    main.get_by_label("Epochs").press("Enter")
    wait_idle(page)
    slider = main.locator('[data-testid="stSlider"]').filter(has_text="Latent size k")
    slider.get_by_role("slider").focus()
    for _ in range(3):  # 16 -> 2: the smallest network
        page.keyboard.press("ArrowLeft")
    wait_idle(page)
    return main, slider


def plot_pixel(page, chart: int, match: dict) -> tuple[float, float]:
    page.wait_for_function(
        "(n) => { const p = document.querySelectorAll('.js-plotly-plot')[n];"
        " return p && p._fullData && p._fullLayout && p._fullLayout.xaxis._length > 0; }",
        arg=chart,
    )
    xy = page.evaluate(_POINT_JS, [chart, match])
    if xy is None:
        raise AssertionError(f"no point {match} in plotly chart {chart}")
    return xy


def ask_for_probes(target):
    """Ask the live explorers of every page ``target`` (a Playwright context or page) opens to
    leave their probe in ``window.latentExplorer`` (ui/components/explorer/probes.js): it is
    defined before the app's scripts run. Returns Playwright's result (await it when async)."""
    return target.add_init_script("window.latentExplorer = window.latentExplorer || {};")


def explorer_probe(key: str) -> str:
    """JS for the probe of the explorer mounted with ``key`` (undefined until it is mounted)."""
    return f"(window.latentExplorer && window.latentExplorer[{key!r}])"


def wait_explorer(page, key: str, status: str = "live", timeout: float = 90.0) -> None:
    """Wait until the explorer ``key`` is in ``status`` ("live": decoding; "fallback": clicks)."""
    page.wait_for_function(
        f"(s) => {{ const p = {explorer_probe(key)}; return p && p.status === s; }}",
        arg=status,
        timeout=timeout * 1000,
    )


def explorer_pixel(page, key: str, x: float, y: float) -> tuple[float, float]:
    """Map (data) coordinates on explorer ``key`` -> page pixels, the map scrolled into view."""
    return page.evaluate(
        f"""([x, y]) => {{ const e = {explorer_probe(key)}.explorer, box = e.map;
            const seen = box.getBoundingClientRect();
            if (seen.top < 0 || seen.bottom > innerHeight) box.scrollIntoView({{block: "center"}});
            const r = box.getBoundingClientRect(), [px, py] = e.toPixel(x, y);
            return [r.left + px, r.top + py]; }}""",
        [float(x), float(y)],  # numpy floats do not serialise
    )


def explorer_point_pixel(page, key: str, index: int) -> tuple[float, float]:
    """Page pixels of dataset point ``index`` on explorer ``key``."""
    x, y = page.evaluate(f"(i) => {explorer_probe(key)}.explorer.pointXY(i)", index)
    return explorer_pixel(page, key, x, y)


def explorer_isolated(page, key: str, n: int) -> list[int]:
    """n points (among the first 500) farthest in pixels from any other point and well inside
    the map: a click or a drag at one lands on it, not on a neighbour."""
    return page.evaluate(
        f"""(n) => {{ const e = {explorer_probe(key)}.explorer, found = [];
            for (let i = 0; i < Math.min(500, e.n); i++) {{
                const [u, v] = e.toPixel(...e.pointXY(i));
                if (u < 20 || v < 20 || u > e.width - 20 || v > e.height - 20) continue;
                let gap = Infinity;
                for (let j = 0; j < e.n; j++) {{
                    if (j === i) continue;
                    const [p, q] = e.toPixel(...e.pointXY(j)), d = (p - u) ** 2 + (q - v) ** 2;
                    if (d < gap) gap = d;
                }}
                found.push([gap, i]);
            }}
            return found.sort((a, b) => b[0] - a[0]).slice(0, n).map((f) => f[1]); }}""",
        n,
    )


def screenshot(page, name: str) -> Path:
    """The whole page as a person scrolls it: Streamlit scrolls inside its main block (so
    ``full_page`` sees one screen), hence the window grows to fit it, then shrinks back."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size(
        {"width": size["width"], "height": max(size["height"], min(height + 40, 6000))}
    )
    page.wait_for_timeout(800)  # plotly redraws at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


# --- many sessions at once (asyncio Playwright: one Chromium, one context per person) ----------

# The map drawn: the live explorer's points (the app's map), or a Plotly map of more than five
# traces (bench/bare_page.py; not ui/preload's tiny chart).
MAP_DRAWN_JS = """() => Object.values(window.latentExplorer || {}).some(p => p.timeline.mapDrawn)
    || [...document.querySelectorAll('.js-plotly-plot')]
        .some(p => p._fullData && p._fullData.length > 5)"""
_EXCEPTIONS_JS = """() => [...document.querySelectorAll('[data-testid="stException"]')]
    .map(e => e.innerText.slice(0, 400))"""
_IDLE_JS = """() => document.querySelector('[data-testid="stApp"]')
    ?.getAttribute('data-test-script-state') === 'notRunning'"""


async def open_map_async(page, url: str, path: str, timeout: float = 60.0) -> dict:
    """Open ``path``; wait for the map or an exception, then for the run to end. Returns
    {"map": drawn?, "exceptions": [their texts], "seconds": from goto to map or failure}."""
    start = time.perf_counter()
    await page.goto(f"{url}/{path}", wait_until="commit", timeout=timeout * 1000)
    either = f"() => ({MAP_DRAWN_JS})() || ({_EXCEPTIONS_JS})().length > 0"
    try:
        await page.wait_for_function(either, timeout=timeout * 1000)
        seconds = time.perf_counter() - start
        await page.wait_for_function(_IDLE_JS, timeout=timeout * 1000)
    except Exception as exc:  # playwright's TimeoutError: reported as no map, not raised
        return {"map": False, "exceptions": [f"no map: {exc.__class__.__name__}"], "seconds": None}
    return {
        "map": await page.evaluate(MAP_DRAWN_JS),
        "exceptions": await page.evaluate(_EXCEPTIONS_JS),
        "seconds": seconds,
    }


def open_concurrently(url: str, path: str, sessions: int, timeout: float = 60.0) -> list[dict]:
    """``sessions`` browsers open ``path`` at the same moment; one result per session.
    Runs its event loop in a thread of its own, beside any sync Playwright of the caller."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from playwright.async_api import async_playwright

    async def run() -> list[dict]:
        async with async_playwright() as p:
            browser = await launch_chromium(p)
            contexts = [
                await browser.new_context(viewport={"width": 1400, "height": 1000})
                for _ in range(sessions)
            ]
            for c in contexts:
                await ask_for_probes(c)
            pages = [await c.new_page() for c in contexts]
            opens = (open_map_async(pg, url, path, timeout) for pg in pages)
            results = await asyncio.gather(*opens)
            await browser.close()
            return list(results)

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()
