"""The template filter that shows amounts stored in a currency's minor unit.

``{{ booking.price_cents|money(booking.currency) }}`` gives ``"26.25 USD"``; without a
currency it uses the site's, which is what tutors' prices are in.
"""

from __future__ import annotations

from flask import Flask

from lti_tool import money


def money_filter(minor: int, currency: str | None = None) -> str:
    """*minor* units as an amount followed by the currency's code."""
    return money.format_money(minor, currency or money.site_currency())


def init_app(app: Flask) -> None:
    app.add_template_filter(money_filter, "money")
