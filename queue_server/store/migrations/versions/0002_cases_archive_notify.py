"""Cases and their steps, the property archive and its audit log, the notification outbox
and ticket watches.

The archive audit log is append-only: triggers refuse UPDATE and DELETE (and TRUNCATE
on PostgreSQL), so not even a stray SQL statement through hallq's own connection can
rewrite who looked at what.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_REFUSE = "archive_audit is append-only / 查询审计日志只能追加"


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("case_no", sa.String(40), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("item_name", sa.String(80), nullable=False),
        sa.Column("hall", sa.String(40), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_limit_days", sa.Integer, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("receipt_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16)),
        sa.Column("status_seq", sa.BigInteger, nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_cases_due_date", "cases", ["due_date"])
    op.create_table(
        "case_applicants",
        sa.Column("case_no", sa.String(40), sa.ForeignKey("cases.case_no"), nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("id_masked", sa.String(24), nullable=False),
        sa.Column("name_masked", sa.String(40), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("phone_sealed", sa.String(120)),
        sa.Column("phone_masked", sa.String(16)),
        sa.Column("phone_ref", sa.String(20)),
        sa.Column("wechat_sealed", sa.String(200)),
        sa.Column("wechat_masked", sa.String(16)),
        sa.Column("wechat_ref", sa.String(20)),
        sa.PrimaryKeyConstraint("case_no", "idx", name="pk_case_applicants"),
    )
    op.create_index("ix_case_applicants_id_hash", "case_applicants", ["id_hash"])
    op.create_table(
        "case_steps",
        sa.Column("case_no", sa.String(40), sa.ForeignKey("cases.case_no"), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(400), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_no", "seq", name="pk_case_steps"),
    )
    op.create_table(
        "units",
        sa.Column("unit_no", sa.String(40), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("use", sa.String(40), nullable=False),
        sa.Column("area_m2", sa.Numeric(12, 2)),
        sa.Column("certificate_no", sa.String(60), nullable=False),
        sa.Column("encumbrances", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "unit_holders",
        sa.Column("unit_no", sa.String(40), sa.ForeignKey("units.unit_no"), nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("id_masked", sa.String(24), nullable=False),
        sa.Column("name_masked", sa.String(40), nullable=False),
        sa.Column("share", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("unit_no", "idx", name="pk_unit_holders"),
    )
    op.create_index("ix_unit_holders_id_hash", "unit_holders", ["id_hash"])
    op.create_table(
        "archive_audit",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("token_id", sa.String(16), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("query", sa.String(8), nullable=False),
        sa.Column("subject_hash", sa.String(64)),
        sa.Column("subject_masked", sa.String(24)),
        sa.Column("unit_no", sa.String(40)),
        sa.Column("outcome", sa.String(16), nullable=False),
    )
    op.create_index("ix_archive_audit_at", "archive_audit", ["at"])
    op.create_index("ix_archive_audit_unit", "archive_audit", ["unit_no"])
    _append_only_triggers()
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("recipient_sealed", sa.String(200), nullable=False),
        sa.Column("recipient_masked", sa.String(16), nullable=False),
        sa.Column("body", sa.String(1000), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(40)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("gateway", sa.String(16)),
        sa.Column("gateway_ref", sa.String(80)),
        sa.Column("last_error", sa.String(300)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "ticket_watch",
        sa.Column("ticket_id", sa.String(32), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("phone_sealed", sa.String(120), nullable=False),
        sa.Column("phone_masked", sa.String(16), nullable=False),
        sa.Column("places", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("near_sent_at", sa.DateTime(timezone=True)),
        sa.Column("called_sent_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_ticket_watch_day", "ticket_watch", ["day"])


def _append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION archive_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{_REFUSE}'; END $$")
        op.execute("CREATE TRIGGER archive_audit_no_change BEFORE UPDATE OR DELETE ON archive_audit "
                   "FOR EACH ROW EXECUTE FUNCTION archive_audit_append_only()")
        op.execute("CREATE TRIGGER archive_audit_no_truncate BEFORE TRUNCATE ON archive_audit "
                   "FOR EACH STATEMENT EXECUTE FUNCTION archive_audit_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER archive_audit_no_{verb.lower()} BEFORE {verb} ON "
                       f"archive_audit BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE archive_audit")
        op.execute("DROP FUNCTION archive_audit_append_only()")
    else:
        op.drop_table("archive_audit")
    for name in ("ticket_watch", "notify_outbox", "unit_holders", "units", "case_steps",
                 "case_applicants", "cases"):
        op.drop_table(name)
