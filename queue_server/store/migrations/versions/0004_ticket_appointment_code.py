"""A ticket remembers the booking it checked in, so a booking checks in once a day.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("appointment_code", sa.String(64)))


def downgrade() -> None:
    op.drop_column("tickets", "appointment_code")
