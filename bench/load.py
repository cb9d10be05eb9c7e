"""A class on the app at once: N real-browser sessions on a fresh server, beside a bare page.

1. Load: a fresh ``streamlit run app.py``; N Chromium sessions (default 10) open the latent map
   (the live explorer) at the same moment, then each clicks random points. Per click, the time
   from the click to the panel's new digit with every image in it loaded (timed inside the
   page); misses (no new digit within 30 s), exceptions shown, and the server's peak memory.
2. The same for bench/bare_page.py (the same 5,000-point WebGL scatter and a precomputed image):
   the baseline, under the same load in the same run. Target: p95 within 1.5x the bare page's.
3. The cold-open race check, ``--rounds`` times (default 5): a fresh server, N sessions opening
   the map at once; every one must draw the map and show no exception.

Prints a table and writes bench/results/load.json. ``python bench/load.py [--sessions 10]``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from harness import browser as harness  # noqa: E402

P95_RATIO_TARGET = 1.5
CLICK_TIMEOUT_S = 30.0

# Page pixels of every map point: the live explorer's (the app's map, scrolled into view), or
# the Plotly map's (bench/bare_page.py).
_POINTS_JS = """() => {
    const live = Object.values(window.latentExplorer || {})[0];
    if (live) {
        const e = live.explorer, box = e.map, seen = box.getBoundingClientRect();
        if (seen.top < 0 || seen.bottom > innerHeight) box.scrollIntoView({block: "center"});
        const r = box.getBoundingClientRect();
        return Array.from({length: e.n}, (_, i) => {
            const [px, py] = e.toPixel(...e.pointXY(i));
            return [r.left + px, r.top + py]; });
    }
    const d = document.querySelectorAll('.js-plotly-plot');
    const gd = [...d].find(p => p._fullData && p._fullData.length > 5);
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const r = (gd.querySelector('.nsewdrag') || gd).getBoundingClientRect();
    return gd._fullData.filter(t => t.customdata && t.name !== 'empty space')
        .flatMap(t => Array.from(t.customdata, (c, i) => [
            r.left + (t.x[i] - xa.range[0]) / (xa.range[1] - xa.range[0]) * xa._length,
            r.top + (ya.range[1] - t.y[i]) / (ya.range[1] - ya.range[0]) * ya._length])); }"""
# The click's time stamp, taken in the page, so the driver's own delays under load do not count.
_WATCH_CLICKS_JS = """() => window.addEventListener('pointerdown',
    () => { window.__clickAt = performance.now(); }, true)"""
# A new digit in the panel, the run finished, and every image in the main area loaded.
_SHOWN_JS = """(before) => {
    const h = [...document.querySelectorAll('h3')]
        .find(e => /^(Digit #|Empty space at)/.test(e.innerText));
    const app = document.querySelector('[data-testid="stApp"]');
    if (!h || h.innerText === before
        || app.getAttribute('data-test-script-state') !== 'notRunning') return null;
    const main = document.querySelector('[data-testid="stMain"]');
    const imgs = [...main.querySelectorAll('[data-testid="stImage"] img')];
    if (!imgs.length || !imgs.every(i => i.complete && i.naturalWidth > 0)) return null;
    return [h.innerText, performance.now() - window.__clickAt];
}"""


_LIVE_OR_NOT_EXPLORER_JS = """() => { const live = Object.values(window.latentExplorer || {})[0];
    return !live || live.status === "live" || live.status === "fallback"; }"""


async def _person(
    browser, url: str, path: str, clicks: int, seed: int, wait_live: bool = False
) -> dict:
    """One person: open the page, then click ``clicks`` random points, a second apart
    (``wait_live``: only once the explorer decodes in the browser, a diagnostic)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await harness.ask_for_probes(context)
    page = await context.new_page()
    opened = await harness.open_map_async(page, url, path, timeout=180)
    result = {**opened, "click_ms": [], "misses": 0}
    if opened["map"] and wait_live:
        await page.wait_for_function(_LIVE_OR_NOT_EXPLORER_JS, timeout=180_000)
    if opened["map"]:
        await page.evaluate(_WATCH_CLICKS_JS)
        points = await page.evaluate(_POINTS_JS)
        rng = np.random.default_rng(seed)
        shown = ""
        for k in rng.choice(len(points), clicks, replace=False):
            x, y = points[k]
            await page.mouse.move(x, y)
            await page.wait_for_timeout(150)  # plotly selects the hovered point on click
            await page.mouse.click(x, y)
            try:
                handle = await page.wait_for_function(
                    _SHOWN_JS, arg=shown, polling=50, timeout=CLICK_TIMEOUT_S * 1000
                )
                shown, ms = await handle.json_value()
                result["click_ms"].append(ms)
            except Exception:  # playwright's TimeoutError: the click showed nothing new
                result["misses"] += 1
            await page.wait_for_timeout(int(rng.uniform(500, 1500)))  # a person looks
        result["exceptions"] += await page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stException"]')]
                .map(e => e.innerText.slice(0, 400))"""
        )
    await context.close()
    return result


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_run(
    script: Path, path: str, sessions: int, clicks: int, env: dict, wait_live: bool = False
) -> dict:
    """A fresh server for ``script``; ``sessions`` people at once; clicks and memory."""
    from playwright.async_api import async_playwright

    async def run(url: str) -> list[dict]:
        async with async_playwright() as p:
            browser = await harness.launch_chromium(p)
            people = (
                _person(browser, url, path, clicks, seed, wait_live) for seed in range(sessions)
            )
            results = await asyncio.gather(*people)
            await browser.close()
            return list(results)

    with harness.streamlit_server(env=env, timeout=120, script=script) as (url, proc):
        start = time.perf_counter()
        people = asyncio.run(run(url))
        seconds = time.perf_counter() - start
        peak = _peak_mb(proc.pid)
    clicks_ms = [ms for r in people for ms in r["click_ms"]]
    opens = [r["seconds"] for r in people if r["seconds"] is not None]
    return {
        "sessions": sessions,
        "maps": sum(r["map"] for r in people),
        "open_s": {"p50": _pct(opens, 50), "max": max(opens, default=float("nan"))},
        "click_ms": {"p50": _pct(clicks_ms, 50), "p95": _pct(clicks_ms, 95), "n": len(clicks_ms)},
        "misses": sum(r["misses"] for r in people),
        "exceptions": [e for r in people for e in r["exceptions"]],
        "server_peak_mb": peak,
        "seconds": seconds,
        "click_ms_all": clicks_ms,
    }


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def bare_page_data(folder: Path) -> Path:
    """The shipped ae_k2 raw map's points, with the embedded digits' labels and images."""
    from core.data.datasets import load_dataset
    from core.latent.projections import Projection

    digits = load_dataset("embedded")
    (npz,) = (ROOT / "checkpoints" / "projections").glob("ae_k2_embedded_raw_*.npz")
    path = folder / "bare_page.npz"
    np.savez(
        path,
        coords=Projection.load(npz).coords,
        labels=digits.labels.numpy(),
        images=digits.images.numpy(),
    )
    return path


def cold_opens(rounds: int, sessions: int) -> list[dict]:
    """The race check: ``rounds`` fresh servers, ``sessions`` opening the map at once."""
    out = []
    for _ in range(rounds):
        with harness.streamlit_server(timeout=120) as (url, _):
            results = harness.open_concurrently(url, "latent_map", sessions, timeout=180)
        opens = [r["seconds"] for r in results if r["seconds"] is not None]
        out.append(
            {
                "maps": sum(r["map"] for r in results),
                "exceptions": [e for r in results for e in r["exceptions"]],
                "open_max_s": max(opens, default=float("nan")),
            }
        )
    return out


def main() -> None:
    parser = report.parser(__doc__, "load")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--clicks", type=int, default=8, help="per session")
    parser.add_argument("--rounds", type=int, default=5, help="cold-open race checks")
    parser.add_argument(
        "--wait-live",
        action="store_true",
        help="diagnostic: each person clicks only once the explorer decodes in the browser",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare_env = {"BARE_PAGE_DATA": str(bare_page_data(Path(tmp)))}
        app = load_run(
            ROOT / "app.py", "latent_map", args.sessions, args.clicks, {}, args.wait_live
        )
        bare = load_run(ROOT / "bench" / "bare_page.py", "", args.sessions, args.clicks, bare_env)
    races = cold_opens(args.rounds, args.sessions)
    ratio = app["click_ms"]["p95"] / bare["click_ms"]["p95"]
    result = {
        "sessions": args.sessions,
        "clicks_per_session": args.clicks,
        "app": app,
        "bare_page": bare,
        "p95_ratio": ratio,
        "p95_ratio_target": P95_RATIO_TARGET,
        "cold_opens": races,
    }
    print(f"{args.sessions} sessions at once, {args.clicks} clicks each, fresh servers")
    print(f"{'':14} {'maps':>5} {'open max s':>10} {'click p50 ms':>12} {'p95 ms':>8} "
          f"{'misses':>6} {'exceptions':>10} {'peak MB':>8}")  # fmt: skip
    for name, r in (("app", app), ("bare page", bare)):
        print(
            f"{name:14} {r['maps']:>5} {r['open_s']['max']:>10.1f} {r['click_ms']['p50']:>12.0f}"
            f" {r['click_ms']['p95']:>8.0f} {r['misses']:>6} {len(r['exceptions']):>10}"
            f" {r['server_peak_mb']:>8.0f}"
        )
    verdict = "yes" if ratio <= P95_RATIO_TARGET else "NO"
    print(f"click p95, app / bare page: {ratio:.2f}x (target <= {P95_RATIO_TARGET}x): {verdict}")
    for i, r in enumerate(races, 1):
        print(
            f"cold open {i}: {r['maps']}/{args.sessions} maps, {len(r['exceptions'])} exceptions,"
            f" slowest {r['open_max_s']:.1f} s"
        )
    report.write(args.out, result)


if __name__ == "__main__":
    main()
