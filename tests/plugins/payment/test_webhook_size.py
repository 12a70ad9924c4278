"""A huge anonymous body to the webhook is refused before it is read, so it costs no memory."""

from __future__ import annotations

import json
import socket
import threading
from urllib.parse import urlsplit

from flask import Flask
from lti_tool_payment.views import WEBHOOK_MAX_BYTES

from lti_tool.models import Payment
from lti_tool.models import db
from tests.live_server import live_server

HUGE = 200 * 1024 * 1024
CHUNK = 64 * 1024


def send_declared_body(url: str, declared: int, path: str) -> tuple[str, int]:
    """POST *declared* bytes of zeros, streamed, while reading the answer.

    Returns the answer's status line and how many body bytes had gone out when it came.
    Sending stops once the answer is in or the server hangs up.
    """
    parts = urlsplit(url)
    sent = 0
    answered = threading.Event()
    with socket.create_connection((parts.hostname, parts.port)) as connection:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Type: application/json\r\nStripe-Signature: t=1,v1=00\r\n"
            f"Content-Length: {declared}\r\nConnection: close\r\n\r\n"
        )
        connection.sendall(head.encode())

        def stream() -> None:
            nonlocal sent
            zeros = b"0" * CHUNK
            try:
                while sent < declared and not answered.is_set():
                    connection.sendall(zeros[: declared - sent])
                    sent += min(CHUNK, declared - sent)
            except OSError:
                pass  # the server closed the connection without reading the rest

        sender = threading.Thread(target=stream, daemon=True)
        sender.start()
        reader = connection.makefile("rb")
        status = reader.readline().decode().strip()
        at_answer = sent
        answered.set()
        sender.join()
    return status, at_answer


def test_a_200_mb_webhook_body_is_refused_unread(app: Flask) -> None:
    with live_server(app) as url:
        status, sent = send_declared_body(url, HUGE, "/payments/stripe/webhook")
    assert status == "HTTP/1.1 413 REQUEST ENTITY TOO LARGE"
    # Had the server read the body before answering, all of it would have gone out first.
    assert sent < HUGE // 10
    assert db.session.query(Payment).count() == 0


def test_a_body_over_the_webhook_limit_is_refused_with_a_reason(app: Flask) -> None:
    client = app.test_client()
    body = json.dumps({"padding": "x" * WEBHOOK_MAX_BYTES}).encode()
    assert len(body) < app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/payments/stripe/webhook",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == "too_large"


def test_any_other_route_refuses_a_body_over_the_site_limit(app: Flask) -> None:
    with live_server(app) as url:
        status, sent = send_declared_body(url, HUGE, "/login")
    assert status.startswith("HTTP/1.1 413")
    assert sent < HUGE // 10
