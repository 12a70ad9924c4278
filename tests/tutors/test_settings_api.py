"""The tutor profile and availability endpoints, and the editor page."""

from __future__ import annotations

import re
import typing as t

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import RoleName
from lti_tool.models import TutorProfile
from lti_tool.models import db
from lti_tool.testing import app_in_context
from lti_tool.tutors.settings import settings_dict
from tests import services
from tests.live_server import live_server
from tests.tutors import make_tutor
from tests.tutors import make_user
from tests.tutors import sign_in

BODY: dict[str, t.Any] = {
    "timezone": "Australia/Sydney",
    "rules": [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "14:00", "end": "17:30"},
        {"weekday": 2, "start": "18:00", "end": "24:00"},
    ],
    "overrides": [
        {"kind": "extra", "first_date": "2026-12-20", "start": "10:00", "end": "12:00"},
        {"kind": "blocked", "first_date": "2026-12-24", "last_date": "2026-12-26"},
    ],
    "interval_min": 15,
    "min_notice_min": 240,
    "horizon_days": 30,
    "buffer_before_min": 5,
    "buffer_after_min": 10,
    "max_per_day": 3,
    "session_lengths": [60, 30],
}


def test_public_profile(app: Flask, client: FlaskClient) -> None:
    profile = make_tutor(name="Ana Souza", timezone="America/Sao_Paulo", price_cents=3550)
    profile.languages = ["pt", "en"]
    db.session.commit()
    response = client.get(f"/api/v1/tutors/{profile.id}")
    assert response.status_code == 200
    assert response.json == {
        "id": profile.id,
        "name": "Ana Souza",
        "headline": "",
        "timezone": "America/Sao_Paulo",
        "subjects": [{"slug": "algebra", "name": "Algebra", "level": "school"}],
        "languages": ["pt", "en"],
        "price": "35.50",
        "price_cents": 3550,
        "currency": "usd",
        "session_lengths": [30, 60],
    }
    assert client.get("/api/v1/tutors/99999").status_code == 404
    profile.is_active = False
    db.session.commit()
    assert client.get(f"/api/v1/tutors/{profile.id}").status_code == 404


@pytest.mark.parametrize(
    ("currency", "price_cents", "price"),
    [("jpy", 3500, "3500"), ("kwd", 12500, "12.500"), ("huf", 900050, "9000.50")],
)
def test_public_profile_price_has_the_currencys_decimals(
    database_url: str, currency: str, price_cents: int, price: str
) -> None:
    with app_in_context(database_url, currency=currency) as app:
        profile = make_tutor(price_cents=price_cents)
        body = app.test_client().get(f"/api/v1/tutors/{profile.id}").json
        assert (body["price"], body["price_cents"], body["currency"]) == (
            price,
            price_cents,
            currency,
        )
        page = app.test_client().get(f"/tutors/{profile.id}").get_data(as_text=True)
        assert f"{price} {currency.upper()} per hour" in page


def test_tutor_reads_and_replaces_availability(app: Flask, client: FlaskClient) -> None:
    profile = make_tutor()
    sign_in(client, profile.user)
    url = f"/api/v1/tutors/{profile.id}/availability"
    before = client.get(url).json
    assert before["availability"] == "Mon 09:00-12:00"

    response = client.put(url, json=BODY)
    assert response.status_code == 200, response.json
    saved = response.json
    assert saved["timezone"] == "Australia/Sydney"
    assert saved["availability"] == "Mon 09:00-12:00; Mon 14:00-17:30; Wed 18:00-24:00"
    assert saved["rules"][2] == {"weekday": 2, "start": "18:00", "end": "24:00"}
    assert saved["overrides"] == [
        {
            "kind": "extra",
            "first_date": "2026-12-20",
            "last_date": "2026-12-20",
            "start": "10:00",
            "end": "12:00",
            "note": "",
        },
        {
            "kind": "blocked",
            "first_date": "2026-12-24",
            "last_date": "2026-12-26",
            "start": None,
            "end": None,
            "note": "",
        },
    ]
    assert saved["session_lengths"] == [30, 60]
    assert saved["max_per_day"] == 3
    assert client.get(url).json == saved

    # The GET body can be sent back unchanged.
    assert client.put(url, json=saved).json == saved
    assert client.put(url, json={"max_per_day": None}).json["max_per_day"] is None


