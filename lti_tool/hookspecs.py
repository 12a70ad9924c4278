"""Every extension point of the tool.

Each hook's docstring is its contract. An implementation may accept any subset of the
arguments, so new arguments can be added without breaking plugins. Every question hook has a
default in ``lti_tool.default_plugins`` that answers, so the tool runs with no plugin installed.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from pathlib import Path

import pluggy

if t.TYPE_CHECKING:  # pragma: no cover
    import click
    from flask import Blueprint
    from flask_socketio import SocketIO

    from lti_tool.lti.products.product import Product
    from lti_tool.models import Booking
    from lti_tool.models import Subject
    from lti_tool.models import TutorProfile
    from lti_tool.models import User
    from lti_tool.payments import PaymentProvider
    from lti_tool.rooms import RoomDescriptor

PROJECT = "lti_tool"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- Application assembly --------------------------------------------------------------------


@hookspec
def register_blueprints(register: t.Callable[[Blueprint], None]) -> None:
    """Contribute Flask blueprints.

    Called once by ``create_app`` while the application is assembled.

    :param register: call ``register(blueprint)`` for each blueprint. The core registers
        them and refuses two blueprints with one name.

    .. versionadded:: 0.1
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands or command groups to the ``lti-tool`` command line.

    Called once when the command line is built, before any application exists; commands that
    need the application use ``flask.cli.with_appcontext``.

    :param cli: the ``lti-tool`` click group; call ``cli.add_command(...)``.

    .. versionadded:: 0.1
    """


@hookspec
def register_socketio(socketio: SocketIO) -> None:
    """Attach Socket.IO namespaces or event handlers.

    Called once by ``create_app`` after the Socket.IO server is configured for the chosen async
    backend and message queue.

    :param socketio: the application's ``flask_socketio.SocketIO``.

    .. versionadded:: 0.1
    """


@hookspec
def migration_directory() -> Path | str | None:
    """Name the directory of this plugin's own database migrations.

    A plugin that keeps tables of its own declares their models on ``lti_tool.api.Base`` and
    ships their Alembic revisions in one directory, as a branch of its own: the first revision
    has ``down_revision = None``, a ``branch_labels`` entry of the plugin's name, and
    ``depends_on`` the core revision whose tables its foreign keys need. ``lti-tool db
    upgrade`` migrates the core and every plugin's branch together; ``lti-tool db upgrade
    NAME@head`` migrates one branch.

    Called each time the migration environment is built, inside the application context.

    :returns: the directory holding the revision files, or ``None`` when the plugin keeps no
        tables.

    .. versionadded:: 0.3
    """


@hookspec
def api_paths() -> dict[str, dict[str, t.Any]] | None:
    """Describe the routes this plugin adds under ``/api/v1/`` for the API's OpenAPI document.

    Called each time ``GET /api/v1/openapi.json`` is answered; the core adds the answers to its
    own OpenAPI 3.1 document. Every ``/api/v1/`` route of the application must be described
    (a test compares the document with the routes), so a plugin that adds one implements this.

    :returns: OpenAPI path items keyed by their full path (``/api/v1/recommendations``, with
        ``{name}`` for a path variable), or ``None`` when the plugin adds no API route. An item
        may refer to the core's shared components: ``#/components/schemas/Error`` and ``Id``,
        ``#/components/responses/BadRequest``, ``Unauthorized``, ``Forbidden``, ``NotFound``,
        ``Conflict``, ``PayloadTooLarge``, ``TooManyRequests``, and the security schemes
        ``sessionCookie`` and ``csrfToken``. A path the core or another plugin already
        describes is refused: the document is not served.

    .. versionadded:: 0.2
    """


# -- LMS products ----------------------------------------------------------------------------


@hookspec
def lms_products(register: t.Callable[[type[Product]], None]) -> None:
    """Register the LMS products this plugin knows.

    Called once by ``create_app``. A product is a data-only subclass of
    :class:`lti_tool.lti.products.product.Product` (its family, how to recognise its platform, its
    endpoints and flags) naming capability classes for grading, roster, deep linking and
    registration documents. A platform that no product recognises runs on the base
    ``Product``, the generic LTI 1.3 behaviour.

    :param register: call ``register(ProductSubclass)``; a family registered twice is refused.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sign_in_url(next_url: str) -> str | None:
    """Where to send someone who must sign in before going on to *next_url*.

    Called by pages that need a signed-in person (booking a slot, the sessions page).

    Stops at the first non-None result.

    :param next_url: the local path to return to afterwards.
    :returns: the URL of a sign-in page, or ``None`` when this plugin offers no sign-in; with
        no answer at all, people can only arrive through an LMS launch.

    .. versionadded:: 0.1
    """


# -- Tutoring --------------------------------------------------------------------------------


