"""The map's renderer, two candidates side by side in one headless Chromium: today's canvas
(ui/components/explorer/renderer.js MapView) and regl-scatterplot (WebGL), at 5,000 and 60,000
points on an 800 x 800 css px map: frame time during an animated transition between two
layouts, and hover (pointer event -> hovered point highlighted -> next frame).

Each renderer gets a bare page of its own (served by Playwright's router, no Streamlit), a fresh
tab per renderer and size, in the same browser, viewport and order (sizes outer, renderers
inner). The points are ten Gaussian clusters; layout B moves every cluster to another place, as
a new epoch or projection does. The transition lasts ``--seconds`` (1 s, ease in-out); one
unmeasured, then there and back:

- frame: the interval between animation frames while the points move (what the eye sees;
  16.7 ms = none dropped at 60 Hz);
- draw: JS time per frame spent drawing. Canvas: one ``drawPoints`` (every point interpolated in
  JS, into an ImageData, ``putImageData``). regl-scatterplot: its own animation-frame callback
  (the interpolation runs in a shader; it renders into a float framebuffer, then copies the
  WebGL canvas onto a 2-D canvas, so the frame waits for the GL work);
- hover: the pointer sweeps the map 16 ms apart; event timestamp -> the animation frame after
  the renderer handled the move (canvas: ``nearestVisible`` + ``drawOverlay`` as the explorer
  does; regl-scatterplot: its own kd-tree raycast, the hovered point redrawn in its next frame).
  ``hits``: moves that found a point.

Chromium runs with the project's flags (harness/browser.py: ``--disable-gpu``): the canvas is
rasterised and composited in software, and WebGL runs on SwiftShader, a CPU emulation of a GPU
(the renderer string is recorded in the results). A laptop with a working GPU would run WebGL
on it instead: regl-scatterplot's numbers here are its worst case, not its figures on a GPU.

regl-scatterplot and its peers (regl, pub-sub-es; 0.2 MB) are vendored for this bench only,
under bench/vendor/ with bench/vendor/LOCK.json (the scheme of static/vendor, checked the same
way); the app does not load them. ``python -m bench.renderer --fetch`` re-fetches them with
``npm pack`` and checks them against the lock. If they are missing or differ, the regl rows are
skipped with a line that says so. Prints a table, writes bench/results/renderer.json.
``python -m bench.renderer``.
"""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np

from bench import report
from harness import browser as harness
from harness.browser import ROOT

ORIGIN = "http://renderer.bench"
MODULES = ROOT / "ui" / "components" / "explorer"
VENDOR = ROOT / "bench" / "vendor"  # regl-scatterplot, regl, pub-sub-es: this bench only
SIZES = [5_000, 60_000]
RENDERERS = {
    "canvas": "canvas 2D (renderer.js MapView)",
    "regl": "regl-scatterplot 1.16.0 (WebGL)",
}
TIMINGS = ("frame_ms", "draw_ms", "hover_ms")  # each a {"p50", "p95"} in ms
TARGETS = {"frame_p50_ms_5k": 16.0, "frame_p95_ms_5k": 33.0, "frame_p50_ms_60k": 33.0}
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip
BOUNDS = 12.0  # the layouts lie within about +-BOUNDS: both renderers fit it to the map, 4 % pad

# Both pages answer the same calls: makeMap(a, b, labels) draws layout a; transition(seconds)
# moves the points to layout b (then measure swaps a and b) and returns {frames, draws} in ms;
# window.bench.hovers collects event -> next frame for each pointer move, window.bench.hits the
# moves that found a point.
CANVAS_PAGE = """<!doctype html><html><head><link rel="stylesheet" href="explorer.css"></head>
<body style="margin:0"><div class="lx"><div class="lx-map" style="width:800px;height:800px">
<canvas class="lx-background"></canvas><canvas class="lx-points"></canvas>
<canvas class="lx-overlay"></canvas></div></div>
<script type="module">
import { MapView } from "./renderer.js";
window.benchReady = (async () => {
  window.makeMap = (a, b, labels, colors, bound) => {
    // a, b: Float32Array [N * 2] (two layouts); labels: Uint8Array [N]
    const n = labels.length, coords = Float32Array.from(a);
    const order = new Uint32Array(n).map((_, i) => i);
    const points = { coords, labels, n, order,
                     bounds: { x0: -bound, y1: bound, w: 2 * bound, h: 2 * bound },
                     pointXY: (i) => [coords[2 * i], coords[2 * i + 1]] };
    const probe = { timeline: {} }, box = document.querySelector(".lx-map");
    const view = new MapView(box, points, colors, null, probe);
    view.size(800, 800); view.drawPoints(); view.drawOverlay({ marks: [] });
    window.bench = { view, a, b, points, probe, hovers: [], hits: 0 };
    box.onpointermove = (e) => {
      const r = box.getBoundingClientRect(), t = e.timeStamp;
      const index = view.nearestVisible(e.clientX - r.left, e.clientY - r.top);
      if (index !== null) window.bench.hits += 1;
      view.drawOverlay({ marks: [], hover: index });
      requestAnimationFrame(() => window.bench.hovers.push(performance.now() - t));
    };
  };
  window.transition = (seconds) => new Promise((done) => {
    // every point from layout a to b, redrawn on each animation frame
    const { view, a, b, points, probe } = window.bench, frames = [], draws = [];
    let start = null, last = null;
    const step = (now) => {
      if (start === null) start = now; else frames.push(now - last);
      last = now;
      const u = Math.min(1, (now - start) / (seconds * 1000)), w = u * u * (3 - 2 * u);
      for (let j = 0; j < a.length; j++) points.coords[j] = (1 - w) * a[j] + w * b[j];
      view.drawPoints(); draws.push(probe.lastPointsDrawMs);
      if (u < 1) requestAnimationFrame(step); else done({ frames, draws });
    };
    requestAnimationFrame(step);
  });
})();
</script></body></html>"""

