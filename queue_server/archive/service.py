"""Archive use cases: a push, a bulk import, the card holder's lookup, the staff lookup,
and reading the audit log.

Every lookup writes its audit entries in the same transaction that reads the units:
if the audit cannot be written, nothing is shown. Refused lookups (rate limited) are
audited too, so an administrator can see a kiosk being used to walk ID numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from queue_server.archive import store, views
from queue_server.archive.model import UnitIn, check_unit_no, protect
from queue_server.domain import inputs
from queue_server.domain.errors import DomainError, InvalidInput, NotFound
from queue_server.domain.identity import id_hash, mask_id_number, normalise_id_number
from queue_server.evidence import CardEvidence, CardRegistry
from queue_server.ratelimit import Limiter, RateLimited
from queue_server.security import Principal

MAX_UNITS_SHOWN = 200


class ArchiveService:
    def __init__(self, engine: Engine, *, key: bytes, clock: Callable[[], datetime],
                 limiter: Limiter, cards: CardRegistry) -> None:
        self.engine = engine
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

    def by_id(self, who: Principal, id_number: str, *, staff: bool,
              card: CardEvidence | None = None) -> dict[str, Any]:
        """The units where this person holds rights (or a pre-notice), and nothing else.
        The card holder (`staff=False`) proves the card is on the reader with `card`."""
        number = normalise_id_number(id_number)
        subject = (id_hash(number, self.key), mask_id_number(number))
        self._limit(who, [("kiosk", who.token_id), ("id", subject[0])],
                    self._entry(who, "id", subject, None, "rate_limited"))
        if not staff:
            try:
                self.cards.verify(subject[0], card)
            except DomainError:
                # Audited like a rate-limited lookup: a token walking ID numbers shows.
                with self.engine.begin() as conn:
                    store.audit(conn, [self._entry(who, "id", subject, None, "card_refused")])
                raise
        with self.engine.begin() as conn:
            found = store.units_by_no(conn, store.unit_nos_of_holder(conn, subject[0],
                                                                     MAX_UNITS_SHOWN))
            store.audit(conn, [self._entry(who, "id", subject, u["unit_no"], "shown")
                               for u, _ in found]
                        or [self._entry(who, "id", subject, None, "none")])
        shown = [views.staff_view(u, h) if staff else views.kiosk_view(u, h, subject[0])
                 for u, h in found]
        return {"id_masked": subject[1], "count": len(shown), "units": shown}

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
        return {"count": 1, "units": [views.staff_view(unit, holders)]}

    def audit_log(self, *, after_seq: int, unit_no: str | None, id_number: str | None,
                  limit: int) -> list[dict[str, Any]]:
        subject = id_hash(normalise_id_number(id_number), self.key) if id_number else None
        with self.engine.connect() as conn:
            rows = store.audit_entries(conn, after_seq=after_seq, unit_no=unit_no,
                                       subject_hash=subject, limit=limit)
        return [{"seq": r["seq"], "at": r["at"].isoformat(), "actor": r["actor"],
                 "token_id": r["token_id"], "role": r["role"], "query": r["query"],
                 "subject_masked": r["subject_masked"], "unit_no": r["unit_no"],
                 "outcome": r["outcome"]} for r in rows]


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or ["invalid"])[0][:300]
