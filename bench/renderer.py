"""Today's canvas renderer (ui/components/explorer/renderer.js MapView) at 5,000 and 60,000
points in headless Chromium: frame time during an animated transition between two layouts, and
hover (pointer event -> hit test + ring drawn -> next frame), on an 800 x 800 css px map.

The renderer's own module is loaded into a bare page (served from the repository by Playwright's
router, no Streamlit): the points are ten Gaussian clusters; layout B moves every cluster to
another place, as a new epoch or projection does. The transition redraws every point on each
animation frame for ``--seconds`` (1 s, ease in-out):

- frame: the interval between animation frames while the points move (what the eye sees);
- draw: the JS time of one ``drawPoints`` (into an ImageData, then ``putImageData``);
- hover: the pointer sweeps the map 16 ms apart; each move runs ``nearestVisible`` and
  ``drawOverlay`` as the explorer does; event timestamp -> the next animation frame.

Chromium runs with the project's flags (harness/browser.py: ``--disable-gpu``): the canvas is
rasterised and composited in software, and WebGL, were it used, would run on SwiftShader (a CPU
emulation of a GPU), so a WebGL renderer's numbers here say little of a real GPU's.
Prints a table, writes bench/results/renderer.json. ``python -m bench.renderer``.
"""

from __future__ import annotations

import numpy as np

from bench import report
from harness import browser as harness
from harness.browser import ROOT

ORIGIN = "http://renderer.bench"
MODULES = ROOT / "ui" / "components" / "explorer"
SIZES = [5_000, 60_000]
TIMINGS = ("frame_ms", "draw_ms", "hover_ms")  # each a {"p50", "p95"} in ms
TARGETS = {"frame_p50_ms_5k": 16.0, "frame_p95_ms_5k": 33.0, "frame_p50_ms_60k": 33.0}
PAGE = """<!doctype html><html><head><link rel="stylesheet" href="explorer.css"></head>
<body style="margin:0"><div class="lx"><div class="lx-map" style="width:800px;height:800px">
<canvas class="lx-background"></canvas><canvas class="lx-points"></canvas>
<canvas class="lx-overlay"></canvas></div></div>
<script type="module">
import { MapView } from "./renderer.js";
window.benchReady = (async () => {
  const colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                  "#7f7f7f", "#bcbd22", "#17becf"];
  window.makeMap = (a, b, labels) => {
    // a, b: Float32Array [N * 2] (two layouts); labels: Uint8Array [N]
    const n = labels.length, coords = Float32Array.from(a);
    const order = new Uint32Array(n).map((_, i) => i);
    const points = { coords, labels, n, order, bounds: { x0: -12, y1: 12, w: 24, h: 24 },
                     pointXY: (i) => [coords[2 * i], coords[2 * i + 1]] };
    const probe = { timeline: {} }, box = document.querySelector(".lx-map");
    const view = new MapView(box, points, colors, null, probe);
    view.size(800, 800); view.drawPoints(); view.drawOverlay({ marks: [] });
    window.bench = { view, a, b, points, probe, hovers: [] };
    box.onpointermove = (e) => {
      const r = box.getBoundingClientRect(), t = e.timeStamp;
      const index = view.nearestVisible(e.clientX - r.left, e.clientY - r.top);
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


def layouts(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two layouts of n points in ten clusters (float32 [n, 2] each) and their labels [n]."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    angles = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    centres = 7 * np.stack([np.cos(angles), np.sin(angles)], 1)
    a = centres[labels] + rng.normal(0, 1.2, (n, 2))
    b = centres[(labels * 3 + 1) % 10] * 0.6 + rng.normal(0, 1.8, (n, 2))  # moved, spread
    return a.astype(np.float32), b.astype(np.float32), labels


def serve(route) -> None:
    """The bench page and the explorer's own modules, from this repository."""
    name = route.request.url.removeprefix(f"{ORIGIN}/")
    if name == "index.html":
        return route.fulfill(body=PAGE, content_type="text/html")
    path = MODULES / name
    if path.parent != MODULES or not path.is_file():
        return route.fulfill(status=404)
    kind = "text/css" if name.endswith(".css") else "text/javascript"
    route.fulfill(body=path.read_text(), content_type=kind)


def measure(page, n: int, seconds: float, moves: int) -> dict:
    """One map of n points: a transition there and back, then a hover sweep."""
    a, b, labels = layouts(n)
    page.evaluate(
        "([a, b, l]) => makeMap(Float32Array.from(a), Float32Array.from(b), Uint8Array.from(l))",
        [a.ravel().tolist(), b.ravel().tolist(), labels.tolist()],
    )
    there = page.evaluate("(s) => transition(s)", seconds)
    page.evaluate("() => { const w = window.bench; [w.a, w.b] = [w.b, w.a]; }")
    back = page.evaluate("(s) => transition(s)", seconds)
    frames, draws = there["frames"] + back["frames"], there["draws"] + back["draws"]
    box = page.locator(".lx-map").bounding_box()
    harness.pointer_sweep(page, box, moves)
    page.wait_for_timeout(200)
    hovers = page.evaluate("() => window.bench.hovers")

    def stats(values):
        return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}

    return {
        "points": n,
        "frames": len(frames),
        "frame_ms": stats(frames),
        "draw_ms": stats(draws),
        "hover_ms": stats(hovers),
        "hovers": len(hovers),
    }


def main() -> None:
    parser = report.parser(__doc__, "renderer")
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--moves", type=int, default=200)
    args = parser.parse_args()
    result: dict = {"renderer": "canvas 2D (renderer.js MapView)", "map_css_px": [800, 800]}
    result["chromium_flags"] = harness.CHROMIUM_ARGS
    result["targets"], result["sizes"] = TARGETS, {}
    with harness.chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/index.html")
        page.evaluate("() => window.benchReady")
        for n in SIZES:
            result["sizes"][str(n)] = measure(page, n, args.seconds, args.moves)
    report.table(
        ["points", "frame p50 / p95 ms", "drawPoints p50 / p95 ms", "hover p50 / p95 ms"],
        [
            [e["points"], *(f"{e[k]['p50']:.1f} / {e[k]['p95']:.1f}" for k in TIMINGS)]
            for e in result["sizes"].values()
        ],
    )
    report.write(args.out, result)


if __name__ == "__main__":
    main()