def test_bad_input_is_400_naming_the_field_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    profile = make_tutor()
    sign_in(client, profile.user)
    url = f"/api/v1/tutors/{profile.id}/availability"
    before = client.get(url).json
    overlapping = [*BODY["rules"], {"weekday": 0, "start": "11:00", "end": "13:00"}]
    cases = [
        ({**BODY, "rules": overlapping}, "rules[3]"),
        ({**BODY, "timezone": "Nowhere/City"}, "timezone"),
        ({**BODY, "interval_min": 0}, "interval_min"),
        ({**BODY, "overrides": [{"kind": "extra", "date": "2026-01-01"}]}, "overrides[0].start"),
        ({**BODY, "price": "10.00"}, "price"),
    ]
    for body, field in cases:
        response = client.put(url, json=body)
        assert response.status_code == 400
        assert response.json["field"] == field
        assert response.json["error"] == "Bad Request"
        assert response.json["detail"].startswith(f"{field}: ")
    response = client.put(
        url, data="timezone=UTC", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert client.get(url).json == before


def test_only_the_tutor_or_an_admin(app: Flask, client: FlaskClient) -> None:
    profile = make_tutor()
    other = make_tutor(name="Other Tutor")
    admin = make_user(name="Ada Admin", role=RoleName.ADMIN)
    url = f"/api/v1/tutors/{profile.id}/availability"
    assert client.get(url).status_code == 401
    assert client.put(url, json=BODY).status_code == 401
    sign_in(client, other.user)
    assert client.get(url).status_code == 403
    assert client.put(url, json=BODY).status_code == 403
    sign_in(client, admin)
    assert client.put(url, json=BODY).status_code == 200
    assert client.get("/api/v1/tutors/99999/availability").status_code == 404
    db.session.expire_all()
    assert db.session.get(TutorProfile, profile.id).timezone == "Australia/Sydney"  # type: ignore[union-attr]


def test_editor_page(app: Flask, client: FlaskClient) -> None:
    profile = make_tutor(timezone="Asia/Tokyo")
    assert client.get("/tutor/availability").status_code == 401
    sign_in(client, make_user())
    assert client.get("/tutor/availability").status_code == 403
    sign_in(client, profile.user)
    response = client.get("/tutor/availability")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<option value="Asia/Tokyo" selected>' in page
    assert 'type="module"' in page and "availability.js" in page
    for test_id in (
        "timezone",
        "ranges-0",
        "add-range-6",
        "overrides",
        "add-override",
        "interval_min",
        "session_lengths",
        "max_per_day",
        "save",
        "status",
        "error",
    ):
        assert f'data-testid="{test_id}"' in page
    # Every input and select has a label.
    for element_id in re.findall(r'<(?:input|select) id="([^"]+)"', page):
        assert f'<label for="{element_id}"' in page
    assert f"/api/v1/tutors/{profile.id}/availability" in page
    script = client.get("/static/core/availability.js")
    assert script.status_code == 200
    assert "javascript" in script.content_type
    script.close()


@pytest.mark.browser
def test_editor_in_a_browser(app: Flask) -> None:
    services.chromium_path()
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    profile = make_tutor(timezone="Asia/Tokyo")
    profile_id = profile.id
    cookie = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
        {"user_id": profile.user_id}
    )
    db.session.remove()
    with live_server(app) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=services.CHROMIUM, args=services.CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(timezone_id="America/Chicago", locale="en-US")
            context.add_cookies([{"name": "session", "value": cookie, "url": base_url}])
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{base_url}/tutor/availability")
            expect(page.locator("form[data-ready=true]")).to_be_attached()
            expect(page.get_by_test_id("timezone")).to_have_value("Asia/Tokyo")
            expect(page.get_by_test_id("range-0-0-start")).to_have_value("09:00")

            page.get_by_test_id("add-range-0").click()
            page.get_by_test_id("range-0-1-start").fill("14:00")
            page.get_by_test_id("range-0-1-end").fill("17:30")
            page.get_by_test_id("add-range-2").click()
            page.get_by_test_id("range-2-0-start").fill("22:00")
            page.get_by_test_id("range-2-0-end").fill("00:00")
            page.get_by_test_id("add-override").click()
            page.get_by_test_id("override-0-first").fill("2026-12-24")
            page.get_by_test_id("override-0-last").fill("2026-12-26")
            page.get_by_test_id("override-0-note").fill("Holidays")
            page.get_by_test_id("add-override").click()
            page.get_by_test_id("override-1-kind").select_option("extra")
            page.get_by_test_id("override-1-first").fill("2026-12-20")
            page.get_by_test_id("override-1-start").fill("10:00")
            page.get_by_test_id("override-1-end").fill("12:00")
            page.get_by_test_id("timezone").select_option("Europe/Berlin")
            page.get_by_test_id("max_per_day").fill("4")
            page.get_by_test_id("session_lengths").fill("45, 60")
            page.get_by_test_id("save").click()
            expect(page.get_by_test_id("status")).to_have_text("Saved.")
            expect(page.get_by_test_id("summary")).to_have_text(
                "Mon 09:00-12:00; Mon 14:00-17:30; Wed 22:00-24:00"
            )

            # An overlap is refused, and the offending input is marked and focused.
            page.get_by_test_id("add-range-0").click()
            page.get_by_test_id("range-0-2-start").fill("11:00")
            page.get_by_test_id("range-0-2-end").fill("15:00")
            page.get_by_test_id("save").click()
            expect(page.get_by_test_id("error")).to_contain_text("overlaps")
            expect(page.get_by_test_id("range-0-2-start")).to_be_focused()
            expect(page.get_by_test_id("range-0-2-start")).to_have_attribute("aria-invalid", "true")
            page.get_by_test_id("range-0-2-remove").click()
            expect(page.locator("#ranges-0 li")).to_have_count(2)
            assert errors == []
        finally:
            browser.close()
    saved = settings_dict(db.session.get(TutorProfile, profile_id))  # type: ignore[arg-type]
    assert saved["timezone"] == "Europe/Berlin"
    assert saved["availability"] == "Mon 09:00-12:00; Mon 14:00-17:30; Wed 22:00-24:00"
    assert [(o["kind"], o["first_date"], o["last_date"]) for o in saved["overrides"]] == [
        ("extra", "2026-12-20", "2026-12-20"),
        ("blocked", "2026-12-24", "2026-12-26"),
    ]
    assert (saved["max_per_day"], saved["session_lengths"]) == (4, [45, 60])
