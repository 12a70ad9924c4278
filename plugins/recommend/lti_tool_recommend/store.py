"""The model a process serves, reloaded when the file changes, and the retrain-due flag.

A server looks at the file's modification time at most every ``reload_seconds``; a new file
(``lti-tool recommend train`` swaps it in atomically) is loaded on the first request after
that. A file that cannot be used is logged once, and recommendations fall back to the core's
popularity ranking until a good file replaces it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from flask import current_app
from sqlalchemy.orm import Session

from lti_tool.api import AuditEntry
from lti_tool_recommend.model import ModelFileError
from lti_tool_recommend.model import TrainedModel
from lti_tool_recommend.settings import Settings
from lti_tool_recommend.settings import read_settings

log = logging.getLogger("lti_tool_recommend")
EXTENSION = "lti_tool_recommend"


def database_identity(url: str) -> str:
    """The database a model's ids belong to, without credentials or driver."""
    parsed = sa.engine.make_url(url)
    where = f"{parsed.host or ''}:{parsed.port or ''}" if parsed.host else ""
    return f"{parsed.get_backend_name()}://{where}/{parsed.database or ''}"


class ModelStore:
    """The current model of one application, loaded from its file lazily."""

    def __init__(self, settings: Settings, database: str) -> None:
        self.settings = settings
        self.database = database
        self._lock = threading.Lock()
        self._model: TrainedModel | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._checked_at: float | None = None

    def current(self) -> TrainedModel | None:
        """The model to serve, or None when there is no usable file."""
        checked = self._checked_at
        if checked is not None and time.monotonic() - checked < self.settings.reload_seconds:
            return self._model
        with self._lock:
            self._refresh()
            return self._model

    def _refresh(self) -> None:
        self._checked_at = time.monotonic()
        path = self.settings.model_path
        try:
            info = os.stat(path)
        except FileNotFoundError:
            self._model, self._stamp = None, None
            return
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp == self._stamp:
            return
        # Remembered before loading, so a bad file is reported once, not on every request.
        self._stamp, self._model = stamp, None
        try:
            model = TrainedModel.load(path)
        except (ModelFileError, OSError) as exc:
            log.error("recommendation model not used, popularity ranking serves: %s", exc)
            return
        if model.meta.get("database") != self.database:
            log.error(
                "recommendation model %s was trained on %s, not on this site's %s; "
                "popularity ranking serves until `lti-tool recommend train` runs here",
                path,
                model.meta.get("database"),
                self.database,
            )
            return
        log.info("recommendation model %s trained at %s loaded", path, model.meta["trained_at"])
        self._model = model


@dataclass
class PluginState:
    settings: Settings
    store: ModelStore


def plugin_state(app: Flask | None = None) -> PluginState:
    """This plugin's state on *app* (by default the current one), made on first use."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    state: PluginState | None = app.extensions.get(EXTENSION)
    if state is None:
        settings = read_settings(app)
        database = database_identity(app.config["DATABASE_URL"])
        state = app.extensions[EXTENSION] = PluginState(settings, ModelStore(settings, database))
    return state


def completed_since(session: Session, since: dt.datetime) -> int:
    """Sessions marked completed after *since*, counted from the bookings' history."""
    query = sa.select(sa.func.count()).where(
        AuditEntry.entity_type == "booking",
        AuditEntry.to_state == "completed",
        AuditEntry.at > since,
    )
    return int(session.scalar(query) or 0)


def note_completed_session(session: Session, state: PluginState) -> bool:
    """Mark a retrain as due once enough sessions were completed since the model's data was
    read. Without a model there is nothing to mark: ``train --if-due`` trains then anyway.

    :returns: whether a retrain is now due.
    """
    model = state.store.current()
    if model is None:
        return False
    trained_at = dt.datetime.fromisoformat(model.meta["trained_at"])
    count = completed_since(session, trained_at)
    if count < state.settings.retrain_after:
        return False
    flag = state.settings.flag_path
    if not flag.exists():
        payload = {"completed_since_training": count, "marked_at": dt.datetime.now(dt.UTC)}
        flag.parent.mkdir(parents=True, exist_ok=True)
        flag.write_text(json.dumps(payload, default=str) + "\n")
        log.info("recommendation retrain due: %d sessions completed since training", count)
    return True


def retrain_due(settings: Settings) -> str | None:
    """Why ``train --if-due`` should train now, or None."""
    if not settings.model_path.exists():
        return "there is no model yet"
    if settings.flag_path.exists():
        return "enough sessions were completed since the last training"
    return None
