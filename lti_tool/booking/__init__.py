"""Booking sessions: the service that changes a booking's state, and why it may refuse."""

from __future__ import annotations

from lti_tool.booking.clock import app_clock
from lti_tool.booking.clock import as_utc
from lti_tool.booking.clock import current_time
from lti_tool.booking.errors import BookingError
from lti_tool.booking.errors import InvalidBooking
from lti_tool.booking.errors import InvalidTransition
from lti_tool.booking.errors import NotAllowed
from lti_tool.booking.errors import PastCutoff
from lti_tool.booking.errors import PaymentNotPossible
from lti_tool.booking.errors import SlotNotOffered
from lti_tool.booking.errors import SlotTaken
from lti_tool.booking.errors import TooManyHolds
from lti_tool.booking.service import BookingService
from lti_tool.booking.service import booking_service

__all__ = [
    "BookingError",
    "BookingService",
    "InvalidBooking",
    "InvalidTransition",
    "NotAllowed",
    "PastCutoff",
    "PaymentNotPossible",
    "SlotNotOffered",
    "SlotTaken",
    "TooManyHolds",
    "app_clock",
    "as_utc",
    "booking_service",
    "current_time",
]
