"""What travels from a hall to the centre, decided per table and per column.

Every table of the schema is named here, either kept at the hall as a whole or published
with the columns that stay behind: a table added later without a decision fails
tests/centre/test_travel.py rather than being published, or left out, by accident.
No I/O: the publication and the centre's schema are built from this (replication.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Table

from queue_server.store.tables import metadata

# Tables that never leave the hall, and why.
KEPT_AT_HALL: Mapping[str, str] = {
    "tokens": "令牌哈希 bearer token hashes: the hall's own access control",
    "token_audit": "令牌审计 who issued tokens: the hall's own access control",
    "id_cards": "身份证卡片哈希 what proves a person's card is on the reader",
    "case_applicants": "申请人 applicants: ID hashes, masked IDs, names, phones, WeChat",
    "unit_holders": "权利人 holders: ID hashes, masked IDs, names, shares",
    "notify_outbox": "短信与微信 recipients (sealed and masked) and message texts",
    "ticket_watch": "手机号 phones (sealed and masked) of people following a ticket",
    # 预约 for now stays whole at the hall: its rows are an ID hash, a sealed phone and the
    # phone's codes; the city's booking figures (a later part of issue 14) would publish
    # bookings without those columns.
    "bookings": "预约 bookings: ID hashes, masked IDs, sealed phones",
    "booking_slots": "预约名额 places taken per slot: the hall's own booking ledger",
    "booking_sms_codes": "短信验证码 one-time code hashes of phones",
    # 不予受理告知单 stay at the hall for now: a clerk's note and name are in them; the
    # city's refusal figures come from the tickets' closed_reason and events, which travel.
    "notices": "不予受理告知单 notices of non-acceptance: the clerk's note and name",
    "unit_images": "档案原貌与房屋照片 scans of register originals and property photos: "
                   "names, ID numbers and signatures on the page",
    "home_visits": "上门服务 home-visit requests: sealed names, addresses and phones",
    "home_visit_load": "上门服务 each crew's visits per day and window: the hall's own ledger",
}

# Published tables: the columns that stay at the hall, and why. The rest travel.
LEFT_BEHIND: Mapping[str, Mapping[str, str]] = {
    "tickets": {
        "id_hash": "ID number, keyed hash",
        "id_masked": "masked ID number",
        "name_masked": "masked name",
        "request_key": "the kiosk's request key: no use outside the hall",
        "appointment_code": "the booking's code, which links to a phone number",
        "issued_by": "the kiosk token's id: the hall's access control",
        "override_reason": "a guide's free text, may name a person",
    },
    # `data` may hold a guide's free-text reason; the rest of an event is in its columns.
    "events": {"data": "free text (override reasons) beside the ticket's facts"},
    "windows": {"staff_name": "the clerk's name (the 工号 travels)"},
    "day_reports": {},
    "report_days": {},
    "halls": {},
    "staff": {"name": "the clerk's name (the 工号 travels)"},
    "evaluations": {"comment": "the applicant's free text"},
    "work_orders": {},
    "work_order_steps": {"actor": "who acted, by name", "note": "free text"},
    "cases": {"content_hash": "the back office's hash of the whole case, with persons",
              "receipt_hash": "proves a person holds the receipt"},
    "case_steps": {"note": "free text", "reason": "free text"},
    "units": {"location": "the address", "certificate_no": "the certificate's number",
              "encumbrances": "mortgages, seizures: persons in them"},
    "archive_audit": {"actor": "who searched, by name", "subject_hash": "the ID searched",
                      "subject_masked": "the ID searched, masked"},
    "callback_draws": {},
    "callback_calls": {"phone_masked": "masked phone number",
                       "phone_case_no": "where the phone number is",
                       "phone_idx": "where the phone number is"},
    "callback_outcomes": {"actor": "who called, by name", "comment": "free text"},
    "callback_reveals": {"actor": "who saw a full phone number, by name"},
}


class Undecided(Exception):
    """A table of the schema neither kept at the hall nor published (a new table)."""


def published_tables() -> list[Table]:
    """The published tables, parents before children (the centre copies them in order)."""
    names = set(metadata.tables)
    undecided = names - set(KEPT_AT_HALL) - set(LEFT_BEHIND)
    if undecided:
        raise Undecided(f"未决定是否发往市中心的表 tables with no decision on what travels: "
                        f"{sorted(undecided)} (queue_server/centre/travel.py)")
    return [t for t in metadata.sorted_tables if t.name in LEFT_BEHIND]


def travelling_columns(table: Table) -> list[str]:
    behind = LEFT_BEHIND[table.name]
    return [c.name for c in table.columns if c.name not in behind]


def relaxed_columns(table: Table) -> list[str]:
    """NOT NULL columns left behind: the centre's copy of the table must take rows without
    them (the apply worker inserts NULL for a column the publication does not carry)."""
    behind = LEFT_BEHIND[table.name]
    return [c.name for c in table.columns if c.name in behind and not c.nullable]
