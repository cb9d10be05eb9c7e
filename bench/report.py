"""What every benchmark script shares: its ``--out`` argument (bench/results/<name>.json by
default) and writing its result there as JSON, after the table it prints."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def parser(doc: str, name: str) -> argparse.ArgumentParser:
    """The script's parser: described by its docstring's first line, with ``--out``."""
    found = argparse.ArgumentParser(description=doc.split("\n")[0])
    found.add_argument("--out", type=Path, default=RESULTS / f"{name}.json")
    return found


def write(out: Path, result: dict[str, Any]) -> None:
    """``result`` as indented JSON into ``out`` (its folder made when missing)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")
