"""What the commands that fill a cache from a folder of checkpoints share
(``python -m core.latent.caches`` and ``python -m core.latent.export``, ``--precompute FOLDER
[--prune]``):
their arguments, and deleting the cached files that no checkpoint in the folder has any more."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path


def precompute_parser(
    prog: str, description: str, what: str, cache_flag: str, default_dir: Path
) -> argparse.ArgumentParser:
    """``--precompute FOLDER`` (required; ``what`` says what is made of its checkpoints), the
    cache folder ``--<cache_flag>`` (``default_dir`` unless given) and ``--prune``."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    help = f"folder of checkpoints whose {what}"
    parser.add_argument("--precompute", type=Path, required=True, metavar="FOLDER", help=help)
    parser.add_argument(f"--{cache_flag}", type=Path, default=default_dir)
    parser.add_argument("--prune", action="store_true", help="delete cached files not written now")
    return parser


def prune_stale(folder: str | Path, pattern: str, written: Iterable[Path]) -> None:
    """Delete each ``pattern`` file in ``folder`` that this run did not write: the caches of
    checkpoints that were retrained (their bytes, hence their keys, changed) or removed."""
    for stale in sorted(set(Path(folder).glob(pattern)) - set(written)):
        stale.unlink()
        print(f"removed stale {stale}")
