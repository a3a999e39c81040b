"""上门服务 home visits: requests (address, phone and name sealed) and each crew's load
per day and time window.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "home_visits",
        sa.Column("hall", sa.String(8), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("business", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(12), nullable=False),
        sa.Column("reason_note", sa.String(400), nullable=False),
        sa.Column("name_sealed", sa.String(300), nullable=False),
        sa.Column("name_masked", sa.String(60), nullable=False),
        sa.Column("district", sa.String(40), nullable=False),
        sa.Column("address_sealed", sa.String(1000), nullable=False),
        sa.Column("address_masked", sa.String(80), nullable=False),
        sa.Column("phone_sealed", sa.String(200), nullable=False),
        sa.Column("phone_masked", sa.String(16), nullable=False),
        sa.Column("phone_ref", sa.String(20), nullable=False),
        sa.Column("preferred_days", sa.String(80), nullable=False),
        sa.Column("note", sa.String(400), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team", sa.String(40)),
        sa.Column("visit_day", sa.Date),
        sa.Column("window_start", sa.String(5)),
        sa.Column("window_end", sa.String(5)),
        sa.Column("scheduled_at", sa.DateTime(timezone=True)),
        sa.Column("scheduled_by", sa.String(80)),
        sa.Column("outcome_at", sa.DateTime(timezone=True)),
        sa.Column("outcome_by", sa.String(80)),
        sa.Column("outcome_note", sa.String(400)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("hall", "code", name="pk_home_visits"),
    )
    op.create_index("ix_home_visits_day", "home_visits", ["hall", "visit_day", "team"])
    op.create_index("ix_home_visits_phone", "home_visits", ["hall", "phone_ref"])
    op.create_index("ix_home_visits_status", "home_visits", ["hall", "status"])
    op.create_table(
        "home_visit_load",
        sa.Column("hall", sa.String(8), nullable=False),
        sa.Column("team", sa.String(40), nullable=False),
        sa.Column("visit_day", sa.Date, nullable=False),
        sa.Column("window_start", sa.String(5), nullable=False),
        sa.Column("taken", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("hall", "team", "visit_day", "window_start",
                                name="pk_home_visit_load"),
    )


def downgrade() -> None:
    op.drop_table("home_visit_load")
    op.drop_index("ix_home_visits_status", "home_visits")
    op.drop_index("ix_home_visits_phone", "home_visits")
    op.drop_index("ix_home_visits_day", "home_visits")
    op.drop_table("home_visits")
