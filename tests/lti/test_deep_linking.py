"""Deep linking round trip: an instructor picks activities, the platform receives a signed
``LtiDeepLinkingResponse`` that lti1p3platform validates against the tool's key set over
HTTP, and the resulting link lands learners on the chosen subject."""

from __future__ import annotations

import html
import re
import time
import typing as t
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from lti1p3platform.deep_linking import LtiDeepLinking

from lti_tool.lti.course import activities
from lti_tool.lti.protocol import claims as c
from lti_tool.models import Course
from lti_tool.models import db
from tests.lti.advantage import AdvantageTool
from tests.lti.advantage import advantage_tool
from tests.lti.platform import INSTRUCTOR
from tests.lti.platform import LEARNER

PLATFORM_DATA = {"placement": "week-3", "return_to": "modules"}


@pytest.fixture
def lms(app: Flask, served: t.Any) -> Iterator[AdvantageTool]:
    with advantage_tool(app, served) as tool:
        yield tool


def linking_launch(
    lms: AdvantageTool, roles: list[str] | None = None, accept: set[str] | None = None
) -> str:
    """A deep linking launch from lti1p3platform; returns the page the tool lands on."""
    auth = lms.start()
    message = lms.platform.message(auth, roles=roles or [INSTRUCTOR])
    message[c.MESSAGE_TYPE] = "LtiDeepLinkingRequest"
    message.pop(c.RESOURCE_LINK)
    message.update(
        LtiDeepLinking(lms.platform.deep_link_return_url).get_lti_deep_linking_launch_claim(
            title="Add an activity",
            accept_types=accept or {"ltiResourceLink"},
            extra_data=PLATFORM_DATA,
        )
    )
    response = lms.post(lms.platform.sign(message), auth["state"])
    assert response.status_code == 302, response.text
    return str(response.headers["Location"])


def pick(lms: AdvantageTool, **fields: t.Any) -> t.Any:
    form = lms.browser.get(f"{lms.url}/lti/deep-linking")
    assert form.status_code == 200, form.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    return lms.browser.post(
        f"{lms.url}/lti/deep-linking", data={"csrf_token": token.group(1), **fields}
    )


def return_to_platform(lms: AdvantageTool, page: str) -> dict[str, t.Any]:
    """What the browser does with the auto-posting page: post it where it says."""
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    jwt = html.unescape(re.search(r'name="JWT" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    assert action == lms.platform.deep_link_return_url
    answer = lms.browser.post(action, data={"JWT": jwt})
    assert answer.status_code == 200, answer.text
    return lms.platform.deep_link_responses[-1]


def test_round_trip_returns_a_graded_link_the_platform_accepts(lms: AdvantageTool) -> None:
    assert linking_launch(lms) == "/lti/deep-linking"
    page = pick(lms, subject="algebra", session_length="60", graded="yes", title="Algebra help")
    assert page.status_code == 200 and "data-autosubmit" in page.text
    received = return_to_platform(lms, page.text)
    claims = received["claims"]
    assert claims["iss"] == lms.platform.client_id
    assert claims["aud"] == lms.platform.issuer
    assert claims[c.DEPLOYMENT_ID] == lms.platform.deployment_id
    assert claims[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert claims[c.VERSION] == "1.3.0"
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == PLATFORM_DATA
    assert claims["nonce"] and claims["iat"] <= time.time() < claims["exp"]
    (item,) = received["items"]
    assert item["type"] == "ltiResourceLink" and item["title"] == "Algebra help"
    assert item["url"] == f"{lms.url}/lti/launch"
    assert item["custom"] == {"subject": "algebra", "session_length": "60", "graded": "true"}
    assert item["lineItem"] == {
        "label": "Algebra help",
        "scoreMaximum": 1,
        "resourceId": "algebra",
        "tag": activities.ATTENDANCE_TAG,
    }

    # The platform creates the link; a learner's launch of it opens that subject.
    learner = lms.launch_with({}, sub="learner-1", roles=[LEARNER], custom=item["custom"])
    assert learner.headers["Location"] == "/subjects/algebra"
    db.session.rollback()
    course = db.session.scalars(sa.select(Course)).one()
    activity = activities.activities(course.services)["resource-link-1"]
    assert (activity.subject, activity.session_length, activity.graded) == ("algebra", 60, True)


def test_a_session_length_that_is_no_number_leaves_the_length_open(lms: AdvantageTool) -> None:
    custom = {"subject": "algebra", "session_length": "²", "graded": "true"}
    learner = lms.launch_with({}, sub="learner-1", roles=[LEARNER], custom=custom)
    assert learner.headers["Location"] == "/subjects/algebra"
    db.session.rollback()
    course = db.session.scalars(sa.select(Course)).one()
    activity = activities.activities(course.services)["resource-link-1"]
    assert (activity.subject, activity.session_length) == ("algebra", None)


def test_several_subjects_become_several_ungraded_links(lms: AdvantageTool) -> None:
    linking_launch(lms)
    page = pick(lms, subject=["algebra", "geometry"], session_length="")
    items = return_to_platform(lms, page.text)["items"]
    assert [item["custom"] for item in items] == [
        {"subject": "algebra", "graded": "false"},
        {"subject": "geometry", "graded": "false"},
    ]
    assert all("lineItem" not in item for item in items)
    assert [item["title"] for item in items] == ["Algebra tutoring", "Geometry tutoring"]


def test_cancelling_returns_no_items(lms: AdvantageTool) -> None:
    linking_launch(lms)
    received = return_to_platform(lms, pick(lms, cancel="yes").text)
    assert received["items"] == []
    assert received["claims"]["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == PLATFORM_DATA


def test_a_bad_choice_is_shown_on_the_form(lms: AdvantageTool) -> None:
    linking_launch(lms)
    refused = pick(lms, subject="alchemy", graded="yes")
    assert refused.status_code == 400
    assert "There is no subject" in html.unescape(refused.text)
    assert pick(lms, subject="algebra", session_length="7").status_code == 400
    assert pick(lms, subject="algebra", session_length="²").status_code == 400
    assert lms.platform.deep_link_responses == []


def test_only_instructors_pick_activities(lms: AdvantageTool) -> None:
    linking_launch(lms, roles=[LEARNER])
    refused = lms.browser.get(f"{lms.url}/lti/deep-linking")
    assert refused.status_code == 403
    assert 'data-testid="lti-error"' in refused.text


def test_the_picker_needs_a_deep_linking_launch(lms: AdvantageTool) -> None:
    lms.launch(roles=[INSTRUCTOR])
    assert lms.browser.get(f"{lms.url}/lti/deep-linking").status_code == 400


def test_a_placement_that_takes_no_resource_links_is_refused(lms: AdvantageTool) -> None:
    linking_launch(lms, accept={"link", "html"})
    refused = lms.browser.get(f"{lms.url}/lti/deep-linking")
    assert refused.status_code == 400
    assert "does not accept LTI resource links" in html.unescape(refused.text)
