"""The plugin's settings: a ``[plugins.video]`` table in the tool's TOML file.

Every key is optional, and each may also come from an ``LTI_TOOL_VIDEO_<KEY>`` environment
variable (``LTI_TOOL_VIDEO_TURN_SECRET`` keeps the TURN secret out of files): the environment
wins, as it does for the core's settings. From the environment, numbers are written in digits,
flags as ``true``/``false`` and lists comma-separated.
"""

from __future__ import annotations

import ipaddress
import typing as t
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from pathlib import Path

from flask import Flask

from lti_tool.api import ConfigError
from lti_tool.api import plugin_settings

EXTENSION = "lti_tool_video.settings"


class SettingsError(ConfigError):
    """A ``[plugins.video]`` value the plugin cannot use; the message names the key."""


@dataclass(frozen=True)
class Settings:
    open_before_min: int = 15
    """Minutes before the start from which the room lets its two people in."""
    close_after_min: int = 30
    """Minutes after the end until which the room still admits (sessions overrun)."""
    token_ttl_s: int = 600
    """Lifetime of a room token; the page fetches a fresh one before it runs out."""
    stun_urls: list[str] = field(default_factory=list)
    """e.g. ``["stun:turn.example.org:3478"]``."""
    turn_urls: list[str] = field(default_factory=list)
    """e.g. ``["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]``."""
    turn_secret: str = ""
    """coturn's ``static-auth-secret``; TURN is offered only when this and turn_urls are set."""
    turn_ttl_s: int = 6 * 3600
    """Lifetime of a TURN credential; a session must fit inside it."""
    recording: bool = False
    """Allow recording; it still needs both people's consent, given per booking."""
    recordings_dir: str = "recordings"
    """Where the media worker writes; relative paths are inside the instance folder."""
    recording_retention_days: int = 90
    """Days a recording is kept; ``lti-tool privacy sweep`` deletes older ones (0 keeps them)."""
    worker_autostart: bool = True
    """Start ``lti-tool media-worker`` for a room once both people consented."""
    worker_url: str = ""
    """The URL the media worker uses to reach the web tier; the tool's base_url if empty."""
    replay_minutes: int = 5
    """How much a participant who dropped may replay of what they missed."""
    worker_ice_addresses: list[str] = field(default_factory=list)
    """Addresses the worker offers as ICE host candidates; empty means every interface but
    loopback (aioice's own choice). ``["127.0.0.1"]`` keeps a single-box setup on loopback."""

    def recordings_path(self, app: Flask) -> Path:
        path = Path(self.recordings_dir).expanduser()
        return path if path.is_absolute() else Path(app.instance_path) / path


_NUMBERS = {
    "open_before_min",
    "close_after_min",
    "token_ttl_s",
    "turn_ttl_s",
    "replay_minutes",
    "recording_retention_days",
}
_FLAGS = {"recording", "worker_autostart"}
_LISTS = {"stun_urls", "turn_urls"}


def _from_text(key: str, text: str) -> t.Any:
    """An environment variable's text as the type its key takes in the TOML file."""
    if key in _NUMBERS and text.strip().isascii() and text.strip().isdigit():
        return int(text)
    if key in _FLAGS and text.strip().lower() in {"true", "false"}:
        return text.strip().lower() == "true"
    if key in _LISTS or key == "worker_ice_addresses":
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


def _check(key: str, value: t.Any) -> t.Any:
    where = f"plugins.video.{key}"
    if isinstance(value, str) and key in _NUMBERS | _FLAGS | _LISTS | {"worker_ice_addresses"}:
        value = _from_text(key, value)
    if key in _NUMBERS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SettingsError(f"{where}: expected a whole number of at least 0, got {value!r}")
        return value
    if key in _FLAGS:
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: expected true or false, got {value!r}")
        return value
    if key == "worker_ice_addresses":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{where}: expected a list of IP addresses, got {value!r}")
        for address in value:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise SettingsError(f"{where}: {address!r} is not an IP address") from None
        return list(value)
    if key in _LISTS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{where}: expected a list of URLs, got {value!r}")
        for url in value:
            if not url.startswith(("stun:", "turn:", "turns:")):
                raise SettingsError(f"{where}: {url!r} is not a stun:, turn: or turns: URL")
        return list(value)
    if not isinstance(value, str):
        raise SettingsError(f"{where}: expected text, got {value!r}")
    return value


def parse_settings(table: t.Any) -> Settings:
    """Check a ``[plugins.video]`` table (with its environment variables merged in).

    :raises SettingsError: naming the first key that is unknown or has a wrong value.
    """
    table = table or {}
    if not isinstance(table, dict):
        raise SettingsError("plugins.video: expected a table of settings")
    known = {item.name for item in fields(Settings)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise SettingsError(f"plugins.video.{unknown[0]}: not a setting of this plugin")
    return Settings(**{key: _check(key, value) for key, value in table.items()})


def read_settings(app: Flask) -> Settings:
    """The checked settings of *app*, read once per application."""
    cached = app.extensions.get(EXTENSION)
    if isinstance(cached, Settings):
        return cached
    settings = parse_settings(plugin_settings(app, "video"))
    app.extensions[EXTENSION] = settings
    return settings
