from __future__ import annotations

import html

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool import demo
from lti_tool.models import TutorProfile
from lti_tool.models import db


def test_core_pages_lead_anonymous_visitors_to_the_site_login(
    app: Flask, client: FlaskClient
) -> None:
    demo.seed()
    tutor_id = db.session.scalars(sa.select(TutorProfile.id)).first()
    page = html.unescape(client.get(f"/tutors/{tutor_id}").get_data(as_text=True))
    assert f'data-sign-in-url="/login?next=/tutors/{tutor_id}"' in page
    assert 'data-testid="sign-in-link"' in page
    assert 'href="/catalog"' in page
    assert page.count('href="/catalog"') == 1
    assert "/dev/sign-in" not in page
