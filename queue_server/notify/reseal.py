"""Re-seal recipients sealed the old way (`v1.`) as `v2.` (AES-GCM), once, at start.

Each row is updated only if it still holds the value read, so a row the server changes
meanwhile is left for the next start rather than overwritten.
"""

from __future__ import annotations

import logging

from sqlalchemy import Column, Engine, Table, select, update

from queue_server.secrecy import LEGACY, SealError, SecretBox
from queue_server.store.tables import case_applicants, notify_outbox, ticket_watch

log = logging.getLogger("hallq")

# Every column that holds a sealed value.
SEALED: tuple[tuple[Table, str], ...] = (
    (case_applicants, "phone_sealed"),
    (case_applicants, "wechat_sealed"),
    (notify_outbox, "recipient_sealed"),
    (ticket_watch, "phone_sealed"),
)


def reseal_all(engine: Engine, box: SecretBox, batch: int = 500) -> int:
    """Re-seal every legacy value; returns how many were re-sealed."""
    done = 0
    for table, name in SEALED:
        column: Column = table.c[name]
        keys = list(table.primary_key.columns)
        while True:
            with engine.begin() as conn:
                rows = conn.execute(select(*keys, column).where(
                    column.like(f"{LEGACY}.%")).limit(batch)).all()
                changed = 0
                for row in rows:
                    old = row[-1]
                    try:
                        new = box.reseal(old)
                    except SealError:
                        # Sealed under another key: left as it is, and said once per value.
                        log.warning("cannot re-seal a %s.%s value (another key?)",
                                    table.name, name)
                        continue
                    where = [k == v for k, v in zip(keys, row[:-1], strict=True)]
                    changed += conn.execute(update(table).where(*where, column == old)
                                            .values({name: new})).rowcount
            done += changed
            if changed == 0:
                break
    if done:
        log.info("re-sealed %d recipients with AES-GCM", done)
    return done
