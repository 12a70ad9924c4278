"""The core never imports a plugin: plugins depend on the core, not the other way round."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import lti_tool

CORE = Path(lti_tool.__file__).parent
PLUGIN_ROOT = CORE.parent / "plugins"


def plugin_packages() -> set[str]:
    names = {"plugins", "standalone"}
    for pyproject in PLUGIN_ROOT.glob("*/pyproject.toml"):
        for child in pyproject.parent.iterdir():
            if (child / "__init__.py").exists():
                names.add(child.name)
    return names


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant):
                found.add(str(node.args[0].value))
    return found


def test_core_imports_no_plugin_package() -> None:
    forbidden = plugin_packages() | {"lti_tool_"}
    offenders = []
    for path in CORE.rglob("*.py"):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in forbidden or top.startswith("lti_tool_"):
                offenders.append(f"{path.relative_to(CORE.parent)} imports {module}")
    assert offenders == []


def test_every_core_module_imports_on_its_own() -> None:
    names = [
        info.name
        for info in pkgutil.walk_packages([str(CORE)], prefix="lti_tool.")
        if ".migrations" not in info.name and not info.name.endswith("serving")
    ]
    assert "lti_tool.app" in names
    for name in names:
        importlib.import_module(name)
