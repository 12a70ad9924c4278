"""Amounts in each currency's ISO 4217 minor unit, and how they are parsed, rounded and shown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from flask import render_template_string

from lti_tool import money
from lti_tool.testing import make_test_app as make_app
from lti_tool.tutors.fields import TutorSettingsError
from lti_tool.tutors.fields import parse_price


@pytest.mark.parametrize(
    ("currency", "places", "step"),
    [
        ("USD", 2, 1),
        ("jpy", 0, 1),
        (" KWD ", 3, 10),
        # ISO gives the forint two decimals, though CLDR (and so Babel) says none.
        ("HUF", 2, 1),
        ("ISK", 0, 1),
        ("CLF", 4, 1),
    ],
)
def test_exponents_and_charge_steps(currency: str, places: int, step: int) -> None:
    assert money.exponent(currency) == places
    assert money.charge_step(currency) == step
    assert money.normalise(currency) == currency.strip().upper()


@pytest.mark.parametrize("code", ["XAU", "abc", "", "US", "dollars"])
def test_unknown_codes_are_refused(code: str) -> None:
    with pytest.raises(money.CurrencyError, match="ISO 4217"):
        money.normalise(code)


@pytest.mark.parametrize(
    ("amount", "currency", "minor", "shown"),
    [
        ("35.00", "USD", 3500, "35.00"),
        ("35.5", "usd", 3550, "35.50"),
        ("3500", "JPY", 3500, "3500"),
        ("12.5", "KWD", 12500, "12.500"),
        ("12.345", "KWD", 12345, "12.345"),
        ("1000.5", "HUF", 100050, "1000.50"),
        ("990", "ISK", 990, "990"),
        ("1.2345", "CLF", 12345, "1.2345"),
        (0, "JPY", 0, "0"),
    ],
)
def test_to_minor_and_back(amount: str | int, currency: str, minor: int, shown: str) -> None:
    assert money.to_minor(amount, currency) == minor
    assert money.from_minor(minor, currency) == Decimal(shown)
    assert money.format_amount(minor, currency) == shown
    assert money.format_money(minor, currency) == f"{shown} {currency.upper()}"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("35.5", "JPY"), ("35.001", "USD"), ("1.23456", "CLF"), ("9.9", "ISK"), ("ten", "USD")],
)
def test_to_minor_refuses_what_the_currency_cannot_hold(amount: str, currency: str) -> None:
    with pytest.raises(money.AmountError):
        money.to_minor(amount, currency)


@pytest.mark.parametrize(
    ("hourly", "minutes", "currency", "price"),
    [
        (3500, 45, "JPY", 2625),
        (1030, 45, "USD", 773),  # 772.5: half up, where round() would give 772
        (1010, 45, "USD", 758),  # 757.5
        (1000, 20, "USD", 333),  # 333.33...
        (12500, 45, "KWD", 9380),  # 9375 fils, on the 10-fils step
        (12340, 30, "KWD", 6170),
        (100050, 30, "HUF", 50025),
        (999, 30, "ISK", 500),  # 499.5
        (12345, 60, "CLF", 12345),
    ],
)
def test_pro_rata_rounds_half_up_on_the_charge_step(
    hourly: int, minutes: int, currency: str, price: int
) -> None:
    assert money.pro_rata(hourly, minutes, currency) == price


def test_round_half_up_and_share() -> None:
    assert money.round_half_up(Decimal("2.5")) == 3
    assert money.round_half_up(Decimal("-2.5")) == -3
    assert money.round_half_up(Decimal("15"), 10) == 20
    assert money.round_half_up(Decimal("14.9"), 10) == 10
    assert money.share(1005, Decimal(10)) == 101  # 100.5


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("35", "usd", 3500),
        ("35.50", "usd", 3550),
        ("3500", "jpy", 3500),
        ("3500.0", "jpy", 3500),
        ("12.5", "kwd", 12500),
        ("12.340", "kwd", 12340),
        ("100000", "jpy", 100000),
        ("1.2345", "clf", 12345),
    ],
)
def test_parse_price_in_the_sites_currency(value: str, currency: str, minor: int) -> None:
    assert parse_price(value, currency=currency) == minor


@pytest.mark.parametrize(
    ("value", "currency", "message"),
    [
        ("35.5", "jpy", "JPY prices have no decimals"),
        ("35.001", "usd", "USD prices have at most 2 decimals"),
        ("12.3456", "kwd", "KWD prices have at most 3 decimals"),
        ("12.345", "kwd", "prices in KWD go in steps of 0.010"),
        ("100000.01", "usd", "must be 0 to 100000 USD"),
        ("-1", "jpy", "must be 0 to 100000 JPY"),
        ("lots", "jpy", "expected a price such as 35,"),
        ("lots", "kwd", "expected a price such as 35.000,"),
        (True, "usd", "expected a price"),
    ],
)
def test_parse_price_names_the_currency_and_its_decimals(
    value: object, currency: str, message: str
) -> None:
    with pytest.raises(TutorSettingsError) as caught:
        parse_price(value, "max_price", currency=currency)
    assert caught.value.field == "max_price"
    assert message in caught.value.message


def test_templates_show_minor_units_with_the_currencys_decimals(sqlite_url: str) -> None:
    app: Flask = make_app(sqlite_url, currency="jpy")
    with app.test_request_context():
        shown = render_template_string(
            "{{ 3500|money }}|{{ 12500|money('kwd') }}|{{ 3550|money('usd') }}"
        )
    assert shown == "3500 JPY|12.500 KWD|35.50 USD"
