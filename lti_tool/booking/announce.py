"""Telling plugins about a booking's change of state: the jobs it calls for, inside its
transaction, and the change itself once it is committed."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from collections.abc import Sequence

import pluggy
from sqlalchemy.orm import Session

from lti_tool import jobs
from lti_tool.models import Booking

log = logging.getLogger(__name__)

Detail = dict[str, object]
#: (event, booking, detail) waiting to be announced once the transaction has committed.
Announcement = tuple[str, Booking, Detail]


def announce(hook: pluggy.HookRelay, announcements: Sequence[Announcement]) -> None:
    """Call ``booking_event`` for each announcement, one plugin at a time, so a plugin that
    fails is logged and does not keep the others from hearing about the change.

    """
    caller = hook.booking_event
    impls = caller.get_hookimpls()
    wrapped = any(impl.hookwrapper or impl.wrapper for impl in impls)
    for event, booking, detail in announcements:
        kwargs: dict[str, object] = {"event": event, "booking": booking, "detail": detail}
        if wrapped:
            # Wrappers only work inside pluggy's own call loop.
            _logged(functools.partial(caller, **kwargs), event, booking, "a plugin")
            continue
        # pluggy calls the most recently registered implementation first; so do we.
        for impl in reversed(impls):
            args = [kwargs[name] for name in impl.argnames]
            _logged(functools.partial(impl.function, *args), event, booking, impl.plugin_name)


def plan_jobs(
    hook: pluggy.HookRelay, session: Session, announcements: Sequence[Announcement]
) -> None:
    """Ask ``booking_jobs`` for the jobs of each announcement, in *session*'s transaction."""
    enqueue = functools.partial(jobs.enqueue, session=session)
    for event, booking, detail in announcements:
        hook.booking_jobs(event=event, booking=booking, detail=detail, enqueue=enqueue)


def _logged(call: Callable[[], object], event: str, booking: Booking, who: str) -> None:
    try:
        call()
    except Exception:
        log.exception("booking_event %r for booking %s failed in %s", event, booking.id, who)
