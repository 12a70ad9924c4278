"""``lti-tool payments``: what institutions owe for the sessions their learners booked, what
each tutor received, and the upkeep commands (refunds to send again, accounts to check).

Learners of an institution-paid course (the course's flag, or its LMS deployment's) book
without paying; the institution is invoiced from this report instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import asdict
from dataclasses import dataclass

import click
import sqlalchemy as sa
import stripe
from flask.cli import with_appcontext

from lti_tool.api import Booking
from lti_tool.api import BookingState
from lti_tool.api import Course
from lti_tool.api import Deployment
from lti_tool.api import Payment
from lti_tool.api import TutorProfile
from lti_tool.api import db
from lti_tool.api import money
from lti_tool_payment import amounts
from lti_tool_payment import connect
from lti_tool_payment import ledger
from lti_tool_payment.models import PayoutAccount
from lti_tool_payment.provider import StripeProvider
from lti_tool_payment.state import plugin_state

#: Sessions the institution pays for: booked and not cancelled or lapsed.
BILLED_STATES = (BookingState.CONFIRMED, BookingState.COMPLETED, BookingState.NO_SHOW)


@dataclass
class CourseMonth:
    month: str
    course_id: int
    course: str
    sessions: int = 0
    completed: int = 0
    no_show: int = 0
    upcoming: int = 0
    minutes: int = 0


def _month_bounds(text: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        first = dt.datetime.strptime(text, "%Y-%m").replace(tzinfo=dt.UTC)
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM, got {text!r}") from None
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


def institution_report(month: str | None = None) -> list[CourseMonth]:
    """Sessions per course and calendar month (UTC) of institution-paid courses."""
    query = (
        sa.select(Booking, Course)
        .join(Course, Booking.course_id == Course.id)
        .outerjoin(Deployment, Course.deployment_id == Deployment.id)
        .where(
            sa.or_(Course.institution_paid, Deployment.institution_paid.is_(True)),
            Booking.state.in_(BILLED_STATES),
        )
        .order_by(Booking.start_at)
    )
    if month:
        start, end = _month_bounds(month)
        query = query.where(Booking.start_at >= start, Booking.start_at < end)
    rows: dict[tuple[str, int], CourseMonth] = {}
    for booking, course in db.session.execute(query):
        key = (booking.start_at.astimezone(dt.UTC).strftime("%Y-%m"), course.id)
        line = rows.setdefault(key, CourseMonth(key[0], course.id, course.title or course.label))
        line.sessions += 1
        line.minutes += booking.duration_min
        if booking.state == BookingState.COMPLETED:
            line.completed += 1
        elif booking.state == BookingState.NO_SHOW:
            line.no_show += 1
        else:
            line.upcoming += 1
    return [rows[key] for key in sorted(rows)]


@dataclass
class PayoutLine:
    """One paid booking of a tutor, in minor units of its currency."""

    booking_id: int
    start: str
    currency: str
    price: int
    platform_share: int
    processing: int
    refunded: int
    tutor_receives: int
    status: str


def payout_lines(tutor: TutorProfile, month: str | None = None) -> list[PayoutLine]:
    """What each paid booking of *tutor* brought them.

    The tutor receives the price less the application fee (platform share and processing
    allowance); a refund takes back what it returns to the learner, and gives back the
    platform's share of it (``provider.StripeProvider.send``), so a fully refunded session
    leaves the tutor the processing allowance out of pocket.
    """
    query = (
        sa.select(Payment, Booking)
        .join(Booking, Payment.booking_id == Booking.id)
        .where(
            Booking.tutor_id == tutor.id,
            Payment.status.in_(ledger.HOLDING_MONEY + (ledger.REFUNDED,)),
            Payment.platform_fee_cents + Payment.processing_fee_cents > 0,
        )
        .order_by(Booking.start_at)
    )
    if month:
        start, end = _month_bounds(month)
        query = query.where(Booking.start_at >= start, Booking.start_at < end)
    lines = []
    for payment, booking in db.session.execute(query):
        refunded = payment.refunded_cents
        share_back = amounts.prorate(refunded, payment.amount_cents, payment.platform_fee_cents)
        split = amounts.Split(
            payment.amount_cents, payment.platform_fee_cents, payment.processing_fee_cents
        )
        lines.append(
            PayoutLine(
                booking_id=booking.id,
                start=booking.start_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
                currency=payment.currency,
                price=payment.amount_cents,
                platform_share=payment.platform_fee_cents - share_back,
                processing=payment.processing_fee_cents,
                refunded=refunded,
                tutor_receives=split.tutor - refunded + share_back,
                status=payment.status,
            )
        )
    return lines


@click.group("payments")
def payments_group() -> None:
    """Payments: reports, refunds to send again, tutors' payout accounts."""


