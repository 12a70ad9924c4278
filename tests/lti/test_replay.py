"""A used id_token never signs anyone in again, even when copies race each other."""

from __future__ import annotations

import datetime as dt
import threading

import requests
import sqlalchemy as sa

from lti_tool.models import UsedNonce
from lti_tool.models import db
from lti_tool.models import utcnow
from tests.lti.conftest import Tool


def _copy_cookies(source: requests.Session, target: requests.Session) -> None:
    for cookie in source.cookies:
        target.cookies.set_cookie(cookie)


def test_replayed_id_token_is_refused(tool: Tool) -> None:
    auth = tool.start()
    token = tool.platform.sign(tool.platform.message(auth))
    # An attacker who copied the id_token and the browser's cookies before the launch.
    with requests.Session() as thief:
        _copy_cookies(tool.browser, thief)
        assert tool.post(token, auth["state"]).status_code == 302
        after_first = tool.counts()
        response = tool.post(token, auth["state"], browser=thief)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert "x-frame-options" not in {name.lower() for name in response.headers}
    assert "already been used" in response.text
    assert tool.counts() == after_first


def test_the_launch_forgets_its_state_cookie(tool: Tool) -> None:
    auth = tool.start()
    token = tool.platform.sign(tool.platform.message(auth))
    assert tool.post(token, auth["state"]).status_code == 302
    second = tool.post(token, auth["state"])
    assert second.status_code == 400
    assert "does not belong to this browser" in second.text


def test_concurrent_copies_of_one_id_token_sign_in_once(tool: Tool) -> None:
    auth = tool.start()
    token = tool.platform.sign(tool.platform.message(auth))
    browsers = [requests.Session() for _ in range(6)]
    for browser in browsers:
        _copy_cookies(tool.browser, browser)
    statuses: list[int] = []
    start = threading.Barrier(len(browsers))

    def post(browser: requests.Session) -> None:
        start.wait()
        statuses.append(tool.post(token, auth["state"], browser=browser).status_code)

    threads = [threading.Thread(target=post, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for browser in browsers:
        browser.close()
    assert sorted(statuses) == [302] + [400] * (len(browsers) - 1)
    counts = tool.counts()
    assert (counts["users"], counts["enrollments"], counts["nonces"]) == (1, 1, 1)


def test_expired_nonces_are_cleared_by_later_launches(tool: Tool) -> None:
    long_ago = utcnow() - dt.timedelta(days=1)
    db.session.add(UsedNonce(issuer=tool.platform.issuer, nonce="old", expires_at=long_ago))
    db.session.commit()
    assert tool.launch().status_code == 302
    db.session.rollback()
    assert "old" not in db.session.scalars(sa.select(UsedNonce.nonce)).all()


def test_launches_are_counted_by_platform_and_outcome(tool: Tool) -> None:
    auth = tool.start()
    token = tool.platform.sign(tool.platform.message(auth))
    with requests.Session() as thief:
        _copy_cookies(tool.browser, thief)
        assert tool.post(token, auth["state"]).status_code == 302
        assert tool.post(token, auth["state"], browser=thief).status_code == 400
    metrics = tool.browser.get(f"{tool.url}/metrics").text
    issuer = tool.platform.issuer
    assert f'lti_tool_lti_launches_total{{issuer="{issuer}",outcome="ok"}} 1.0' in metrics
    assert f'lti_tool_lti_launches_total{{issuer="{issuer}",outcome="refused"}} 1.0' in metrics
