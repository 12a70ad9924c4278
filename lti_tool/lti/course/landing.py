"""Where a launch lands: the picker, the instructor's course page, a subject, or the catalogue."""

from __future__ import annotations

import re

from flask import current_app
from flask import url_for

from lti_tool.lti.protocol.launch import Launch

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
#: Endpoint of the activity picker; it is served once deep linking is installed.
DEEP_LINKING_ENDPOINT = "lti_deep_linking.picker"


def destination(launch: Launch, course_id: int | None) -> str:
    """Learners go to the subject the link names (custom ``subject``), instructors to their
    course; everyone else to the catalogue."""
    if launch.is_deep_linking and DEEP_LINKING_ENDPOINT in current_app.view_functions:
        return url_for(DEEP_LINKING_ENDPOINT)
    if launch.is_instructor and course_id is not None:
        return url_for("lti_course.course_page", course_id=course_id)
    subject = (launch.custom.get("subject") or "").strip().lower()
    if subject and _SLUG.match(subject):
        return url_for("pages.subject_page", slug=subject)
    return url_for("core.home")
