"""The core never imports a plugin: plugins depend on the core, not the other way round."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import lti_tool

CORE = Path(lti_tool.__file__).parent
PLUGIN_ROOT = CORE.parent / "plugins"


def plugin_packages() -> set[str]:
    names = {"plugins", "lti_tool_standalone"}
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


def imports_of_the_core_outside_its_api(source: str) -> list[str]:
    """Every import in *source* that reaches the core other than through ``lti_tool.api`` or
    ``from lti_tool import hookimpl``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "lti_tool":
                found.extend(
                    f"lti_tool.{alias.name}" for alias in node.names if alias.name != "hookimpl"
                )
                continue
            modules = [node.module]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            if top == "lti_tool" and module != "lti_tool.api":
                found.append(module)
    return found


def plugin_sources() -> list[Path]:
    """The modules of every built-in plugin, the public site included."""
    paths = list((CORE.parent / "lti_tool_standalone").rglob("*.py"))
    for pyproject in PLUGIN_ROOT.glob("*/pyproject.toml"):
        for package in pyproject.parent.iterdir():
            if (package / "__init__.py").exists():
                paths.extend(package.rglob("*.py"))
    return sorted(paths)


def test_the_boundary_check_tells_the_api_from_the_rest() -> None:
    allowed = "from lti_tool import hookimpl\nfrom lti_tool.api import Booking\nimport flask\n"
    reaching = (
        "from lti_tool.models import Booking\n"
        "from lti_tool import money\n"
        "import lti_tool.web.pages\n"
        "def f():\n    from lti_tool.booking import current_time\n"
    )

    assert imports_of_the_core_outside_its_api(allowed) == []
    assert imports_of_the_core_outside_its_api(reaching) == [
        "lti_tool.models",
        "lti_tool.money",
        "lti_tool.web.pages",
        "lti_tool.booking",
    ]


def test_plugins_reach_the_core_only_through_its_api() -> None:
    sources = plugin_sources()
    assert any("lti_tool_payment" in str(path) for path in sources)
    assert any("lti_tool_standalone" in str(path) for path in sources)
    offenders = [
        f"{path.relative_to(CORE.parent)} imports {module}"
        for path in sources
        for module in imports_of_the_core_outside_its_api(path.read_text())
    ]
    assert offenders == []


def test_the_api_names_only_what_it_has() -> None:
    import lti_tool.api

    assert sorted(lti_tool.api.__all__) == sorted(set(lti_tool.api.__all__))
    missing = [name for name in lti_tool.api.__all__ if not hasattr(lti_tool.api, name)]
    assert missing == []


def test_the_core_itself_never_imports_its_api() -> None:
    # The API imports the whole core; a core module importing it back would make a cycle.
    offenders = [
        str(path.relative_to(CORE.parent))
        for path in CORE.rglob("*.py")
        if path.name != "api.py" and "lti_tool.api" in imported_modules(path)
    ]
    assert offenders == []


def test_products_are_used_bound_never_passed_to_their_own_capabilities() -> None:
    # A bound product makes its capabilities itself (``product.grading``); handing the product
    # back to them (``product.grading(product, ...)``) was the old, error-prone form.
    handed_back = re.compile(
        r"\.(?:claims|registration|registration_document|grading|roster|deep_linking)"
        r"(?:_class)?\(\s*\w*[Pp]roduct\b"
    )
    offenders = [
        f"{path.relative_to(CORE.parent)}:{number}"
        for path in [*CORE.rglob("*.py"), *plugin_sources()]
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if handed_back.search(line) or "product_for(" in line
    ]
    assert offenders == []
