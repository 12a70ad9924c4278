"""Why a booking request or a change of state was refused.

Each error carries the HTTP status and the short ``error`` code the JSON API answers with, so
the web layer translates them without a table of its own.
"""

from __future__ import annotations


class BookingError(Exception):
    """A booking request or transition the rules do not allow."""

    status: int = 409
    code: str = "booking_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidBooking(BookingError):
    """The request itself is wrong: unknown subject, a length the tutor does not offer..."""

    status = 400
    code = "invalid_booking"


class SlotNotOffered(BookingError):
    """The tutor does not offer this start at all (outside hours, too soon, too far ahead)."""

    status = 400
    code = "slot_not_offered"


class SlotTaken(BookingError):
    """The start would be offered, but another booking now occupies the time."""

    status = 409
    code = "slot_taken"


class InvalidTransition(BookingError):
    """The booking's current state does not allow this change."""

    status = 409
    code = "invalid_transition"


class PastCutoff(BookingError):
    """A learner asked to cancel or move a session too close to its start."""

    status = 409
    code = "past_cutoff"


class NotAllowed(BookingError):
    """The person asking takes no part in the booking, or lacks the right to change it."""

    status = 403
    code = "forbidden"


class PaymentNotPossible(BookingError):
    """The booking would need paying, and the payment provider cannot take the money now (the
    tutor's payout account is not ready, say). Nothing is held."""

    status = 409
    code = "payment_not_possible"


class TooManyHolds(BookingError):
    """The learner already holds as many unpaid sessions as one person may; one of them must be
    paid, cancelled or run out first. Without a cap one person could empty a tutor's week."""

    status = 429
    code = "too_many_holds"
