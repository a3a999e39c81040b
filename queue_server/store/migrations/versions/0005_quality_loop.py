"""The quality loop: the staff register, who was on duty at every window event, 好差评
evaluations of each service, and the 差评整改 work orders bad reviews open.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("number", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("department", sa.String(60), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
    )
    with op.batch_alter_table("windows") as b:
        b.add_column(sa.Column("staff", sa.String(16)))
        b.add_column(sa.Column("staff_name", sa.String(40)))
        b.add_column(sa.Column("staff_since", sa.DateTime(timezone=True)))
    with op.batch_alter_table("events") as b:
        b.add_column(sa.Column("staff", sa.String(16)))
    op.create_index("ix_events_at", "events", ["at"])
    with op.batch_alter_table("cases") as b:
        b.add_column(sa.Column("ticket_id", sa.String(32)))
    op.create_index("ix_cases_ticket_id", "cases", ["ticket_id"])
    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("service_seq", sa.Integer, nullable=False),
        sa.Column("window", sa.Integer, nullable=False),
        sa.Column("staff", sa.String(16)),
        sa.Column("business", sa.String(40), nullable=False),
        sa.Column("case_no", sa.String(40)),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("efficiency", sa.Integer),
        sa.Column("competence", sa.Integer),
        sa.Column("attitude", sa.Integer),
        sa.Column("reason", sa.String(24)),
        sa.Column("comment", sa.String(400), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("ticket_id", "service_seq", name="uq_evaluations_service"),
    )
    op.create_index("ix_evaluations_day", "evaluations", ["day"])
    op.create_table(
        "work_orders",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("evaluation_id", sa.String(32), sa.ForeignKey("evaluations.id"),
                  nullable=False, unique=True),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("window", sa.Integer, nullable=False),
        sa.Column("staff", sa.String(16)),
        sa.Column("business", sa.String(40), nullable=False),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("due_provisional", sa.Boolean, nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_work_orders_status_due", "work_orders", ["status", "due_date"])
    op.create_table(
        "work_order_steps",
        sa.Column("order_id", sa.String(32), sa.ForeignKey("work_orders.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("step", sa.String(12), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(1000), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "seq", name="pk_work_order_steps"),
    )


def downgrade() -> None:
    op.drop_table("work_order_steps")
    op.drop_table("work_orders")
    op.drop_index("ix_evaluations_day", "evaluations")
    op.drop_table("evaluations")
    op.drop_index("ix_cases_ticket_id", "cases")
    with op.batch_alter_table("cases") as b:
        b.drop_column("ticket_id")
    op.drop_index("ix_events_at", "events")
    with op.batch_alter_table("events") as b:
        b.drop_column("staff")
    with op.batch_alter_table("windows") as b:
        b.drop_column("staff_since")
        b.drop_column("staff_name")
        b.drop_column("staff")
    op.drop_table("staff")
