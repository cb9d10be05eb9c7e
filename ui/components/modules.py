"""ES modules of a component folder -> the one script ``st.components.v2.component`` takes.

Components v2 runs its ``js`` as one module from a ``blob:`` URL, where relative imports
cannot resolve. So the modules stay plain, readable ES modules on disk, and ``join_modules``
writes them one after another in dependency order (each file once, before the files that import
it), dropping their relative ``import { a, b } from "./x.js";`` lines; ``import * as m from
"./x.js";`` becomes ``const m = { <x.js's exports> };`` after x.js. Every top-level name then
lives in one scope, which is why module names must not collide (the browser refuses a
duplicate declaration, so a collision cannot pass unnoticed). No build step, nothing fetched.
"""

from __future__ import annotations

import re
from pathlib import Path

# import { a, b } from "./x.js";   (also across lines; only relative, only named, no "as")
_IMPORT = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"(\.{1,2}/[^"]+)";?[ \t]*\n', re.M)
# import * as m from "./x.js";
_NAMESPACE = re.compile(r'^import\s*\*\s*as\s+(\w+)\s+from\s*"(\.{1,2}/[^"]+)";?[ \t]*\n', re.M)
_EXPORT = re.compile(r"^export\s+(?:async\s+)?(?:function\*?|class|const|let)\s+(\w+)", re.M)
_OTHER_IMPORT = re.compile(r"^import\b", re.M)


def join_modules(entry: Path) -> str:
    """The module ``entry`` and every module it imports (relative paths), as one script."""
    ordered: list[Path] = []
    visiting: set[Path] = set()
    namespaces: dict[Path, set[str]] = {}  # module -> the names it is imported as, whole

    def visit(path: Path) -> None:
        path = path.resolve()
        if path in ordered:
            return
        if path in visiting:
            raise ValueError(f"{path.name} imports itself through a cycle")
        visiting.add(path)
        for names, target in _IMPORT.findall(path.read_text()):
            if " as " in names:
                raise ValueError(f"{path.name}: 'import {{ a as b }}' cannot be joined")
            visit(path.parent / target)
        for name, target in _NAMESPACE.findall(path.read_text()):
            visit(path.parent / target)
            namespaces.setdefault((path.parent / target).resolve(), set()).add(name)
        visiting.discard(path)
        ordered.append(path)

    visit(Path(entry))
    parts = []
    for path in ordered:
        text = path.read_text()
        body = _NAMESPACE.sub("", _IMPORT.sub("", text))
        if _OTHER_IMPORT.search(body):
            raise ValueError(f"{path.name}: only relative named imports can be joined")
        parts.append(f"// ---- {path.parent.name}/{path.name} ----\n{body}")
        exported = ", ".join(_EXPORT.findall(text))
        for name in sorted(namespaces.get(path, ())):
            parts.append(f"const {name} = {{ {exported} }};\n")
    return "\n".join(parts)
