"""上门服务 the home-visit service: the layout's crews and windows, the working-day
calendar, sealed storage and the SMS outbox, put together for api/routes/homevisits.py.

The rules decide (domain/homevisit.py); this module gathers what they need (a crew's
places taken) and writes what they allowed. Address, phone and name are sealed with the
hall's SecretBox (as the outbox seals phone numbers): only the crew's day list opens them.
"""

from __future__ import annotations

import hmac
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from queue_server.domain import homevisit as rules
from queue_server.domain.errors import IllegalTransition, LimitReached, NotFound
from queue_server.domain.layout import Layout
from queue_server.domain.phone_pass import check_pass
from queue_server.domain.workdays import WorkCalendar
from queue_server.notify import outbox
from queue_server.notify.outbox import Draft
from queue_server.notify.phone import mask_phone, normalise_phone
from queue_server.notify.service import Notifier
from queue_server.notify.templates import VISIT_RECEIVED, VISIT_SCHEDULED
from queue_server.store.homevisit import HomeVisitStore, Moved, NewVisit

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # read aloud over a phone: no 0/O, 1/I
OPEN_PER_PHONE = 3  # open requests one phone may have: a pass is no licence to flood guides


def _unknown() -> NotFound:
    return NotFound("没有这个上门服务申请，请核对编号", "no such home-visit request; check the "
                    "number", code="visit_unknown")


def _moved() -> IllegalTransition:
    return IllegalTransition("该申请刚被他人处理，请刷新后再试",
                             "someone else has just acted on this visit; reload and try again",
                             code="visit_state")


