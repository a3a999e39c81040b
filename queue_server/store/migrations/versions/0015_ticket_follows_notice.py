"""The 不予受理告知单 a ticket follows up: the notice finds its next visit by it.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("follows_notice", sa.String(32)))
    op.create_index("ix_tickets_follows_notice", "tickets", ["hall", "follows_notice"])


def downgrade() -> None:
    op.drop_index("ix_tickets_follows_notice", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("follows_notice")
