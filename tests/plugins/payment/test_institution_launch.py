"""A learner who arrives through an LMS launch into an institution-paid course books without
paying, while the payment plugin is on."""

from __future__ import annotations

import re

import requests
import sqlalchemy as sa
from flask import Flask

from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import Deployment
from lti_tool.models import db
from tests.booking import make_subject
from tests.booking import make_tutor
from tests.live_server import live_server
from tests.lti.conftest import Tool
from tests.lti.platform import LmsPlatform
from tests.lti.platform import register_with_tool
from tests.lti.platform import serve

from .fake_stripe import FakeStripe
from .helpers import SOON


def test_a_launch_into_an_institution_paid_course_books_without_payment(
    app: Flask, fake: FakeStripe
) -> None:
    tutor = make_tutor([make_subject()], name="Tess Tutor", price_cents=6000)
    with live_server(app) as url, requests.Session() as browser:
        app.config["BASE_URL"] = url
        with serve(LmsPlatform(tool_url=url)) as platform:
            register_with_tool(platform)
            db.session.scalars(sa.select(Deployment)).one().institution_paid = True
            db.session.commit()
            tool = Tool(app=app, url=url, platform=platform, browser=browser)

            landing = tool.follow(tool.launch(custom={"subject": "algebra"}))
            assert landing.status_code == 200
            db.session.rollback()
            course = db.session.scalars(sa.select(Course)).one()
            # The tutor page the learner opens carries the course the launch came from.
            page = browser.get(f"{url}/tutors/{tutor.id}").text
            assert re.search(rf'data-course-id="{course.id}"', page)

            answer = browser.post(
                f"{url}/api/v1/bookings",
                json={
                    "tutor_id": tutor.id,
                    "subject": "algebra",
                    "start": SOON,
                    "duration": 60,
                    "course_id": course.id,
                },
            )
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == BookingState.CONFIRMED.value
    assert answer.json()["redirect_url"] is None
    assert fake.requests == []
    db.session.rollback()
    booking = db.session.get(Booking, answer.json()["id"])
    assert booking is not None and booking.course_id == course.id
