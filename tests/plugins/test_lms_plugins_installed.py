"""Each LMS plugin is its own distribution, found through the ``lti_tool`` entry-point group."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
from pathlib import Path

import pytest
from flask import Flask

from lti_tool.lti.products.registry import products
from lti_tool.plugins import get_plugins

PLUGINS = [
    ("canvas", "lti_tool_canvas", "CanvasProduct"),
    ("blackboard", "lti_tool_blackboard", "BlackboardProduct"),
    ("moodle", "lti_tool_moodle", "MoodleProduct"),
]


@pytest.mark.parametrize(("name", "package", "_product"), PLUGINS)
def test_entry_point_names_the_package(name: str, package: str, _product: str) -> None:
    (point,) = importlib.metadata.entry_points(group="lti_tool", name=name)
    assert point.value == package
    assert point.dist is not None and point.dist.name == f"lti-tool-{name}"


def test_command_line_lists_every_lms_plugin(
    venv_bin: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**clean_env, "LTI_TOOL_DATABASE_URL": f"sqlite:///{tmp_path / 'plugins.sqlite'}"}
    listing = subprocess.run(
        [str(venv_bin / "lti-tool"), "plugins"], env=env, capture_output=True, text=True, timeout=60
    )
    assert listing.returncode == 0, listing.stderr
    for name, _package, _product in PLUGINS:
        version = importlib.metadata.version(f"lti-tool-{name}")
        assert f"{name} {version}: lms_products" in listing.stdout.splitlines()


@pytest.mark.parametrize(("name", "package", "product"), PLUGINS)
def test_the_application_registers_the_product(
    app: Flask, name: str, package: str, product: str
) -> None:
    assert products().get(name) is getattr(importlib.import_module(package), product)
    assert {info.name: info.hooks for info in get_plugins()}[name] == ["lms_products"]
