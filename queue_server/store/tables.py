"""The database schema. Alembic migrations in `migrations/` create and evolve it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

metadata = MetaData()

# The execution option naming the hall whose rows a connection writes: set once on the
# engine (`store.db.bind_hall`), read by every table's `hall` column default below.
HALL_OPTION = "hallq_hall"


class HallUnknown(Exception):
    """A write through an engine that was never told its hall."""


def _hall_of(ctx: ExecutionContext) -> str:
    return hall_code(ctx.execution_options)


def hall_code(options: Mapping[str, Any]) -> str:
    """The hall an engine's execution options bind it to; refused when there is none."""
    code = options.get(HALL_OPTION)
    if not code:
        raise HallUnknown("数据库未绑定大厅代码，拒绝写入 / the engine was opened without a "
                          "hall code (store.db.bind_hall): nothing is written without one")
    return str(code)


def hall_column() -> Column[str]:
    """Which hall a row belongs to: every table has it and every key starts with it, so a
    city centre's database can hold every hall's rows in this same schema (docs/network.md).
    Storage fills it on every insert from the engine it was opened with."""
    return Column("hall", String(8), nullable=False, default=_hall_of)


class next_seq(ColumnElement[int]):
    """The next number of an append-only log's `seq`, in the INSERT itself.

    `seq` shares its key with `hall`, and SQLite's AUTOINCREMENT only works on a lone
    INTEGER PRIMARY KEY; so SQLite takes the highest plus one inside the INSERT (SQLite
    has one writer at a time, the statement cannot race itself) and PostgreSQL keeps the
    column's own sequence (docs/network.md)."""

    inherit_cache = True
    # Part of the statement cache key: each table's default compiles to its own SQL.
    _traverse_internals = [("table", InternalTraversal.dp_string)]
    type = Integer()

    def __init__(self, table: str) -> None:
        self.table = table


@compiles(next_seq, "sqlite")
def _next_seq_sqlite(element: next_seq, compiler: SQLCompiler, **kw: object) -> str:
    return f"(SELECT coalesce(max(seq), 0) + 1 FROM {element.table})"


@compiles(next_seq, "postgresql")
def _next_seq_pg(element: next_seq, compiler: SQLCompiler, **kw: object) -> str:
    return f"nextval(pg_get_serial_sequence('{element.table}', 'seq'))"


def seq_column(table: str) -> Column[int]:
    return Column("seq", Integer, nullable=False, autoincrement=False, default=next_seq(table))


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the backend keeps.

    SQLite has no time zones: it stores naive UTC and gets UTC attached on the way out;
    PostgreSQL keeps timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime handed to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