@dataclass
class HomeVisits:
    layout: Layout
    calendar: WorkCalendar
    store: HomeVisitStore
    notifier: Notifier
    secret: bytes
    clock: Callable[[], datetime]

    @property
    def rules(self) -> rules.HomeVisitRules:
        return self.layout.home_visits

    @property
    def tz(self):  # type: ignore[no-untyped-def]
        return self.layout.hall.tz

    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()

    @property
    def box(self):  # type: ignore[no-untyped-def]
        return self.notifier.composer.box

    # --- what can be asked for -----------------------------------------------------------

    def options(self) -> dict[str, Any]:
        rules.require_enabled(self.rules)
        codes = self.rules.businesses or tuple(self.layout.businesses)
        return {
            "businesses": [{"code": c, "name": self.layout.businesses[c].name,
                            "name_en": self.layout.businesses[c].name_en} for c in codes],
            "reasons": [{"code": k, "name": zh, "name_en": en}
                        for k, (zh, en) in rules.REASONS.items()],
            "districts": list(self.rules.districts),
            "windows": [w.label for w in self.rules.windows],
            "teams": [{"code": t.code, "name": t.name, "name_en": t.name_en, "kind": t.kind,
                       "kind_name": rules.KINDS[t.kind][0], "per_window": t.per_window,
                       "districts": list(t.districts) or list(self.rules.districts)}
                      for t in self.rules.teams.values()],
            "days": [d.isoformat() for d in rules.open_days(self.rules, self.today(),
                                                            self.calendar)],
            "max_days": rules.MAX_PREFERRED,
        }

    # --- a request -----------------------------------------------------------------------

    def request(self, *, business: str, reason: str, reason_note: str, name: str,
                district: str, address: str, phone: str, preferred_days: list[date],
                note: str, proof: str | None, desk: bool, actor: str) -> dict[str, Any]:
        rules.require_enabled(self.rules)
        number = normalise_phone(phone)
        ref = self.box.ref(number)
        if not desk:  # the desk saw the applicant's family; the phone proves itself
            check_pass(proof, ref, self.clock(), self.secret)
            live = self.store.listing(statuses=(*rules.OPEN, "scheduled"), phone_ref=ref)
            if len(live) >= OPEN_PER_PHONE:
                raise LimitReached(f"该手机号已有 {OPEN_PER_PHONE} 个未完成的上门申请，请等候安排"
                                   "或致电大厅", f"this phone already has {OPEN_PER_PHONE} "
                                   "open requests; wait for them or call the hall",
                                   code="visit_limit")
        req = rules.check_request(
            self.rules, business=business, business_names=self.layout.businesses,
            reason=reason, reason_note=reason_note, name=name, district=district,
            address=address, phone=number, preferred_days=preferred_days, note=note,
            today=self.today(), calendar=self.calendar)
        new = NewVisit(
            code="V" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8)),
            business=req.business, reason=req.reason, reason_note=req.reason_note,
            name_sealed=self.box.seal(req.name), name_masked=rules.mask_name(req.name),
            district=req.district, address_sealed=self.box.seal(req.address),
            address_masked=rules.mask_address(req.address, req.district),
            phone_sealed=self.box.seal(number), phone_masked=mask_phone(number),
            phone_ref=ref, preferred_days=req.preferred_days, note=req.note,
            channel="desk" if desk else "phone", actor=actor)
        view = self.view(self.store.create(new, self.clock()))
        self._sms(number, f"visit-received:{new.code}", VISIT_RECEIVED,
                  business_name=view["business_name"], visit=new.code)
        return view

    def _sms(self, phone: str, key: str, kind: str, **values: Any) -> None:
        if "sms" not in self.notifier.composer.channels:
            return
        body = self.notifier.composer.templates.render(kind, **values)
        with self.store.engine.begin() as conn:
            outbox.enqueue(conn, self.box, Draft(
                key=key, kind=kind, channel="sms", recipient=phone,
                recipient_masked=mask_phone(phone), body=body, params={"visit": values["visit"]}),
                self.clock())
        self.notifier.poke()

    def _row(self, code: str) -> dict[str, Any]:
        rules.require_enabled(self.rules)
        row = self.store.get(code.strip().upper())
        if row is None:
            raise _unknown()
        return row

    def mine(self, phone: str, proof: str | None) -> list[dict[str, Any]]:
        rules.require_enabled(self.rules)
        ref = self.box.ref(normalise_phone(phone))
        check_pass(proof, ref, self.clock(), self.secret)
        return [self.view(r) for r in self.store.listing(phone_ref=ref, limit=50)]

    def cancel(self, code: str, *, phone: str | None, proof: str | None, desk: bool,
               actor: str) -> dict[str, Any]:
        row = self._row(code)
        if not desk:
            ref = self.box.ref(normalise_phone(phone or ""))
            check_pass(proof, ref, self.clock(), self.secret)
            if not hmac.compare_digest(ref, row["phone_ref"]):
                raise _unknown()  # a phone learns nothing of others' requests
        rules.check_transition(row["status"], "cancelled")
        try:
            made = self.store.finish(row["code"], row["status"], "cancelled", note="",
                                     by=actor, now=self.clock())
        except Moved:
            raise _moved() from None
        return self.view(made)

    # --- guides --------------------------------------------------------------------------

    def listing(self, status: str) -> list[dict[str, Any]]:
        rules.require_enabled(self.rules)
        statuses = {"open": rules.OPEN, "scheduled": ("scheduled",),
                    "closed": ("done", "refused", "cancelled"),
                    "all": tuple(rules.STATUS)}[status]
        return [self.view(r) for r in self.store.listing(statuses=statuses)]

    def schedule(self, code: str, *, team: str, day: date, window: str,
                 actor: str) -> dict[str, Any]:
        row = self._row(code)
        crew = rules.find_team(self.rules, team)
        tw = rules.find_window(self.rules, window)
        start, end = f"{tw.start:%H:%M}", f"{tw.end:%H:%M}"
        same = (row["status"] == "scheduled" and row["team"] == crew.code
                and row["visit_day"] == day and row["window_start"] == start)
        taken = self.store.taken(crew.code, day, start) - (1 if same else 0)
        rules.check_schedule(self.rules, row["status"], crew, row["district"], day,
                             self.today(), self.calendar, taken)
        if same:
            return self.view(row)  # already there: nothing to move, no second SMS
        try:
            made = self.store.schedule(row["code"], row["status"], team=crew.code, day=day,
                                       start=start, end=end, per_window=crew.per_window,
                                       by=actor, now=self.clock())
        except Moved:
            raise _moved() from None
        view = self.view(made)
        self._sms(self.box.open(made["phone_sealed"]),
                  f"visit-scheduled:{made['code']}:{day.isoformat()}:{crew.code}:{start}",
                  VISIT_SCHEDULED, business_name=view["business_name"], visit=made["code"],
                  when=view["when"], team=crew.name)
        return view

    # --- the crew ------------------------------------------------------------------------

    def day_list(self, day: date, team: str | None) -> dict[str, Any]:
        """A crew's day in route order, with the address, phone and name opened: the crew
        must find the door and call ahead. Only visits scheduled for that day are opened."""
        rules.require_enabled(self.rules)
        if team is not None:
            rules.find_team(self.rules, team)
        rows = [r for r in self.store.listing(day=day, team=team)
                if r["status"] not in ("requested", "cancelled")]
        out = []
        for r in rows:
            v = self.view(r)
            v.update(name=self.box.open(r["name_sealed"]),
                     address=self.box.open(r["address_sealed"]),
                     phone=self.box.open(r["phone_sealed"]))
            out.append(v)
        out.sort(key=lambda v: (v["team"] or "",
                                *rules.route_key(self.rules, v["district"],
                                                 v["window_start"] or "", v["address"],
                                                 v["code"])))
        for n, v in enumerate(out, 1):
            v["stop"] = n
        return {"day": day.isoformat(), "team": team, "visits": out,
                "left": sum(1 for v in out if v["status"] == "scheduled")}

    def outcome(self, code: str, outcome: str, note: str, actor: str) -> dict[str, Any]:
        row = self._row(code)
        note = rules.check_outcome(row["status"], outcome, note)
        try:
            made = self.store.finish(row["code"], row["status"], outcome, note=note, by=actor,
                                     now=self.clock())
        except Moved:
            raise _moved() from None
        return self.view(made)

    # --- figures -------------------------------------------------------------------------

    def summary(self, first: date, last: date) -> dict[str, Any]:
        """The manager's count of the service in [first, last]: requests made, visits
        scheduled, done, sent back, refused and withdrawn, each counted in the period it
        happened (not by the visit's state now), so a closed month's figures stay put
        when its visits are finished later."""
        rules.require_enabled(self.rules)
        if last < first:
            from queue_server.domain.errors import InvalidInput
            raise InvalidInput("结束日期早于开始日期", "'to' is before 'from'",
                               code="invalid_range")
        if (last - first).days > 400:
            from queue_server.domain.errors import InvalidInput
            raise InvalidInput("统计期间最长 400 天", "a period is at most 400 days",
                               code="invalid_range")
        since = datetime.combine(first, time.min, self.tz)
        until = datetime.combine(last + timedelta(days=1), time.min, self.tz)
        requested = self.store.counts(since, until)
        events, open_at_end = self.store.events_between(since, until)
        by_team: dict[str, Counter[str]] = {}
        total: Counter[str] = Counter()
        for team, event, n in events:
            by_team.setdefault(team, Counter())[event] += n
            total[event] += n
        keys = ("scheduled", *rules.OUTCOMES, "cancelled")
        rows = []
        for code, t in self.rules.teams.items():
            c = by_team.get(code, Counter())
            rows.append({"team": code, "name": t.name, "kind": t.kind,
                         **{k: c.get(k, 0) for k in keys}})
        return {"from": first.isoformat(), "to": last.isoformat(),
                "requested": sum(requested.values()),
                # The one figure by today's state: the period's requests a guide still
                # has to schedule, for the desk's work list rather than month comparisons.
                "waiting": sum(requested.get(s, 0) for s in rules.OPEN),
                "open_at_end": open_at_end,
                "visits": {k: total.get(k, 0) for k in keys}, "teams": rows}

    # --- what people see -----------------------------------------------------------------

    def view(self, row: dict[str, Any]) -> dict[str, Any]:
        biz = self.layout.businesses.get(row["business"])
        team = self.rules.teams.get(row["team"] or "")
        zh, en = rules.STATUS.get(row["status"], (row["status"], row["status"]))
        rzh, ren = rules.REASONS.get(row["reason"], (row["reason"], row["reason"]))
        day: date | None = row["visit_day"]
        when = when_en = None
        if day is not None:
            weekday = "一二三四五六日"[day.weekday()]
            when = f"{day:%m月%d日} 周{weekday} {row['window_start']}–{row['window_end']}"
            when_en = f"{day:%a %d %b}, {row['window_start']}–{row['window_end']}"
        return {
            "code": row["code"], "status": row["status"], "status_zh": zh, "status_en": en,
            "business": row["business"], "business_name": biz.name if biz else row["business"],
            "business_name_en": biz.name_en if biz else "",
            "reason": row["reason"], "reason_zh": rzh, "reason_en": ren,
            "reason_note": row["reason_note"], "name_masked": row["name_masked"],
            "district": row["district"], "address_masked": row["address_masked"],
            "phone_masked": row["phone_masked"],
            "preferred_days": [d for d in row["preferred_days"].split(",") if d],
            "note": row["note"], "channel": row["channel"],
            "created_at": row["created_at"].isoformat(),
            "team": row["team"], "team_name": team.name if team else None,
            "team_kind": team.kind if team else None,
            "visit_day": day.isoformat() if day else None,
            "window_start": row["window_start"], "window_end": row["window_end"],
            "when": when, "when_en": when_en, "attempts": row["attempts"],
            "outcome_note": row["outcome_note"],
        }
