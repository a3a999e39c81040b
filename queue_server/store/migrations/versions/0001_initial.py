"""The first tables: tickets, their events, windows, tokens, day reports.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("business", sa.String(40), nullable=False),
        sa.Column("origin_business", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("priority", sa.String(12), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window", sa.Integer),
        sa.Column("parked", sa.Boolean, nullable=False),
        sa.Column("recalls", sa.Integer, nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True)),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("journey", sa.String(40)),
        sa.Column("journey_step", sa.Integer, nullable=False),
        sa.Column("id_hash", sa.String(64)),
        sa.Column("id_masked", sa.String(24)),
        sa.Column("name_masked", sa.String(40)),
        sa.Column("priority_reason", sa.String(32)),
        sa.Column("closed_reason", sa.String(32)),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.UniqueConstraint("day", "number", name="uq_tickets_day_number"),
    )
    op.create_index("ix_tickets_day_status", "tickets", ["day", "status"])
    op.create_index("ix_tickets_id_hash", "tickets", ["id_hash"])
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.String(32)),
        sa.Column("window", sa.Integer),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_events_ticket", "events", ["ticket_id"])
    op.create_table(
        "windows",
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("zone", sa.String(40), nullable=False),
        sa.Column("businesses", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("green_channel", sa.Boolean, nullable=False),
        sa.Column("label", sa.String(80), nullable=False),
        sa.Column("current", sa.String(32)),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("window", sa.Integer),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "day_reports",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    for name in ("day_reports", "tokens", "windows", "events", "tickets"):
        op.drop_table(name)
