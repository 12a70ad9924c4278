"""imported learner-tutor history

The first revision of the recommend plugin's own branch. A site that ran an earlier release
has ``interactions`` from the core's revisions, rows and all, and keeps it as it is; a new
database gets it here.

Revision ID: 0b03db997059
Revises:
Create Date: 2026-12-03 16:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from lti_tool.api import UTCDateTime

revision = "0b03db997059"
down_revision = None
branch_labels = ("recommend",)
depends_on = "d2b617064d10"


def upgrade():
    if sa.inspect(op.get_bind()).has_table("interactions"):
        return
    op.create_table(
        "interactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tutor_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
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


def downgrade():
    op.drop_table("interactions")
