"""Fail when a module takes a _private name (or a _private module) from another app.

import-linter checks which modules import which; it cannot see the names taken. A name with a leading
underscore is its app's own business: another app that needs it asks for a public name instead.
Tests and migrations are not checked. Usage: check_private_imports.py [ROOT] (default: the repository).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

# The Django apps, most specific first: a module belongs to the first one its dotted name starts with.
APPS = ("workflows.termination", "workflows", "audit", "permissions", "documents", "core", "project")
SKIPPED_DIRS = {"migrations", "tests", ".venv", "node_modules", "staticfiles"}


def app_of(module: str) -> str | None:
    return next((app for app in APPS if module == app or module.startswith(app + ".")), None)


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def violations(root: Path) -> list[str]:
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if SKIPPED_DIRS & set(path.relative_to(root).parts):
            continue
        importer = module_name(root, path)
        home = app_of(importer)
        if home is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = resolve(importer, path.name == "__init__.py", node)
                taken = [f"{source}.{alias.name}" for alias in node.names if is_private(alias.name)]
            elif isinstance(node, ast.Import):
                source, taken = "", [alias.name for alias in node.names]
            else:
                continue
            for dotted in taken or ([source] if source else []):
                owner = app_of(dotted)
                private = any(is_private(part) for part in dotted.split("."))
                if owner is not None and owner != home and private:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {importer} takes {dotted} from {owner}")
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[1]).resolve() if len(argv) > 1 else Path(__file__).resolve().parent.parent
    found = violations(root)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} private name(s) taken across apps: make them public in their app, or stop using them.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
