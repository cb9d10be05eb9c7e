"""Writing a file so that no reader ever sees half of it: the one way checkpoints, maps, codes,
learning curves, ONNX exports and the browser's arrays reach the disk."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path in ``path``'s folder (created if needed) to write to; when the block
    ends without an error the file is made world-readable (mkstemp makes it owner-only, and
    caches are for every reader) and moved onto ``path`` with ``os.replace``, else deleted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
