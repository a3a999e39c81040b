"""Every row says which hall it belongs to, and every key starts with the hall.

A `hall` column (NOT NULL) on every table, at the front of each primary key, unique
constraint and foreign key, so a city centre's database can hold many halls' rows in this
same schema and PostgreSQL logical replication has a replica identity per hall
(docs/network.md). `cases.hall`, the back office's name of where a case was accepted,
becomes `cases.accepted_hall`. A `halls` table records the database's hall.

Rows already there get the layout's hall code: `store.db.migrate(engine, hall=CODE)`
hands it over (config attribute "hall"), or `-x hall=CODE` where alembic is run by hand.
A database with rows and no code given is refused, nothing changed.

Revision ID: 0008
Revises: 0007
"""


import re
import warnings
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.exc import SAWarning

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
# SQLite keeps unnamed unique and foreign-key constraints; batch mode names them by this
# convention so they can be dropped.
_SQLITE_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s",
                 "uq": "uq_%(table_name)s_%(column_0_name)s"}


@dataclass
class Key:
    name: str
    cols: list[str]  # without hall
    old_pg: str | None = None  # the name PostgreSQL gave it before (None: same name)
    old_sqlite: str | None = None  # the batch convention's name of an unnamed one


@dataclass
class Fk:
    name: str
    cols: list[str]
    ref_table: str
    ref_cols: list[str]
    old_pg: str
    old_sqlite: str


@dataclass
class Spec:
    table: str
    pk: Key
    uniques: list[Key] = field(default_factory=list)
    unique_indexes: list[Key] = field(default_factory=list)
    fks: list[Fk] = field(default_factory=list)


def _pk(table: str, *cols: str, named: bool = False) -> Key:
    return Key(f"pk_{table}", list(cols), None if named else f"{table}_pkey")


SPECS = [  # parents before their children
    Spec("tickets", _pk("tickets", "id"),
         uniques=[Key("uq_tickets_day_number", ["day", "number"])],
         unique_indexes=[Key("uq_tickets_day_request_key", ["day", "request_key"])]),
    Spec("events", _pk("events", "seq")),
    Spec("windows", _pk("windows", "number")),
    Spec("tokens", _pk("tokens", "id"),
         uniques=[Key("uq_tokens_token_hash", ["token_hash"], "tokens_token_hash_key",
                      "uq_tokens_token_hash")]),
    Spec("day_reports", _pk("day_reports", "day")),
    Spec("cases", _pk("cases", "case_no")),
    Spec("case_applicants", _pk("case_applicants", "case_no", "idx", named=True),
         fks=[Fk("fk_case_applicants_case", ["case_no"], "cases", ["case_no"],
                 "case_applicants_case_no_fkey", "fk_case_applicants_case_no")]),
    Spec("case_steps", _pk("case_steps", "case_no", "seq", named=True),
         fks=[Fk("fk_case_steps_case", ["case_no"], "cases", ["case_no"],
                 "case_steps_case_no_fkey", "fk_case_steps_case_no")]),
    Spec("units", _pk("units", "unit_no")),
    Spec("unit_holders", _pk("unit_holders", "unit_no", "idx", named=True),
         fks=[Fk("fk_unit_holders_unit", ["unit_no"], "units", ["unit_no"],
                 "unit_holders_unit_no_fkey", "fk_unit_holders_unit_no")]),
    Spec("archive_audit", _pk("archive_audit", "seq")),
    Spec("notify_outbox", _pk("notify_outbox", "id")),
    Spec("ticket_watch", _pk("ticket_watch", "ticket_id")),
    Spec("staff", _pk("staff", "number")),
    Spec("evaluations", _pk("evaluations", "id"),
         uniques=[Key("uq_evaluations_service", ["ticket_id", "service_seq"])]),
    Spec("work_orders", _pk("work_orders", "id"),
         uniques=[Key("uq_work_orders_evaluation", ["evaluation_id"],
                      "work_orders_evaluation_id_key", "uq_work_orders_evaluation_id")],
         fks=[Fk("fk_work_orders_evaluation", ["evaluation_id"], "evaluations", ["id"],
                 "work_orders_evaluation_id_fkey", "fk_work_orders_evaluation_id")]),
    Spec("work_order_steps", _pk("work_order_steps", "order_id", "seq", named=True),
         fks=[Fk("fk_work_order_steps_order", ["order_id"], "work_orders", ["id"],
                 "work_order_steps_order_id_fkey", "fk_work_order_steps_order_id")]),
    Spec("callback_draws", _pk("callback_draws", "month")),
    Spec("callback_calls", _pk("callback_calls", "month", "ticket_id", named=True),
         fks=[Fk("fk_callback_calls_draw", ["month"], "callback_draws", ["month"],
                 "callback_calls_month_fkey", "fk_callback_calls_month")]),
    Spec("callback_outcomes", _pk("callback_outcomes", "seq")),
    Spec("callback_reveals", _pk("callback_reveals", "seq")),
    Spec("report_days", _pk("report_days", "day", "by", "key", named=True)),
]

# Append-only tables: SQLite drops a table's triggers with it when batch mode rebuilds it.
# (The texts of 0002 and 0006.)
_ARCHIVE_REFUSE = "archive_audit is append-only / 查询审计日志只能追加"
_CALLBACK_REFUSE = "回访记录只能追加 / call-back records are append-only"
_APPEND_ONLY = {"archive_audit": _ARCHIVE_REFUSE, "callback_draws": _CALLBACK_REFUSE,
                "callback_calls": _CALLBACK_REFUSE, "callback_outcomes": _CALLBACK_REFUSE,
                "callback_reveals": _CALLBACK_REFUSE}


