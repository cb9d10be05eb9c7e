"""App latency in a real browser (Playwright + Debian's Chromium), on the shipped checkpoints.

0. Every page's first open on a fresh server, as a person sees it: from the request to the
   script run ended and every image of the page loaded (one server per page).
1. Start-up: from launching ``streamlit run app.py`` to the latent map drawn in Chromium
   (a fresh server each time; no training, no t-SNE at start-up).
2. Click on a data point of the live explorer to the side panel's image shown, over many
   clicks: p50 / p95 (``click_latencies_ms`` clicks the Plotly map of the page before it).

Prints a table and writes bench/results/app_latency.json. ``python -m bench.app_latency``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bench import report
from harness import browser as harness
from ui.navigation import PAGES

ROOT = Path(__file__).resolve().parents[1]

STARTUP_TARGET_S = 5.0
CLICK_P95_TARGET_MS = 300.0
KEY = "map_explorer"  # the Latent map's live explorer
PROBE = harness.explorer_probe(KEY)


def _map_drawn(page) -> None:
    page.wait_for_function(harness.MAP_DRAWN_JS, timeout=120_000)  # the explorer's, or a Plotly map


def startup_seconds(browser, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with harness.streamlit_server(timeout=120) as (url, _):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            harness.ask_for_probes(page)
            page.goto(f"{url}/latent_map", wait_until="commit")
            _map_drawn(page)
            times.append(time.perf_counter() - start)
            page.close()
    return times


# The side panel shows a new selection: its heading changed and its first image has loaded.
PANEL_SHOWN_JS = """(before) => {
    const h = [...document.querySelectorAll('h3')]
        .find(e => /^(Digit #|Empty space at)/.test(e.innerText));
    const img = document.querySelector('[data-testid="stImage"] img');
    return h && h.innerText !== before && img && img.complete && img.naturalWidth > 0
        ? h.innerText : null;
}"""


IMAGES_LOADED_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] img')]
    .every(img => img.complete && img.naturalWidth > 0)"""


def first_open(browser, view: str, root: Path = ROOT) -> float:
    """Seconds from requesting the page of ``view`` (its file, e.g. views/vae.py) on a fresh
    server of the tree at ``root`` to its run ended with every image loaded."""
    url_path = "" if view == "views/home.py" else Path(view).stem
    with harness.streamlit_server(timeout=120, script=root / "app.py", cwd=root) as (url, _):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        harness.goto(page, url, url_path, timeout=300)
        page.wait_for_function(IMAGES_LOADED_JS, timeout=120_000)
        seconds = time.perf_counter() - start
        if page.locator('[data-testid="stException"]').count():  # a fast error is no open
            raise RuntimeError(f"{view} shows an exception: {page.inner_text('body')}")
        page.close()
    return seconds


def first_opens(browser, titles: list[str] | None = None) -> dict[str, float]:
    """Seconds from requesting each page (of ``titles``, default all) on a fresh server to its
    run ended with every image loaded: what a first visitor of that page waits."""
    opens = {}
    for spec in PAGES:
        if titles and spec.title not in titles:
            continue
        opens[spec.title] = first_open(browser, spec.path)
        print(f"{spec.title}: {opens[spec.title]:.1f} s", flush=True)
    return opens


@contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """The tree of ``ref`` (a commit of this repository) in a temporary git worktree."""
    with tempfile.TemporaryDirectory() as parent:
        tree = Path(parent) / "baseline"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", "-q", str(tree), ref], check=True)
        try:
            yield tree
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=True)


def first_opens_against(browser, ref: str) -> dict[str, dict[str, float]]:
    """Every page this tree and ``ref``'s tree both have, first opened on a fresh server of
    each in turn (which tree goes first alternates by page), so both meet the same machine:
    the before-and-after of a change in one run. One unmeasured open of each tree first, so
    neither pays the browser's first start or cold files."""
    opens = {}
    with checkout(ref) as tree:
        shared = [spec for spec in PAGES if (tree / spec.path).exists()]
        for root in (ROOT, tree):  # unmeasured: the browser's and each tree's first start
            first_open(browser, "views/home.py", root)
        for index, spec in enumerate(shared):
            order = [("ours", ROOT), ("baseline", tree)][:: 1 if index % 2 == 0 else -1]
            opens[spec.title] = {name: first_open(browser, spec.path, root) for name, root in order}
            print(f"{spec.title}: {opens[spec.title]}", flush=True)
    return opens


@contextmanager
def files_aside(pattern: str) -> Iterator[list[str]]:
    """Move the files matching ``pattern`` (relative to the repository) out of the tree for a
    block, then put them back: a page opened meanwhile computes what they hold, as before they
    shipped. Yields the names moved."""
    moved = sorted(ROOT.glob(pattern))
    with tempfile.TemporaryDirectory() as aside:
        for path in moved:
            shutil.move(path, Path(aside) / path.name)
        try:
            yield [path.name for path in moved]
        finally:
            for path in moved:
                shutil.move(Path(aside) / path.name, path)  # over any file recomputed meanwhile


def panel_latencies_ms(page, pixels) -> list[float]:
    """Click each (x, y) of ``pixels`` (page pixels, computed as each click comes, after the
    last one's rerun) and time it until the side panel shows a new selection, image loaded.
    The pointer rests on the point first: Plotly selects the hovered point on click."""
    latencies, shown = [], ""
    for x, y in pixels:
        page.mouse.move(x, y)
        page.wait_for_timeout(150)
        start = time.perf_counter()
        page.mouse.click(x, y)
        handle = page.wait_for_function(PANEL_SHOWN_JS, arg=shown, timeout=30_000)
        latencies.append((time.perf_counter() - start) * 1000)
        shown = handle.json_value()
        harness.wait_idle(page)
    return latencies


def click_latencies_ms(browser, clicks: int, seed: int = 0, url: str | None = None) -> list[float]:
    """Click random data points of the Plotly map (the page before the live explorer; ``url``:
    a server of such a tree, else one of this tree is started); time from the click until the
    side panel shows the new selection with its image loaded (in a dense cluster the click may
    select a neighbour, and hover may pick the faint grid instead: any new selection counts,
    and both decode)."""
    if url is None:
        with harness.streamlit_server(timeout=120) as (url, _):
            return click_latencies_ms(browser, clicks, seed, url)
    rng = np.random.default_rng(seed)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    harness.ask_for_probes(page)
    page.goto(f"{url}/latent_map")
    _map_drawn(page)
    harness.wait_idle(page)
    points = page.evaluate(
        "() => { const d = document.querySelector('.js-plotly-plot')._fullData;"
        " return d.filter(t => t.customdata && t.name !== 'empty space')"
        ".flatMap(t => Array.from(t.customdata, (c, i) => [c, t.x[i], t.y[i]])); }"
    )
    picks = [points[k] for k in rng.choice(len(points), clicks, replace=False)]
    latencies = panel_latencies_ms(
        page, (harness.plot_pixel(page, 0, {"xy": [x, y]}) for _, x, y in picks)
    )
    page.close()
    return latencies


def explorer_clicks_ms(browser, url: str, clicks: int) -> list[float]:
    """Click isolated points of the explorer's map; time to the side panel shown (the same
    condition as today's click: heading changed, image loaded)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    harness.ask_for_probes(page)
    page.goto(f"{url}/latent_map")
    harness.wait_explorer(page, KEY, timeout=180)
    harness.wait_idle(page)
    candidates = harness.explorer_isolated(page, KEY, 3 * clicks)
    order = np.random.default_rng(0).permutation(len(candidates))[:clicks]
    latencies = panel_latencies_ms(
        page, (harness.explorer_point_pixel(page, KEY, candidates[k]) for k in order)
    )
    page.close()
    return latencies


def main() -> None:
    parser = report.parser(__doc__, "app_latency")
    parser.add_argument("--startups", type=int, default=3)
    parser.add_argument("--clicks", type=int, default=30)
    parser.add_argument("--pages", default="", help="comma-separated page titles (default: all)")
    parser.add_argument(
        "--without",
        default="",
        help="first open the --without-pages again with these files (a glob) moved aside",
    )
    parser.add_argument("--without-pages", default="Home,Style & content")
    parser.add_argument(
        "--baseline", default="", help="a commit: only first opens, each page of both trees"
    )
    args = parser.parse_args()
    if args.baseline:
        before_and_after(args)
        return
    without = {}
    with harness.chromium() as browser:
        if args.without:
            with files_aside(args.without) as moved:
                opens_without = first_opens(browser, args.without_pages.split(","))
            without = {"files": moved, "first_open_s": opens_without}
        opens = first_opens(browser, [t for t in args.pages.split(",") if t])
        starts = startup_seconds(browser, args.startups)  # --startups 0 / --clicks 0: skipped
        clicks = []
        if args.clicks:
            with harness.streamlit_server(timeout=120) as (url, _):
                clicks = explorer_clicks_ms(browser, url, args.clicks)
    result: dict = {
        "pages": {title: {"first_open_s": seconds} for title, seconds in opens.items()},
        "without": without,  # the same pages opened first with --without's files moved aside
    }
    rows = startup_and_click_rows(result, starts, clicks)
    home = opens.get("Home")
    rows += [
        (
            f"first open: {title} (s)",
            f"{seconds:.1f}",
            "<= 2x Home",
            None if home is None else seconds <= 2 * home,
        )
        for title, seconds in opens.items()
    ]
    report.table(
        ("measure", "value", "target", "pass"),
        [(n, v, t, "" if ok is None else "yes" if ok else "NO") for n, v, t, ok in rows],
    )
    report.write(args.out, result)


def startup_and_click_rows(result: dict, starts: list[float], clicks: list[float]) -> list:
    """Put the start-up and click figures into ``result`` (when measured); their table rows."""
    rows = []
    if starts:
        result["startup_s"] = {
            "runs": starts,
            "p50": float(np.median(starts)),
            "max": max(starts),
            "target": STARTUP_TARGET_S,
        }
        rows.append(
            (
                "start-up to map drawn (s)",
                f"p50 {result['startup_s']['p50']:.2f}  max {max(starts):.2f}",
                f"<= {STARTUP_TARGET_S}",
                max(starts) <= STARTUP_TARGET_S,
            )
        )
    if clicks:
        result["click_ms"] = {
            "runs": clicks,
            "p50": float(np.percentile(clicks, 50)),
            "p95": float(np.percentile(clicks, 95)),
            "target_p95": CLICK_P95_TARGET_MS,
        }
        rows.append(
            (
                "click to decoded image (ms)",
                f"p50 {result['click_ms']['p50']:.0f}  p95 {result['click_ms']['p95']:.0f}",
                f"p95 <= {CLICK_P95_TARGET_MS:.0f}",
                result["click_ms"]["p95"] <= CLICK_P95_TARGET_MS,
            )
        )
    return rows


def before_and_after(args) -> None:
    """``--baseline REF``: the first open of every page of this tree beside REF's."""
    with harness.chromium() as browser:
        opens = first_opens_against(browser, args.baseline)
    report.table(
        ("page", "baseline (s)", "ours (s)", "ours / baseline"),
        [
            (title, f"{t['baseline']:.1f}", f"{t['ours']:.1f}", f"{t['ours'] / t['baseline']:.2f}")
            for title, t in opens.items()
        ],
    )
    ratios = [t["ours"] / t["baseline"] for t in opens.values()]
    print(f"median ratio {np.median(ratios):.2f}, worst {max(ratios):.2f}")
    out = args.out
    if out == report.RESULTS / "app_latency.json":  # not over the full run's file
        out = report.RESULTS / "app_latency_before_after.json"
    report.write(out, {"baseline": args.baseline, "first_open_s": opens})


if __name__ == "__main__":
    main()
