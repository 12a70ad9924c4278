"""Amounts as Stripe writes them, and the fee model.

The tool counts money in each currency's ISO 4217 minor unit (:mod:`lti_tool.money`). Stripe
mostly does too, with exceptions it keeps for compatibility: ISK has no minor unit but Stripe
still counts hundredths of it, and MGA has two decimals in ISO but none at Stripe. Each
exception is converted here, so nothing else in the plugin multiplies or divides amounts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from lti_tool.api import money
from lti_tool_payment.settings import Settings

#: Stripe's own decimals where they differ from ISO 4217 (https://docs.stripe.com/currencies).
_STRIPE_DECIMALS = {"ISK": 2, "MGA": 0}


class UnchargeableAmount(ValueError):
    """An amount Stripe cannot take in this currency (a fraction it has no unit for)."""


def _shift(currency: str) -> int:
    code = money.normalise(currency)
    return _STRIPE_DECIMALS.get(code, money.exponent(code)) - money.exponent(code)


def to_stripe(minor: int, currency: str) -> int:
    """The ``amount``/``unit_amount`` Stripe expects for *minor* units of *currency*.

    :raises UnchargeableAmount: Stripe's unit is larger and *minor* is not a whole number of it.
    """
    shift = _shift(currency)
    if shift >= 0:
        return minor * 10**shift
    whole, rest = divmod(minor, 10**-shift)
    if rest:
        raise UnchargeableAmount(
            f"{money.format_money(minor, currency)} cannot be charged: Stripe takes "
            f"{money.normalise(currency)} in whole units only"
        )
    return whole


def from_stripe(amount: int, currency: str) -> int:
    """An amount Stripe reports, in the tool's minor units (exact for what :func:`to_stripe`
    produced; a fraction Stripe could not have charged is rounded down)."""
    shift = _shift(currency)
    return amount * 10**-shift if shift <= 0 else amount // 10**shift


@dataclass(frozen=True)
class Split:
    """Who gets what of one paid booking, in minor units."""

    price: int
    platform_share: int
    processing: int
    """The allowance for Stripe's fee, taken from the tutor's side."""

    @property
    def application_fee(self) -> int:
        """What Stripe moves to the platform: its share and the processing allowance."""
        return self.platform_share + self.processing

    @property
    def tutor(self) -> int:
        return self.price - self.application_fee


def split(price: int, currency: str, settings: Settings, *, connect: bool) -> Split:
    """Divide *price* between tutor and platform.

    Without a Connect account the whole price lands in the platform's balance and the
    platform pays its tutors itself: there is nothing to split. With one, the platform keeps
    ``platform_fee_percent`` and the tutor's share also covers Stripe's fee, estimated as
    ``stripe_fee_percent`` of the price plus ``stripe_fee_fixed`` (rounded up to the
    currency's unit), so the platform, which Stripe charges, never pays to host a session.
    The application fee never exceeds the price.
    """
    if not connect or price <= 0:
        return Split(price, 0, 0)
    share = money.share(price, settings.platform_fee_percent)
    fixed = settings.processing_fee_fixed.scaleb(money.exponent(currency))
    processing = money.share(price, settings.processing_fee_percent) + math.ceil(fixed)
    processing = min(processing, price - share)
    return Split(price, share, processing)


def prorate(part: int, whole: int, amount: int) -> int:
    """*amount* scaled by *part*/*whole*, half up: the share of a fee a partial refund returns."""
    if whole <= 0:
        return 0
    return money.round_half_up(Decimal(amount) * part / whole)
