"""Activities: the resource links of a course, as far as grading needs them.

A course (an LTI context) may hold several links to the tool, each an activity: "Algebra
tutoring, graded" or "Book any tutor". Launches record what each link carries in
``Course.services["activities"]``, keyed by resource link id: its title, the subject and options
its custom parameters chose, whether it is graded, and its line item once known. Attendance
of a session is credited to the activity of the course that best matches the booked subject.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from collections.abc import Mapping
from dataclasses import dataclass

from lti_tool.lti.protocol.launch import Launch
from lti_tool.web.input_guard import BadInput
from lti_tool.web.input_guard import whole_number

KEY = "activities"
#: Tag of the line items the tool creates, so it finds its own again.
ATTENDANCE_TAG = "tutoring-attendance"
#: Custom parameter names of an activity (set by the activity picker, or by hand).
SUBJECT = "subject"
SESSION_LENGTH = "session_length"
GRADED = "graded"
_NO = frozenset({"false", "no", "0", "off"})


@dataclass(frozen=True)
class Activity:
    resource_link_id: str
    title: str = ""
    subject: str = ""
    """Subject slug, or empty for a link to every subject."""
    session_length: int | None = None
    graded: bool = True
    lineitem: str = ""
    """The line item URL: from the launch's AGS claim, or found/created by the tool."""
    seen_at: str = ""

    def as_json(self) -> dict[str, t.Any]:
        return {
            "title": self.title,
            "subject": self.subject,
            "session_length": self.session_length,
            "graded": self.graded,
            "lineitem": self.lineitem,
            "seen_at": self.seen_at,
        }

    @classmethod
    def from_json(cls, resource_link_id: str, data: Mapping[str, t.Any]) -> Activity:
        length = data.get("session_length")
        return cls(
            resource_link_id=resource_link_id,
            title=str(data.get("title") or ""),
            subject=str(data.get("subject") or ""),
            session_length=length if isinstance(length, int) else None,
            graded=data.get("graded") is not False,
            lineitem=str(data.get("lineitem") or ""),
            seen_at=str(data.get("seen_at") or ""),
        )


def _session_length(value: str | None) -> int | None:
    # A custom parameter the tool cannot read leaves the length open rather than failing the launch.
    try:
        return whole_number(value or "", "session_length", low=1, high=600)
    except BadInput:
        return None


def from_launch(launch: Launch, previous: Activity | None, now: dt.datetime) -> Activity | None:
    """The activity a resource link launch describes, keeping a line item found earlier."""
    if launch.resource_link is None:
        return None
    custom = launch.custom
    lineitem = launch.ags.lineitem if launch.ags is not None else ""
    return Activity(
        resource_link_id=launch.resource_link.id,
        title=launch.resource_link.title or (previous.title if previous else ""),
        subject=(custom.get(SUBJECT) or "").strip().lower(),
        session_length=_session_length(custom.get(SESSION_LENGTH)),
        graded=(custom.get(GRADED) or "").strip().lower() not in _NO,
        lineitem=lineitem or (previous.lineitem if previous else ""),
        seen_at=now.astimezone(dt.UTC).isoformat(),
    )


def activities(services: Mapping[str, t.Any] | None) -> dict[str, Activity]:
    stored = (services or {}).get(KEY)
    if not isinstance(stored, dict):
        return {}
    return {
        str(link): Activity.from_json(str(link), data)
        for link, data in stored.items()
        if isinstance(data, dict)
    }


def with_activity(services: Mapping[str, t.Any] | None, activity: Activity) -> dict[str, t.Any]:
    """A copy of *services* with *activity* recorded (a new dict, so the JSON column sees a
    change)."""
    updated = dict(services or {})
    stored = dict(updated.get(KEY) or {})
    stored[activity.resource_link_id] = activity.as_json()
    updated[KEY] = stored
    return updated


def credited_activity(services: Mapping[str, t.Any] | None, subject_slug: str) -> Activity | None:
    """The graded activity a session of *subject_slug* counts for.

    An activity for that very subject wins over one open to every subject; among equals the
    most recently launched one.
    """
    graded = [a for a in activities(services).values() if a.graded]
    for candidates in (
        [a for a in graded if a.subject == subject_slug],
        [a for a in graded if not a.subject],
    ):
        if candidates:
            return max(candidates, key=lambda a: a.seen_at)
    return None
