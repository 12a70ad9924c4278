"""The expected answer of every route to every kind of person; see test_authorization_matrix.

The world behind it: a confirmed booking between ``learner`` and ``tutor`` in a course taught
by ``instructor``; ``other_instructor`` teaches another course on the same platform;
``foreign_learner`` launched from another platform; ``other_learner`` and ``other_tutor`` have
nothing to do with the booking. Columns follow :data:`ROLES`. The classes are ``ok`` (2xx or
a redirect that is not to the sign-in page), ``401`` (401 or a redirect to sign in), ``403``,
``404`` and ``400`` (any other 4xx: the route needs input the matrix does not give it).
"""

from __future__ import annotations

import typing as t

from flask import Flask

Answer = t.Literal["ok", "login", "forbidden", "not_found", "bad_request"]

ROLES = (
    "anonymous",
    "learner",
    "other_learner",
    "tutor",
    "other_tutor",
    "instructor",
    "other_instructor",
    "admin",
    "foreign_learner",
)

_STATIC = "files shipped with the code, the same for everyone"
_DEV = "development only: a stand-in LMS and signing in as anyone, 404 outside development mode"

#: Routes the matrix does not walk, each with the reason.
SKIPPED: dict[str, str] = {
    "/static/<path:filename>": _STATIC,
    "/static/core/<path:filename>": _STATIC,
    "/static/lti/<path:filename>": _STATIC,
    "/static/standalone/<path:filename>": _STATIC,
    "/video/static/<path:filename>": _STATIC,
    "/dev/lms": _DEV,
    "/dev/lms/auth": _DEV,
    "/dev/lms/jwks.json": _DEV,
    "/dev/lms/start": _DEV,
    "/dev/lms/token": _DEV,
    "/dev/sign-in": _DEV,
}

