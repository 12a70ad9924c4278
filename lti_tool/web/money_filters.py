"""Template filters that show amounts stored in a currency's minor unit.

``{{ booking.price_cents|money(booking.currency) }}`` gives ``"26.25 USD"`` and
``{{ tutor.price_cents|amount }}`` gives ``"35.00"``. Without a currency both use the site's,
which is what tutors' prices are in.
"""

from __future__ import annotations

from flask import Flask
from flask import current_app

from lti_tool import money


def _currency(currency: str | None) -> str:
    return currency or str(current_app.config["CURRENCY"])


def money_filter(minor: int, currency: str | None = None) -> str:
    """*minor* units as an amount followed by the currency's code."""
    return money.format_money(minor, _currency(currency))


def amount_filter(minor: int, currency: str | None = None) -> str:
    """*minor* units as an amount with the currency's decimals, without its code."""
    return money.format_amount(minor, _currency(currency))


def init_app(app: Flask) -> None:
    app.add_template_filter(money_filter, "money")
    app.add_template_filter(amount_filter, "amount")
