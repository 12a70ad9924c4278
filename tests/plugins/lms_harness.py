"""What the LMS plugins' tests share: an LMS-shaped platform in front of the live tool, a
record of the launches the tool maps, and a launch carrying an LMS's own claims."""

from __future__ import annotations

import typing as t
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from flask import Flask

from lti_tool.lti.protocol import claims as c
from lti_tool.lti.protocol.claims import ClaimMapper
from lti_tool.lti.protocol.launch import Launch
from tests.lti.conftest import Tool
from tests.lti.platform import LmsPlatform
from tests.lti.platform import register_with_tool
from tests.lti.platform import serve


@contextmanager
def lms_tool(
    app: Flask,
    lti_server: tuple[t.Any, str],
    lms: str,
    *,
    issuer: str,
    client_id: str,
    deployment_id: str,
) -> Iterator[Tool]:
    """*app* served live, with an LMS-shaped platform registered as *lms*."""
    dispatcher, url = lti_server
    dispatcher.app = app
    app.config["BASE_URL"] = url
    platform = LmsPlatform(
        issuer=issuer, client_id=client_id, deployment_id=deployment_id, tool_url=url
    )
    with serve(platform) as lms_platform:
        with requests.Session() as browser:
            register_with_tool(lms_platform, lms=lms)
            yield Tool(app=app, url=url, platform=lms_platform, browser=browser)
    dispatcher.app = None


def record_mapped_launches(monkeypatch: pytest.MonkeyPatch) -> list[Launch]:
    """Every launch the tool maps from now on, with the product that mapped it."""
    seen: list[Launch] = []
    original = ClaimMapper.launch

    def recording(self: ClaimMapper, claims: t.Any, *, client_id: str) -> Launch:
        launch = original(self, claims, client_id=client_id)
        seen.append(launch)
        return launch

    monkeypatch.setattr(ClaimMapper, "launch", recording)
    return seen


def launch(
    tool: Tool, claims: dict[str, t.Any], *, login: dict[str, str] | None = None, **message: t.Any
) -> requests.Response:
    """Login initiation (with *login*'s extra parameters), then the signed launch."""
    auth = tool.start(None, **(login or {}))
    payload = tool.platform.message(auth, **message)
    payload.update(claims)
    if payload.get(c.MESSAGE_TYPE) == "LtiDeepLinkingRequest":
        # A deep linking request has no resource link to name.
        payload.pop(c.RESOURCE_LINK, None)
    return tool.post(tool.platform.sign(payload), auth["state"])
