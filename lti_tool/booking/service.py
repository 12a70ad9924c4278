"""Every change of a booking's state, each in one write transaction with one audit row.

The service re-checks a requested start against the slot engine inside the transaction,
after locking the tutor's row (PostgreSQL; SQLite's write lock already serialises writers),
so two requests for one tutor are decided one after the other. The database's overlap guard
stays the last word: if it refuses, the request fails with :class:`SlotTaken`. Plugins hear
of each change through ``booking_event`` only after it is committed.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import typing as t

import pluggy
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from sqlalchemy.orm import scoped_session

from lti_tool.booking import rules
from lti_tool.booking import writes
from lti_tool.booking.announce import Announcement
from lti_tool.booking.announce import Detail
from lti_tool.booking.announce import announce
from lti_tool.booking.announce import plan_jobs
from lti_tool.booking.clock import Clock
from lti_tool.booking.clock import app_clock
from lti_tool.booking.clock import as_utc
from lti_tool.booking.clock import iso
from lti_tool.booking.errors import InvalidBooking
from lti_tool.booking.errors import InvalidTransition
from lti_tool.booking.errors import PastCutoff
from lti_tool.booking.errors import PaymentNotPossible
from lti_tool.booking.errors import TooManyHolds
from lti_tool.database import write_transaction
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import User
from lti_tool.models import db
from lti_tool.models import utcnow
from lti_tool.plugins import pm

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.payments import PaymentProvider

log = logging.getLogger(__name__)
R = t.TypeVar("R")

HELD = BookingState.HELD
CONFIRMED = BookingState.CONFIRMED
OPEN_STATES = frozenset({HELD, CONFIRMED})
#: Runs of one transaction before a deadlock or serialization failure is given up on.
ATTEMPTS = 20


class BookingService:
    """Books, confirms, cancels, moves, completes and expires bookings.

    :param session: where bookings are read and written.
    :param hook: the plugin hooks (``pm.hook``): ``payment_provider`` and ``booking_event``.
    :param now: the clock; returns an aware datetime.
    :param hold_minutes: how long a booking awaiting payment keeps its slot.
    :param cancel_cutoff_hours: until this long before the start a learner may cancel or
        move a confirmed booking, with a full refund.
    :param currency: ISO 4217 code stored with each booking's price.
    :param max_holds: unpaid holds one learner may have at once.
    """

    def __init__(
        self,
        session: Session | scoped_session[Session],
        hook: pluggy.HookRelay,
        now: Clock = utcnow,
        *,
        hold_minutes: int = 30,
        cancel_cutoff_hours: int = 24,
        currency: str = "usd",
        max_holds: int = 3,
    ) -> None:
        # write_transaction needs the Session itself, not Flask-SQLAlchemy's scoped proxy.
        self.session = session() if isinstance(session, scoped_session) else session
        self.hook = hook
        self.clock = now
        self.hold = dt.timedelta(minutes=hold_minutes)
        self.cutoff = dt.timedelta(hours=cancel_cutoff_hours)
        self.currency = currency
        self.max_holds = max_holds

    def now(self) -> dt.datetime:
        return as_utc(self.clock(), "the clock")

    def book(
        self,
        learner: User,
        tutor: TutorProfile,
        subject: Subject,
        start: dt.datetime,
        duration_min: int,
        course: Course | None = None,
    ) -> Booking:
        """Take the slot: ``held`` until paid when the payment provider wants money, else
        ``confirmed``. Holds of this tutor that ran out are marked ``expired`` first.

        :raises InvalidBooking: the tutor does not teach *subject*, does not offer
            *duration_min*, is inactive, or is *learner*; or *start* is naive.
        :raises SlotNotOffered: the tutor does not offer *start* at all right now.
        :raises SlotTaken: another booking occupies the time.
        :raises PaymentNotPossible: payment is needed and the provider cannot take it now.
        :raises TooManyHolds: payment is needed and *learner* already holds ``max_holds``.
        """
        start = as_utc(start, "start")
        rules.check_offer(learner, tutor, subject, duration_min)
        now = self.now()

        def work() -> tuple[Booking, list[Announcement]]:
            writes.lock_learner(self.session, learner)
            writes.lock_tutor(self.session, tutor)
            news = writes.expire_holds(self.session, now, Booking.tutor_id == tutor.id)
            rules.check_slot(self.session, tutor, start, duration_min, now)
            booking = writes.new_booking(
                tutor, learner, subject, start, duration_min, self.currency, course
            )
            provider = self._provider()
            if provider.requires_payment(booking):
                # Refused before the booking is added: the rollback leaves nothing behind.
                if (refusal := provider.refusal(booking)) is not None:
                    raise PaymentNotPossible(refusal)
                if writes.held_by(self.session, learner, now) >= self.max_holds:
                    raise TooManyHolds(
                        f"You already hold {self.max_holds} unpaid sessions; pay for or "
                        "cancel one of them (or let it run out) before holding another."
                    )
                booking.state, booking.hold_expires_at = HELD, now + self.hold
            else:
                booking.state = CONFIRMED
            self.session.add(booking)
            writes.flush(self.session)
            detail: Detail = {
                "start": iso(start),
                "duration_min": duration_min,
                "hold_expires_at": iso(booking.hold_expires_at),
            }
            writes.audit(self.session, booking, booking.state.value, None, learner, detail, now)
            return booking, [*news, (booking.state.value, booking, detail)]

        return self._run(work)

    def confirm(self, booking: Booking, by: User | None = None) -> Booking:
        """Payment arrived: ``held`` becomes ``confirmed``.

        A hold past its expiry that nobody has marked ``expired`` yet still owns its slot
        (no one can book over it without expiring it first), so it is confirmed too.
        """
        now = self.now()

        def work() -> tuple[Booking, list[Announcement]]:
            writes.lock_booking(self.session, booking)
            rules.require_state(booking, {HELD}, "confirmed")
            booking.hold_expires_at = None
            writes.set_state(self.session, booking, CONFIRMED, "confirmed", by, {}, now)
            return booking, [("confirmed", booking, {})]

        return self._run(work)

    def renew_hold(self, booking: Booking, at_least: dt.timedelta) -> dt.datetime:
        """Make a held booking's hold last at least *at_least* from now, renewing it for a full
        ``hold_minutes`` when it is shorter (a payment starts again, and the slot is still this
        learner's); returns the hold's end. Not a change of state, so no audit row.

        :raises InvalidTransition: the booking is no longer held.
        """
        now = self.now()
        end = booking.hold_expires_at
        if booking.state == HELD and end is not None and end - now >= at_least:
            return end  # long enough: no write, checked again under the lock otherwise

        def work() -> tuple[dt.datetime, list[Announcement]]:
            writes.lock_booking(self.session, booking)
            rules.require_state(booking, {HELD}, "held again")
            end = booking.hold_expires_at
            if end is None or end - now < at_least:
                booking.hold_expires_at = end = now + self.hold
            return end, []

        return self._run(work)

    def cancel(self, booking: Booking, by: User | None, reason: str = "") -> Booking:
        """Cancel before the start.

        The learner may cancel a confirmed booking until ``cancel_cutoff_hours`` before the
        start and an unpaid hold until the start; the tutor, an admin or the system (*by*
        None) any time before the start. The event detail carries ``refund``: always
        ``full``, because the only late cancellation that could keep the learner's money is
        the learner's own, and that one is refused; a session called off by the tutor, an
        admin or the system never costs the learner.

        :raises NotAllowed: *by* takes no part in the booking.
        :raises PastCutoff: a learner after the cut-off.
        :raises InvalidTransition: the booking is not open or has started.
        """
        now = self.now()

        def work() -> tuple[Booking, list[Announcement]]:
            writes.lock_booking(self.session, booking)
            rules.require_state(booking, OPEN_STATES, "cancelled")
            rules.require_future(booking, now, "cancelled")
            role = rules.role_in(booking, by)
            in_time = rules.before_cutoff(booking, now, self.cutoff)
            if role == "learner" and not in_time:
                raise PastCutoff(self._cutoff_message("cancelled"))
            refund = "full"
            detail: Detail = {"reason": reason, "refund": refund, "cancelled_by": role}
            booking.cancel_reason = reason
            booking.cancelled_by_id = by.id if by is not None else None
            booking.sequence += 1
            cancelled = BookingState.CANCELLED
            writes.set_state(self.session, booking, cancelled, "cancelled", by, detail, now)
            return booking, [("cancelled", booking, detail)]

        return self._run(work)

    def reschedule(
        self,
        booking: Booking,
        new_start: dt.datetime,
        new_duration: int | None = None,
        *,
        by: User | None,
    ) -> Booking:
        """Move an open booking to another offered slot of the same tutor, in place.

        Same cut-off rule as :meth:`cancel`. The booking keeps its id and state; ``sequence``
        goes up so calendar invites update. A length that changes the price is refused for a
        confirmed booking the payment provider says must be paid, because that money is
        settled. A hold whose price changes gets a fresh hold from now, since its payment
        starts again at the new price. The event detail carries ``from_price_cents`` and
        ``price_cents`` whenever the price changed.
        """
        new_start = as_utc(new_start, "start")
        now = self.now()

        def work() -> tuple[Booking, list[Announcement]]:
            tutor = booking.tutor
            writes.lock_tutor(self.session, tutor)
            writes.lock_booking(self.session, booking)
            # Expire first: a lapsed hold being moved must be refused, not carried along.
            news = writes.expire_holds(self.session, now, Booking.tutor_id == tutor.id)
            rules.require_state(booking, OPEN_STATES, "rescheduled")
            rules.require_future(booking, now, "rescheduled")
            role = rules.role_in(booking, by)
            if role == "learner" and not rules.before_cutoff(booking, now, self.cutoff):
                raise PastCutoff(self._cutoff_message("rescheduled"))
            duration = new_duration or booking.duration_min
            rules.check_length(tutor, duration)
            if new_start == booking.start_at and duration == booking.duration_min:
                raise InvalidBooking("The booking is already at that time.")
            rules.check_slot(self.session, tutor, new_start, duration, now, booking.id)
            price = tutor.price_for(duration, self.currency)
            detail: Detail = {
                "from_start": iso(booking.start_at),
                "from_duration_min": booking.duration_min,
                "start": iso(new_start),
                "duration_min": duration,
            }
            if price != booking.price_cents:
                if booking.state == CONFIRMED and self._provider().requires_payment(booking):
                    raise InvalidBooking(
                        "A different length changes the price of a paid booking; "
                        "cancel it and book again."
                    )
                if booking.state == HELD:
                    booking.hold_expires_at = now + self.hold
                    detail["hold_expires_at"] = iso(booking.hold_expires_at)
                detail["from_price_cents"] = booking.price_cents
                detail["price_cents"] = price
                booking.price_cents = price
            end = new_start + dt.timedelta(minutes=duration)
            booking.start_at, booking.end_at = new_start, end
            booking.block_start, booking.block_end = tutor.booked_span(new_start, end)
            booking.sequence += 1
            writes.flush(self.session)
            state = booking.state.value
            writes.audit(self.session, booking, "rescheduled", state, by, detail, now)
            return booking, [*news, ("rescheduled", booking, detail)]

        return self._run(work)

    def complete(self, booking: Booking, by: User | None = None) -> Booking:
        """The session took place."""
        return self._after_start(booking, BookingState.COMPLETED, "completed", by)

    def mark_no_show(self, booking: Booking, by: User | None = None) -> Booking:
        """The session did not take place because someone did not come."""
        return self._after_start(booking, BookingState.NO_SHOW, "no_show", by)

    def expire_holds(self, now: dt.datetime | None = None) -> list[Booking]:
        """Mark every hold whose time ran out by *now* as ``expired``; returns them."""
        at = as_utc(now, "now") if now is not None else self.now()

        def work() -> tuple[list[Booking], list[Announcement]]:
            news = writes.expire_holds(self.session, at, sa.true())
            return [booking for _, booking, _ in news], news

        return self._run(work)

    def _after_start(
        self, booking: Booking, to: BookingState, event: str, by: User | None
    ) -> Booking:
        now = self.now()

        def work() -> tuple[Booking, list[Announcement]]:
            writes.lock_booking(self.session, booking)
            rules.require_state(booking, {CONFIRMED}, f"marked {event.replace('_', ' ')}")
            if now < booking.start_at:
                raise InvalidTransition("The session has not started yet.")
            writes.set_state(self.session, booking, to, event, by, {}, now)
            return booking, [(event, booking, {})]

        return self._run(work)

    def _run(self, work: t.Callable[[], tuple[R, list[Announcement]]]) -> R:
        """Run *work* as one write transaction, then tell the plugins what it changed.

        PostgreSQL may abort one of two transactions that wait on each other (two
        overlapping inserts checking the exclusion constraint at the same moment, say);
        *work* then runs again from the start, and meets the winner's committed row.
        """
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with write_transaction(self.session):
                    result, news = work()
                    plan_jobs(self.hook, self.session, news)
                break
            except sa.exc.DBAPIError as exc:
                if attempt == ATTEMPTS or not writes.is_transient(exc):
                    raise
                log.info("booking transaction retried after %s", type(exc.orig).__name__)
                # A random pause keeps the two aborted writers from colliding again at once.
                time.sleep(random.uniform(0, 0.02 * attempt))
        announce(self.hook, news)
        return result

    def _cutoff_message(self, what: str) -> str:
        hours = int(self.cutoff.total_seconds() // 3600)
        return f"A confirmed session can only be {what} up to {hours} hours before it starts."

    def _provider(self) -> PaymentProvider:
        return t.cast("PaymentProvider", self.hook.payment_provider())


def booking_service(session: Session | None = None) -> BookingService:
    """The service wired from ``current_app``: its database session, plugins, clock and
    ``HOLD_MINUTES``/``CANCEL_CUTOFF_HOURS``/``CURRENCY``/``MAX_HOLDS_PER_LEARNER``
    settings."""
    config = current_app.config
    return BookingService(
        session or db.session(),
        pm.hook,
        app_clock(),
        hold_minutes=int(config["HOLD_MINUTES"]),
        cancel_cutoff_hours=int(config["CANCEL_CUTOFF_HOURS"]),
        currency=str(config["CURRENCY"]),
        max_holds=int(config["MAX_HOLDS_PER_LEARNER"]),
    )
