"""The course roster from the platform's membership service (lti1p3platform's NRPS), read page
by page through ``Link: rel="next"``, and shown to the instructor beside bookings."""

from __future__ import annotations

import datetime as dt
import html
import re
import typing as t
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.booking import booking_service
from lti_tool.lti.products.product import Product
from lti_tool.lti.products.roster import Roster
from lti_tool.lti.protocol.tokens import PlatformServiceError
from lti_tool.models import Booking
from lti_tool.models import Course
from lti_tool.models import Registration
from lti_tool.models import Subject
from lti_tool.models import db
from tests.booking import at
from tests.booking import install_clock
from tests.booking import make_tutor
from tests.lti.advantage import AdvantageTool
from tests.lti.advantage import advantage_tool
from tests.lti.platform import INSTRUCTOR
from tests.lti.services_platform import person

PEOPLE = [
    person("learner-1", "Ada Learner", email="ada@example.edu"),
    person("learner-2", "Ben Learner"),
    person("teacher-1", "Ivan Teacher", INSTRUCTOR),
    person("learner-3", "Cy Learner", status="Inactive"),
    person("learner-4", "Dee Learner"),
]


@pytest.fixture
def lms(app: Flask, served: t.Any) -> Iterator[AdvantageTool]:
    with advantage_tool(app, served) as tool:
        tool.platform.members.people = [dict(p) for p in PEOPLE]
        yield tool


def registration() -> Registration:
    return db.session.scalars(sa.select(Registration)).one()


def test_members_are_read_across_pages(lms: AdvantageTool) -> None:
    members = Product(registration()).roster.members(lms.platform.memberships_url)
    assert [m.user_id for m in members] == [p["user_id"] for p in PEOPLE]
    assert lms.platform.members.pages_served == 3
    pages = lms.platform.requests_to("/nrps/memberships", "GET")
    assert [p.query for p in pages] == ["", "limit=2&page=2", "limit=2&page=3"]
    assert all(p.headers["Accept"].endswith("membershipcontainer+json") for p in pages)
    ada, _, ivan, cy, _ = members
    assert (ada.name, ada.email, ada.is_learner) == ("Ada Learner", "ada@example.edu", True)
    assert not ivan.is_learner and not cy.is_active
    assert len(lms.platform.requests_to("/token")) == 1  # one token for every page


def test_a_page_size_asked_for_is_sent_once(lms: AdvantageTool) -> None:
    class BigPages(Roster):
        page_size = 4

    members = BigPages(Product(registration())).members(lms.platform.memberships_url)
    assert len(members) == 5
    queries = [p.query for p in lms.platform.requests_to("/nrps/memberships")]
    assert queries == ["limit=4", "limit=4&page=2"]


def test_a_refused_roster_raises(lms: AdvantageTool) -> None:
    with pytest.raises(PlatformServiceError) as raised:
        Product(registration()).roster.members(f"{lms.platform.base_url}/nrps/missing")
    assert raised.value.status == 404


def rows(page: str) -> dict[str, tuple[str, str]]:
    found = re.findall(
        r'data-testid="roster-member" data-member-id="([^"]+)" '
        r'data-booked="(\d+)" data-attended="(\d+)"',
        page,
    )
    return {member: (booked, attended) for member, booked, attended in found}


def test_the_course_view_shows_members_beside_bookings(app: Flask, lms: AdvantageTool) -> None:
    clock = install_clock(app)
    algebra = db.session.scalars(sa.select(Subject).where(Subject.slug == "algebra")).one()
    tutor = make_tutor([algebra], name="Uma")
    nrps = lms.platform.nrps_claim()
    assert lms.launch_with(nrps, sub="learner-1", name="Ada Learner").status_code == 302
    for start in (at(7, 9), at(7, 11)):
        booked = lms.browser.post(
            f"{lms.url}/api/v1/bookings",
            json={
                "tutor_id": tutor.id,
                "subject": "algebra",
                "start": start.isoformat(),
                "duration": 60,
                "course_id": db.session.scalars(sa.select(Course.id)).one(),
            },
        )
        assert booked.status_code == 201, booked.text
    db.session.rollback()
    first = db.session.scalars(sa.select(Booking).order_by(Booking.start_at)).first()
    assert first is not None
    clock.now = first.end_at + dt.timedelta(minutes=1)
    booking_service().complete(first)

    teacher = lms.launch_with(nrps, sub="teacher-1", roles=[INSTRUCTOR], name="Ivan Teacher")
    page = lms.follow(teacher).text
    assert rows(page) == {
        "learner-1": ("2", "1"),
        "learner-2": ("0", "0"),
        "teacher-1": ("0", "0"),
        "learner-3": ("0", "0"),
        "learner-4": ("0", "0"),
    }
    text = html.unescape(page)
    assert "Ben Learner" in text and "Has not opened the tool" in text
    assert "(inactive)" in text


def test_the_course_view_survives_a_roster_that_cannot_be_read(lms: AdvantageTool) -> None:
    claim = {
        "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
            "context_memberships_url": f"{lms.platform.base_url}/nrps/missing",
            "service_versions": ["2.0"],
        }
    }
    page = lms.follow(lms.launch_with(claim, sub="teacher-1", roles=[INSTRUCTOR]))
    assert page.status_code == 200
    assert 'data-testid="roster-error"' in page.text
