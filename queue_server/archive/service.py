"""Archive use cases: a push, a bulk import, the card holder's lookup, the staff lookup,
and reading the audit log.

Every lookup writes its audit entries in the same transaction that reads the units:
if the audit cannot be written, nothing is shown. Refused lookups (rate limited) are
audited too, so an administrator can see a kiosk being used to walk ID numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Engine

from queue_server.archive import images, store, views
from queue_server.archive.model import UnitIn, check_unit_no, protect
from queue_server.domain import inputs
from queue_server.domain.errors import DomainError, InvalidInput, NotFound
from queue_server.domain.identity import id_hash, mask_id_number, normalise_id_number
from queue_server.evidence import (
    CardEvidence,
    CardNotVerified,
    CardRegistry,
    SmsCodeRequired,
    SmsProof,
)
from queue_server.ratelimit import Limiter, RateLimited
from queue_server.security import Principal

MAX_UNITS_SHOWN = 200


class ArchiveService:
    def __init__(self, engine: Engine, *, key: bytes, clock: Callable[[], datetime],
                 limiter: Limiter, cards: CardRegistry, tz: tzinfo = UTC) -> None:
        self.engine = engine
        self.tz = tz  # the hall's: watermarks carry the time its clocks show
        self.cards = cards
        self.key = key
        self.clock = clock
        self.limiter = limiter

    # --- from the back office ------------------------------------------------------------

    def push(self, unit: UnitIn) -> dict[str, Any]:
        rec = protect(unit, self.key)
        with self.engine.begin() as conn:
            outcome = store.upsert(conn, rec, self.clock())
        return {"unit_no": rec.unit_no, "result": outcome}

    def import_jsonl(self, data: bytes, parse: Callable[[dict[str, Any]], UnitIn]
                     ) -> dict[str, Any]:
        """One unit per line, each shaped like the body of PUT /units/{unit_no} plus
        `unit_no`; `parse` is the API's own validation of that body. Problems are reported
        per line (never quoting the line: it holds ID numbers); good lines are kept."""
        report: dict[str, Any] = {"units": 0, "created": 0, "updated": 0, "unchanged": 0,
                                  "stale": 0, "errors": []}
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("文件须为 UTF-8 编码", "the file must be UTF-8") from None
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            report["units"] += 1
            try:
                raw = inputs.loads(line)
                if not isinstance(raw, dict):
                    raise ValueError("每行应为一个 JSON 对象 / each line must be a JSON object")
                outcome = self.push(parse(raw))["result"]
            except DomainError as exc:
                report["errors"].append({"line": n, "code": exc.code, "message": str(exc)})
                continue
            except ValueError as exc:  # bad JSON, or the API model refused it
                report["errors"].append({"line": n, "code": "invalid_row",
                                         "message": _first_line(exc)})
                continue
            report[outcome] += 1
        return report

    # --- lookups -------------------------------------------------------------------------

    def _entry(self, who: Principal, query: str, subject: tuple[str, str] | None,
               unit_no: str | None, outcome: str) -> dict[str, Any]:
        return {"at": self.clock(), "actor": who.actor[:80], "token_id": who.token_id,
                "role": who.role.value, "query": query,
                "subject_hash": subject[0] if subject else None,
                "subject_masked": subject[1] if subject else None,
                "unit_no": unit_no, "outcome": outcome}

    def _limit(self, who: Principal, keys: list[tuple[str, str]], entry: dict[str, Any]) -> None:
        try:
            self.limiter.take(keys)
        except RateLimited:
            with self.engine.begin() as conn:
                store.audit(conn, [entry])
            raise

    def _prove(self, subject: tuple[str, str], card: CardEvidence | None,
               sms: SmsProof | None, entry: Callable[[str], dict[str, Any]]) -> str | None:
        """The card holder's proof at the hall's level (the SMS pass, if any), or its
        refusal, audited like a rate-limited lookup: a token walking ID numbers shows."""
        try:
            return self.cards.verify(subject[0], card, sms)
        except SmsCodeRequired:
            with self.engine.begin() as conn:  # a text sent on this person's behalf
                store.audit(conn, [entry("sms_sent")])
            raise
        except DomainError as exc:
            outcome = "card_refused" if isinstance(exc, CardNotVerified) or \
                exc.code == "card_required" else "sms_refused"
            with self.engine.begin() as conn:
                store.audit(conn, [entry(outcome)])
            raise

    def by_id(self, who: Principal, id_number: str, *, staff: bool,
              card: CardEvidence | None = None, sms: SmsProof | None = None
              ) -> dict[str, Any]:
        """The units where this person holds rights (or a pre-notice), and nothing else.
        The card holder (`staff=False`) proves it as the hall decides: the card on the
        reader (`card`), a code texted to the registry's phone (`sms`), or both."""
        number = normalise_id_number(id_number)
        subject = (id_hash(number, self.key), mask_id_number(number))
        self._limit(who, [("kiosk", who.token_id), ("id", subject[0])],
                    self._entry(who, "id", subject, None, "rate_limited"))
        sms_pass = None
        if not staff:
            sms_pass = self._prove(subject, card, sms,
                                   lambda outcome: self._entry(who, "id", subject, None, outcome))
        with self.engine.begin() as conn:
            found = store.units_by_no(conn, store.unit_nos_of_holder(conn, subject[0],
                                                                     MAX_UNITS_SHOWN))
            store.audit(conn, [self._entry(who, "id", subject, u["unit_no"], "shown")
                               for u, _ in found]
                        or [self._entry(who, "id", subject, None, "none")])
            counts = store.image_counts(conn, [u["unit_no"] for u, _ in found])
        shown = [views.staff_view(u, h) if staff else views.kiosk_view(u, h, subject[0])
                 for u, h in found]
        for view in shown:
            view["images"] = counts[view["unit_no"]]
        out = {"id_masked": subject[1], "count": len(shown), "units": shown}
        if sms_pass:
            out["sms_pass"] = sms_pass
        return out

    def by_unit(self, who: Principal, unit_no: str) -> dict[str, Any]:
        """Staff only: one unit by its number, whoever holds it."""
        check_unit_no(unit_no)
        self._limit(who, [("kiosk", who.token_id)],
                    self._entry(who, "unit", None, unit_no, "rate_limited"))
        with self.engine.begin() as conn:
            found = store.units_by_no(conn, [unit_no])
            store.audit(conn, [self._entry(who, "unit", None, unit_no,
                                           "shown" if found else "none")])
        if not found:
            raise NotFound("没有这个不动产单元", "no such unit")
        unit, holders = found[0]
        view = views.staff_view(unit, holders)
        with self.engine.connect() as conn:
            view["images"] = store.image_counts(conn, [unit_no])[unit_no]
        return {"count": 1, "units": [view]}

    # --- 档案原貌 and 房屋现貌 ------------------------------------------------------------

    def push_images(self, unit_no: str, kind: str, data: bytes, *, append: bool = False
                    ) -> dict[str, Any]:
        """The back office's scans of the originals (`original`: the pages replace the
        unit's, or follow them with `append`) or its photo (`photo`, one image). Every
        page is decoded and re-encoded before anything is written; a refusal stores
        nothing."""
        check_unit_no(unit_no)
        if kind not in images.KINDS:
            raise InvalidInput("影像类别应为 original 或 photo", "kind must be original or photo")
        source = images.source_hash(data)
        with self.engine.connect() as conn:
            if not store.unit_exists(conn, unit_no):
                raise NotFound("没有这个不动产单元，请先推送单元", "no such unit: push the unit first")
            before = store.image_sources(conn, unit_no, kind)
        if not append and before and all(h == source for h in before):
            return self._images_answer(unit_no, kind, "unchanged")
        pages = images.pages_of(data, kind)  # ImageRefused: nothing stored
        first = len(before) + 1 if append and kind == images.ORIGINAL else 1
        if first - 1 + len(pages) > images.MAX_PAGES:
            raise images.ImageRefused(
                f"档案原貌最多 {images.MAX_PAGES} 页", f"a unit keeps at most "
                f"{images.MAX_PAGES} pages of originals", code="too_many_pages")
        with self.engine.begin() as conn:
            store.put_images(conn, unit_no, kind, pages, source, self.clock(),
                             first_page=first)
        return self._images_answer(unit_no, kind, "stored")

    def image_index(self, unit_no: str) -> dict[str, Any]:
        check_unit_no(unit_no)
        with self.engine.connect() as conn:
            if not store.unit_exists(conn, unit_no):
                raise NotFound("没有这个不动产单元", "no such unit")
        originals = self._images_answer(unit_no, images.ORIGINAL, "stored")
        photo = self._images_answer(unit_no, images.PHOTO, "stored")
        return {"unit_no": unit_no, "originals": originals["images"],
                "photo": photo["images"][0] if photo["images"] else None}

    def _images_answer(self, unit_no: str, kind: str, result: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            rows = [r for r in store.image_list(conn, unit_no) if r["kind"] == kind]
        return {"unit_no": unit_no, "kind": kind, "result": result, "pages": len(rows),
                "images": [{"page": r["page"], "sha256": r["sha256"],
                            "source_sha256": r["source_sha256"], "width": r["width"],
                            "height": r["height"], "size_bytes": r["size_bytes"]}
                           for r in rows]}

    def image_for_owner(self, who: Principal, id_number: str, card: CardEvidence | None,
                        unit_no: str, kind: str, page: int, sms: SmsProof | None = None
                        ) -> bytes:
        """One page of a unit's originals, or its photo, for its rights holder whose card
        is on the kiosk's reader: watermarked with the time, the kiosk and the masked
        name. Every view, and every refusal, is an audit entry."""
        check_unit_no(unit_no)
        number = normalise_id_number(id_number)
        subject = (id_hash(number, self.key), mask_id_number(number))
        image = f"{kind}:{page}" if kind == images.ORIGINAL else kind

        def entry(outcome: str) -> dict[str, Any]:
            return {**self._entry(who, "image", subject, unit_no, outcome), "image": image}

        self._limit(who, [("image", who.token_id)], entry("rate_limited"))
        # The hall's proof level, as for the lookup: under `sms` the visit's pass opens
        # each page, so paging texts nobody.
        self._prove(subject, card, sms, entry)
        with self.engine.begin() as conn:
            name = store.owner_name(conn, unit_no, subject[0])
            stored = (store.image_data(conn, unit_no, kind, page) if name is not None
                      else None)
            store.audit(conn, [entry("shown" if stored is not None else "none")])
        if stored is None:
            # One answer for "not yours" and "no such page": nothing to learn by trying.
            raise NotFound("没有找到这张影像", "no such image of your property")
        kiosk = who.name or who.token_id
        text = images.watermark_text(self.clock().astimezone(self.tz), kiosk, name or "")
        return images.watermarked(stored, text)

    def audit_log(self, *, after_seq: int, unit_no: str | None, id_number: str | None,
                  limit: int) -> list[dict[str, Any]]:
        subject = id_hash(normalise_id_number(id_number), self.key) if id_number else None
        with self.engine.connect() as conn:
            rows = store.audit_entries(conn, after_seq=after_seq, unit_no=unit_no,
                                       subject_hash=subject, limit=limit)
        return [{"seq": r["seq"], "at": r["at"].isoformat(), "actor": r["actor"],
                 "token_id": r["token_id"], "role": r["role"], "query": r["query"],
                 "subject_masked": r["subject_masked"], "unit_no": r["unit_no"],
                 "image": r["image"], "outcome": r["outcome"]} for r in rows]


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or ["invalid"])[0][:300]