@payments_group.command("institution-report")
@click.option("--month", metavar="YYYY-MM", help="Only sessions starting in this month (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def institution_report_command(month: str | None, as_json: bool) -> None:
    """Sessions per course and month for institution-paid courses."""
    if month:
        _month_bounds(month)  # refuse a bad month before touching the database
    lines = institution_report(month)
    if as_json:
        click.echo(json.dumps([asdict(line) for line in lines], indent=2))
        return
    if not lines:
        click.echo("No sessions in institution-paid courses" + (f" in {month}." if month else "."))
        return
    click.echo("month\tcourse_id\tcourse\tsessions\tcompleted\tno_show\tupcoming\tminutes")
    for line in lines:
        click.echo(
            f"{line.month}\t{line.course_id}\t{line.course}\t{line.sessions}\t"
            f"{line.completed}\t{line.no_show}\t{line.upcoming}\t{line.minutes}"
        )


@payments_group.command("payout-report")
@click.argument("tutor_id", type=click.IntRange(min=1, max=2**63 - 1))
@click.option("--month", metavar="YYYY-MM", help="Only sessions starting in this month (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def payout_report_command(tutor_id: int, month: str | None, as_json: bool) -> None:
    """What each paid session of a tutor paid out to them (amounts in the currency)."""
    if month:
        _month_bounds(month)
    tutor = db.session.get(TutorProfile, tutor_id)
    if tutor is None:
        raise click.BadParameter(f"no tutor {tutor_id}", param_hint="TUTOR_ID")
    lines = payout_lines(tutor, month)
    if as_json:
        click.echo(json.dumps([asdict(line) for line in lines], indent=2))
        return
    click.echo("booking\tstart_utc\tprice\tplatform\tprocessing\trefunded\ttutor\tstatus")
    for line in lines:
        money_of = functools.partial(money.format_money, currency=line.currency)
        click.echo(
            f"{line.booking_id}\t{line.start}\t{money_of(line.price)}\t"
            f"{money_of(line.platform_share)}\t{money_of(line.processing)}\t"
            f"{money_of(line.refunded)}\t{money_of(line.tutor_receives)}\t{line.status}"
        )


@payments_group.command("retry-refunds")
@with_appcontext
def retry_refunds_command() -> None:
    """Send refunds Stripe never received, and try failed ones again (at most 3 attempts).

    Run it from cron every few minutes; it exits 1 while a refund could not be sent.
    """
    provider = _provider()
    sent = retried = stuck = 0
    for row in ledger.refunds_to_send():
        if provider.send_quietly(row):
            sent += 1
        else:
            stuck += 1
    for row in ledger.failed_refunds():
        try:
            again = provider.retry(row)
        except stripe.StripeError:
            stuck += 1
            continue
        if again is None:
            click.echo(f"refund {row.request_key} failed {row.attempt} times: refund it by hand")
        else:
            retried += 1
    click.echo(f"{sent} sent, {retried} retried, {stuck} could not be sent")
    if stuck:
        raise SystemExit(1)


@payments_group.command("sync-accounts")
@with_appcontext
def sync_accounts_command() -> None:
    """Ask Stripe whether each tutor's payout account can receive money now."""
    provider = _provider()
    rows = db.session.scalars(
        sa.select(PayoutAccount).where(
            PayoutAccount.provider == ledger.PROVIDER, PayoutAccount.account_id.is_not(None)
        )
    ).all()
    for row in rows:
        connect.refresh(provider.client, row)
        click.echo(
            f"{row.account_id}\ttutor {row.tutor_id}\t{'payable' if row.payable else 'not payable'}"
        )


def _provider() -> StripeProvider:
    state = plugin_state()
    if state is None:
        raise click.ClickException("Stripe payments are not configured on this site.")
    return StripeProvider(state)
