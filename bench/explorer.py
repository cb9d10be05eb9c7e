"""The live explorer in real Chromium: pointer move -> decoded digit drawn, beside today's click.

For each map (ae_k2 raw, vae_k16 PCA, vae_k16 t-SNE, and ae_k2 raw repeated to 60,000 points)
on tests/apps/explorer_demo.py, the pointer sweeps the map in small steps ~16 ms apart (a
mouse at 60 Hz) and the component's own timings are read back:

- decode + draw: ``session.run`` of one code plus ``putImageData`` of the 28x28 digit;
- pointer event -> pixels: the pointer event's timestamp to the first animation frame after
  the digit was drawn (the frame that shows it);
- moves decoded: the share of moves that got their own decode (one decode at a time; a move
  during one only replaces the pending code, so some are skipped by design);
- frames sent: websocket frames the page sent to the server while hovering (must be 0).

Twin maps (tests/apps/twin_demo.py, PCA | ae_k2 and ae_k2 | vae_k2): the pointer sweeps the
left map the same way; each move over a digit decodes it with both models, each move over empty
space decodes it with the left model, encodes that picture with the right one and decodes again:

- decode + encode + draw: those model runs plus drawing both pictures and both maps' overlays;
- pointer event -> both previews drawn: to the first animation frame after that;
- frames sent: as above (must be 0).

Also: page open -> explorer live (runtime + model + arrays loaded), one map redraw (zoom) at
the map's size and the explorer's click -> value shown by Python. The Latent map page itself
against a bare Streamlit page and the Plotly page it replaced: bench/map_page.py.
Prints a table, writes bench/results/explorer.json.
``python -m bench.explorer``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from bench import report
from harness import browser as harness

ROOT = Path(__file__).resolve().parents[1]

KEY = "demo_explorer"
PROBE = harness.explorer_probe(KEY)
MAPS = [
    ("ae_k2 raw", "model=ae_k2&proj=raw"),
    ("vae_k16 PCA", "model=vae_k16&proj=pca"),
    ("vae_k16 t-SNE", "model=vae_k16&proj=tsne"),
    ("ae_k2 raw, 60,000 points", "model=ae_k2&proj=raw&n=60000"),
]
TWIN_KEY = "demo_twin"
TWINS = [("PCA | ae_k2", "pca,ae_k2:raw"), ("ae_k2 | vae_k2", "ae_k2:raw,vae_k2:raw")]
TARGETS = {
    "decode_draw_p95_ms": 4.0,
    "event_to_pixels_p95_ms": 20.0,
    "at_60k_p95_ms": 33.0,
    "twin_run_p95_ms": 8.0,
    "twin_event_to_pixels_p95_ms": 25.0,
}


def pct(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def open_live(page, url: str, query: str, reload: bool = False, probe: str = PROBE) -> dict:
    """Open (or reload) the page; seconds from navigation to the map drawn and to live."""
    if reload:
        page.reload(wait_until="commit")
    else:
        page.goto(f"{url}/?{query}", wait_until="commit")
    # The floor of any Streamlit page: its script has run and its title is drawn.
    title = page.wait_for_function(
        "() => document.querySelector('h1') && performance.now()", polling="raf", timeout=180_000
    ).json_value()
    page.wait_for_function(
        f"() => {{ const p = {probe}; return p && p.status !== 'loading'; }}", timeout=180_000
    )
    status, timeline = page.evaluate(f"() => [{probe}.status, {probe}.timeline]")
    if status != "live":
        raise RuntimeError(f"{query}: the explorer is {status}, not live")
    harness.wait_idle(page)
    return {
        "title_s": title / 1000,
        "map_drawn_s": timeline["mapDrawn"] / 1000,
        "live_s": timeline["live"] / 1000,
    }


def sweep(page, moves: int, frames_sent: list, probe: str = PROBE) -> dict:
    """Move the pointer along a Lissajous path over the (first) map; the component's timings."""
    box = page.locator(".lx-map:visible").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    before, sent = page.evaluate(f"() => {probe}.stats.length"), len(frames_sent)
    harness.pointer_sweep(page, box, moves)
    page.wait_for_timeout(300)
    stats = page.evaluate(f"(n) => {probe}.stats.slice(n)", before)
    hover = [s for s in stats if s["kind"] in ("point", "space") and s["frame"] is not None]
    handler = page.evaluate(f"() => {probe}.lastMoveMs")
    decode = [s["decoded"] - s["start"] for s in hover]
    to_pixels = [s["frame"] - s["event"] for s in hover]
    return {
        "moves": moves,
        "decodes": len(hover),
        "over_space": sum(s["kind"] == "space" for s in hover),
        "decode_draw_ms": {"p50": pct(decode, 50), "p95": pct(decode, 95)},
        "event_to_pixels_ms": {"p50": pct(to_pixels, 50), "p95": pct(to_pixels, 95)},
        "frames_sent": len(frames_sent) - sent,
        "last_move_handler_ms": handler,  # hit test + inverse + overlay of the last move
    }


