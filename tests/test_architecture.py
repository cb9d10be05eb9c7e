"""docs/ARCHITECTURE.md names every module of core/ and ui/: a module nobody documented fails
here, with the line to write."""

from __future__ import annotations

import ast

from .conftest import ROOT

DOC = ROOT / "docs" / "ARCHITECTURE.md"


def modules() -> list[str]:
    """Every module of core/ and ui/ as the page names it: a file by its path
    (``core/latent/caches.py``), a package by its folder (``core/latent/``)."""
    found = []
    for package in ("core", "ui"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if path.name == "__init__.py":
                if relative.parent.as_posix() != package:  # core/ and ui/ are the layers
                    found.append(f"{relative.parent.as_posix()}/")
            else:
                found.append(relative.as_posix())
    return found


def test_the_module_list_sees_the_layout():
    found = modules()
    assert "core/latent/caches.py" in found and "core/training/" in found
    assert "ui/compute/maps.py" in found and "ui/state.py" in found
    assert len(found) > 40


def test_architecture_names_every_module_of_core_and_ui():
    text = DOC.read_text()
    missing = [m for m in modules() if f"`{m}`" not in text]
    assert not missing, (
        "docs/ARCHITECTURE.md does not name "
        + ", ".join(missing)
        + ": add a row `| `<module>` | what it does |` to the table of its folder "
        "(core/ or ui/, module by module)."
    )


def test_ui_compute_imports_only_core():
    """The compute layer returns arrays; pictures and the browser's files are made above it."""
    upward = []
    for path in sorted((ROOT / "ui" / "compute").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            upward += [
                f"{path.name}: {n}"
                for n in names
                if n.split(".")[0] in ("ui", "views") and not n.startswith("ui.compute")
            ]
    assert upward == []
