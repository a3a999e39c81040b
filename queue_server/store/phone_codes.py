"""One-time SMS codes proving a phone: storage, shared by booking's phone check and the
kiosk's SMS proof for the archive and a person's cases (phone_codes.py above).

Only a keyed hash of the code is kept, one live code per phone (a new one replaces it),
with its wrong tries counted. Every move is one conditional statement, so a code tried
twice at once is used once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, update

from queue_server.store.sqlutil import insert_ignore
from queue_server.store.tables import booking_sms_codes


class CodeStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, phone_ref: str, code_hash: str, now: datetime, expires: datetime) -> None:
        with self.engine.begin() as conn:
            values = {"code_hash": code_hash, "created_at": now, "expires_at": expires,
                      "tries": 0, "used_at": None}
            if not insert_ignore(conn, booking_sms_codes, {"phone_ref": phone_ref, **values},
                                 ["phone_ref"]):
                conn.execute(update(booking_sms_codes).where(
                    booking_sms_codes.c.phone_ref == phone_ref).values(**values))

    def try_code(self, phone_ref: str, code_hash: str, now: datetime, max_tries: int) -> str:
        """`ok` (the code is used up), `wrong`, `locked` (too many wrong tries), or
        `expired` (none, used, or out of time)."""
        c = booking_sms_codes.c
        with self.engine.begin() as conn:
            used = conn.execute(update(booking_sms_codes).where(
                c.phone_ref == phone_ref, c.code_hash == code_hash, c.used_at.is_(None),
                c.expires_at > now, c.tries < max_tries).values(used_at=now)).rowcount
            if used == 1:
                return "ok"
            row = conn.execute(select(c.tries, c.used_at, c.expires_at).where(
                c.phone_ref == phone_ref)).first()
            if row is None or row[1] is not None or row[2] <= now:
                return "expired"
            if row[0] >= max_tries:
                return "locked"
            conn.execute(update(booking_sms_codes).where(c.phone_ref == phone_ref)
                         .values(tries=c.tries + 1))
            return "locked" if row[0] + 1 >= max_tries else "wrong"
