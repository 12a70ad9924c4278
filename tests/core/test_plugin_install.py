"""A plugin installed as its own distribution is found, listed and used, like a third party's.

The distributions under ``fixtures/`` are built and installed by pip into a directory of their
own, which the commands under test see through ``PYTHONPATH``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).with_name("fixtures")


def install(distribution: str, tmp_path: Path) -> Path:
    """Build and install ``fixtures/<distribution>`` offline; return the site directory."""
    source = tmp_path / distribution
    shutil.copytree(FIXTURES / distribution, source, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(FIXTURES / "wheel_backend.py", source)
    site = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            *("-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index"),
            *("--disable-pip-version-check", "--target", str(site), str(source)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return site


@pytest.fixture
def plugin_env(clean_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {
        **clean_env,
        "PYTHONPATH": str(tmp_path / "site"),
        "LTI_TOOL_DATABASE_URL": f"sqlite:///{tmp_path / 'plugin.sqlite'}",
    }


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_installed_plugin_is_listed_and_its_command_and_page_work(
    venv_bin: Path, plugin_env: dict[str, str], tmp_path: Path
) -> None:
    install("hello_plugin", tmp_path)
    lti_tool = str(venv_bin / "lti-tool")

    listing = run([lti_tool, "plugins"], plugin_env)
    assert listing.returncode == 0, listing.stderr
    assert "hello 0.3.1: register_blueprints, register_commands" in listing.stdout.splitlines()

    hello = run([lti_tool, "hello"], plugin_env)
    assert hello.returncode == 0, hello.stderr
    assert hello.stdout == "hello from lti_tool_hello_test\n"

    fetch_page = (
        "from lti_tool.app import create_app\n"
        "response = create_app({'async_mode': 'threading'}).test_client().get('/hello-plugin')\n"
        "print(response.status_code, response.get_data(as_text=True))\n"
    )
    page = run([sys.executable, "-c", fetch_page], plugin_env)
    assert page.returncode == 0, page.stderr
    assert page.stdout == "200 page from lti_tool_hello_test\n"


def test_plugin_failing_on_import_stops_the_command_line_with_its_name(
    venv_bin: Path, plugin_env: dict[str, str], tmp_path: Path
) -> None:
    install("broken_plugin", tmp_path)

    result = run([str(venv_bin / "lti-tool"), "plugins"], plugin_env)
    assert result.returncode != 0
    assert "'broken'" in result.stderr
    assert "lti-tool-broken-test" in result.stderr
    assert "RuntimeError: the broken test plugin cannot start" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
