"""plugin tables leave the core

The tables only a plugin uses now belong to that plugin's own branch of revisions: the
payment plugin's ``webhook_events`` and ``payout_accounts``, the video plugin's
``chat_messages``, the recommend plugin's ``interactions``. Each plugin's first revision
depends on this one and creates its tables when they are missing.

An empty table is dropped here so that its plugin makes it as its own (and a site without the
plugin keeps no stray table). A table holding rows is left exactly as it is, for its plugin to
take over with the rows: nothing is lost, even when the plugin is not installed yet.

On the way down, a table a plugin already dropped is made again, empty, as the core's older
revisions had it, so they can go on downgrading.

Revision ID: d2b617064d10
Revises: c024187c2b11
Create Date: 2026-12-03 16:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import lti_tool.models.base

revision = "d2b617064d10"
down_revision = "c024187c2b11"
branch_labels = None
depends_on = None

HANDED_OVER = ("webhook_events", "payout_accounts", "chat_messages", "interactions")


def upgrade():
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for name in HANDED_OVER:
        if not inspector.has_table(name):
            continue
        if bind.execute(sa.text(f"SELECT 1 FROM {name} LIMIT 1")).first() is None:
            op.drop_table(name)


def downgrade():
    inspector = sa.inspect(op.get_bind())
    missing = [name for name in HANDED_OVER if not inspector.has_table(name)]
    for name in missing:
        _as_the_core_had_it[name]()


def _webhook_events():
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("received_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
        sa.UniqueConstraint(
            "provider", "event_id", name="uq_webhook_events_provider_event_id"
        ),
    )


def _payout_accounts():
    op.create_table(
        "payout_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("tutor_id", sa.Integer(), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=True),
        sa.Column("payable", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=120), nullable=True),
        sa.Column("created_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["tutor_profiles.id"],
            name="fk_payout_accounts_tutor_id_tutor_profiles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payout_accounts"),
        sa.UniqueConstraint("account_id", name="uq_payout_accounts_account_id"),
        sa.UniqueConstraint("provider", "tutor_id", name="uq_payout_accounts_provider_tutor_id"),
    )


def _chat_messages():
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("client_message_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_chat_messages_booking_id_bookings"
        ),
        sa.ForeignKeyConstraint(["sender_id"], ["users.id"], name="fk_chat_messages_sender_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_chat_messages"),
        sa.UniqueConstraint(
            "booking_id",
            "sender_id",
            "client_message_id",
            name="uq_chat_messages_booking_id_sender_id_client_message_id",
        ),
    )
    op.create_index("ix_chat_messages_booking_id", "chat_messages", ["booking_id"])


def _interactions():
    op.create_table(
        "interactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tutor_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("occurred_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["tutor_profiles.id"],
            name="fk_interactions_tutor_id_tutor_profiles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_interactions_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_interactions"),
    )
    op.create_index("ix_interactions_pair", "interactions", ["user_id", "tutor_id"])


_as_the_core_had_it = {
    "webhook_events": _webhook_events,
    "payout_accounts": _payout_accounts,
    "chat_messages": _chat_messages,
    "interactions": _interactions,
}
