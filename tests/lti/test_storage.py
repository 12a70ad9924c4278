"""Launches in a browser that keeps no cookie for the tool: state and nonce travel through the
platform's postMessage storage (``lti_storage_target``), read back by the tool's own page."""

from __future__ import annotations

from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import requests

from tests.lti.conftest import Tool
from tests.lti.conftest import data_attributes
from tests.lti.conftest import form_fields


def _login_page(tool: Tool, browser: requests.Session) -> dict[str, str]:
    response = browser.get(
        tool.platform.login_url(lti_storage_target="_parent"), allow_redirects=False
    )
    assert response.status_code == 200
    assert "lti_storage.js" in response.text
    return data_attributes(response.text)


def _launch_page(tool: Tool, login: dict[str, str]) -> tuple[str, dict[str, str], dict[str, str]]:
    auth = dict(parse_qsl(urlsplit(login["next"]).query))
    token = tool.platform.sign(tool.platform.message(auth))
    with requests.Session() as cookieless:
        response = cookieless.post(
            f"{tool.url}/lti/launch",
            data={"id_token": token, "state": auth["state"], "lti_storage_target": "_parent"},
        )
    assert response.status_code == 200, response.text
    return token, data_attributes(response.text), form_fields(response.text)


def _verify(tool: Tool, fields: dict[str, str], origin: str | None = None) -> requests.Response:
    with requests.Session() as cookieless:
        return cookieless.post(
            f"{tool.url}/lti/launch/verify",
            data=fields,
            headers={"Origin": origin or tool.url},
            allow_redirects=False,
        )


def test_login_stores_state_and_nonce_in_the_platform_then_continues(tool: Tool) -> None:
    login = _login_page(tool, tool.browser)
    assert login["mode"] == "put"
    assert login["target"] == "_parent"
    # Messages go only to the origin of the platform's authorization endpoint.
    assert login["platform-origin"] == tool.platform.base_url
    assert login["next"].startswith(tool.platform.auth_url + "?")
    auth = dict(parse_qsl(urlsplit(login["next"]).query))
    assert auth["nonce"] == login["nonce"]
    assert login["state-key"] == f"state_{login['state']}"
    assert login["nonce-key"] == f"nonce_{login['state']}"
    # Where the browser does keep cookies, the ordinary launch still works.
    token = tool.platform.sign(tool.platform.message(auth))
    assert tool.post(token, auth["state"]).status_code == 302


def test_cookieless_launch_completes_with_the_stored_nonce(tool: Tool) -> None:
    with requests.Session() as browser:
        login = _login_page(tool, browser)
    token, page, fields = _launch_page(tool, login)
    assert page["mode"] == "get"
    assert (page["state-key"], page["nonce-key"]) == (login["state-key"], login["nonce-key"])
    assert fields["id_token"] == token
    # What lti_storage.js does with the platform's answers:
    fields.update(stored_state=login["state"], stored_nonce=login["nonce"])
    response = _verify(tool, fields)
    assert response.status_code == 302, response.text
    assert response.headers["Location"] == "/"
    assert tool.counts()["enrollments"] == 1


def test_cookieless_launch_with_a_wrong_stored_nonce_is_refused(tool: Tool) -> None:
    with requests.Session() as browser:
        login = _login_page(tool, browser)
    _token, _page, fields = _launch_page(tool, login)
    fields.update(stored_state=login["state"], stored_nonce="not-the-nonce-\u00e9")
    response = _verify(tool, fields)
    assert response.status_code == 400
    assert "storage does not hold this launch" in response.text
    assert tool.counts()["users"] == 0


def test_cookieless_launch_with_nothing_stored_is_refused(tool: Tool) -> None:
    with requests.Session() as browser:
        login = _login_page(tool, browser)
    _token, _page, fields = _launch_page(tool, login)
    response = _verify(tool, fields)
    assert response.status_code == 400
    assert tool.counts()["users"] == 0


def test_verification_posted_from_another_site_is_refused(tool: Tool) -> None:
    with requests.Session() as browser:
        login = _login_page(tool, browser)
    _token, _page, fields = _launch_page(tool, login)
    fields.update(stored_state=login["state"], stored_nonce=login["nonce"])
    response = _verify(tool, fields, origin="https://attacker.example")
    assert response.status_code == 400
    assert "not sent by this tool" in response.text
    assert tool.counts()["users"] == 0


def test_cookieless_launch_without_storage_target_is_refused(tool: Tool) -> None:
    auth = tool.start()
    token = tool.platform.sign(tool.platform.message(auth))
    with requests.Session() as cookieless:
        response = tool.post(token, auth["state"], browser=cookieless)
    assert response.status_code == 400
    assert "third-party cookies" in response.text