REGL_PAGE = """<!doctype html><html><body style="margin:0">
<div class="lx-map" style="position:relative;width:800px;height:800px;background:#fff">
<canvas style="display:block;width:800px;height:800px"></canvas></div>
<script>
// Time the animation-frame callbacks regl-scatterplot runs (its render loop), summed per frame
// (Map: frame time -> ms); the bench's own frame clock and hover probes use the untimed original.
const raf = window.requestAnimationFrame.bind(window);
window.benchRaf = raf; window.reglFrameMs = new Map();
window.requestAnimationFrame = (callback) => raf((now) => {
  const t0 = performance.now(); callback(now);
  window.reglFrameMs.set(now, (window.reglFrameMs.get(now) ?? 0) + performance.now() - t0);
});
</script>
<script src="vendor/regl/regl.min.js"></script>
<script type="module">
import createPubSub from "./vendor/pub-sub-es/index.js";
window.createPubSub = createPubSub; // the UMD build reads its two peers from globals
window.benchReady = new Promise((loaded) => {
  const script = document.createElement("script");
  script.src = "vendor/regl-scatterplot/regl-scatterplot.min.js"; script.onload = loaded;
  document.head.append(script);
}).then(() => {
  const createScatterplot = window.createScatterplot.default;
  window.makeMap = async (a, b, labels, colors, bound) => {
    // a, b: Float32Array [N * 2] -> [[x, y, label], ...] in [-1, 1] with the canvas's 4 % pad
    const scale = 1 / (bound * 1.08), n = labels.length;
    const rows = (c) => Array.from({ length: n }, (_, i) =>
      [c[2 * i] * scale, c[2 * i + 1] * scale, labels[i]]);
    const canvas = document.querySelector("canvas"), box = document.querySelector(".lx-map");
    const plot = createScatterplot({
      canvas, width: 800, height: 800, pointSize: 3, pointColor: colors, colorBy: "valueA",
      pointColorHover: "#000000", backgroundColor: "#ffffff", syncEvents: true,
    });
    const bench = { plot, a: rows(a), b: rows(b), hovers: [], hits: 0, hovered: -1 };
    window.bench = bench;
    plot.subscribe("pointover", (i) => { bench.hovered = i; });
    plot.subscribe("pointout", () => { bench.hovered = -1; });
    await plot.draw(bench.a);
    // after regl's own window listener: its raycast and hover() have run
    window.addEventListener("mousemove", (e) => {
      const t = e.timeStamp;
      if (bench.hovered >= 0) bench.hits += 1;
      window.benchRaf(() => bench.hovers.push(performance.now() - t));
    });
    const gl = document.createElement("canvas").getContext("webgl"); // which GL this is
    const info = gl && gl.getExtension("WEBGL_debug_renderer_info");
    const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : "?";
    box.dataset.renderer = JSON.stringify(name);
  };
  window.transition = async (seconds) => {
    // regl-scatterplot's own transition (interpolated on the GPU), timed by a separate clock
    const { plot, b } = window.bench, frames = [];
    let last = null, running = true;
    const clock = (now) => {
      if (last !== null) frames.push(now - last);
      last = now;
      if (running) window.benchRaf(clock);
    };
    window.benchRaf(clock);
    window.reglFrameMs.clear();
    await plot.draw(b, { transition: true, transitionDuration: seconds * 1000 });
    running = false;
    return { frames, draws: [...window.reglFrameMs.values()] };
  };
});
</script></body></html>"""


