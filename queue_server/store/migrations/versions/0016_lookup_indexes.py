"""Every key that leads with the hall gets a twin without it (tables._lookup_indexes).

At a hall every query names the key alone (`WHERE id = ?`), and a B-tree led by `hall`
cannot be searched by its second column: without these, each lookup read its whole
table, and every call or completion scanned the year's tickets. Tickets and events,
written on every ticket operation, get only the twin their queries need.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

LOOKUPS = [  # (table, columns): named lk_<table>_<columns>
    ("tickets", ["id"]),
    ("windows", ["number"]),
    ("tokens", ["id"]),
    ("tokens", ["token_hash"]),
    ("token_audit", ["seq"]),
    ("id_cards", ["id_hash"]),
    ("day_reports", ["day"]),
    ("cases", ["case_no"]),
    ("case_applicants", ["case_no", "idx"]),
    ("case_steps", ["case_no", "seq"]),
    ("units", ["unit_no"]),
    ("unit_holders", ["unit_no", "idx"]),
    ("archive_audit", ["seq"]),
    ("unit_images", ["unit_no", "kind", "page"]),
    ("notify_outbox", ["id"]),
    ("ticket_watch", ["ticket_id"]),
    ("staff", ["number"]),
    ("evaluations", ["id"]),
    ("evaluations", ["ticket_id", "service_seq"]),
    ("work_orders", ["evaluation_id"]),
    ("work_orders", ["id"]),
    ("work_order_steps", ["order_id", "seq"]),
    ("callback_draws", ["month"]),
    ("callback_calls", ["month", "ticket_id"]),
    ("callback_outcomes", ["seq"]),
    ("callback_reveals", ["seq"]),
    ("report_days", ["day", "by", "key"]),
    ("bookings", ["batch"]),
    ("bookings", ["business", "slot_start"]),
    ("bookings", ["code"]),
    ("bookings", ["id_hash"]),
    ("bookings", ["live_key"]),
    ("bookings", ["phone_ref"]),
    ("bookings", ["status", "slot_start"]),
    ("booking_slots", ["business", "slot_start"]),
    ("booking_sms_codes", ["phone_ref"]),
    ("notices", ["day", "seq"]),
    ("notices", ["no"]),
    ("notices", ["ticket_id"]),
    ("home_visits", ["code"]),
    ("home_visits", ["phone_ref"]),
    ("home_visits", ["status"]),
    ("home_visits", ["visit_day", "team"]),
    ("home_visit_load", ["team", "visit_day", "window_start"]),
]


def _name(table: str, cols: list[str]) -> str:
    return f"lk_{table}_{'_'.join(cols)}"


def upgrade() -> None:
    for table, cols in LOOKUPS:
        op.create_index(_name(table, cols), table, cols)


def downgrade() -> None:
    for table, cols in reversed(LOOKUPS):
        op.drop_index(_name(table, cols), table_name=table)
