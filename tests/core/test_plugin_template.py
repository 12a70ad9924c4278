"""``lti-tool new-plugin``: the skeleton installs as a distribution of its own, is listed by
``lti-tool plugins``, keeps to the plugin boundary and passes its own tests against the tool."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.core.test_boundaries import imports_of_the_core_outside_its_api


def run(command: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_generated_plugin_installs_is_listed_and_passes_its_tests(
    venv_bin: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    lti_tool = str(venv_bin / "lti-tool")
    site = tmp_path / "site"
    env = {
        **clean_env,
        "PYTHONPATH": str(site),
        "LTI_TOOL_DATABASE_URL": f"sqlite:///{tmp_path / 'tool.sqlite'}",
    }

    run([lti_tool, "new-plugin", "study_notes", "--directory", str(tmp_path)], env)
    plugin = tmp_path / "lti-tool-study-notes"
    run(
        [
            sys.executable,
            *("-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index"),
            *("--disable-pip-version-check", "--target", str(site), str(plugin)),
        ],
        env,
    )
    listing = run([lti_tool, "plugins"], env)
    tests = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        env,
        cwd=plugin,
    )

    assert "study_notes 0.1.0: register_blueprints" in listing.splitlines()
    assert "2 passed" in tests
    sources = [path.read_text() for path in (plugin / "lti_tool_study_notes").rglob("*.py")]
    assert sources and [imports_of_the_core_outside_its_api(text) for text in sources] == [[]]


def test_a_name_that_cannot_be_a_plugins_writes_nothing(
    venv_bin: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    for name in ("Notes", "9lives", "notes-app", "x" * 41, "notes/../../etc"):
        refused = subprocess.run(
            [str(venv_bin / "lti-tool"), "new-plugin", name, "--directory", str(tmp_path)],
            env=clean_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 2 and "a plugin's name is" in refused.stderr, name
    assert list(tmp_path.iterdir()) == []
