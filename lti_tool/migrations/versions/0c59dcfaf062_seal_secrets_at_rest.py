"""seal secrets at rest

The tool's private keys (``lti_tool_keys.private_key_pem``) are sealed with the newest data
key, and the development platform's private key moves out of its registration's settings into
a sealed column of its own. Downgrading opens them again, so the previous release reads them.

Revision ID: 0c59dcfaf062
Revises: a7e5e5510e0c
Create Date: 2026-12-10 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from lti_tool import sealing

revision = "0c59dcfaf062"
down_revision = "a7e5e5510e0c"
branch_labels = None
depends_on = None

# Plain text and JSON, below the models' SealedText, so the rows are seen as they are stored.
registrations = sa.table(
    "lti_registrations",
    sa.column("id", sa.Integer),
    sa.column("settings", sa.JSON),
    sa.column("platform_private_key_pem", sa.Text),
)
tool_keys = sa.table(
    "lti_tool_keys", sa.column("id", sa.Integer), sa.column("private_key_pem", sa.Text)
)
SETTINGS_KEY = "private_key_pem"


def upgrade():
    with op.batch_alter_table("lti_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_private_key_pem", sa.Text(), nullable=True))

    # The data keys come from the application the migration runs in (lti-tool db upgrade).
    ring = sealing.current_ring()
    connection = op.get_bind()
    sealing.reseal_column(connection, "lti_tool_keys", ["id"], "private_key_pem", ring)
    for row in connection.execute(sa.select(registrations.c.id, registrations.c.settings)):
        settings = dict(row.settings or {})
        pem = settings.pop(SETTINGS_KEY, None)
        if not isinstance(pem, str):
            continue
        connection.execute(
            sa.update(registrations)
            .where(registrations.c.id == row.id)
            .values(settings=settings, platform_private_key_pem=ring.seal(pem))
        )


def downgrade():
    ring = sealing.current_ring()
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            registrations.c.id, registrations.c.settings, registrations.c.platform_private_key_pem
        ).where(registrations.c.platform_private_key_pem.is_not(None))
    ).all()
    for row in rows:
        settings = {**(row.settings or {}), SETTINGS_KEY: ring.open(row.platform_private_key_pem)}
        connection.execute(
            sa.update(registrations).where(registrations.c.id == row.id).values(settings=settings)
        )
    for row in connection.execute(sa.select(tool_keys.c.id, tool_keys.c.private_key_pem)).all():
        if sealing.is_sealed(row.private_key_pem):
            connection.execute(
                sa.update(tool_keys)
                .where(tool_keys.c.id == row.id)
                .values(private_key_pem=ring.open(row.private_key_pem))
            )

    with op.batch_alter_table("lti_registrations", schema=None) as batch_op:
        batch_op.drop_column("platform_private_key_pem")
