"""payment tables: tutors' payout accounts and the provider events already handled

The first revision of the payment plugin's own branch. A site that ran an earlier release has
these tables from the core's revisions, rows and all, and keeps them as they are; a new
database gets them here.

Revision ID: c03dbd2b23f0
Revises:
Create Date: 2026-12-03 16:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from lti_tool.api import UTCDateTime

revision = "c03dbd2b23f0"
down_revision = None
branch_labels = ("payment",)
depends_on = "d2b617064d10"


def upgrade():
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("webhook_events"):
        op.create_table(
            "webhook_events",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("provider", sa.String(length=40), nullable=False),
            sa.Column("event_id", sa.String(length=255), nullable=False),
            sa.Column("event_type", sa.String(length=80), nullable=False),
            sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
            sa.UniqueConstraint("provider", "event_id", name="uq_webhook_events_provider_event_id"),
        )
    if not inspector.has_table("payout_accounts"):
        op.create_table(
            "payout_accounts",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("provider", sa.String(length=40), nullable=False),
            sa.Column("tutor_id", sa.Integer(), nullable=False),
            sa.Column("request_key", sa.String(length=64), nullable=False),
            sa.Column("account_id", sa.String(length=255), nullable=True),
            sa.Column("payable", sa.Boolean(), nullable=False),
            sa.Column("disabled_reason", sa.String(length=120), nullable=True),
            sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
            sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["tutor_id"],
                ["tutor_profiles.id"],
                name="fk_payout_accounts_tutor_id_tutor_profiles",
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name="pk_payout_accounts"),
            sa.UniqueConstraint("account_id", name="uq_payout_accounts_account_id"),
            sa.UniqueConstraint(
                "provider", "tutor_id", name="uq_payout_accounts_provider_tutor_id"
            ),
        )


def downgrade():
    op.drop_table("payout_accounts")
    op.drop_table("webhook_events")
