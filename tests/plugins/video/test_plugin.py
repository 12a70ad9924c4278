"""The plugin as installed: entry point, files served, settings, the ladder, process rules."""

from __future__ import annotations

import copy
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from lti_tool_video import launcher
from lti_tool_video.ladder import LADDER_FILE
from lti_tool_video.ladder import LadderError
from lti_tool_video.ladder import load_ladder
from lti_tool_video.ladder import parse_ladder
from lti_tool_video.room import ice_servers
from lti_tool_video.settings import EXTENSION
from lti_tool_video.settings import SettingsError
from lti_tool_video.settings import parse_settings
from lti_tool_video.settings import read_settings

from lti_tool.plugins import get_plugins

HOOKS = (
    "booking_event, migration_directory, person_data, person_erased, register_blueprints, "
    "register_commands, register_socketio, retention_sweep, room_for_booking"
)


def fetch(app: Flask, path: str) -> tuple[int, str, str]:
    """Status, content type and text of a static file (closed again: files are streamed)."""
    with app.test_client().get(path) as response:
        return response.status_code, response.content_type, response.get_data(as_text=True)


def test_entry_point_names_the_package() -> None:
    (point,) = importlib.metadata.entry_points(group="lti_tool", name="video")
    assert point.value == "lti_tool_video"
    assert point.dist is not None and point.dist.name == "lti-tool-video"
    requires = importlib.metadata.requires("lti-tool-video") or []
    assert "aiortc==1.16.0" in requires


def test_app_registers_the_plugin_and_serves_its_client(app: Flask) -> None:
    info = {plugin.name: plugin for plugin in get_plugins()}["video"]
    assert ", ".join(info.hooks) == HOOKS
    status, kind, _ = fetch(app, "/video/static/room.js")
    assert status == 200 and "javascript" in kind
    _, _, vendored = fetch(app, "/video/static/vendor/socket.io.esm.min.js")
    # The v4 client speaks Engine.IO 4, the protocol of python-socketio 5.
    assert vendored.startswith("/*!\n * Socket.IO v4.") and "MIT License" in vendored[:200]
    _, _, served = fetch(app, "/video/static/ladder.json")
    assert json.loads(served) == json.loads(LADDER_FILE.read_text()) == load_ladder().raw


def test_every_module_the_page_imports_is_served(app: Flask) -> None:
    static = LADDER_FILE.parent
    for module in static.glob("*.js"):
        for line in module.read_text().splitlines():
            if line.startswith("import ") and ' from "./' in line:
                target = line.split(' from "./', 1)[1].split('"', 1)[0]
                assert fetch(app, f"/video/static/{target}")[0] == 200, (module, line)


def test_ladder_steps_down_in_every_dimension() -> None:
    ladder = load_ladder()
    assert ladder.camera[0].height == ladder.raw["capture"]["height"]
    assert ladder.rung_for_budget(10_000).name == ladder.camera[0].name
    assert ladder.rung_for_budget(0).name == ladder.camera[-1].name
    assert ladder.keyframe_min_interval_s > 0
    broken = copy.deepcopy(ladder.raw)
    broken["camera"][1]["max_fps"] = 60
    with pytest.raises(LadderError, match="is not below"):
        parse_ladder(broken)


def test_settings_name_the_bad_key() -> None:
    with pytest.raises(SettingsError, match="plugins.video.colour"):
        parse_settings({"colour": "blue"})
    with pytest.raises(SettingsError, match="plugins.video.turn_urls"):
        parse_settings({"turn_urls": ["http://turn.example.org"]})
    with pytest.raises(SettingsError, match="plugins.video.worker_ice_addresses"):
        parse_settings({"worker_ice_addresses": ["localhost"]})
    with pytest.raises(SettingsError, match="plugins.video.open_before_min"):
        parse_settings({"open_before_min": "soon"})


def test_settings_come_from_the_environment_over_the_file(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["PLUGINS"] = {"video": {"turn_secret": "from-file", "open_before_min": 5}}
    app.extensions.pop(EXTENSION, None)
    monkeypatch.setenv("LTI_TOOL_VIDEO_TURN_SECRET", "from-env")
    monkeypatch.setenv("LTI_TOOL_VIDEO_RECORDING", "true")
    monkeypatch.setenv("LTI_TOOL_VIDEO_STUN_URLS", "stun:a.example:3478, stun:b.example:3478")

    settings = read_settings(app)

    assert settings.turn_secret == "from-env"
    assert settings.recording is True and settings.open_before_min == 5
    assert settings.stun_urls == ["stun:a.example:3478", "stun:b.example:3478"]


def test_ice_servers_offer_stun_and_signed_turn() -> None:
    settings = parse_settings(
        {
            "stun_urls": ["stun:turn.example.org:3478"],
            "turn_urls": ["turn:turn.example.org:3478?transport=udp"],
            "turn_secret": "north-shared-secret",
            "turn_ttl_s": 3600,
        },
    )
    stun, turn = ice_servers(settings, 42, now=1_700_000_000)
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    assert turn["username"] == "1700003600:42" and turn["credential"]
    assert ice_servers(parse_settings({}), 42) == []


def test_web_process_never_imports_aiortc(tmp_path: Path) -> None:
    script = f"""
import sys
from lti_tool.app import create_app
from lti_tool.models import db
app = create_app({{"database_url": "sqlite:///{tmp_path / "x.sqlite"}", "async_mode": "threading"}})
with app.app_context():
    db.create_all()
with app.test_client().get("/video/static/room.js") as response:
    assert response.status_code == 200
loaded = sorted(name for name in sys.modules if name.split(".")[0] in {{"aiortc", "aioice", "av"}})
print(",".join(loaded) or "none")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "none"


def test_worker_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    command = launcher.worker_command(1, "http://127.0.0.1:9", str(tmp_path))
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert launcher.ENV_TOKEN in result.stderr