def layouts(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two layouts of n points in ten clusters (float32 [n, 2] each) and their labels [n]."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    angles = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    centres = 7 * np.stack([np.cos(angles), np.sin(angles)], 1)
    a = centres[labels] + rng.normal(0, 1.2, (n, 2))
    b = centres[(labels * 3 + 1) % 10] * 0.6 + rng.normal(0, 1.8, (n, 2))  # moved, spread
    return a.astype(np.float32), b.astype(np.float32), labels


def vendor_fetch():
    """scripts/vendor_fetch.py (a script, not a package) pointed at bench/vendor: the same
    ``npm pack``, copy and sha256 check as static/vendor's, for this bench's own lock."""
    spec = importlib.util.spec_from_file_location("vendor_fetch", ROOT / "scripts/vendor_fetch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.VENDOR, module.LOCK = VENDOR, VENDOR / "LOCK.json"
    return module


def vendored_problems() -> list[str]:
    """Why bench/vendor cannot run (missing, or not the locked bytes); [] if it can."""
    fetcher = vendor_fetch()
    if not fetcher.LOCK.exists():
        return [f"{fetcher.LOCK.relative_to(ROOT)} is missing"]
    return fetcher.check(json.loads(fetcher.LOCK.read_text()))


def serve(route) -> None:
    """The two bench pages, the explorer's own modules and bench/vendor, from this repository."""
    name = route.request.url.removeprefix(f"{ORIGIN}/")
    pages = {"canvas.html": CANVAS_PAGE, "regl.html": REGL_PAGE}
    if name in pages:
        return route.fulfill(body=pages[name], content_type="text/html")
    root = VENDOR if name.startswith("vendor/") else MODULES
    path = (root / name.removeprefix("vendor/")).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return route.fulfill(status=404)
    kind = "text/css" if name.endswith(".css") else "text/javascript"
    route.fulfill(body=path.read_text(), content_type=kind)


def stats(values: list[float]) -> dict[str, float]:
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}


def measure(browser, renderer: str, n: int, seconds: float, moves: int) -> dict:
    """One map of n points in a fresh tab: a transition there and back after an unmeasured
    one (SwiftShader compiles regl's shaders on first use), then a hover sweep."""
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    try:
        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/{renderer}.html")
        page.evaluate("() => window.benchReady")
        a, b, labels = layouts(n)
        page.evaluate(
            "([a, b, l, c, bound]) => makeMap(Float32Array.from(a), Float32Array.from(b),"
            " Uint8Array.from(l), c, bound)",
            [a.ravel().tolist(), b.ravel().tolist(), labels.tolist(), COLORS, BOUNDS],
        )
        swap = "() => { const w = window.bench; [w.a, w.b] = [w.b, w.a]; }"
        page.evaluate("(s) => transition(s)", seconds)  # warm-up: shaders compiled, JIT warm
        page.evaluate(swap)
        there = page.evaluate("(s) => transition(s)", seconds)
        page.evaluate(swap)
        back = page.evaluate("(s) => transition(s)", seconds)
        frames, draws = there["frames"] + back["frames"], there["draws"] + back["draws"]
        harness.pointer_sweep(page, page.locator(".lx-map").bounding_box(), moves)
        page.wait_for_timeout(200)
        hovers, hits = page.evaluate("() => [window.bench.hovers, window.bench.hits]")
        gl = page.evaluate("() => document.querySelector('.lx-map').dataset.renderer || null")
    finally:
        page.close()
    found = {
        "points": n,
        "frames": len(frames),
        "frame_ms": {**stats(frames), "max": float(max(frames))},
        "draw_ms": stats(draws),
        "hover_ms": stats(hovers),
        "hovers": len(hovers),
        "hits": hits,
    }
    return found | ({"webgl": json.loads(gl)} if gl else {})


def main() -> None:
    parser = report.parser(__doc__, "renderer")
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument(
        "--fetch", action="store_true", help="npm pack bench/vendor again (LOCK.json), then exit"
    )
    args = parser.parse_args()
    if args.fetch:
        fetcher = vendor_fetch()
        fetcher.fetch(json.loads(fetcher.LOCK.read_text()), relock=False)
        sys.exit(1 if vendored_problems() else 0)
    renderers = dict(RENDERERS)
    if problems := vendored_problems():
        print(f"regl-scatterplot skipped ({'; '.join(problems)}): python -m bench.renderer --fetch")
        del renderers["regl"]
    result: dict = {"renderer": RENDERERS["canvas"], "renderers": renderers}
    result["map_css_px"], result["chromium_flags"] = [800, 800], harness.CHROMIUM_ARGS
    result["targets"], result["by_renderer"] = TARGETS, {name: {} for name in renderers}
    with harness.chromium() as browser:
        for n in args.sizes:
            for name in renderers:
                result["by_renderer"][name][str(n)] = measure(
                    browser, name, n, args.seconds, args.moves
                )
    result["sizes"] = result["by_renderer"]["canvas"]  # the canvas's figures, as before
    report.table(
        ["renderer", "points", "frame p50 / p95 ms", "draw p50 / p95 ms", "hover p50 / p95 ms"],
        [
            [name, e["points"], *(f"{e[k]['p50']:.1f} / {e[k]['p95']:.1f}" for k in TIMINGS)]
            for name, sizes in result["by_renderer"].items()
            for e in sizes.values()
        ],
    )
    report.write(args.out, result)


if __name__ == "__main__":
    main()
