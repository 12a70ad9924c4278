"""Liveness, readiness, Prometheus metrics and the access log, as an operator's tools see
them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from lti_tool.database import write_transaction
from lti_tool.jobs import enqueue
from lti_tool.models import BookingState
from lti_tool.realtime import socketio
from lti_tool.realtime.diagnostics import NAMESPACE
from lti_tool.web.request_log import JsonLines
from tests.booking import install_clock
from tests.jobs.test_jobs import record  # noqa: F401 - registers the test.record job
from tests.tutors import make_booking
from tests.tutors import make_tutor
from tests.tutors import make_user


def samples(
    client: FlaskClient, **headers: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.status
    assert response.mimetype == "text/plain"
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_healthz_says_alive(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok"})


def test_readyz_checks_database_redis_and_queue(app: Flask, client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "redis": "not configured",
        "queue": "ok",
    }
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    down = client.get("/readyz")
    assert down.status_code == 503 and down.json is not None
    assert down.json["redis"].startswith("error") and down.json["database"] == "ok"
    assert down.json["status"] == "unavailable"


def test_metrics_count_requests_bookings_and_jobs(app: Flask, client: FlaskClient) -> None:
    clock = install_clock(app, dt.datetime(2030, 1, 7, 8, tzinfo=dt.UTC))
    tutor, learner = make_tutor(), make_user()
    make_booking(tutor, learner, clock.now + dt.timedelta(days=1))
    make_booking(tutor, learner, clock.now + dt.timedelta(days=2))
    make_booking(tutor, learner, clock.now + dt.timedelta(days=3), state=BookingState.CANCELLED)
    with write_transaction():
        enqueue("test.record", what="metrics")
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/nothing-here").status_code == 404

    found = samples(client)

    count = (
        "lti_tool_request_seconds_count",
        (("endpoint", "core.healthz"), ("method", "GET"), ("status", "2xx")),
    )
    assert found[count] == 3
    unmatched = (
        "lti_tool_request_seconds_count",
        (("endpoint", "unmatched"), ("method", "GET"), ("status", "4xx")),
    )
    assert found[unmatched] == 1
    assert found[("lti_tool_bookings", (("state", "confirmed"),))] == 2
    assert found[("lti_tool_bookings", (("state", "cancelled"),))] == 1
    assert found[("lti_tool_jobs", (("state", "queued"),))] == 1
    assert found[("lti_tool_jobs", (("state", "retrying"),))] == 0


def test_metrics_count_socket_connections_of_this_process(app: Flask, client: FlaskClient) -> None:
    first = socketio.test_client(app, namespace=NAMESPACE)
    second = socketio.test_client(app, namespace=NAMESPACE)
    try:
        assert first.is_connected(NAMESPACE) and second.is_connected(NAMESPACE)
        found = samples(client)
        assert found[("lti_tool_socketio_connections", (("namespace", NAMESPACE),))] == 2
    finally:
        first.disconnect(NAMESPACE)
    found = samples(client)
    assert found[("lti_tool_socketio_connections", (("namespace", NAMESPACE),))] == 1
    second.disconnect(NAMESPACE)


def test_metrics_are_closed_in_production_without_the_token(
    app: Flask, client: FlaskClient
) -> None:
    app.config["MODE"] = "production"
    assert client.get("/metrics").status_code == 404
    app.config["METRICS_TOKEN"] = "scrape-me-0123456789"
    assert client.get("/metrics").status_code == 404
    wrong = {"Authorization": "Bearer scrape-me-0123456788"}
    assert client.get("/metrics", headers=wrong).status_code == 404
    assert samples(client, Authorization="Bearer scrape-me-0123456789")


def test_every_request_gets_an_id_and_a_log_line(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lti_tool.access"):
        fresh = client.get("/healthz")
        passed = client.get("/healthz", headers={"X-Request-Id": "edge-4f2a9c01"})
        hostile = client.get("/healthz", headers={"X-Request-Id": "<script>alert(1)</script>"})

    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["X-Request-Id"])
    assert passed.headers["X-Request-Id"] == "edge-4f2a9c01"
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["X-Request-Id"])
    lines = [r for r in caplog.records if r.name == "lti_tool.access"]
    assert len(lines) == 3
    assert lines[0].getMessage().startswith("GET /healthz 200 ")
    assert (lines[1].method, lines[1].path, lines[1].status) == ("GET", "/healthz", 200)  # type: ignore[attr-defined]


def test_production_log_lines_are_json_with_the_request_id(app: Flask) -> None:
    formatter = JsonLines()
    with app.test_request_context("/x"):
        from flask import g

        g.request_id = "edge-4f2a9c01"
        record = logging.LogRecord(
            "lti_tool.access", logging.INFO, __file__, 1, "GET /x 200", None, None
        )
        record.__dict__.update(method="GET", path="/x", status=200, duration_ms=1.5)
        line = json.loads(formatter.format(record))
    assert line["request_id"] == "edge-4f2a9c01"
    assert (line["level"], line["logger"], line["message"]) == (
        "info",
        "lti_tool.access",
        "GET /x 200",
    )
    assert (line["method"], line["status"], line["duration_ms"]) == ("GET", 200, 1.5)
    assert line["time"].endswith("Z")
