"""预约 booking, the rest: a stored no-show (swept at slot start + grace), the day-before
reminder sent, who checked a booking in (kiosk or a guide by hand), and the enterprise
batch a booking belongs to.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as t:
        t.add_column(sa.Column("no_show_at", sa.DateTime(timezone=True)))
        t.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True)))
        t.add_column(sa.Column("checked_in_by", sa.String(80)))
        t.add_column(sa.Column("batch", sa.String(16)))
        t.add_column(sa.Column("case_no", sa.String(40)))
    # The sweep and the reminders look for live bookings by their slot's start.
    op.create_index("ix_bookings_status", "bookings", ["hall", "status", "slot_start"])
    op.create_index("ix_bookings_batch", "bookings", ["hall", "batch"])


def downgrade() -> None:
    op.drop_index("ix_bookings_batch", "bookings")
    op.drop_index("ix_bookings_status", "bookings")
    with op.batch_alter_table("bookings") as t:
        for name in ("case_no", "batch", "checked_in_by", "reminded_at", "no_show_at"):
            t.drop_column(name)
