"""user session epoch

Revision ID: a7e5e5510e0c
Revises: f3a1c0de5e11
Create Date: 2026-12-03 09:39:31.267003
"""

import sqlalchemy as sa
from alembic import op


revision = 'a7e5e5510e0c'
down_revision = 'f3a1c0de5e11'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
