"""回访, the monthly call-back: one draw per month, the visits it drew, each call's
outcomes and every reveal of a full phone number.

All four tables are append-only: triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL), so a draw cannot be quietly re-rolled, nor an outcome or an audit row
rewritten, even by a stray SQL statement through hallq's own connection.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_REFUSE = "回访记录只能追加 / call-back records are append-only"
_TABLES = ("callback_draws", "callback_calls", "callback_outcomes", "callback_reveals")


def upgrade() -> None:
    op.create_table(
        "callback_draws",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("seed", sa.String(32), nullable=False),
        sa.Column("share_percent", sa.String(12), nullable=False),
        sa.Column("population", sa.Integer, nullable=False),
        sa.Column("population_hash", sa.String(64), nullable=False),
        sa.Column("sample_size", sa.Integer, nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_by", sa.String(80), nullable=False),
    )
    op.create_table(
        "callback_calls",
        sa.Column("month", sa.String(7), sa.ForeignKey("callback_draws.month"), nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("business", sa.String(40), nullable=False),
        sa.Column("window", sa.Integer),
        sa.Column("staff", sa.String(16)),
        sa.Column("phone_masked", sa.String(16), nullable=False),
        sa.Column("phone_case_no", sa.String(40)),
        sa.Column("phone_idx", sa.Integer),
        sa.PrimaryKeyConstraint("month", "ticket_id", name="pk_callback_calls"),
    )
    op.create_table(
        "callback_outcomes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("reached", sa.Boolean, nullable=False),
        sa.Column("attitude", sa.Integer),
        sa.Column("time_taken", sa.Integer),
        sa.Column("discipline", sa.Integer),
        sa.Column("comment", sa.String(1000), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_callback_outcomes_call", "callback_outcomes", ["month", "ticket_id"])
    op.create_table(
        "callback_reveals",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("token_id", sa.String(16), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_callback_reveals_call", "callback_reveals", ["month", "ticket_id"])
    _append_only_triggers()


def _append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION callback_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{_REFUSE}'; END $$")
        for table in _TABLES:
            op.execute(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION callback_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION callback_append_only()")
        return
    for table in _TABLES:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END")


def downgrade() -> None:
    # Dropping a table drops its triggers; the calls go before the draws they point to.
    op.drop_index("ix_callback_reveals_call", "callback_reveals")
    op.drop_index("ix_callback_outcomes_call", "callback_outcomes")
    for table in ("callback_reveals", "callback_outcomes", "callback_calls", "callback_draws"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION callback_append_only()")
