"""A page's first open against the Home page's, with and without a shipped cache folder.

Each open runs the app under Streamlit's AppTest in a fresh Python process (no cache of any kind
warm), from the run's start to its end; the three variants are interleaved, so a change of load
falls on all of them, and each is the median of ``--runs``:

- Home, on the shipped checkpoint folder;
- the page, on the shipped checkpoint folder;
- the page on a copy of that folder without the cache subfolder ``--without`` (deleted again
  before each open, through ``LATENT_LAB_CHECKPOINTS``): what the page costs when it must
  compute what the folder ships.

Issue 25's target: every page's first open within 2x the Home page's. Prints a table and writes
bench/results/first_open.json. ``python -m bench.first_open``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench import report

ROOT = Path(__file__).resolve().parents[1]
HOME = "views/home.py"
TARGET_RATIO = 2.0

OPEN_ONCE = """
import sys, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=600)
if sys.argv[2] != "views/home.py":
    at.switch_page(sys.argv[2])
start = time.perf_counter()
at.run()
assert not at.exception, at.exception
print(time.perf_counter() - start)
"""


def first_open_seconds(page: str, checkpoints: Path | None = None) -> float:
    """One first open of ``page`` in a fresh Python process, on ``checkpoints`` (default: the
    shipped folder)."""
    env = dict(os.environ)
    if checkpoints is not None:
        env["LATENT_LAB_CHECKPOINTS"] = str(checkpoints)
    done = subprocess.run(
        [sys.executable, "-c", OPEN_ONCE, str(ROOT / "app.py"), page],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    return float(done.stdout.strip().splitlines()[-1])


def measure(page: str, without: str, runs: int) -> dict[str, list[float]]:
    """Seconds of each open: {"home", "page", "page without <without>"}, ``runs`` of each."""
    times: dict[str, list[float]] = {"home": [], "page": [], f"page without {without}": []}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "checkpoints"
        shutil.copytree(ROOT / "checkpoints", copy, ignore=shutil.ignore_patterns("__pycache__"))
        for run in range(runs):
            shutil.rmtree(copy / without, ignore_errors=True)  # what the last open wrote
            times["home"].append(first_open_seconds(HOME))
            times["page"].append(first_open_seconds(page))
            times[f"page without {without}"].append(first_open_seconds(page, copy))
            print(f"run {run + 1}/{runs}: " + ", ".join(f"{v[-1]:.1f} s" for v in times.values()))
    return times


def main() -> None:
    parser = report.parser(__doc__, "first_open")
    parser.add_argument("--page", default="views/pca_vs_ae.py")
    parser.add_argument("--without", default="scores", help="the cache subfolder left out")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times = measure(args.page, args.without, args.runs)
    medians = {name: float(np.median(seconds)) for name, seconds in times.items()}
    ratios = {name: m / medians["home"] for name, m in medians.items()}
    report.table(
        ["open", f"median of {args.runs} (s)", "x Home"],
        [[name, medians[name], ratios[name]] for name in times],
    )
    result = {
        "page": args.page,
        "without": args.without,
        "seconds": times,
        "median_s": medians,
        "ratio": ratios["page"],
        "ratio_without": ratios[f"page without {args.without}"],
        "met": bool(ratios["page"] <= TARGET_RATIO),
    }
    report.write(args.out, result)


if __name__ == "__main__":
    main()
