"""Home page, health and readiness checks, metrics."""

from __future__ import annotations

import hmac

import sqlalchemy as sa
from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request
from prometheus_client import CONTENT_TYPE_LATEST

from lti_tool.auth import current_user
from lti_tool.jobs.queue import queue_of
from lti_tool.metrics import metrics_of
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import db
from lti_tool.plugins import pm

bp = Blueprint(
    "core",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/core",
)


@bp.get("/")
def home() -> str:
    """Subjects and the tutors most worth meeting."""
    subjects = db.session.scalars(sa.select(Subject).order_by(Subject.name)).all()
    learner = current_user()
    tutors = pm.hook.recommend_tutors(learner=learner, subject=None, limit=12, filters={})
    reasons = pm.hook.explain_recommendations(learner=learner, subject=None, tutors=tutors)
    tutor_count = db.session.scalar(sa.select(sa.func.count()).select_from(TutorProfile))
    return render_template(
        "home.html",
        subjects=subjects,
        suggestions=list(zip(tutors, reasons, strict=True)),
        personal=learner is not None,
        tutor_count=tutor_count,
    )


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive and answering (a liveness probe: restart it when this fails)."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Whether what requests need answers: the database, Redis when configured, and the job
    queue (a readiness probe: send no traffic here while this fails)."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except sa.exc.SQLAlchemyError as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    finally:
        db.session.rollback()
    redis_url = current_app.config["REDIS_URL"]
    if redis_url:
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except redis.RedisError as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    else:
        checks["redis"] = "not configured"
    try:
        queue_of(current_app).huey.pending_count()
        checks["queue"] = "ok"
    except Exception as exc:
        checks["queue"] = f"error: {type(exc).__name__}"
    healthy = all(value in {"ok", "not configured"} for value in checks.values())
    return jsonify(
        {"status": "ok" if healthy else "unavailable", **checks}
    ), 200 if healthy else 503


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics. Open in development; in production only with the bearer token of
    the ``metrics_token`` setting, and not there at all without one."""
    token = str(current_app.config.get("METRICS_TOKEN") or "")
    if current_app.config.get("MODE") == "production":
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token or not hmac.compare_digest(offered.encode(), token.encode()):
            abort(404)
    return Response(metrics_of(current_app).exposition(), mimetype=CONTENT_TYPE_LATEST)
