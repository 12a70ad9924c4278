"""``lti-tool serve`` answers Socket.IO under each async backend, and relays through Redis.

Each test starts real server processes, the way an operator does, and talks to them with
python-socketio's client over both Engine.IO transports.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import socketio

from lti_tool.realtime.diagnostics import NAMESPACE
from tests import services

LTI_TOOL = Path(sys.executable).parent / "lti-tool"
# Generous: a server starts in about a second, but a busy CI machine running two of them at
# once has been seen to need 18 s; waiting longer costs nothing when they are quick.
START_TIMEOUT = 45.0
CALL_TIMEOUT = 5.0


def _environment() -> dict[str, str]:
    # This machine's own LTI_TOOL_ settings must not leak into the servers under test.
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LTI_TOOL_") or key.startswith("LTI_TOOL_TEST_")
    }


@pytest.fixture(scope="module")
def served_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated SQLite file shared by every server in this module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'x.sqlite'}"
    result = subprocess.run(
        [str(LTI_TOOL), "db", "upgrade"],
        env={**_environment(), "LTI_TOOL_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return url


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return f"--- stderr of server {self.pid} ({self.url}) ---\n" + self.log_path.read_text(
            errors="replace"
        )

    def wait_until_healthy(self) -> dict[str, Any]:
        deadline = time.monotonic() + START_TIMEOUT
        last_error = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"server exited with status {self.process.returncode}\n{self.log()}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as response:
                    body: dict[str, Any] = json.load(response)
                    return body
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code}: {exc.read().decode(errors='replace')}"
                exc.close()
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                last_error = repr(exc)
            time.sleep(0.05)
        pytest.fail(
            f"/readyz did not answer within {START_TIMEOUT:.0f} s ({last_error})\n{self.log()}",
            pytrace=False,
        )

    def stop(self) -> None:
        if self.process.returncode is not None:
            return
        # The server may have children of its own, so the whole process group goes.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@contextlib.contextmanager
def serving(
    directory: Path, async_mode: str, database_url: str, redis_url: str = ""
) -> Iterator[Server]:
    port = services.free_port()
    env = {
        **_environment(),
        "LTI_TOOL_DATABASE_URL": database_url,
        "LTI_TOOL_REALTIME_DIAGNOSTICS": "1",
        "LTI_TOOL_REDIS_URL": redis_url,
    }
    log_path = directory / f"server-{port}.stderr"
    with log_path.open("wb") as log, open(os.devnull, "wb") as devnull:
        process = subprocess.Popen(
            [
                str(LTI_TOOL),
                *("serve", "--host", "127.0.0.1", "--port", str(port)),
                *("--async-mode", async_mode),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=devnull,
            stderr=log,
            start_new_session=True,
        )
    server = Server(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def connected(server: Server, transports: list[str] | None = None) -> Iterator[socketio.Client]:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(
            server.url, namespaces=[NAMESPACE], transports=transports, wait_timeout=CALL_TIMEOUT
        )
        yield client
    finally:
        client.disconnect()


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent"])
def test_serve_answers_socketio_on_both_transports(
    async_mode: str, served_database: str, tmp_path: Path
) -> None:
    with serving(tmp_path, async_mode, served_database) as server:
        health = server.wait_until_healthy()
        assert health == {
            "status": "ok",
            "database": "ok",
            "redis": "not configured",
            "queue": "ok",
        }

        # None is the client's default: long-polling first, then the upgrade to websocket.
        for transports in (None, ["websocket"]):
            payload = {"text": f"héllo over {transports}", "numbers": [1, 2, 3]}
            started = time.monotonic()
            with connected(server, transports) as client:
                reply = client.call("echo", payload, namespace=NAMESPACE, timeout=CALL_TIMEOUT)
                assert client.transport() == "websocket", server.log()
            assert reply == {"echo": payload, "pid": server.pid}, server.log()
            # A close handshake the server does not answer costs the client a 3 s wait.
            assert time.monotonic() - started < 2.5, server.log()

        payload = {"text": "héllo over long-polling only"}
        with connected(server, ["polling"]) as client:
            reply = client.call("echo", payload, namespace=NAMESPACE, timeout=CALL_TIMEOUT)
            assert client.transport() == "polling", server.log()
            assert reply == {"echo": payload, "pid": server.pid}, server.log()
            # python-engineio's polling client can drop its own CLOSE packet in disconnect()
            # while the namespace's disconnect is still being posted, and then waits for the
            # server's next ping (25 s); a stopped server ends that wait at once.
            server.stop()

        log = server.log()
        assert "Traceback" not in log, log
        assert "Invalid HTTP method" not in log, log


@pytest.mark.redis
def test_two_processes_share_a_room_through_redis(served_database: str, tmp_path: Path) -> None:
    redis_url = services.redis_url()
    # Redis pub/sub ignores the database number, so parallel runs share the Socket.IO channel;
    # a room name of their own keeps their messages apart.
    room = f"diagnostics-{uuid.uuid4().hex}"
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(serving(tmp_path, "eventlet", served_database, redis_url))
        second = stack.enter_context(serving(tmp_path, "eventlet", served_database, redis_url))

        def logs() -> str:
            return f"{first.log()}\n{second.log()}"

        for server in (first, second):
            assert server.wait_until_healthy()["redis"] == "ok", logs()
        assert first.pid != second.pid

        listener = stack.enter_context(connected(first))
        listener.on("message", received.put, namespace=NAMESPACE)
        joined = listener.call("join", {"room": room}, namespace=NAMESPACE, timeout=CALL_TIMEOUT)
        assert joined == {"joined": room, "pid": first.pid}, logs()

        sender = stack.enter_context(connected(second))
        joined = sender.call("join", {"room": room}, namespace=NAMESPACE, timeout=CALL_TIMEOUT)
        assert joined == {"joined": room, "pid": second.pid}, logs()

        # The first process subscribes to Redis in the background once its first client
        # connects, so a message sent before that subscription lands is lost; send until heard.
        token = uuid.uuid4().hex
        deadline = time.monotonic() + START_TIMEOUT
        message: dict[str, Any] | None = None
        while message is None and time.monotonic() < deadline:
            sent = sender.call(
                "broadcast",
                {"room": room, "data": token},
                namespace=NAMESPACE,
                timeout=CALL_TIMEOUT,
            )
            assert sent == {"sent": True}, logs()
            with contextlib.suppress(queue.Empty):
                message = received.get(timeout=0.5)
        assert message == {"data": token, "from_pid": second.pid}, logs()
