"""WSGI entry for gunicorn with gevent workers (see config/gunicorn.conf.py)."""

from __future__ import annotations

from lti_tool.app import create_app

app = create_app({"async_mode": "gevent"})
