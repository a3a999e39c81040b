"""A ticket remembers the key of the request that issued it (idempotent issuing).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("request_key", sa.String(100)))
    op.create_index("uq_tickets_day_request_key", "tickets", ["day", "request_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_tickets_day_request_key", table_name="tickets")
    op.drop_column("tickets", "request_key")
