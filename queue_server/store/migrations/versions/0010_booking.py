"""预约 booking: bookings, the places taken per slot, and one-time SMS codes (hashed).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("hall", sa.String(8), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("business", sa.String(40), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("id_masked", sa.String(24), nullable=False),
        sa.Column("phone_sealed", sa.String(200), nullable=False),
        sa.Column("phone_masked", sa.String(16), nullable=False),
        sa.Column("phone_ref", sa.String(20), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("live_key", sa.String(120)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.Column("checked_in_at", sa.DateTime(timezone=True)),
        sa.Column("ticket_id", sa.String(32)),
        sa.Column("rebooked_from", sa.String(16)),
        sa.PrimaryKeyConstraint("hall", "code", name="pk_bookings"),
        sa.UniqueConstraint("hall", "live_key", name="uq_bookings_live"),
    )
    op.create_index("ix_bookings_slot", "bookings", ["hall", "business", "slot_start"])
    op.create_index("ix_bookings_id", "bookings", ["hall", "id_hash"])
    op.create_index("ix_bookings_phone", "bookings", ["hall", "phone_ref"])
    op.create_table(
        "booking_slots",
        sa.Column("hall", sa.String(8), nullable=False),
        sa.Column("business", sa.String(40), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("hall", "business", "slot_start", name="pk_booking_slots"),
    )
    op.create_table(
        "booking_sms_codes",
        sa.Column("hall", sa.String(8), nullable=False),
        sa.Column("phone_ref", sa.String(20), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("hall", "phone_ref", name="pk_booking_sms_codes"),
    )


def downgrade() -> None:
    op.drop_table("booking_sms_codes")
    op.drop_table("booking_slots")
    op.drop_index("ix_bookings_phone", "bookings")
    op.drop_index("ix_bookings_id", "bookings")
    op.drop_index("ix_bookings_slot", "bookings")
    op.drop_table("bookings")
