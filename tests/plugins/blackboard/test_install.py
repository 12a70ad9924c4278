"""The plugin is its own distribution, found through the ``lti_tool`` entry-point group."""

from __future__ import annotations

import importlib.metadata
import subprocess
from pathlib import Path

from flask import Flask
from lti_tool_blackboard import BlackboardProduct

from lti_tool.lti.platforms import products
from lti_tool.plugins import get_plugins


def test_entry_point_names_the_package() -> None:
    (point,) = importlib.metadata.entry_points(group="lti_tool", name="blackboard")
    assert point.value == "lti_tool_blackboard"
    assert point.dist is not None and point.dist.name == "lti-tool-blackboard"


def test_command_line_lists_the_plugin(
    venv_bin: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**clean_env, "LTI_TOOL_DATABASE_URL": f"sqlite:///{tmp_path / 'plugins.sqlite'}"}
    listing = subprocess.run(
        [str(venv_bin / "lti-tool"), "plugins"], env=env, capture_output=True, text=True, timeout=60
    )
    assert listing.returncode == 0, listing.stderr
    version = importlib.metadata.version("lti-tool-blackboard")
    assert f"blackboard {version}: lms_products" in listing.stdout.splitlines()


def test_the_application_registers_the_product(app: Flask) -> None:
    assert products().get("blackboard") is BlackboardProduct
    assert {info.name: info.hooks for info in get_plugins()}["blackboard"] == ["lms_products"]