tickets = Table(
    "tickets", metadata,
    hall_column(),
    Column("id", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("number", String(16), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("business", String(40), nullable=False),
    Column("origin_business", String(40), nullable=False),
    Column("status", String(12), nullable=False),
    Column("priority", String(12), nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("queued_at", UTCDateTime(), nullable=False),
    Column("window", Integer),
    Column("parked", Boolean, nullable=False, default=False),
    Column("recalls", Integer, nullable=False, default=0),
    Column("called_at", UTCDateTime()),
    Column("started_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    Column("journey", String(40)),
    Column("journey_step", Integer, nullable=False, default=0),
    Column("id_hash", String(64)),
    Column("id_masked", String(24)),
    Column("name_masked", String(40)),
    Column("priority_reason", String(32)),
    Column("closed_reason", String(32)),
    Column("channel", String(16), nullable=False, default="kiosk"),
    # The caller's key of the request that issued it ("token id:key"), so a repeated
    # request gets the same ticket back.
    Column("request_key", String(100)),
    Column("appointment_code", String(64)),  # the booking it checked in, if any
    # The token that issued it (migration 0009): a kiosk sees and acts on its own only.
    Column("issued_by", String(16)),
    Column("override_reason", String(200)),  # a guide's reason for issuing past a cap
    # 预审 (migration 0011): the catalogue item a guide checked the materials against.
    Column("precheck_item", String(40)),
    # The 不予受理告知单 this visit follows up (migration 0015): the notice's next visit.
    Column("follows_notice", String(32)),
    # Numbers are unique per hall per business day, whatever the concurrency.
    PrimaryKeyConstraint("hall", "id", name="pk_tickets"),
    UniqueConstraint("hall", "day", "number", name="uq_tickets_day_number"),
    Index("ix_tickets_day_status", "day", "status"),
    Index("ix_tickets_id_hash", "id_hash"),
    Index("ix_tickets_follows_notice", "hall", "follows_notice"),
    Index("uq_tickets_day_request_key", "hall", "day", "request_key", unique=True),
)

events = Table(
    "events", metadata,
    hall_column(),
    # Numbered by the hall's one writer (ChangeBatch), gapless and in order.
    Column("seq", Integer, nullable=False, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("type", String(32), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("ticket_id", String(32)),
    Column("window", Integer),
    Column("data", JSON, nullable=False),
    # Who was on duty at the event's window (migration 0005): reports by staff read it.
    Column("staff", String(16)),
    PrimaryKeyConstraint("hall", "seq", name="pk_events"),
    Index("ix_events_ticket", "ticket_id"),
    Index("ix_events_at", "at"),
)

windows = Table(
    "windows", metadata,
    hall_column(),
    Column("number", Integer, nullable=False, autoincrement=False),
    Column("day", Date, nullable=False),  # live state belongs to one business day
    Column("zone", String(40), nullable=False),
    Column("businesses", JSON, nullable=False),
    Column("status", String(12), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("green_channel", Boolean, nullable=False),
    Column("label", String(80), nullable=False, default=""),
    Column("current", String(32)),
    Column("staff", String(16)),  # the staff number signed in at the window, if anyone
    Column("staff_name", String(40)),  # as signed in, so the day's screens need no lookup
    Column("staff_since", UTCDateTime()),
    PrimaryKeyConstraint("hall", "number", name="pk_windows"),
)

tokens = Table(
    "tokens", metadata,
    hall_column(),
    Column("id", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("window", Integer),
    Column("name", String(80), nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Column("expires_at", UTCDateTime()),  # None: until revoked (migration 0009)
    PrimaryKeyConstraint("hall", "id", name="pk_tokens"),
    UniqueConstraint("hall", "token_hash", name="uq_tokens_token_hash"),
)

# Every admin action on tokens: who, when, what (append-only by use; migration 0009).
token_audit = Table(
    "token_audit", metadata,
    hall_column(),
    seq_column("token_audit"),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(16), nullable=False),  # issue | revoke | list
    Column("token_id", String(16)),
    Column("detail", JSON, nullable=False),
    PrimaryKeyConstraint("hall", "seq", name="pk_token_audit"),
)

# What the back office holds of each person's ID card, as a keyed hash of the card's
# number, issuing authority and validity dates: a kiosk proves the card is on its reader
# by sending what the SAM module read (migration 0009).
id_cards = Table(
    "id_cards", metadata,
    hall_column(),
    Column("id_hash", String(64), nullable=False),
    Column("card_hash", String(64), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("hall", "id_hash", name="pk_id_cards"),
)

day_reports = Table(
    "day_reports", metadata,
    hall_column(),
    Column("day", Date, nullable=False),
    Column("closed_at", UTCDateTime(), nullable=False),
    Column("report", JSON, nullable=False),
    PrimaryKeyConstraint("hall", "day", name="pk_day_reports"),
)


# --- cases, archive, notifications (migration 0002) ----------------------------------
# Personal data in these tables is only ever hashed (keyed, id_hash), masked, or sealed
# (phone numbers and WeChat openids, see queue_server/secrecy.py).

cases = Table(
    "cases", metadata,
    hall_column(),
    Column("case_no", String(40), nullable=False),
    Column("version", BigInteger, nullable=False),  # the back office's; newer wins
    Column("content_hash", String(64), nullable=False),
    Column("item", String(40), nullable=False),
    Column("item_name", String(80), nullable=False, default=""),
    # The back office's name of where it was accepted (the push's `hall`), not our code.
    Column("accepted_hall", String(40), nullable=False, default=""),
    Column("accepted_at", UTCDateTime(), nullable=False),
    Column("time_limit_days", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("receipt_hash", String(64), nullable=False),
    # The current step is the one with the highest seq, whatever order they arrived in.
    Column("status", String(16)),
    Column("status_seq", BigInteger, nullable=False, default=0),
    Column("status_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("ticket_id", String(32)),  # the queue ticket it was accepted at (migration 0005)
    PrimaryKeyConstraint("hall", "case_no", name="pk_cases"),
    Index("ix_cases_due_date", "due_date"),
    Index("ix_cases_ticket_id", "ticket_id"),
)

case_applicants = Table(
    "case_applicants", metadata,
    hall_column(),
    Column("case_no", String(40), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("id_hash", String(64), nullable=False),
    Column("id_masked", String(24), nullable=False),
    Column("name_masked", String(40), nullable=False),
    Column("role", String(20), nullable=False, default=""),
    Column("phone_sealed", String(120)),
    Column("phone_masked", String(16)),
    Column("phone_ref", String(20)),
    Column("wechat_sealed", String(200)),
    Column("wechat_masked", String(16)),
    Column("wechat_ref", String(20)),
    PrimaryKeyConstraint("hall", "case_no", "idx", name="pk_case_applicants"),
    ForeignKeyConstraint(["hall", "case_no"], ["cases.hall", "cases.case_no"],
                         name="fk_case_applicants_case"),
    Index("ix_case_applicants_id_hash", "id_hash"),
)

case_steps = Table(
    "case_steps", metadata,
    hall_column(),
    Column("case_no", String(40), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("step", String(16), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("note", String(200), nullable=False, default=""),
    Column("reason", String(400), nullable=False, default=""),
    Column("received_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("hall", "case_no", "seq", name="pk_case_steps"),
    ForeignKeyConstraint(["hall", "case_no"], ["cases.hall", "cases.case_no"],
                         name="fk_case_steps_case"),
)

units = Table(
    "units", metadata,
    hall_column(),
    Column("unit_no", String(40), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("location", String(200), nullable=False),
    Column("use", String(40), nullable=False),
    Column("area_m2", Numeric(12, 2, asdecimal=False)),
    Column("certificate_no", String(60), nullable=False, default=""),
    # Mortgages, seizures, objections, pre-notices: persons in them masked.
    Column("encumbrances", JSON, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("hall", "unit_no", name="pk_units"),
)

unit_holders = Table(
    "unit_holders", metadata,
    hall_column(),
    Column("unit_no", String(40), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("kind", String(12), nullable=False),  # owner | prenotice
    Column("id_hash", String(64), nullable=False),
    Column("id_masked", String(24), nullable=False),
    Column("name_masked", String(40), nullable=False),
    Column("share", String(40), nullable=False, default=""),
    PrimaryKeyConstraint("hall", "unit_no", "idx", name="pk_unit_holders"),
    ForeignKeyConstraint(["hall", "unit_no"], ["units.hall", "units.unit_no"],
                         name="fk_unit_holders_unit"),
    Index("ix_unit_holders_id_hash", "id_hash"),
)

# Append-only: no code path updates or deletes it, and triggers refuse it (migration 0002).
archive_audit = Table(
    "archive_audit", metadata,
    hall_column(),
    seq_column("archive_audit"),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("token_id", String(16), nullable=False),
    Column("role", String(16), nullable=False),
    Column("query", String(8), nullable=False),  # id | unit
    Column("subject_hash", String(64)),  # the ID number searched, keyed hash
    Column("subject_masked", String(24)),
    Column("unit_no", String(40)),  # one row per unit shown; NULL when none was
    Column("outcome", String(16), nullable=False),  # shown | none | rate_limited | card_refused | sms_sent | sms_refused
    # What image was shown, for a view of an original or the photo (migration 0012):
    # "original:3", "photo"; NULL for a lookup.
    Column("image", String(24)),
    PrimaryKeyConstraint("hall", "seq", name="pk_archive_audit"),
    Index("ix_archive_audit_at", "at"),
    Index("ix_archive_audit_unit", "unit_no"),
)

# 档案原貌 / 房屋现貌 (migration 0012): the scanned pages of a unit's register originals
# and its photo, as queue_server/archive/images.py re-encoded them (JPEG), with hashes.
unit_images = Table(
    "unit_images", metadata,
    hall_column(),
    Column("unit_no", String(40), nullable=False),
    Column("kind", String(8), nullable=False),  # original | photo
    Column("page", Integer, nullable=False),  # from 1; a photo is page 1
    Column("sha256", String(64), nullable=False),  # of `data`
    Column("source_sha256", String(64), nullable=False),  # of the push it came from
    Column("media_type", String(16), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("stored_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("hall", "unit_no", "kind", "page", name="pk_unit_images"),
    ForeignKeyConstraint(["hall", "unit_no"], ["units.hall", "units.unit_no"],
                         name="fk_unit_images_unit"),
)

notify_outbox = Table(
    "notify_outbox", metadata,
    hall_column(),
    Column("id", String(120), nullable=False),  # the idempotency key
    Column("kind", String(24), nullable=False),
    Column("channel", String(12), nullable=False),  # sms | wechat
    Column("recipient_sealed", String(200), nullable=False),
    Column("recipient_masked", String(16), nullable=False),
    Column("body", String(1000), nullable=False),
    Column("params", JSON, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("claimed_by", String(40)),
    Column("claimed_at", UTCDateTime()),
    Column("sent_at", UTCDateTime()),
    Column("gateway", String(16)),
    Column("gateway_ref", String(80)),
    Column("last_error", String(300)),
    Column("created_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("hall", "id", name="pk_notify_outbox"),
    Index("ix_notify_outbox_due", "status", "next_attempt_at"),
)

ticket_watch = Table(
    "ticket_watch", metadata,
    hall_column(),
    Column("ticket_id", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("phone_sealed", String(120), nullable=False),
    Column("phone_masked", String(16), nullable=False),
    Column("places", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("near_sent_at", UTCDateTime()),
    Column("called_sent_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()),
    PrimaryKeyConstraint("hall", "ticket_id", name="pk_ticket_watch"),
    Index("ix_ticket_watch_day", "day"),
)


# --- the quality loop (migration 0005): staff, 好差评 evaluations, 差评整改 work orders ----

staff = Table(
    "staff", metadata,
    hall_column(),
    Column("number", String(16), nullable=False),  # 工号
    Column("name", String(40), nullable=False),
    Column("department", String(60), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("disabled_at", UTCDateTime()),
    PrimaryKeyConstraint("hall", "number", name="pk_staff"),
)

# One row per rated service: a journey's ticket has one service per window it passed.
evaluations = Table(
    "evaluations", metadata,
    hall_column(),
    Column("id", String(32), nullable=False),
    Column("ticket_id", String(32), nullable=False),
    Column("number", String(16), nullable=False),
    Column("day", Date, nullable=False),
    Column("service_seq", Integer, nullable=False),  # the event that ended the service
    Column("window", Integer, nullable=False),
    Column("staff", String(16)),
    Column("business", String(40), nullable=False),
    Column("case_no", String(40)),
    Column("channel", String(12), nullable=False),  # pad | kiosk | phone
    Column("rating", Integer, nullable=False),  # 5 非常满意 … 1 非常不满意
    Column("efficiency", Integer),
    Column("competence", Integer),
    Column("attitude", Integer),
    Column("reason", String(24)),
    Column("comment", String(400), nullable=False, default=""),
    Column("at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("hall", "id", name="pk_evaluations"),
    UniqueConstraint("hall", "ticket_id", "service_seq", name="uq_evaluations_service"),
    Index("ix_evaluations_day", "day"),
)

work_orders = Table(
    "work_orders", metadata,
    hall_column(),
    Column("id", String(32), nullable=False),
    Column("evaluation_id", String(32), nullable=False),
    Column("ticket_id", String(32), nullable=False),
    Column("number", String(16), nullable=False),
    Column("window", Integer, nullable=False),
    Column("staff", String(16)),
    Column("business", String(40), nullable=False),
    Column("rating", Integer, nullable=False),
    Column("status", String(12), nullable=False),  # open → verified → rectified → replied → closed
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("due_date", Date, nullable=False),
    # Counted through a year the calendar had no holidays for: settled again at start
    # once the hall adds that year.
    Column("due_provisional", Boolean, nullable=False, default=False),
    Column("replied_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()),
    PrimaryKeyConstraint("hall", "id", name="pk_work_orders"),
    UniqueConstraint("hall", "evaluation_id", name="uq_work_orders_evaluation"),
    ForeignKeyConstraint(["hall", "evaluation_id"], ["evaluations.hall", "evaluations.id"],
                         name="fk_work_orders_evaluation"),
    Index("ix_work_orders_status_due", "status", "due_date"),
)

work_order_steps = Table(
    "work_order_steps", metadata,
    hall_column(),
    Column("order_id", String(32), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("step", String(12), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("note", String(1000), nullable=False, default=""),
    PrimaryKeyConstraint("hall", "order_id", "seq", name="pk_work_order_steps"),
    ForeignKeyConstraint(["hall", "order_id"], ["work_orders.hall", "work_orders.id"],
                         name="fk_work_order_steps_order"),
)


# --- 回访, the monthly call-back (migration 0006) ---------------------------------------
# Every table here is append-only (triggers refuse UPDATE and DELETE): a draw cannot be
# re-rolled, a call list shortened or an outcome rewritten without leaving the database
# refusing it. A correction of an outcome is a new attempt; the latest counts.

# One draw per month: the month is the key, so a second draw is refused by the database.
callback_draws = Table(
    "callback_draws", metadata,
    hall_column(),
    Column("month", String(7), nullable=False),  # YYYY-MM
    Column("seed", String(32), nullable=False),  # 128 random bits, hex
    Column("share_percent", String(12), nullable=False),  # exact decimal text, e.g. "5"
    Column("population", Integer, nullable=False),
    Column("population_hash", String(64), nullable=False),
    Column("sample_size", Integer, nullable=False),
    Column("drawn_at", UTCDateTime(), nullable=False),
    Column("drawn_by", String(80), nullable=False),
    PrimaryKeyConstraint("hall", "month", name="pk_callback_draws"),
)

# The visits drawn, as they were at the draw: who served them, the phone masked. The
# sealed number stays where it was (ticket_watch, case_applicants), where the start-up
# re-sealing (notify/reseal.py) keeps it current; an append-only copy could not be.
callback_calls = Table(
    "callback_calls", metadata,
    hall_column(),
    Column("month", String(7), nullable=False),
    Column("ticket_id", String(32), nullable=False),
    Column("rank", Integer, nullable=False),  # the draw's order: the call order
    Column("number", String(16), nullable=False),
    Column("day", Date, nullable=False),
    Column("business", String(40), nullable=False),
    Column("window", Integer),
    Column("staff", String(16)),
    Column("phone_masked", String(16), nullable=False),
    # Where the number is: a case applicant (case_no, idx), or the ticket's watch when NULL.
    Column("phone_case_no", String(40)),
    Column("phone_idx", Integer),
    PrimaryKeyConstraint("hall", "month", "ticket_id", name="pk_callback_calls"),
    ForeignKeyConstraint(["hall", "month"], ["callback_draws.hall", "callback_draws.month"],
                         name="fk_callback_calls_draw"),
)

callback_outcomes = Table(
    "callback_outcomes", metadata,
    hall_column(),
    seq_column("callback_outcomes"),
    Column("month", String(7), nullable=False),
    Column("ticket_id", String(32), nullable=False),
    Column("reached", Boolean, nullable=False),
    Column("attitude", Integer),  # 1..5, only when reached
    Column("time_taken", Integer),
    Column("discipline", Integer),
    Column("comment", String(1000), nullable=False, default=""),
    Column("actor", String(80), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("hall", "seq", name="pk_callback_outcomes"),
    Index("ix_callback_outcomes_call", "month", "ticket_id"),
)

# Who saw a full phone number, when, for which call.
callback_reveals = Table(
    "callback_reveals", metadata,
    hall_column(),
    seq_column("callback_reveals"),
    Column("month", String(7), nullable=False),
    Column("ticket_id", String(32), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("token_id", String(16), nullable=False),
    Column("role", String(16), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("hall", "seq", name="pk_callback_reveals"),
    Index("ix_callback_reveals_call", "month", "ticket_id"),
)


# --- report roll-ups (migration 0007) ------------------------------------------------
# A closed business day's figures per group, as kpi.partials computes them from the day's
# transitions: a cache a year's report sums instead of re-reading a million events.
# Deleting rows only costs time: the next report recomputes them from `events`.
report_days = Table(
    "report_days", metadata,
    hall_column(),
    Column("day", Date, nullable=False),
    Column("by", String(8), nullable=False),
    Column("key", String(40), nullable=False),
    Column("figures", JSON, nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("hall", "day", "by", "key", name="pk_report_days"),
)


# --- the hall register (migration 0008) -----------------------------------------------
# Which hall this database belongs to: the code the first `hallq serve` recorded. A
# server whose layout names another code is refused (it would stamp another hall's code
# on this hall's rows); at the city centre it lists every hall that sent rows.
halls = Table(
    "halls", metadata,
    Column("hall", String(8), nullable=False),
    Column("name", String(80), nullable=False, default=""),
    Column("recorded_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("hall", name="pk_halls"),
)


# --- 预约 booking (migration 0010) ------------------------------------------------------

# One row per booking. `code` is the slip's serial (the signed QR's value ends with it);
# `live_key` is set while the booking holds its place (ID, business, day) and emptied
# when it is cancelled, so the unique key is the one-per-ID-per-business-per-day rule
# even when two requests race. The phone is sealed (SMS needs it back); the ID is a
# keyed hash with a masked copy for people.
bookings = Table(
    "bookings", metadata,
    hall_column(),
    Column("code", String(16), nullable=False),
    Column("business", String(40), nullable=False),
    Column("day", Date, nullable=False),
    Column("slot_start", UTCDateTime(), nullable=False),
    Column("slot_end", UTCDateTime(), nullable=False),
    Column("id_hash", String(64), nullable=False),
    Column("id_masked", String(24), nullable=False),
    Column("phone_sealed", String(200), nullable=False),
    Column("phone_masked", String(16), nullable=False),
    Column("phone_ref", String(20), nullable=False),
    # booked | cancelled | checked_in | no_show (swept at slot start + grace, 0013)
    Column("status", String(12), nullable=False),
    Column("channel", String(12), nullable=False),  # phone | portal | enterprise
    Column("actor", String(80), nullable=False),
    Column("live_key", String(120)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("cancelled_at", UTCDateTime()),
    Column("checked_in_at", UTCDateTime()),
    Column("ticket_id", String(32)),
    Column("rebooked_from", String(16)),
    # migration 0013: the stored no-show, the reminder sent, who checked it in (the
    # kiosk, or a guide by hand), an enterprise batch and the case it books.
    Column("no_show_at", UTCDateTime()),
    Column("reminded_at", UTCDateTime()),
    Column("checked_in_by", String(80)),
    Column("batch", String(16)),
    Column("case_no", String(40)),
    PrimaryKeyConstraint("hall", "code", name="pk_bookings"),
    UniqueConstraint("hall", "live_key", name="uq_bookings_live"),
    Index("ix_bookings_slot", "hall", "business", "slot_start"),
    Index("ix_bookings_id", "hall", "id_hash"),
    Index("ix_bookings_phone", "hall", "phone_ref"),
    Index("ix_bookings_status", "hall", "status", "slot_start"),
    Index("ix_bookings_batch", "hall", "batch"),
)

# Places taken per slot: a booking takes one with a single conditional UPDATE
# (`taken < capacity`), so two requests for the last place cannot both get it.
booking_slots = Table(
    "booking_slots", metadata,
    hall_column(),
    Column("business", String(40), nullable=False),
    Column("slot_start", UTCDateTime(), nullable=False),
    Column("taken", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("hall", "business", "slot_start", name="pk_booking_slots"),
)

# One-time SMS codes proving a phone: only a keyed hash of the code is kept, one live
# code per phone (a new one replaces it), with its wrong tries counted.
booking_sms_codes = Table(
    "booking_sms_codes", metadata,
    hall_column(),
    Column("phone_ref", String(20), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("tries", Integer, nullable=False, default=0),
    Column("used_at", UTCDateTime()),
    PrimaryKeyConstraint("hall", "phone_ref", name="pk_booking_sms_codes"),
)

# 不予受理告知单 (migration 0011): one row per notice, written in the transaction that
# closes its ticket as refused. `no` leads with the hall's code, so it is unique in a
# city's network; `seq` is the hall's daily sequence in it.
notices = Table(
    "notices", metadata,
    hall_column(),
    Column("no", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("ticket_id", String(32), nullable=False),
    Column("ticket_number", String(16), nullable=False),
    Column("business", String(40), nullable=False),
    Column("item", String(40), nullable=False),
    Column("item_name", String(120), nullable=False),
    Column("item_name_en", String(200), nullable=False, default=""),
    Column("missing", JSON, nullable=False),  # [{"index", "text", "text_en", "where"}]
    Column("note", String(300), nullable=False, default=""),
    Column("window", Integer),
    Column("staff", String(16)),
    Column("staff_name", String(40), nullable=False, default=""),
    Column("prechecked", Boolean, nullable=False, default=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("printed", Integer, nullable=False, default=0),  # slips printed (reprints too)
    PrimaryKeyConstraint("hall", "no", name="pk_notices"),
    UniqueConstraint("hall", "day", "seq", name="uq_notices_day_seq"),
    Index("ix_notices_ticket", "hall", "ticket_id"),
)


# --- 上门服务 home visits (migration 0014) ----------------------------------------------

# One row per request. The address, the phone and the name are sealed (the crew needs
# them back, so no hash will do), with masked copies for guides' lists; `phone_ref` (a
# keyed hash) finds a phone's own requests. `status` follows domain/homevisit.py.
home_visits = Table(
    "home_visits", metadata,
    hall_column(),
    Column("code", String(16), nullable=False),
    Column("status", String(12), nullable=False),
    Column("business", String(40), nullable=False),
    Column("reason", String(12), nullable=False),
    Column("reason_note", String(400), nullable=False, default=""),
    Column("name_sealed", String(300), nullable=False),
    Column("name_masked", String(60), nullable=False),
    Column("district", String(40), nullable=False),
    Column("address_sealed", String(1000), nullable=False),
    Column("address_masked", String(80), nullable=False),
    Column("phone_sealed", String(200), nullable=False),
    Column("phone_masked", String(16), nullable=False),
    Column("phone_ref", String(20), nullable=False),
    Column("preferred_days", String(80), nullable=False),  # ISO dates, comma separated
    Column("note", String(400), nullable=False, default=""),
    Column("channel", String(12), nullable=False),  # desk | phone
    Column("actor", String(80), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("team", String(40)),
    Column("visit_day", Date),
    Column("window_start", String(5)),
    Column("window_end", String(5)),
    Column("scheduled_at", UTCDateTime()),
    Column("scheduled_by", String(80)),
    Column("outcome_at", UTCDateTime()),
    Column("outcome_by", String(80)),
    Column("outcome_note", String(400)),
    Column("attempts", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("hall", "code", name="pk_home_visits"),
    Index("ix_home_visits_day", "hall", "visit_day", "team"),
    Index("ix_home_visits_phone", "hall", "phone_ref"),
    Index("ix_home_visits_status", "hall", "status"),
)

# Visits placed per crew, day and window: one conditional UPDATE (`taken < per_window`)
# takes a place, so two guides scheduling at once cannot overfill a crew's window.
home_visit_load = Table(
    "home_visit_load", metadata,
    hall_column(),
    Column("team", String(40), nullable=False),
    Column("visit_day", Date, nullable=False),
    Column("window_start", String(5), nullable=False),
    Column("taken", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("hall", "team", "visit_day", "window_start",
                         name="pk_home_visit_load"),
)


# Tables whose rows are never changed or deleted once written, and what the database says
# to a statement that tries: migrations 0002, 0006 and 0008 put triggers on them (on
# SQLite, RAISE(ABORT); PostgreSQL has its own functions), and `db.create_newest` does
# the same for a new SQLite database.
APPEND_ONLY = {
    "archive_audit": "archive_audit is append-only / 查询审计日志只能追加",
    **dict.fromkeys(("callback_draws", "callback_calls", "callback_outcomes",
                     "callback_reveals"), "回访记录只能追加 / call-back records are append-only"),
}


def sqlite_append_only(table: str) -> list[str]:
    """The triggers that keep `table` append-only on SQLite, as the migrations make them."""
    return [f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN "
            f"SELECT RAISE(ABORT, '{APPEND_ONLY[table]}'); END" for verb in ("UPDATE", "DELETE")]


HOT_TWINS: dict[str, set[tuple[str, ...]]] = {"tickets": {("id",)}, "events": set()}


def _lookup_indexes() -> None:
    """Every key that leads with `hall` gets a twin without it.

    The hall leads every key so a centre can hold many halls' rows (migration 0008); but
    at a hall every row is the hall's own, and its queries name the key alone
    (`WHERE id = ?`). Neither SQLite nor PostgreSQL before 18 can search a B-tree by its
    second column, so without the twin each such lookup read the whole table: every
    call and completion scanned the year's tickets. Migration 0016 creates them.

    Tickets and events are written on every issue, call and completion, and each index
    costs each of those writes: they get only the twins their queries need (a ticket by
    its id; events are always read with the hall)."""
    for table in metadata.tables.values():
        only = HOT_TWINS.get(table.name)
        keys = [table.primary_key.columns,
                *(c.columns for c in table.constraints if isinstance(c, UniqueConstraint)),
                *(ix.columns for ix in list(table.indexes))]
        have = {tuple(c.name for c in ix.columns) for ix in table.indexes}
        for columns in keys:
            names = [c.name for c in columns]
            rest = tuple(names[1:])
            if names[0] == "hall" and rest and rest not in have and (
                    only is None or rest in only):
                Index(f"lk_{table.name}_{'_'.join(rest)}", *(table.c[n] for n in rest))
                have.add(rest)


_lookup_indexes()
