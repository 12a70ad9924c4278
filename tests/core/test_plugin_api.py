"""What ``lti_tool.api`` gives plugins beyond re-exported names: their settings and the
payment provider."""

from __future__ import annotations

import pytest
from flask import Flask

from lti_tool.api import ConfigError
from lti_tool.api import payment_provider
from lti_tool.api import plugin_settings


def test_plugin_settings_merge_the_environment_over_the_file(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["PLUGINS"] = {"notes": {"colour": "blue", "limit": 3}, "other": {"x": 1}}
    monkeypatch.setenv("LTI_TOOL_NOTES_LIMIT", "7")
    monkeypatch.setenv("LTI_TOOL_NOTES_API_KEY", "k-123")
    monkeypatch.setenv("LTI_TOOL_NOTES_", "no key")
    monkeypatch.setenv("LTI_TOOL_NOTESX_LIMIT", "another plugin's")

    assert plugin_settings(app, "notes") == {"colour": "blue", "limit": "7", "api_key": "k-123"}
    assert plugin_settings(app, "absent") == {}


def test_plugin_settings_refuse_a_value_that_is_not_a_table(app: Flask) -> None:
    app.config["PLUGINS"] = {"notes": "blue"}

    with pytest.raises(ConfigError, match=r"plugins\.notes: expected a table"):
        plugin_settings(app, "notes")


def test_without_a_payment_plugin_the_provider_is_free_and_pays_nobody_out(app: Flask) -> None:
    provider = payment_provider()

    assert provider.name == "none" and provider.pays_out_tutors is False
    assert provider.payout_onboarding_url(object()) is None  # type: ignore[arg-type]
