"""Without a payment plugin every booking is free and confirmed as soon as it is made."""

from __future__ import annotations

import typing as t

from lti_tool import hookimpl
from lti_tool.payments import CheckoutStart

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.models import Booking
    from lti_tool.models import TutorProfile


class FreeOfCharge:
    name = "none"
    pays_out_tutors = False

    def requires_payment(self, booking: Booking) -> bool:
        return False

    def refusal(self, booking: Booking) -> str | None:
        return None

    def start_checkout(self, booking: Booking, return_url: str) -> CheckoutStart:
        return CheckoutStart(redirect_url=None)

    def refund(self, booking: Booking, amount_cents: int, reason: str) -> None:
        """Nothing was taken, so nothing is returned."""

    def payout_onboarding_url(self, tutor: TutorProfile, return_url: str | None = None) -> None:
        return None


@hookimpl(trylast=True)
def payment_provider() -> FreeOfCharge:
    return FreeOfCharge()
