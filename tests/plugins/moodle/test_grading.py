"""Moodle's AGS URLs keep the tool configuration in a query string; the grading capability
Moodle runs on (the generic one) must put ``/scores`` before the ``?``, keep the query when it
adds its own filters, and send scores as ``application/vnd.ims.lis.v1.score+json``.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from lti_tool_moodle import MoodleProduct

from lti_tool.lti.products.grading import SCORE_MEDIA_TYPE
from lti_tool.lti.products.grading import Grading
from lti_tool.lti.products.grading import Score
from lti_tool.lti.protocol import tokens
from lti_tool.models import Course
from lti_tool.models import Registration
from lti_tool.models import db
from tests.lti.conftest import Tool

from .conftest import launch
from .conftest import moodle_claims
from .moodle_site import MoodleSite
from .moodle_site import serve_site

SERVICES = "https://moodle.school.edu/mod/lti/services.php"


@pytest.fixture
def moodle_site(moodle: Tool) -> Iterator[MoodleSite]:
    tokens.forget_tokens()
    with serve_site(moodle.platform.issued_tokens) as running:
        yield running


def grading_after_launch(moodle: Tool, moodle_site: MoodleSite) -> tuple[Grading, t.Any]:
    """Launch as a learner, then the grading capability and AGS claim the tool stored."""
    assert launch(moodle, moodle_claims(services=moodle_site.url)).status_code == 302
    db.session.rollback()
    services: dict[str, t.Any] = db.session.scalars(sa.select(Course)).one().services or {}
    ags = services["ags"]
    registration = db.session.scalars(sa.select(Registration)).one()
    return MoodleProduct(registration).grading_with(ags["scopes"]), ags


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("type_id", ["1", "3", "12"])
@pytest.mark.parametrize("item", ["5", "117"])
def test_scores_go_before_the_query(item: str, type_id: str, slash: str) -> None:
    grading = MoodleProduct(Registration()).grading
    line_item = f"{SERVICES}/2/lineitems/{item}/lineitem{slash}?type_id={type_id}"
    expected = f"{SERVICES}/2/lineitems/{item}/lineitem/scores?type_id={type_id}"
    assert grading.scores_url(line_item) == expected


def test_a_score_reaches_moodle_on_the_stored_line_item(
    moodle: Tool, moodle_site: MoodleSite
) -> None:
    grading, ags = grading_after_launch(moodle, moodle_site)
    score = Score(
        user_id="user-1",
        score_given=1.0,
        score_maximum=1.0,
        timestamp=dt.datetime(2026, 11, 29, 15, 30, tzinfo=dt.UTC),
    )

    grading.post_score(ags["lineitem"], score)

    (posted,) = moodle_site.received
    assert (posted.method, posted.path) == (
        "POST",
        "/mod/lti/services.php/2/lineitems/5/lineitem/scores",
    )
    assert posted.query == {"type_id": ["3"]}
    assert posted.content_type == SCORE_MEDIA_TYPE
    assert posted.token in moodle.platform.issued_tokens
    assert posted.body["userId"] == "user-1"
    assert (posted.body["scoreGiven"], posted.body["scoreMaximum"]) == (1.0, 1.0)


def test_the_line_item_search_keeps_moodle_s_query(moodle: Tool, moodle_site: MoodleSite) -> None:
    grading, ags = grading_after_launch(moodle, moodle_site)

    item = grading.find_or_create_line_item(
        ags["lineitems"], label="Algebra tutoring", score_maximum=1, resource_link_id="7"
    )

    assert item.id.endswith("/lineitems/5/lineitem?type_id=3")
    (searched,) = moodle_site.received
    assert (searched.method, searched.path) == ("GET", "/mod/lti/services.php/2/lineitems")
    assert searched.query == {"type_id": ["3"], "resource_link_id": ["7"]}