_ROWS = """
# method route                                      anon lear olea tuto otut inst oins admi fore
GET    /                                            ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /.well-known/jwks.json                       ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /account                                     401  ok   ok   ok   ok   ok   ok   ok   ok
POST   /account/password                            401  400  400  400  400  400  400  400  400
# Does what it says, then sends everyone (even a stranger) to the sign-in page.
POST   /account/sign-out-everywhere                 401  401  401  401  401  401  401  401  401
GET    /admin/                                      401  403  403  403  403  403  403  ok   403
GET    /admin/bookings                              401  403  403  403  403  403  403  ok   403
GET    /admin/refunds                               401  403  403  403  403  403  403  ok   403
GET    /admin/registrations                         401  403  403  403  403  403  403  ok   403
GET    /admin/subjects                              401  403  403  403  403  403  403  ok   403
POST   /admin/subjects                              401  403  403  403  403  403  403  400  403
GET    /admin/users                                 401  403  403  403  403  403  403  ok   403
POST   /api/v1/bookings                             401  400  400  400  400  400  400  400  400
# A booking id is one answer, 404, for anyone who does not take part (see test_uniform_404).
# The matrix sends a reason that is too long, so the participants' 400 cancels nothing.
DELETE /api/v1/bookings/<int:booking_id>            401  400  404  400  404  404  404  400  404
GET    /api/v1/bookings/<int:booking_id>            401  ok   404  ok   404  404  404  ok   404
# The body is checked before the booking is looked up, so no one learns whether it exists.
POST   /api/v1/bookings/<int:booking_id>/attendance 401  400  400  400  400  400  400  400  400
POST   /api/v1/bookings/<int:booking_id>/reschedule 401  400  400  400  400  400  400  400  400
GET    /api/v1/me/bookings                          401  ok   ok   ok   ok   ok   ok   ok   ok
GET    /api/v1/me/calendar-token                    401  ok   ok   ok   ok   ok   ok   ok   ok
POST   /api/v1/me/calendar-token                    401  ok   ok   ok   ok   ok   ok   ok   ok
POST   /api/v1/me/timezone                          401  400  400  400  400  400  400  400  400
# The API's description, public like the API's own documentation.
GET    /api/v1/openapi.json                         ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /api/v1/recommendations                      ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /api/v1/slots                                400  400  400  400  400  400  400  400  400
GET    /api/v1/tutors/<int:tutor_id>                ok   ok   ok   ok   ok   ok   ok   ok   ok
# A tutor's own settings, and an admin's to fix.
GET    /api/v1/tutors/<int:tutor_id>/availability   401  403  403  ok   403  403  403  ok   403
PUT    /api/v1/tutors/<int:tutor_id>/availability   401  403  403  ok   403  403  403  ok   403
GET    /api/v1/tutors/<int:tutor_id>/slots          400  400  400  400  400  400  400  400  400
GET    /become-a-tutor                              401  ok   ok   ok   ok   ok   ok   ok   ok
# Someone who already tutors is sent on to their settings; the empty form fails for others.
POST   /become-a-tutor                              401  400  400  ok   ok   400  400  400  400
GET    /bookings/<int:booking_id>                   401  ok   404  ok   404  404  404  ok   404
# The invite is the tutor's and the learner's alone, not an admin's.
GET    /bookings/<int:booking_id>/invite.ics        401  ok   404  ok   404  404  404  404  404
# Only the learner pays; the tutor and an admin know the booking and hear 403.
POST   /bookings/<int:booking_id>/pay               401  ok   404  403  404  404  404  403  404
# Only the learner rates, and only a completed session (409, shown as 400).
GET    /bookings/<int:booking_id>/review            401  400  404  404  404  404  404  404  404
POST   /bookings/<int:booking_id>/review            401  400  404  404  404  404  404  404  404
GET    /calendar/<token>.ics                        404  404  404  404  404  404  404  404  404
GET    /catalog                                     ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /dashboard                                   401  ok   ok   ok   ok   ok   ok   ok   ok
GET    /healthz                                     ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /metrics                                     ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /readyz                                      ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /login                                       ok   ok   ok   ok   ok   ok   ok   ok   ok
POST   /login                                       ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /lti/config/<lms>                            ok   ok   ok   ok   ok   ok   ok   ok   ok
# A course's roster is for its instructor and admins; to anyone else it does not exist.
GET    /lti/course/<int:course_id>                  401  404  404  404  404  ok   404  ok   404
# The LTI routes answer only messages from an LMS; the session does not matter.
GET    /lti/deep-linking                            400  400  400  400  400  400  400  400  400
POST   /lti/deep-linking                            400  400  400  400  400  400  400  400  400
GET    /lti/dynamic-registration                    403  403  403  403  403  403  403  403  403
POST   /lti/launch                                  400  400  400  400  400  400  400  400  400
POST   /lti/launch/verify                           400  400  400  400  400  400  400  400  400
GET    /lti/login                                   400  400  400  400  400  400  400  400  400
POST   /lti/login                                   400  400  400  400  400  400  400  400  400
GET    /password/forgot                             ok   ok   ok   ok   ok   ok   ok   ok   ok
POST   /password/forgot                             ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /password/reset/<token>                      400  400  400  400  400  400  400  400  400
POST   /password/reset/<token>                      400  400  400  400  400  400  400  400  400
# Stripe is not configured in the test app, so the payment plugin's pages say so with 404.
GET    /payments/stripe/onboarding                  401  404  404  404  404  404  404  404  404
GET    /payments/stripe/onboarding/return           401  404  404  404  404  404  404  404  404
GET    /payments/stripe/payouts                     401  404  404  404  404  404  404  404  404
POST   /payments/stripe/webhook                     404  404  404  404  404  404  404  404  404
GET    /rooms/<int:booking_id>                      401  ok   404  ok   404  404  404  ok   404
GET    /sessions                                    401  ok   ok   ok   ok   ok   ok   ok   ok
POST   /sign-out                                    ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /signup                                      ok   ok   ok   ok   ok   ok   ok   ok   ok
POST   /signup                                      400  400  400  400  400  400  400  400  400
GET    /subjects/<slug>                             ok   ok   ok   ok   ok   ok   ok   ok   ok
# An admin has no tutor profile of their own to edit.
GET    /tutor/availability                          401  403  403  ok   ok   403  403  403  403
# Tutors hear that payouts are not set up (no Stripe here); the rest may not ask.
POST   /tutor/payouts                               401  403  403  404  404  403  403  403  403
GET    /tutors/<int:tutor_id>                       ok   ok   ok   ok   ok   ok   ok   ok   ok
GET    /verify/<token>                              400  400  400  400  400  400  400  400  400
POST   /verify/resend                               ok   ok   ok   ok   ok   ok   ok   ok   ok
# The room opens shortly before the session, which is days away: participants hear 403.
GET    /video/rooms/<int:booking_id>/pass           401  403  404  403  404  404  404  403  404
"""

_CLASSES: dict[str, Answer] = {
    "ok": "ok",
    "401": "login",
    "403": "forbidden",
    "404": "not_found",
    "400": "bad_request",
}


def _table(rows: str) -> dict[tuple[str, str], dict[str, Answer]]:
    table: dict[tuple[str, str], dict[str, Answer]] = {}
    for line in rows.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        method, rule, *answers = line.split()
        assert len(answers) == len(ROLES), line
        table[(rule, method)] = {
            role: _CLASSES[answer] for role, answer in zip(ROLES, answers, strict=True)
        }
    return table


TABLE = _table(_ROWS)


def missing_entries(app: Flask) -> list[tuple[str, str]]:
    """Every (rule, method) of *app* that neither the table nor the skip list covers."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.rule in SKIPPED:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (rule.rule, method) not in TABLE:
                missing.append((rule.rule, method))
    return sorted(missing)
