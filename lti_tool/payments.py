"""The contract between the booking flow and whoever collects the money."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from lti_tool.plugins import pm

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.models import Booking
    from lti_tool.models import TutorProfile


@dataclass(frozen=True)
class CheckoutStart:
    """How the learner continues after a paid booking is held.

    ``redirect_url`` is where the browser goes to pay; ``None`` means nothing is owed and
    the booking was confirmed on the spot.
    """

    redirect_url: str | None


class PaymentProvider(t.Protocol):
    name: str
    pays_out_tutors: bool
    """Whether the provider pays tutors their share itself, so tutors set up payouts with it."""

    def requires_payment(self, booking: Booking) -> bool:
        """Whether *booking* must be paid before it is confirmed."""

    def refusal(self, booking: Booking) -> str | None:
        """Why the money for *booking* (not yet saved) cannot be taken now, said to the learner;
        ``None`` when it can. Asked only when :meth:`requires_payment` is true, inside the
        booking's transaction, so a refusal holds nothing."""

    def start_checkout(self, booking: Booking, return_url: str) -> CheckoutStart:
        """Begin collecting payment for a held booking, or give the learner the checkout
        already open for it at its current price. Called again for a hold whose checkout was
        never created (the process stopped in between), so it must be safe to repeat."""

    def refund(self, booking: Booking, amount_cents: int, reason: str) -> None:
        """Return *amount_cents* (minor units of the booking's currency) of what was paid for
        *booking*."""

    def payout_onboarding_url(
        self, tutor: TutorProfile, return_url: str | None = None
    ) -> str | None:
        """Where *tutor* sets up receiving their share, coming back to *return_url* (a path
        on this site) or the provider's own page; ``None`` when :attr:`pays_out_tutors` is
        false."""


def payment_provider() -> PaymentProvider:
    """The site's payment provider: a plugin's, or the core's free-of-charge default."""
    return t.cast(PaymentProvider, pm.hook.payment_provider())
