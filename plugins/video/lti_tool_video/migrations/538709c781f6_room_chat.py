"""room chat

The first revision of the video plugin's own branch. A site that ran an earlier release has
``chat_messages`` from the core's revisions, rows and all, and keeps it as it is; a new
database gets it here.

Revision ID: 538709c781f6
Revises:
Create Date: 2026-12-03 16:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from lti_tool.api import UTCDateTime

revision = "538709c781f6"
down_revision = None
branch_labels = ("video",)
depends_on = "d2b617064d10"


def upgrade():
    if sa.inspect(op.get_bind()).has_table("chat_messages"):
        return
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("client_message_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_chat_messages_booking_id_bookings"
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name="fk_chat_messages_sender_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_chat_messages"),
        sa.UniqueConstraint(
            "booking_id",
            "sender_id",
            "client_message_id",
            name="uq_chat_messages_booking_id_sender_id_client_message_id",
        ),
    )
    op.create_index("ix_chat_messages_booking_id", "chat_messages", ["booking_id"])


def downgrade():
    op.drop_table("chat_messages")
