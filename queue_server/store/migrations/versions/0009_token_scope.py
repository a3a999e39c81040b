"""Scoped device tokens: a ticket remembers the token that issued it (a kiosk acts only
on its own, recent tickets) and why a guide issued it past a cap; tokens may expire and
every admin action on them is audited; the back office's ID card facts (hashed) let a
kiosk prove the card is on its reader.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.add_column("tickets", sa.Column("issued_by", sa.String(16)))
    op.add_column("tickets", sa.Column("override_reason", sa.String(200)))
    op.add_column("tokens", sa.Column("expires_at", sa.DateTime(timezone=True)))
    op.create_table(
        "token_audit",
        sa.Column("hall", sa.String(8), nullable=False),
        # PostgreSQL numbers seq from the column's own sequence (a serial); SQLite from
        # the highest plus one in the INSERT (tables.next_seq).
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=pg),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("token_id", sa.String(16)),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("hall", "seq", name="pk_token_audit"),
    )
    op.create_table(
        "id_cards",
        sa.Column("hall", sa.String(8), nullable=False),
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("card_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hall", "id_hash", name="pk_id_cards"),
    )


def downgrade() -> None:
    op.drop_table("id_cards")
    op.drop_table("token_audit")
    op.drop_column("tokens", "expires_at")
    op.drop_column("tickets", "override_reason")
    op.drop_column("tickets", "issued_by")