def _hall_code(conn: sa.Connection) -> str | None:
    code = context.config.attributes.get("hall") or context.get_x_argument(
        as_dictionary=True).get("hall")
    if code is not None and not _CODE.match(code):
        raise RuntimeError(f"迁移 0008：大厅代码 '{code}' 格式不对（如 HY01）/ migration 0008: "
                           f"'{code}' is not a hall code (like HY01)")
    if code is None:
        for spec in SPECS:
            if conn.execute(sa.text(f"SELECT 1 FROM {spec.table} LIMIT 1")).first():
                raise RuntimeError(
                    "迁移 0008 要给已有的记录写上大厅代码，但没有得到代码：请在布局的 [hall] 中"
                    "写上 code 再启动 hallq serve（或 alembic -x hall=CODE）/ migration 0008 "
                    "stamps the rows already here with the hall's code and was given none: "
                    "add code to the layout's [hall] and start hallq serve again (or "
                    "alembic -x hall=CODE)")
    return code


def _sqlite_triggers(table: str, message: str) -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} "
                   f"ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def upgrade() -> None:
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    code = _hall_code(conn)
    # An empty database is stamped with nothing: any placeholder serves the ADD COLUMN.
    stamp = code or "-"
    op.execute("ALTER TABLE cases RENAME COLUMN hall TO accepted_hall")
    op.create_table(
        "halls",
        sa.Column("hall", sa.String(8), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hall", name="pk_halls"),
    )
    if pg:  # a parent's key cannot change under its children's foreign keys
        for spec in SPECS:
            for fk in spec.fks:
                op.drop_constraint(fk.old_pg, spec.table, type_="foreignkey")
    for spec in SPECS:
        # Added with the code as its default (existing rows take it, without an UPDATE
        # that the append-only tables' triggers would refuse), then the default goes:
        # from now on storage gives every row its hall.
        op.add_column(spec.table, sa.Column("hall", sa.String(8), nullable=False,
                                            server_default=stamp))
        if pg:
            op.alter_column(spec.table, "hall", server_default=None)
        _rekey(spec, pg, up=True)
    if pg:
        for spec in SPECS:
            for fk in spec.fks:
                op.create_foreign_key(fk.name, spec.table, fk.ref_table, ["hall", *fk.cols],
                                      ["hall", *fk.ref_cols])
    else:
        for table, message in _APPEND_ONLY.items():
            _sqlite_triggers(table, message)


def _rekey(s: Spec, pg: bool, *, up: bool) -> None:
    """The keys with hall in front (up), or as they were (down)."""
    def cols(k: Key | Fk) -> list[str]:
        return ["hall", *k.cols] if up else list(k.cols)

    def old(k: Key | Fk) -> str:
        return (k.old_pg if pg else k.old_sqlite) or k.name

    if pg:
        t = s.table
        op.drop_constraint(old(s.pk) if up else s.pk.name, t, type_="primary")
        op.create_primary_key(s.pk.name if up else old(s.pk), t, cols(s.pk))
        for u in s.uniques:
            op.drop_constraint(old(u) if up else u.name, t, type_="unique")
            op.create_unique_constraint(u.name if up else old(u), t, cols(u))
        for ix in s.unique_indexes:
            op.drop_index(ix.name, t)
            op.create_index(ix.name, t, cols(ix), unique=True)
        return
    # SQLite changes a key by rebuilding the table (batch mode); foreign keys are not
    # enforced meanwhile (store.db.migrate) and children come after their parents.
    with warnings.catch_warnings(), op.batch_alter_table(
            s.table, recreate="always", naming_convention=_SQLITE_NAMES) as b:
        # The reflected copy still marks the old key's columns: the new key replaces it.
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_", SAWarning)
        if up:
            b.alter_column("hall", server_default=None, existing_type=sa.String(8),
                           existing_nullable=False)
        for fk in s.fks:
            b.drop_constraint(old(fk) if up else fk.name, type_="foreignkey")
            b.create_foreign_key(fk.name if up else old(fk), fk.ref_table, cols(fk),
                                 ["hall", *fk.ref_cols] if up else list(fk.ref_cols))
        b.create_primary_key(s.pk.name, cols(s.pk))
        for u in s.uniques:
            b.drop_constraint(old(u) if up else u.name, type_="unique")
            b.create_unique_constraint(u.name if up else old(u), cols(u))
        for ix in s.unique_indexes:
            b.drop_index(ix.name)
            b.create_index(ix.name, cols(ix), unique=True)
        if not up:
            b.drop_column("hall")


def downgrade() -> None:
    """Back to one hall without codes: the codes are dropped."""
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    if pg:
        for spec in SPECS:
            for fk in spec.fks:
                op.drop_constraint(fk.name, spec.table, type_="foreignkey")
    for spec in reversed(SPECS):
        _rekey(spec, pg, up=False)
        if pg:
            op.drop_column(spec.table, "hall")
    if pg:
        for spec in SPECS:
            for fk in spec.fks:
                op.create_foreign_key(fk.old_pg, spec.table, fk.ref_table, fk.cols,
                                      fk.ref_cols)
    else:
        for table, message in _APPEND_ONLY.items():
            _sqlite_triggers(table, message)
    op.drop_table("halls")
    op.execute("ALTER TABLE cases RENAME COLUMN accepted_hall TO hall")
