"""Reads and writes of the archive tables and the audit log.

Units follow the cases' rule: a higher `version` replaces, a resend changes nothing, an
older push is ignored. The audit log has an insert and reads here, and nothing else:
there is deliberately no function that changes or removes an entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from queue_server.archive.images import ORIGINAL, PHOTO, Page
from queue_server.archive.model import UnitRecord
from queue_server.domain.errors import VersionConflict
from queue_server.store.sqlutil import insert_ignore
from queue_server.store.tables import archive_audit, unit_holders, unit_images, units


def _header(rec: UnitRecord, now: datetime) -> dict[str, Any]:
    return {"version": rec.version, "content_hash": rec.content_hash, "location": rec.location,
            "use": rec.use, "area_m2": rec.area_m2, "certificate_no": rec.certificate_no,
            "encumbrances": rec.encumbrances, "updated_at": now}


def _holder_rows(rec: UnitRecord) -> list[dict[str, Any]]:
    return [{"unit_no": rec.unit_no, "idx": i, "kind": h.kind, "id_hash": h.id_hash,
             "id_masked": h.id_masked, "name_masked": h.name_masked, "share": h.share}
            for i, h in enumerate(rec.holders)]


def upsert(conn: Connection, rec: UnitRecord, now: datetime) -> str:
    """created | updated | unchanged | stale."""
    if insert_ignore(conn, units, {"unit_no": rec.unit_no, **_header(rec, now)}, ["unit_no"]):
        if rec.holders:
            conn.execute(unit_holders.insert(), _holder_rows(rec))
        return "created"
    if conn.execute(update(units).where(units.c.unit_no == rec.unit_no,
                                        units.c.version < rec.version)
                    .values(**_header(rec, now))).rowcount:
        conn.execute(delete(unit_holders).where(unit_holders.c.unit_no == rec.unit_no))
        if rec.holders:
            conn.execute(unit_holders.insert(), _holder_rows(rec))
        return "updated"
    stored = conn.execute(select(units.c.version, units.c.content_hash)
                          .where(units.c.unit_no == rec.unit_no)).one()
    if stored.version == rec.version:
        if stored.content_hash != rec.content_hash:
            raise VersionConflict(f"版本 {rec.version} 已收到过不同内容，请使用新的版本号",
                                  f"version {rec.version} was already received with different "
                                  "content; send changes under a higher version")
        return "unchanged"
    return "stale"


def insert_new(conn: Connection, records: Sequence[UnitRecord], now: datetime) -> None:
    """Bulk load into empty tables (the demo data set): no version checks, many rows."""
    conn.execute(units.insert(), [{"unit_no": r.unit_no, **_header(r, now)} for r in records])
    rows = [row for r in records for row in _holder_rows(r)]
    if rows:
        conn.execute(unit_holders.insert(), rows)


def unit_nos_of_holder(conn: Connection, id_hash: str, limit: int) -> list[str]:
    rows = conn.execute(select(unit_holders.c.unit_no).where(unit_holders.c.id_hash == id_hash)
                        .distinct().order_by(unit_holders.c.unit_no).limit(limit)).all()
    return [r[0] for r in rows]


def units_by_no(conn: Connection, unit_nos: Sequence[str]
                ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Units with their holders, in the order asked; unknown numbers are skipped."""
    if not unit_nos:
        return []
    found = {r.unit_no: dict(r._mapping) for r in
             conn.execute(select(units).where(units.c.unit_no.in_(unit_nos))).all()}
    holders: dict[str, list[dict[str, Any]]] = {u: [] for u in found}
    for r in conn.execute(select(unit_holders).where(unit_holders.c.unit_no.in_(list(found)))
                          .order_by(unit_holders.c.unit_no, unit_holders.c.idx)).all():
        holders[r.unit_no].append(dict(r._mapping))
    return [(found[u], holders[u]) for u in unit_nos if u in found]


# --- 档案原貌 and 房屋现貌 ----------------------------------------------------------------