def redraw_ms(page, times: int = 10) -> dict:
    """Zoom in and out with the wheel; the time to redraw every point, as the JS measured it."""
    box = page.locator(".lx-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    values = []
    for i in range(times):
        page.mouse.wheel(0, -120 if i % 2 == 0 else 120)
        page.wait_for_timeout(60)
        values.append(page.evaluate(f"() => {PROBE}.lastPointsDrawMs"))
    return {"p50": pct(values, 50), "p95": pct(values, 95)}


def explorer_clicks_ms(page, clicks: int) -> list[float]:
    """Click on the map -> the demo page shows the click Python received (one rerun)."""
    box = page.locator(".lx-map").bounding_box()
    rng = np.random.default_rng(0)
    latencies = []
    for _ in range(clicks):
        x = box["x"] + box["width"] * rng.uniform(0.2, 0.8)
        y = box["y"] + box["height"] * rng.uniform(0.2, 0.8)
        page.mouse.move(x, y)
        page.wait_for_timeout(100)
        runs = page.inner_text('[data-testid="stMain"]').split("script runs: ")[1].split(" ")[0]
        start = time.perf_counter()
        page.mouse.click(x, y)
        page.wait_for_function(
            "(runs) => { const m = document.querySelector('[data-testid=stMain]').innerText"
            ".match(/script runs: (\\d+)/); return m && m[1] !== runs"
            " && document.querySelector('[data-testid=stCode]'); }",
            arg=runs,
            timeout=30_000,
        )
        latencies.append((time.perf_counter() - start) * 1000)
        harness.wait_idle(page)
    return latencies


def _sweep_row(name: str, e: dict) -> str:
    """A row of the table: the sweep's timings (``sweep``'s result ``e``)."""
    d, q = e["decode_draw_ms"], e["event_to_pixels_ms"]
    return (
        f"{name:26} {d['p50']:9.2f} / {d['p95']:5.2f} ms {q['p50']:10.1f} / {q['p95']:5.1f} ms"
        f" {e['decodes']:4}/{e['moves']:<4} {e['frames_sent']:5}"
    )


def main() -> None:
    parser = report.parser(__doc__, "explorer")
    parser.add_argument("--moves", type=int, default=300)
    parser.add_argument("--clicks", type=int, default=15)
    args = parser.parse_args()
    result: dict = {"maps": {}, "targets": TARGETS}
    result["maps"], result["explorer_click_ms"] = single_maps(args.moves, args.clicks)
    result["twins"] = twin_maps(args.moves)
    print_tables(result)
    report.write(args.out, result)


def single_maps(moves: int, clicks: int) -> tuple[dict, dict]:
    """Each of ``MAPS`` in the explorer demo: a cold open, a pointer sweep, a reload and the
    redraw time; and the clicks on the ae_k2 raw map ({"runs", "p50", "p95"} in ms)."""
    maps, click_ms = {}, {}
    demo = ROOT / "tests" / "apps" / "explorer_demo.py"
    with harness.chromium() as browser, harness.streamlit_server(script=demo) as (url, _):
        for name, query in MAPS:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            harness.ask_for_probes(page)
            frames: list = []
            page.on("websocket", lambda ws, f=frames: ws.on("framesent", lambda m: f.append(m)))
            open_live(page, url, query)  # the first open computes/loads caches: not timed
            page.close()
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            harness.ask_for_probes(page)
            page.on("websocket", lambda ws, f=frames: ws.on("framesent", lambda m: f.append(m)))
            cold = open_live(page, url, query)  # a new context: nothing in its cache
            entry = sweep(page, moves, frames)
            entry["cold"], entry["warm"] = cold, open_live(page, url, query, reload=True)
            entry["redraw_ms"] = redraw_ms(page)
            if name == "ae_k2 raw":
                runs = explorer_clicks_ms(page, clicks)
                click_ms = {"runs": runs, "p50": pct(runs, 50), "p95": pct(runs, 95)}
            maps[name] = entry
            page.close()
    return maps, click_ms


def twin_maps(moves: int) -> dict:
    """Each of ``TWINS`` in the twin demo: a cold open and a pointer sweep over both maps."""
    twins = {}
    twin_probe = harness.explorer_probe(TWIN_KEY)
    twin_demo = ROOT / "tests" / "apps" / "twin_demo.py"
    with harness.chromium() as browser, harness.streamlit_server(script=twin_demo) as (url, _):
        for name, pair in TWINS:
            query = f"pair={pair}"
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            harness.ask_for_probes(page)
            frames = []
            page.on("websocket", lambda ws, f=frames: ws.on("framesent", lambda m: f.append(m)))
            entry = {"cold": open_live(page, url, query, probe=twin_probe)}
            entry.update(sweep(page, moves, frames, probe=twin_probe))
            twins[name] = entry
            page.close()
    return twins


def print_tables(result: dict) -> None:
    print(
        f"{'map':26} {'decode+draw p50/p95':>20} {'event->pixels p50/p95':>22} "
        f"{'decoded':>9} {'sent':>5} {'redraw p95':>11} {'live cold/warm':>15}"
    )
    for name, e in result["maps"].items():
        print(
            f"{_sweep_row(name, e)} {e['redraw_ms']['p95']:8.1f} ms"
            f" {e['cold']['live_s']:5.2f} / {e['warm']['live_s']:4.2f} s"
        )
    for name, e in result["maps"].items():
        print(
            f"{name:26} page title {e['cold']['title_s']:.2f} s -> map drawn "
            f"{e['cold']['map_drawn_s']:.2f} s -> live {e['cold']['live_s']:.2f} s (cold); "
            f"{e['warm']['title_s']:.2f} -> {e['warm']['map_drawn_s']:.2f} -> "
            f"{e['warm']['live_s']:.2f} s (reload)"
        )
    print(
        f"{'twin maps':26} {'decode+encode+draw':>20} {'event->both drawn':>22} "
        f"{'runs':>9} {'sent':>5} {'over space':>11} {'live cold':>15}"
    )
    for name, e in result["twins"].items():
        print(f"{_sweep_row(name, e)} {e['over_space']:11} {e['cold']['live_s']:13.2f} s")
    c = result["explorer_click_ms"]
    print(f"explorer click -> Python shows it:        p50 {c['p50']:.0f} ms  p95 {c['p95']:.0f} ms")


if __name__ == "__main__":
    main()
