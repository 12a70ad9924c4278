"""The plugin is its own distribution, found through the ``lti_tool`` entry-point group."""

from __future__ import annotations

import importlib.metadata
import subprocess
from pathlib import Path

from flask import Flask

from lti_tool.plugins import get_plugins

HOOKS = (
    "api_paths, booking_event, explain_recommendations, migration_directory, person_data, "
    "person_erased, recommend_tutors, register_blueprints, register_commands"
)


def test_entry_point_names_the_package() -> None:
    points = importlib.metadata.entry_points(group="lti_tool", name="recommend")
    (point,) = points
    assert point.value == "lti_tool_recommend"
    assert point.dist is not None and point.dist.name == "lti-tool-recommend"


def test_command_line_lists_the_plugin_with_its_hooks(
    venv_bin: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**clean_env, "LTI_TOOL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    version = importlib.metadata.version("lti-tool-recommend")

    listing = subprocess.run(
        [str(venv_bin / "lti-tool"), "plugins"], env=env, capture_output=True, text=True, timeout=60
    )
    commands = subprocess.run(
        [str(venv_bin / "lti-tool"), "recommend", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert listing.returncode == 0, listing.stderr
    assert f"recommend {version}: {HOOKS}" in listing.stdout.splitlines()
    assert commands.returncode == 0, commands.stderr
    for name in ("train", "import", "evaluate"):
        assert f"  {name} " in commands.stdout


def test_app_registers_the_plugin_and_its_api(app: Flask) -> None:
    info = {plugin.name: plugin for plugin in get_plugins()}["recommend"]
    assert ", ".join(info.hooks) == HOOKS
    assert "/api/v1/recommendations" in {rule.rule for rule in app.url_map.iter_rules()}
