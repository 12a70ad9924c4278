"""Room chat is the video plugin's personal data: in the export of the person who wrote it,
emptied when they are erased (the other side's lines stay), and swept past
``chat_retention_days``."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from flask import Flask
from lti_tool_video.models import ChatMessage

from lti_tool.cli import cli
from lti_tool.models import Booking
from lti_tool.models import db
from tests.booking import install_clock
from tests.tutors import make_booking
from tests.tutors import make_tutor
from tests.tutors import make_user


def chat_line(booking: Booking, sender_id: int, body: str) -> None:
    db.session.add(
        ChatMessage(
            booking_id=booking.id, sender_id=sender_id, client_message_id=body[:8], body=body
        )
    )
    db.session.commit()


def bodies() -> list[str]:
    return list(db.session.scalars(sa.select(ChatMessage.body).order_by(ChatMessage.id)))


def test_chat_is_exported_with_its_writer_and_emptied_when_they_are_erased(app: Flask) -> None:
    clock = install_clock(app, dt.datetime(2031, 6, 1, 12, tzinfo=dt.UTC))
    tutor, learner = make_tutor(), make_user()
    past = make_booking(tutor, learner, clock.now - dt.timedelta(days=2))
    chat_line(past, learner.id, "my phone is 555-0101")
    chat_line(past, tutor.user_id, "noted, thanks")
    runner = app.test_cli_runner()

    exported = runner.invoke(cli, ["privacy", "export", "--user-id", str(learner.id)])
    erased = runner.invoke(cli, ["privacy", "erase", "--user-id", str(learner.id), "--yes"])
    again = runner.invoke(cli, ["privacy", "erase", "--user-id", str(learner.id), "--yes"])

    assert exported.exit_code == 0, exported.output
    sent = json.loads(exported.output)["plugins"]["video"]["chat_messages_sent"]
    assert [(line["booking_id"], line["body"]) for line in sent] == [
        (past.id, "my phone is 555-0101")
    ]
    assert sent[0]["sent_at"].endswith("Z")
    assert erased.exit_code == 0 and again.exit_code == 0, erased.output + again.output
    db.session.rollback()
    assert bodies() == ["", "noted, thanks"]


def test_the_sweep_deletes_chat_past_its_retention_only(app: Flask) -> None:
    clock = install_clock(app, dt.datetime(2031, 6, 1, 12, tzinfo=dt.UTC))
    tutor, learner = make_tutor(), make_user()
    old = make_booking(tutor, learner, clock.now - dt.timedelta(days=366))
    recent = make_booking(tutor, learner, clock.now - dt.timedelta(days=364))
    chat_line(old, learner.id, "old words")
    chat_line(recent, learner.id, "recent words")
    runner = app.test_cli_runner()

    swept = runner.invoke(cli, ["privacy", "sweep"])

    assert swept.exit_code == 0, swept.output
    assert "1 chat messages deleted." in swept.output
    assert bodies() == ["recent words"]

    app.config["CHAT_RETENTION_DAYS"] = 0
    clock.advance(days=1000)
    kept = runner.invoke(cli, ["privacy", "sweep"])

    assert "0 chat messages deleted." in kept.output
    assert bodies() == ["recent words"]
