"""One line per request, with an id that follows it, and the request's latency measured.

The id is the ``X-Request-Id`` a proxy in front sent (nginx can make one per request), or a
new one; it goes back in the answer's ``X-Request-Id`` and into every log line of the request.
In production the lines are JSON, one object per line, for a log collector to read.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask
from flask import Response
from flask import g
from flask import has_request_context
from flask import request

from lti_tool.metrics import metrics_of

access = logging.getLogger("lti_tool.access")
#: What a request id from outside may look like: short, and harmless in a log line.
INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def init_app(app: Flask) -> None:
    metrics = metrics_of(app)

    @app.before_request
    def begin() -> None:
        g.request_started = time.perf_counter()
        offered = request.headers.get("X-Request-Id", "")
        g.request_id = offered if INCOMING_ID.fullmatch(offered) else uuid.uuid4().hex

    @app.after_request
    def finish(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:
            return response
        seconds = time.perf_counter() - started
        # The endpoint, not the path: paths carry ids and would make a series per booking.
        endpoint = request.endpoint or "unmatched"
        metrics.request_seconds.labels(
            endpoint, request.method, f"{response.status_code // 100}xx"
        ).observe(seconds)
        response.headers["X-Request-Id"] = g.request_id
        access.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            seconds * 1000,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        return response


class JsonLines(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message, the request's id and
    the access fields when the record has them."""

    FIELDS = ("method", "path", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id()) is not None:
            line["request_id"] = rid
        for name in self.FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class WithRequestId(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        rid = request_id()
        return f"{text} [{rid}]" if rid else text


def configure_logging(app: Flask) -> None:
    """Send the tool's log lines to standard error: JSON in production, text otherwise."""
    handler = logging.StreamHandler(sys.stderr)
    if app.config.get("MODE") == "production":
        formatter: logging.Formatter = JsonLines()
        formatter.converter = time.gmtime
    else:
        formatter = WithRequestId("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    root = logging.getLogger("lti_tool")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
