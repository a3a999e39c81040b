"""不予受理告知单 notices of non-acceptance, and the desk's 预审 pre-check on tickets.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("precheck_item", sa.String(40)))
    op.create_table(
        "notices",
        sa.Column("hall", sa.String(8), nullable=False),
        sa.Column("no", sa.String(32), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("ticket_number", sa.String(16), nullable=False),
        sa.Column("business", sa.String(40), nullable=False),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("item_name", sa.String(120), nullable=False),
        sa.Column("item_name_en", sa.String(200), nullable=False),
        sa.Column("missing", sa.JSON, nullable=False),
        sa.Column("note", sa.String(300), nullable=False),
        sa.Column("window", sa.Integer),
        sa.Column("staff", sa.String(16)),
        sa.Column("staff_name", sa.String(40), nullable=False),
        sa.Column("prechecked", sa.Boolean, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("printed", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("hall", "no", name="pk_notices"),
        sa.UniqueConstraint("hall", "day", "seq", name="uq_notices_day_seq"),
    )
    op.create_index("ix_notices_ticket", "notices", ["hall", "ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_notices_ticket", "notices")
    op.drop_table("notices")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("precheck_item")
