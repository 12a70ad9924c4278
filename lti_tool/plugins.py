"""The plugin manager: installed distributions plus the built-in defaults.

Plugins are found through the ``lti_tool`` entry-point group. The defaults in
``lti_tool.default_plugins`` are registered through the same manager and marked ``trylast``,
so an installed plugin answers before them.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
from dataclasses import dataclass
from dataclasses import field
from types import ModuleType
from typing import Any

import pluggy

from lti_tool import hookspecs

DEFAULT_PLUGINS: tuple[str, ...] = (
    "lti_tool.default_plugins.dev_identity",
    "lti_tool.default_plugins.dev_lms",
    "lti_tool.default_plugins.generic_lms",
    "lti_tool.default_plugins.gradebook",
    "lti_tool.default_plugins.no_payment",
    "lti_tool.default_plugins.no_video",
    "lti_tool.default_plugins.popularity",
)

pm = pluggy.PluginManager(hookspecs.PROJECT)
pm.add_hookspecs(hookspecs)
_loaded = False
#: Distribution version of each plugin loaded from an entry point, by entry-point name.
_versions: dict[str, str] = {}


class PluginLoadError(Exception):
    """An installed plugin could not be imported or registered."""


@dataclass
class PluginInfo:
    name: str
    version: str | None
    hooks: list[str] = field(default_factory=list)
    builtin: bool = False


def _allowlist(value: str | None) -> set[str] | None:
    if not value:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def load_plugins(allowlist: str | None = None) -> None:
    """Register the defaults and every installed plugin, once.

    :param allowlist: comma-separated entry-point names to load; ``None`` reads
        ``LTI_TOOL_LOAD_PLUGINS``, and an empty value loads them all.
    :raises PluginLoadError: naming the plugin whose import failed.
    """
    global _loaded
    if _loaded:
        return
    allowed = _allowlist(
        allowlist if allowlist is not None else os.environ.get("LTI_TOOL_LOAD_PLUGINS")
    )
    for entry_point in importlib.metadata.entry_points(group=hookspecs.PROJECT):
        if allowed is not None and entry_point.name not in allowed:
            continue
        if pm.get_plugin(entry_point.name) is not None:
            continue
        try:
            plugin = entry_point.load()
            pm.register(plugin, name=entry_point.name)
            if entry_point.dist is not None:
                _versions[entry_point.name] = entry_point.dist.version
        except Exception as exc:  # any import-time error must name the plugin
            dist = entry_point.dist.name if entry_point.dist else "?"
            raise PluginLoadError(
                f"plugin {entry_point.name!r} ({entry_point.value}, distribution {dist}) "
                f"failed to load: {type(exc).__name__}: {exc}"
            ) from exc
    for module_name in DEFAULT_PLUGINS:
        if pm.get_plugin(module_name) is None:
            pm.register(importlib.import_module(module_name), name=module_name)
    if os.environ.get("LTI_TOOL_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda message: print(message, file=sys.stderr, end=""))
        pm.enable_tracing()
    _loaded = True


def _version_of(plugin: Any, name: str) -> str | None:
    if name in _versions:
        return _versions[name]
    if isinstance(plugin, ModuleType) and plugin.__name__.startswith("lti_tool."):
        from lti_tool import __version__

        return __version__
    return None


def get_plugins() -> list[PluginInfo]:
    """Name, version and implemented hooks of every registered plugin."""
    infos = []
    for name, plugin in pm.list_name_plugin():
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        infos.append(
            PluginInfo(
                name=name,
                version=_version_of(plugin, name),
                hooks=hooks,
                builtin=name in DEFAULT_PLUGINS,
            )
        )
    return sorted(infos, key=lambda info: (info.builtin, info.name))
