"""What every benchmark script shares: its ``--out`` argument (bench/results/<name>.json by
default), the table it prints, and its result written as JSON with the run's commit, machine
and date. ``python -m bench.report --readme`` rewrites README.md's block of measured figures
from the committed results (``readme_block``); tests/test_bench.py fails when they differ.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
BEGIN = "<!-- measured figures: written by `python -m bench.report --readme` from bench/results -->"
END = "<!-- end of measured figures -->"


def parser(doc: str, name: str) -> argparse.ArgumentParser:
    """The script's parser: described by its docstring's first line, with ``--out``."""
    found = argparse.ArgumentParser(prog=f"python -m bench.{name}", description=doc.split("\n")[0])
    found.add_argument("--out", type=Path, default=RESULTS / f"{name}.json")
    return found


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows under a header, each column as wide as its widest cell."""
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _cpu() -> str:
    cpuinfo = Path("/proc/cpuinfo")  # Linux; elsewhere what platform knows
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def run_info() -> dict[str, Any]:
    """Which code on which machine, when: the commit (``+dirty`` with uncommitted changes),
    the CPU, its cores, whether training here runs in bf16, and the UTC date."""
    import torch

    from core.training.devices import cpu_has_bf16, resolve_precision

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return {
        "commit": commit + ("+dirty" if dirty else ""),
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "bf16_hardware": cpu_has_bf16(),
        "precision_auto": resolve_precision("auto", torch.device("cpu")),
        "torch": torch.__version__.split("+")[0],
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,  # a shared machine
    }


def write(out: Path, result: dict[str, Any]) -> None:
    """``result`` and ``run_info()`` (under "run") as indented JSON into ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"run": run_info(), **result}
    out.write_text(json.dumps(payload, indent=2, default=_plain) + "\n")
    print(f"wrote {out}")


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as JSON numbers and lists."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


# --- README.md's block of measured figures ----------------------------------------------------


def load(name: str, results: Path = RESULTS) -> dict[str, Any] | None:
    path = results / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _when(result: dict[str, Any]) -> str:
    run = result.get("run")
    if run is None:
        return "run not recorded"
    bf16 = "bf16" if run["precision_auto"] == "bf16" else "fp32"
    load = run.get("load_1min")
    busy = f", load {load:.0f} at the end" if load is not None else ""
    return f"{run['date'][:10]}, commit {run['commit']}, {run['cores']} cores{busy}, {bf16}"


def readme_block(results: Path = RESULTS) -> str:
    """The README's measured figures, made from the results files alone."""
    from bench import figures

    parts = [BEGIN, ""]
    for section in figures.SECTIONS:
        text = section(lambda name: load(name, results), _when)
        for paragraph in filter(None, text.strip().split("\n\n")):
            parts += [paragraph if "```" in paragraph else _wrap(paragraph), ""]
    return "\n".join([*parts, END])


def _wrap(paragraph: str) -> str:
    """One paragraph in lines of at most 100 characters, as the rest of the README."""
    return textwrap.fill(
        " ".join(paragraph.split()), 100, break_long_words=False, break_on_hyphens=False
    )


def rewrite_readme(readme: Path = README, results: Path = RESULTS) -> bool:
    """Replace the block between ``BEGIN`` and ``END`` in ``readme``; True if it changed."""
    text = readme.read_text()
    start, stop = text.index(BEGIN), text.index(END) + len(END)
    new = text[:start] + readme_block(results) + text[stop:]
    readme.write_text(new)
    return new != text


def readme_block_now(readme: Path = README) -> str:
    text = readme.read_text()
    return text[text.index(BEGIN) : text.index(END) + len(END)]


def main(argv: list[str] | None = None) -> None:
    found = argparse.ArgumentParser(
        prog="python -m bench.report", description=__doc__.split("\n")[0]
    )
    found.add_argument("--readme", action="store_true", help="rewrite README.md's measured block")
    args = found.parse_args(argv)
    if args.readme:
        changed = rewrite_readme()
        print(f"README.md {'rewritten' if changed else 'already up to date'}")
    else:
        print(readme_block())


if __name__ == "__main__":
    main()
