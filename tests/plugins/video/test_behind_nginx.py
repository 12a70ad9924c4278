"""A room through nginx in front of two web processes, with the shipped nginx configuration.

The tutor's connection lands on one process and the learner's on the other (nginx keeps each
connection on one process by its ``lb`` value, long-polling and upgrade alike); chat and
signals cross over Redis. Then the tutor's process is killed in the middle of the call: the
tutor is back in the room through the other process within seconds, and the chat, including
what the learner wrote while the tutor was away, is all there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import socketio

from tests import services

from .stack import Stack
from .stack import seed
from .stack import serving
from .test_signaling import Peer
from .test_two_servers import sockets

CONFIG = Path(__file__).resolve().parents[3] / "config" / "nginx"
NGINX = "/usr/sbin/nginx"
BACK_WITHIN = 5.0


@contextlib.contextmanager
def nginx_in_front(tmp_path: Path, one: Stack, two: Stack) -> Iterator[str]:
    """nginx on a free loopback port with the shipped upstream and locations, pointing at the
    two processes; yields its URL."""
    if not os.access(NGINX, os.X_OK):
        services.missing("nginx (the Debian package nginx)")
    upstream = (CONFIG / "upstream.conf").read_text()
    upstream = upstream.replace("127.0.0.1:5001", f"127.0.0.1:{one.port}")
    upstream = upstream.replace("127.0.0.1:5002", f"127.0.0.1:{two.port}")
    (tmp_path / "upstream.conf").write_text(upstream)
    port = services.free_port()
    (tmp_path / "nginx.conf").write_text(
        f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log info;
daemon off;
events {{ worker_connections 256; }}
http {{
    access_log {tmp_path}/nginx-access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/upstream.conf;
    server {{
        listen 127.0.0.1:{port};
        include {CONFIG}/locations.conf;
    }}
}}
"""
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (tmp_path / "nginx-error.log").read_text(errors="replace")
                    pytest.fail(f"nginx did not start\n{log}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def lb_landing_on(url: str, stacks: dict[str, Stack]) -> dict[str, str]:
    """An ``lb`` value that nginx sends to each process, found by asking and reading the
    processes' access logs."""
    found: dict[str, str] = {}
    for attempt in range(200):
        value = f"probe{attempt}"
        before = {
            name: s.log_path.read_text(errors="replace").count("/readyz")
            for name, s in stacks.items()
        }
        with urllib.request.urlopen(f"{url}/readyz?lb={value}", timeout=5):
            pass
        time.sleep(0.05)
        for name, stack in stacks.items():
            now = stack.log_path.read_text(errors="replace").count("/readyz")
            if now > before[name]:
                found.setdefault(name, value)
        if len(found) == len(stacks):
            return found
    pytest.fail(f"nginx sent every probe to the same process: {found}")


@pytest.mark.redis
def test_a_room_through_nginx_survives_the_loss_of_a_process(tmp_path: Path) -> None:
    redis_url = services.redis_url()
    seeded = seed(tmp_path)
    world = seeded[1]
    shared = {"LTI_TOOL_REDIS_URL": redis_url}
    video = {"recording": False}
    with (
        serving(tmp_path, video, seeded=seeded, env=shared, name="one") as one,
        serving(tmp_path, video, seeded=seeded, env=shared, name="two") as two,
        nginx_in_front(tmp_path, one, two) as url,
        contextlib.ExitStack() as stack,
    ):
        lb = lb_landing_on(url, {"one": one, "two": two})
        # Long-polling first, then the upgrade: both must reach the same process.
        via_one = stack.enter_context(sockets(f"{url}?lb={lb['one']}", transports=None))
        via_two = stack.enter_context(sockets(f"{url}?lb={lb['two']}", transports=None))
        tutor = Peer(via_one, world.booking_id, world.tutor_id, "tutor-peer")
        learner = Peer(via_two, world.booking_id, world.learner_id, "learner-peer")
        assert learner.joined["ok"], learner.joined
        assert tutor.next("presence")["peer_id"] == "learner-peer"

        before = f"before the crash {uuid.uuid4().hex[:6]}"
        assert tutor.call("chat", {"client_message_id": "nginx-chat-1", "body": before})["ok"]
        assert learner.next("chat")["body"] == before
        offer = {"kind": "offer", "to": "learner-peer", "conn": "c1", "sdp": "v=0"}
        assert tutor.call("signal", offer) == {"ok": True}
        assert learner.next("signal")["from"] == "tutor-peer"

        killed_at = time.monotonic()
        os.killpg(one.process.pid, signal.SIGKILL)
        one.process.wait(timeout=10)
        away = "written while the tutor was away"
        assert learner.call("chat", {"client_message_id": "nginx-chat-2", "body": away})["ok"]

        # The tutor's page reconnects with the same lb, as the browser client does.
        back = None
        while back is None and time.monotonic() - killed_at < BACK_WITHIN:
            try:
                back = Peer(via_one, world.booking_id, world.tutor_id, "tutor-peer")
            except (socketio.exceptions.ConnectionError, TimeoutError):
                time.sleep(0.1)
        assert back is not None and back.joined["ok"], "the tutor is not back in time"
        assert time.monotonic() - killed_at < BACK_WITHIN
        history = back.call("history", {"after_id": 0})
        assert [line["body"] for line in history["history"]] == [before, away]
        again = {"kind": "offer", "to": "learner-peer", "conn": "c2", "sdp": "v=0"}
        assert back.call("signal", again) == {"ok": True}
        assert learner.next("signal")["conn"] == "c2"
