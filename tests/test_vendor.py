"""The vendored browser files are exactly the locked npm files (no hand edits, none missing)."""

from __future__ import annotations

import importlib.util
import json

from .conftest import ROOT


def test_vendored_files_match_the_lock():
    spec = importlib.util.spec_from_file_location("vendor_fetch", ROOT / "scripts/vendor_fetch.py")
    vendor_fetch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vendor_fetch)
    lock = json.loads(vendor_fetch.LOCK.read_text())
    assert [p["name"] for p in lock["packages"]] == ["onnxruntime-web"]
    assert vendor_fetch.check(lock) == []