@hookspec(firstresult=True)
def room_for_booking(booking: Booking, user: User) -> RoomDescriptor | None:
    """Describe the video room *user* joins for *booking*.

    Called when a participant opens the room page. The caller has already checked that *user*
    takes part in the booking.

    Stops at the first non-None result.

    :param booking: the booking whose room is opened.
    :param user: the tutor, the learner or an admin.
    :returns: a :class:`lti_tool.rooms.RoomDescriptor` (ICE servers, a short-lived token, the
        client asset to load), or ``None`` when this plugin does not serve the booking.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def recommend_tutors(
    learner: User | None, subject: Subject | None, limit: int, filters: dict[str, t.Any]
) -> list[TutorProfile] | None:
    """Rank the tutors a learner should see first.

    Called by the catalog, the booking flow and ``GET /api/v1/recommendations``.

    Stops at the first non-None result.

    :param learner: the signed-in learner, or ``None`` for an anonymous visitor.
    :param subject: restrict to tutors teaching this subject, or ``None`` for any.
    :param limit: the most tutors to return.
    :param filters: optional narrowing: ``language`` (code), ``max_price_cents`` (int),
        ``free_within_days`` (int). Ignore keys you do not know.
    :returns: tutor profiles best first, at most *limit*; ``None`` lets the next plugin (in
        the end the popularity default) answer.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def explain_recommendations(
    learner: User | None, subject: Subject | None, tutors: list[TutorProfile]
) -> list[str] | None:
    """Say in a few words why each tutor was suggested.

    Called after ``recommend_tutors`` by pages that show suggestions.

    Stops at the first non-None result.

    :param learner: who the suggestions are for, or ``None`` for an anonymous visitor.
    :param subject: the subject asked about, or ``None``.
    :param tutors: the suggested tutors, best first.
    :returns: one short reason per tutor, in the same order ("teaches Algebra, speaks
        Spanish, free Tuesday evening"), or ``None`` to let the default describe them.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def payment_provider() -> PaymentProvider | None:
    """Return the payment provider that collects money for bookings.

    Called when a booking needs paying and when a paid booking is cancelled.

    Stops at the first non-None result.

    :returns: an object implementing :class:`lti_tool.payments.PaymentProvider`, or ``None``
        when this plugin is not configured; the default confirms bookings without payment.

    .. versionadded:: 0.1
    """


@hookspec
def booking_event(event: str, booking: Booking, detail: dict[str, t.Any]) -> None:
    """React to a booking's state change.

    Called after the change is committed, once per transition: ``held``, ``confirmed``,
    ``rescheduled``, ``cancelled``, ``expired``, ``completed``, ``no_show``. Use it for what
    may be lost in a crash (closing a room that is open right now, a cache); anything that
    must happen (a grade, a refund, an e-mail) belongs in ``booking_jobs``. An exception here
    is logged and does not undo the change.

    :param event: the name of the transition.
    :param booking: the booking after the change.
    :param detail: what else a plugin needs to act: for ``cancelled`` the ``refund``
        decision (``"full"`` for every cancellation the core allows) and who cancelled; for
        ``rescheduled`` the old start and length, and ``from_price_cents``/``price_cents``
        when the price changed. The same detail is kept in the booking's audit row.

    .. versionadded:: 0.1
    """


@hookspec
def booking_jobs(
    event: str, booking: Booking, detail: dict[str, t.Any], enqueue: t.Callable[..., int | None]
) -> None:
    """Ask for the background jobs a booking's state change calls for.

    Called inside the transaction that makes the change, once per transition (the events of
    ``booking_event``), before it commits: the jobs are committed with the change or not at
    all, and run afterwards in a worker, retried until they succeed. Only enqueue here; do
    no I/O and raise nothing, since an exception rolls the change itself back.

    :param event: the name of the transition, as for ``booking_event``.
    :param booking: the booking after the change, not yet committed.
    :param detail: as for ``booking_event``.
    :param enqueue: ``enqueue(name, key=..., delay=..., **args)`` adds the job *name* (a
        handler registered with ``lti_tool.api.job``) with JSON-ready *args*; a *key* that
        exists already adds nothing.

    .. versionadded:: 0.3
    """


# -- A person's data ---------------------------------------------------------------------------


@hookspec
def person_data(user: User) -> dict[str, t.Any] | None:
    """Add what this plugin keeps about a person to their export (``lti-tool privacy export``).

    Called once per export, inside the application context, after the core has gathered its
    own part. Answers are merged under the export's ``plugins`` key, so each plugin should
    answer under a key of its own name.

    :param user: the person being exported.
    :returns: JSON-ready data keyed by the plugin's name, or ``None`` when it keeps nothing.

    .. versionadded:: 0.2
    """


@hookspec
def person_erased(user: User, booking_ids: list[int]) -> None:
    """Remove what this plugin keeps that names or shows a person who was just erased.

    Called after the core's erasure is committed (so the person is already anonymous in the
    database), once per erasure. The same person may be erased again, so this must do no harm
    when run twice. An exception is logged and reported by the command, and the core's erasure
    stays done.

    :param user: the erased person (name and e-mail already removed; ``user.id`` is kept).
    :param booking_ids: the bookings the person was the learner or the tutor of.

    .. versionadded:: 0.2
    """


@hookspec
def retention_sweep(now: dt.datetime) -> dict[str, int] | None:
    """Delete what this plugin keeps past its retention period.

    Called by ``lti-tool privacy sweep``, which an operator runs periodically (cron), after
    the core has swept its own data. Must be safe to run at any time and any number of times.

    :param now: the current instant, UTC (a test's clock in tests).
    :returns: how many items of each kind were deleted, e.g. ``{"recordings": 3}``, or
        ``None`` when the plugin keeps nothing with a retention period.

    .. versionadded:: 0.2
    """
