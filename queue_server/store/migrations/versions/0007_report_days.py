"""Daily roll-ups of the report figures: one row per closed business day, grouping and
group, so a year's report reads a few thousand rows instead of a million events.

A cache of what the events say: emptying it loses nothing but time.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_days",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("by", sa.String(8), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", "by", "key", name="pk_report_days"),
    )


def downgrade() -> None:
    op.drop_table("report_days")
