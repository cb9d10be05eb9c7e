"""The Latent map page with the live explorer beside its baselines, in one run, in real Chromium.

1. Page start: a fresh browser context (nothing cached) opens the page of a warm server; the
   time from navigation to the map drawn and, for the explorer, to live (runtime, decoder and
   arrays loaded: the preview follows the pointer), against
   - a bare Streamlit page with the same 5,000-point scatter (bench/bare_page.py: Plotly WebGL,
     no torch, no model): its scatter drawn, the floor of any Streamlit map;
   - today's page before the explorer (``git archive`` of ``--today`` into a temp dir): its
     Plotly map drawn.
   Rounds alternate between the three servers, so a busy moment hits all of them.
2. Click -> side panel: a click on a random map point until the panel's heading names the new
   selection and its image has loaded; the explorer's click on this tree, the Plotly click on
   today's (bench/app_latency.click_latencies_ms).

Prints a table, writes bench/results/map_page.json. ``python -m bench.map_page``.
"""

from __future__ import annotations

import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from bench import report
from bench.app_latency import KEY, PROBE, click_latencies_ms, explorer_clicks_ms
from bench.load import bare_page_data
from harness import browser as harness

ROOT = Path(__file__).resolve().parents[1]

TODAY = "f294bf2"  # the last commit whose Latent map is the Plotly chart
START_RATIO_TARGET = 1.3  # map drawn and live <= 1.3 x the bare page's scatter drawn


def pct(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def open_seconds(browser, url: str, live: bool) -> dict:
    """A fresh context opens ``url``: seconds from navigation to the map drawn (and live)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    harness.ask_for_probes(context)
    page = context.new_page()
    page.goto(url, wait_until="commit")
    drawn = page.wait_for_function(
        f"() => ({harness.MAP_DRAWN_JS})() && performance.now()", polling="raf", timeout=180_000
    ).json_value()
    result = {"drawn_s": drawn / 1000}
    if live:
        harness.wait_explorer(page, KEY, timeout=180)
        result["live_s"] = page.evaluate(f"() => {PROBE}.timeline.live") / 1000
    harness.wait_idle(page)
    context.close()
    return result


def export_tree(commit: str, folder: Path) -> Path:
    """``git archive`` of a commit (its checkpoints and static files included) into ``folder``.

    f294bf2's merge left ui/explorer.py importing INVERSE_NEIGHBOURS from core.projection (it
    lived in core.maps), and ui/preload imports every ui module, so that tree does not start:
    the one import is mended in the copy, nothing else."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True
    ).stdout
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    explorer = folder / "ui" / "explorer.py"
    # that tree's own module names (before the move to core/latent/: projection.py, maps.py)
    broken = "from core.projection import INVERSE_NEIGHBOURS, Projection"
    explorer.write_text(
        explorer.read_text().replace(broken, "from core.maps import INVERSE_NEIGHBOURS, Projection")
    )
    return folder


def summary(runs: list[float]) -> dict:
    return {"runs": runs, "p50": pct(runs, 50), "p95": pct(runs, 95)}


def main() -> None:
    parser = report.parser(__doc__, "map_page")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clicks", type=int, default=15)
    parser.add_argument("--today", default=TODAY, help="the commit of today's page")
    args = parser.parse_args()
    starts: dict[str, list[dict]] = {"explorer": [], "bare": [], "today": []}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        today = export_tree(args.today, Path(tmp) / "today")
        env = {"BARE_PAGE_DATA": str(bare_page_data(Path(tmp)))}
        servers = {  # (server, the page's path)
            "explorer": (harness.streamlit_server(timeout=120), "/latent_map"),
            "bare": (
                harness.streamlit_server(env, timeout=120, script=ROOT / "bench" / "bare_page.py"),
                "",
            ),
            "today": (
                harness.streamlit_server(timeout=120, script=today / "app.py", cwd=today),
                "/latent_map",
            ),
        }
        urls = {name: stack.enter_context(s).url + path for name, (s, path) in servers.items()}
        browser = stack.enter_context(harness.chromium())
        for name, url in urls.items():  # warm: imports, caches, the projection; not timed
            open_seconds(browser, url, live=name == "explorer")
        for _ in range(args.rounds):
            for name, url in urls.items():
                starts[name].append(open_seconds(browser, url, live=name == "explorer"))
        ours = explorer_clicks_ms(
            browser, urls["explorer"].removesuffix("/latent_map"), args.clicks
        )
        theirs = click_latencies_ms(
            browser, args.clicks, url=urls["today"].removesuffix("/latent_map")
        )
    result = {
        "start_s": {
            name: {
                "drawn": summary([r["drawn_s"] for r in runs]),
                **({"live": summary([r["live_s"] for r in runs])} if name == "explorer" else {}),
            }
            for name, runs in starts.items()
        },
        "click_ms": {"explorer": summary(ours), "today": summary(theirs)},
        "today_commit": args.today,
        "targets": {"start_live_over_bare_drawn": START_RATIO_TARGET, "click": "<= today"},
    }
    print_tables(result, args.today)
    report.write(args.out, result)


def print_tables(result: dict, today: str) -> None:
    """Page starts as multiples of the bare page's, and the click latencies."""
    s, c = result["start_s"], result["click_ms"]
    bare = s["bare"]["drawn"]["p50"]
    rows = [
        ("bare page: scatter drawn (s)", s["bare"]["drawn"], 1.0),
        ("today's page: map drawn (s)", s["today"]["drawn"], s["today"]["drawn"]["p50"] / bare),
        (
            "explorer page: map drawn (s)",
            s["explorer"]["drawn"],
            s["explorer"]["drawn"]["p50"] / bare,
        ),
        ("explorer page: live (s)", s["explorer"]["live"], s["explorer"]["live"]["p50"] / bare),
    ]
    print(f"{'page start, fresh browser':34} {'p50':>7} {'p95':>7}  {'x bare (p50)':>12}")
    for name, v, ratio in rows:
        print(f"{name:34} {v['p50']:7.2f} {v['p95']:7.2f}  {ratio:12.2f}")
    print(f"target: explorer live <= {START_RATIO_TARGET} x bare")
    print(f"{'click -> side panel image (ms)':34} {'p50':>7} {'p95':>7}")
    print(f"{'explorer (this tree)':34} {c['explorer']['p50']:7.0f} {c['explorer']['p95']:7.0f}")
    print(f"{'Plotly map (' + today + ')':34} {c['today']['p50']:7.0f} {c['today']['p95']:7.0f}")


if __name__ == "__main__":
    main()