def unit_exists(conn: Connection, unit_no: str) -> bool:
    return conn.execute(select(units.c.unit_no).where(units.c.unit_no == unit_no)
                        ).first() is not None


def image_sources(conn: Connection, unit_no: str, kind: str) -> list[str]:
    """The source hash of each stored page of this kind, in page order."""
    return [r[0] for r in conn.execute(
        select(unit_images.c.source_sha256).where(unit_images.c.unit_no == unit_no,
                                                  unit_images.c.kind == kind)
        .order_by(unit_images.c.page)).all()]


def put_images(conn: Connection, unit_no: str, kind: str, pages: Sequence[Page],
               source: str, now: datetime, *, first_page: int) -> None:
    """Pages `first_page`… of this kind become `pages`; any after them go (a shorter
    replacement leaves no page of the old set behind)."""
    conn.execute(delete(unit_images).where(unit_images.c.unit_no == unit_no,
                                           unit_images.c.kind == kind,
                                           unit_images.c.page >= first_page))
    conn.execute(unit_images.insert(), [
        {"unit_no": unit_no, "kind": kind, "page": first_page + i, "sha256": p.sha256,
         "source_sha256": source, "media_type": "image/jpeg", "width": p.width,
         "height": p.height, "size_bytes": len(p.data), "data": p.data, "stored_at": now}
        for i, p in enumerate(pages)])


def image_list(conn: Connection, unit_no: str) -> list[dict[str, Any]]:
    cols = [c for c in unit_images.c if c.name not in ("data", "hall")]
    return [dict(r._mapping) for r in conn.execute(
        select(*cols).where(unit_images.c.unit_no == unit_no)
        .order_by(unit_images.c.kind, unit_images.c.page)).all()]


def image_counts(conn: Connection, unit_nos: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per unit: how many pages of originals, and whether there is a photo."""
    counts = {u: {"originals": 0, "photo": False} for u in unit_nos}
    if not unit_nos:
        return counts
    for r in conn.execute(select(unit_images.c.unit_no, unit_images.c.kind, func.count())
                          .where(unit_images.c.unit_no.in_(list(unit_nos)))
                          .group_by(unit_images.c.unit_no, unit_images.c.kind)).all():
        if r[1] == ORIGINAL:
            counts[r[0]]["originals"] = int(r[2])
        elif r[1] == PHOTO:
            counts[r[0]]["photo"] = True
    return counts


def image_data(conn: Connection, unit_no: str, kind: str, page: int) -> bytes | None:
    return conn.execute(select(unit_images.c.data).where(
        unit_images.c.unit_no == unit_no, unit_images.c.kind == kind,
        unit_images.c.page == page)).scalar()


def owner_name(conn: Connection, unit_no: str, id_hash: str) -> str | None:
    """The masked name of the unit's rights holder (权利人) with this ID hash, or None
    when the person is not one (a pre-notice holder is not an owner)."""
    return conn.execute(select(unit_holders.c.name_masked).where(
        unit_holders.c.unit_no == unit_no, unit_holders.c.id_hash == id_hash,
        unit_holders.c.kind == "owner").limit(1)).scalar()


# --- the audit log ------------------------------------------------------------------------

def audit(conn: Connection, entries: Sequence[dict[str, Any]]) -> None:
    if entries:
        conn.execute(archive_audit.insert(), list(entries))


def audit_entries(conn: Connection, *, after_seq: int, unit_no: str | None,
                  subject_hash: str | None, limit: int) -> list[dict[str, Any]]:
    q = select(archive_audit).where(archive_audit.c.seq > after_seq)
    if unit_no is not None:
        q = q.where(archive_audit.c.unit_no == unit_no)
    if subject_hash is not None:
        q = q.where(archive_audit.c.subject_hash == subject_hash)
    rows = conn.execute(q.order_by(archive_audit.c.seq).limit(limit)).all()
    return [dict(r._mapping) for r in rows]
