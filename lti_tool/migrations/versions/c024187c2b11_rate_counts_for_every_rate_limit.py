"""rate counts for every rate limit

The public site's ``login_attempts`` becomes the core's ``rate_counts``, which every rate limit
shares; each row now says when it stops counting, since the limits' windows differ. A count
matters for an hour at most, so the old rows are dropped rather than moved: an upgrade or a
downgrade forgets at most the last hour's sign-in tries and account e-mails.

Revision ID: c024187c2b11
Revises: 0c59dcfaf062
Create Date: 2026-12-10 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import lti_tool.models.base

revision = "c024187c2b11"
down_revision = "0c59dcfaf062"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_counts")),
    )
    with op.batch_alter_table("rate_counts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_counts_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index("ix_rate_counts_key_at", ["key_digest", "at"], unique=False)
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_key_at")
        batch_op.drop_index(batch_op.f("ix_login_attempts_at"))
    op.drop_table("login_attempts")


def downgrade():
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempts_at"), ["at"], unique=False)
        batch_op.create_index("ix_login_attempts_key_at", ["key_digest", "at"], unique=False)
    with op.batch_alter_table("rate_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_counts_key_at")
        batch_op.drop_index(batch_op.f("ix_rate_counts_expires_at"))
    op.drop_table("rate_counts")
