"""Write constraints.txt: the exact installed versions of everything requirements-dev.txt needs.

Run it in an environment where ``bash scripts/test.sh`` has just passed, then commit the file:
``python scripts/lock.py``. The README's commands and scripts/test.sh install with
``-c constraints.txt``, so a new machine gets the versions that passed, not the newest of the
day; requirements*.txt keep only lower bounds, for installing into one's own environment.
"""

from __future__ import annotations

import platform
import sys
from importlib.metadata import distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def requirements(path: Path) -> list[Requirement]:
    """The requirements of a requirements file, following ``-r other.txt``."""
    found = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += requirements(path.parent / line[3:].strip())
        elif line:
            found.append(Requirement(line))
    return found


def installed_closure(roots: list[Requirement]) -> dict[str, str]:
    """name -> installed version, for the roots and everything they need on this platform."""
    pins: dict[str, str] = {}
    todo = list(roots)
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in pins:
            continue
        dist = distribution(req.name)  # PackageNotFoundError: not installed, nothing to pin
        pins[name] = dist.version
        extras = {"", *req.extras}
        for spec in dist.requires or []:
            dep = Requirement(spec)
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in extras):
                todo.append(dep)
    return pins


def main() -> None:
    pins = installed_closure(requirements(ROOT / "requirements-dev.txt"))
    header = (
        "# Exact versions the test suite passed with; do not edit. Written by scripts/lock.py\n"
        f"# on Python {platform.python_version()}, {sys.platform} {platform.machine()}.\n"
        "# Use: pip install -r requirements-dev.txt -c constraints.txt\n"
    )
    lines = [f"{name}=={version}" for name, version in sorted(pins.items())]
    out = ROOT / "constraints.txt"
    out.write_text(header + "\n".join(lines) + "\n")
    print(f"wrote {out.name}: {len(lines)} pins")


if __name__ == "__main__":
    main()
