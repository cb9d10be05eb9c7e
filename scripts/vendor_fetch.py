"""Fetch the vendored browser files again from npm and check them against static/vendor/LOCK.json.

    python scripts/vendor_fetch.py           # npm pack each locked package, verify, copy in
    python scripts/vendor_fetch.py --check   # only verify the files in the repository (offline)
    python scripts/vendor_fetch.py --lock    # after changing a version: re-fetch, rewrite hashes

LOCK.json: ``{"packages": [{"name", "version", "license", "dir", "files": {path-in-package:
sha256}}]}``; each file lands in ``static/vendor/<dir>/<basename>``. Never edit those files by
hand: change the version in the lock and run with ``--lock``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor"
LOCK = VENDOR / "LOCK.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_pack(name: str, version: str, into: Path) -> Path:
    """Download ``name@version``'s tarball with npm and unpack it; returns its package/ folder."""
    out = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(into)],
        check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    with tarfile.open(into / out) as tar:
        tar.extractall(into, filter="data")
    return into / "package"


def check(lock: dict) -> list[str]:
    """Problems with the vendored files (missing, or not the locked bytes); empty when all fine."""
    problems = []
    for package in lock["packages"]:
        for member, digest in package["files"].items():
            path = VENDOR / package["dir"] / Path(member).name
            if not path.exists():
                problems.append(f"{path.relative_to(ROOT)} is missing")
            elif sha256(path) != digest:
                problems.append(f"{path.relative_to(ROOT)} differs from {package['name']}")
    return problems


def fetch(lock: dict, relock: bool) -> None:
    for package in lock["packages"]:
        with tempfile.TemporaryDirectory() as tmp:
            unpacked = npm_pack(package["name"], package["version"], Path(tmp))
            target = VENDOR / package["dir"]
            target.mkdir(parents=True, exist_ok=True)
            for member, digest in package["files"].items():
                source = unpacked / member
                if relock:
                    package["files"][member] = sha256(source)
                elif sha256(source) != digest:
                    sys.exit(f"{package['name']}@{package['version']}: {member} is not locked")
                shutil.copyfile(source, target / source.name)
                print(f"{target.relative_to(ROOT) / source.name}  {source.stat().st_size:,} bytes")
    if relock:
        LOCK.write_text(json.dumps(lock, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="verify only, no network")
    mode.add_argument("--lock", action="store_true", help="re-fetch and rewrite the sha256s")
    args = parser.parse_args(argv)
    lock = json.loads(LOCK.read_text())
    if not args.check:
        fetch(lock, relock=args.lock)
    problems = check(lock)
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
