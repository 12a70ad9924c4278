"""What the tool measures, in Prometheus' text format at ``/metrics``.

Counts that live in the database (bookings by state, jobs by state) are read when Prometheus
scrapes, so every web process reports the same figures; what a process sees itself (request
latency, Socket.IO connections, LTI launches it answered) is its own, and Prometheus adds the
processes up.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterator

import sqlalchemy as sa
from flask import Flask
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from lti_tool.jobs import count_by_state
from lti_tool.models import Booking
from lti_tool.models import Job
from lti_tool.models import db

EXTENSION = "lti_tool_metrics"
#: Latency buckets in seconds: page and API answers are tens of milliseconds, a launch or a
#: slot search of a big subject may take a second.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One application's registry and the instruments the tool updates as it runs."""

    def __init__(self, app: Flask) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_seconds = Histogram(
            "lti_tool_request_seconds",
            "Time to answer an HTTP request, by endpoint, method and status class.",
            ["endpoint", "method", "status"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.lti_launches = Counter(
            "lti_tool_lti_launches",
            "LTI launches answered, by platform issuer and outcome (ok or refused).",
            ["issuer", "outcome"],
            registry=self.registry,
        )
        self.registry.register(_DatabaseCounts(app))
        self.registry.register(_SocketCounts(app))

    def exposition(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


class _DatabaseCounts(Collector):
    """Bookings and jobs by state, counted when scraped."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        bookings = GaugeMetricFamily(
            "lti_tool_bookings", "Bookings in each state.", labels=["state"]
        )
        jobs = GaugeMetricFamily(
            "lti_tool_jobs",
            "Background jobs in each state; retrying counts queued jobs that failed before.",
            labels=["state"],
        )
        return bookings, jobs

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Without this the registry would collect, and query the database, when registering.
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        bookings, jobs = self._families()
        with self.app.app_context():
            try:
                for booking_state, count in db.session.execute(
                    sa.select(Booking.state, sa.func.count()).group_by(Booking.state)
                ):
                    bookings.add_metric([booking_state.value], count)
                for job_state, count in count_by_state().items():
                    jobs.add_metric([job_state], count)
                retrying = db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Job)
                    .where(Job.state == "queued", Job.attempts > 0)
                )
                jobs.add_metric(["retrying"], retrying or 0)
            finally:
                db.session.remove()
        yield bookings
        yield jobs


class _SocketCounts(Collector):
    """Socket.IO connections and rooms this process holds, by namespace."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        connections = GaugeMetricFamily(
            "lti_tool_socketio_connections",
            "Socket.IO connections held by this process.",
            labels=["namespace"],
        )
        rooms = GaugeMetricFamily(
            "lti_tool_socketio_rooms",
            "Socket.IO rooms with a member in this process (each connection's own room aside).",
            labels=["namespace"],
        )
        for namespace, members in _namespaces(self.app).items():
            sids = members.get(None, {})
            connections.add_metric([namespace], len(sids))
            named = [room for room in members if room is not None and room not in sids]
            rooms.add_metric([namespace], len(named))
        yield connections
        yield rooms


def _namespaces(app: Flask) -> dict[str, dict[t.Any, t.Any]]:
    socketio = app.extensions.get("socketio")
    server = getattr(socketio, "server", None)
    manager = getattr(server, "manager", None)
    # python-socketio's manager keeps, per namespace, each room's members; the room None
    # holds every connection of the namespace.
    found = getattr(manager, "rooms", None)
    return dict(found) if isinstance(found, dict) else {}


def metrics_of(app: Flask) -> Metrics:
    found: Metrics = app.extensions[EXTENSION]
    return found


def count_launch(app: Flask, issuer: str | None, ok: bool) -> None:
    metrics_of(app).lti_launches.labels(issuer or "unknown", "ok" if ok else "refused").inc()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Metrics(app)
