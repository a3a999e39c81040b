"""The database schema. Alembic migrations in `migrations/` create and evolve it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

metadata = MetaData()


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
    Column("id", String(32), primary_key=True),
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
    # Numbers are unique per hall per business day, whatever the concurrency.
    UniqueConstraint("day", "number", name="uq_tickets_day_number"),
    Index("ix_tickets_day_status", "day", "status"),
    Index("ix_tickets_id_hash", "id_hash"),
)

events = Table(
    "events", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("type", String(32), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("ticket_id", String(32)),
    Column("window", Integer),
    Column("data", JSON, nullable=False),
    Index("ix_events_ticket", "ticket_id"),
)

windows = Table(
    "windows", metadata,
    Column("number", Integer, primary_key=True),
    Column("day", Date, nullable=False),  # live state belongs to one business day
    Column("zone", String(40), nullable=False),
    Column("businesses", JSON, nullable=False),
    Column("status", String(12), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("green_channel", Boolean, nullable=False),
    Column("label", String(80), nullable=False, default=""),
    Column("current", String(32)),
)

tokens = Table(
    "tokens", metadata,
    Column("id", String(16), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("window", Integer),
    Column("name", String(80), nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
)

day_reports = Table(
    "day_reports", metadata,
    Column("day", Date, primary_key=True),
    Column("closed_at", UTCDateTime(), nullable=False),
    Column("report", JSON, nullable=False),
)
