"""The activity picker: where a deep linking launch lands an instructor.

The instructor chooses the subject (or subjects, where the platform takes several links at
once), the session length and whether attendance is graded; the tool answers the platform
with a signed ``LtiDeepLinkingResponse`` that the browser posts to ``deep_link_return_url``.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from werkzeug.wrappers import Response

from lti_tool.lti.products.deep_linking import ActivityChoice
from lti_tool.lti.products.deep_linking import DeepLinkingRefused
from lti_tool.lti.products.registry import products
from lti_tool.lti.products.tool_config import ToolUrls
from lti_tool.lti.protocol.refusal import log
from lti_tool.lti.protocol.refusal import refuse
from lti_tool.lti.protocol.session import LaunchContext
from lti_tool.lti.protocol.session import current_launch
from lti_tool.models import Deployment
from lti_tool.models import Registration
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import db
from lti_tool.web.input_guard import BadInput
from lti_tool.web.input_guard import whole_number

bp = Blueprint("lti_deep_linking", __name__, template_folder="templates")
DEFAULT_LENGTHS: tuple[int, ...] = (30, 45, 60, 90)
TEACHING = frozenset({RoleName.INSTRUCTOR.value, RoleName.ADMIN.value})
MAX_TITLE = 200


class PickerError(ValueError):
    """The form asks for something the tool cannot return; shown on the form."""


def _linking_launch() -> tuple[LaunchContext, Registration, Deployment] | Response:
    launch = current_launch()
    if launch is None or launch.deep_linking is None:
        return refuse("the activity picker opens from the LMS when you add the tool to a course")
    if not TEACHING & set(launch.roles):
        return refuse("only instructors choose the activities of a course", 403)
    registration = db.session.get(Registration, launch.registration_id)
    deployment = db.session.get(Deployment, launch.deployment_id)
    if registration is None or deployment is None:
        return refuse("the platform of this launch is no longer registered")
    return launch, registration, deployment


def session_lengths() -> list[int]:
    """Lengths that active tutors offer, so a fixed length can be booked at all."""
    offered: set[int] = set()
    for lengths in db.session.scalars(
        sa.select(TutorProfile.session_lengths).where(TutorProfile.is_active.is_(True))
    ):
        offered.update(n for n in lengths or () if isinstance(n, int) and n > 0)
    return sorted(offered) or list(DEFAULT_LENGTHS)


def _choices(form: t.Mapping[str, t.Any], slugs: list[str]) -> list[ActivityChoice]:
    if not slugs:
        raise PickerError("choose at least one subject")
    subjects = {
        subject.slug: subject
        for subject in db.session.scalars(sa.select(Subject).where(Subject.slug.in_(slugs)))
    }
    unknown = [slug for slug in slugs if slug not in subjects]
    if unknown:
        raise PickerError(f"there is no subject {unknown[0]!r}")
    length_text = (form.get("session_length") or "").strip()
    try:
        length: int | None = whole_number(length_text, "session_length", low=1)
    except BadInput:
        length = None
    if length_text and length not in session_lengths():
        raise PickerError(f"no tutor offers sessions of {length_text} minutes")
    title = (form.get("title") or "").strip()
    if len(title) > MAX_TITLE:
        raise PickerError(f"the title is longer than {MAX_TITLE} characters")
    graded = form.get("graded") == "yes"
    return [
        ActivityChoice(
            subject_slug=slug,
            subject_name=subjects[slug].name,
            session_length=length,
            graded=graded,
            # One title for several links would make them indistinguishable in the course.
            title=title if len(slugs) == 1 else "",
        )
        for slug in dict.fromkeys(slugs)
    ]


def _form(launch: LaunchContext, error: str = "", status: int = 200) -> tuple[str, int]:
    subjects = db.session.scalars(sa.select(Subject).order_by(Subject.name)).all()
    assert launch.deep_linking is not None
    page = render_template(
        "lti/picker.html",
        settings=launch.deep_linking,
        subjects=subjects,
        lengths=session_lengths(),
        error=error,
        form=request.form,
    )
    return page, status


@bp.route("/lti/deep-linking", methods=["GET", "POST"])
def picker() -> Response | tuple[str, int]:
    """GET: the form. POST: the signed response, auto-posted to the platform."""
    found = _linking_launch()
    if isinstance(found, Response):
        return found
    launch, registration, deployment = found
    settings = launch.deep_linking
    assert settings is not None
    linking = products().bound(registration).deep_linking
    try:
        linking.check(settings)
    except DeepLinkingRefused as exc:
        return refuse(str(exc))
    if request.method == "GET":
        return _form(launch)
    urls = ToolUrls(current_app.config["BASE_URL"])
    if request.form.get("cancel"):
        items: list[dict[str, t.Any]] = []
        message = ""
    else:
        try:
            choices = _choices(request.form, request.form.getlist("subject"))
            items = linking.content_items(choices, settings, urls)
        except (PickerError, DeepLinkingRefused) as exc:
            return _form(launch, str(exc), 400)
        names = ", ".join(choice.subject_name for choice in choices)
        message = f"Added tutoring for {names}."
    token = linking.response_jwt(settings, deployment.deployment_id, items, message=message)
    log.info("deep linking response of %d item(s) to %s", len(items), registration.issuer)
    page = render_template(
        "lti/autopost.html",
        action=settings.deep_link_return_url,
        fields={"JWT": token},
        heading="Returning to your course…",
    )
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response
