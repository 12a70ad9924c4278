"""registration invites

Revision ID: f3a1c0de5e11
Revises: e2823da16d70
Create Date: 2026-12-03 09:40:57.583699
"""

import sqlalchemy as sa
from alembic import op

import lti_tool.models.base

revision = "f3a1c0de5e11"
down_revision = "e2823da16d70"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_registration_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_registration_invites_registration_id_lti_registrations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_registration_invites")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_lti_registration_invites_token_digest")),
    )


def downgrade() -> None:
    op.drop_table("lti_registration_invites")
