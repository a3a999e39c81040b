"""Issuing a ticket: every rule a new ticket must pass, and the idempotent re-ask."""

from __future__ import annotations

from datetime import datetime

from queue_server.domain.errors import Forbidden, InvalidInput, LimitReached, NotFound
from queue_server.domain.events import Event, EventType
from queue_server.domain.identity import KeptApplicant, age_on
from queue_server.domain.layout import Priority
from queue_server.domain.state.change import Appointment, Change
from queue_server.domain.state.core import StateCore
from queue_server.domain.tickets import Status, Ticket, format_number

APPOINTMENT_EARLY_MINUTES = 15  # an applicant may check in this early for a slot


class Issuing(StateCore):
    """Issuing new tickets."""

    def issue(self, business: str, now: datetime, *, ticket_id: str, actor: str,
              applicant: KeptApplicant | None = None, priority: Priority | None = None,
              priority_reason: str | None = None, journey: str | None = None,
              appointment: Appointment | None = None, channel: str = "kiosk",
              request_key: str | None = None, issued_by: str | None = None,
              override_reason: str | None = None, precheck_item: str | None = None,
              follows_notice: str | None = None) -> Change:
        """`request_key`, unique per caller: asked again with it, the same ticket comes back
        (`Change.result`, nothing written), whatever has happened to it since.
        `override_reason`, a guide's: issue past the daily cap and the per-ID limit, the
        reason recorded on the ticket and its issue event."""
        past: list[str] = []  # the limits an override let this ticket past
        if request_key is not None and request_key in self.request_keys:
            return self._reissue(self.tickets[self.request_keys[request_key]], business,
                                 applicant)
        self.business(business)
        hall = self.layout.hall
        b = self.layout.businesses[business]
        if appointment is not None and appointment.code in self.appointments:
            # One slip, one ticket: else a slip passed along the queue jumps it again.
            held = self.tickets[self.appointments[appointment.code]]
            raise LimitReached(f"该预约已签到取号（{held.number}），请留意叫号",
                               f"this booking has already checked in: ticket {held.number}",
                               code="appointment_used")
        if journey is not None:
            j = self.layout.journeys.get(journey)
            if j is None:
                raise NotFound(f"没有该办理流程：{journey}", f"unknown journey '{journey}'",
                               code="unknown_journey")
            if j.steps[0] != business:
                raise InvalidInput(f"流程「{j.name}」从「{self.layout.businesses[j.steps[0]].name}」开始",
                                   f"journey '{journey}' starts at '{j.steps[0]}'")
            # A later step whose business has given out today's numbers cannot take this
            # applicant either: say so now, not at the third window.
            for step in j.steps[1:]:
                later = self.layout.businesses[step]
                if later.daily_cap and self.taken(step) >= later.daily_cap:
                    if override_reason:
                        past.append("journey_step_full")
                        continue
                    raise LimitReached(
                        f"「{j.name}」中的「{later.name}」今日号已取完，无法办完全程，请到咨询台或改日办理",
                        f"'{later.name_en or later.code}', a later step of this journey, has "
                        "given out all of today's tickets", code="journey_step_full")
        # A back-office window may list a business, but it calls nobody: a ticket issued
        # for it now would wait for ever (the layout check's rule, applied live).
        if not self.front_served(business):
            raise LimitReached(f"「{b.name}」暂停取号：目前没有开放的前台窗口办理，请到咨询台",
                               f"no open front window serves '{b.name_en or b.code}' now; "
                               "please ask at the desk", code="business_closed")
        if journey is not None:
            j = self.layout.journeys[journey]
            for step in j.steps[1:]:
                if not self.front_served(step):
                    later = self.layout.businesses[step]
                    raise LimitReached(
                        f"「{j.name}」中的「{later.name}」目前没有开放的前台窗口办理，无法办完全程，"
                        "请到咨询台", f"no open front window serves '{later.name_en or later.code}', "
                        "a later step of this journey, now; please ask at the desk",
                        code="business_closed")
        seq = self.sequences.get(business, 0) + 1
        if b.daily_cap and self.taken(business) >= b.daily_cap and override_reason:
            past.append("daily_cap_reached")
        elif b.daily_cap and self.taken(business) >= b.daily_cap:
            raise LimitReached(f"「{b.name}」今日号已取完（每日{b.daily_cap}个），请到咨询台或改日办理",
                               f"today's {b.daily_cap} tickets for '{b.name_en or b.code}' are all taken",
                               code="daily_cap_reached")
        if applicant is None and not hall.allow_anonymous and channel == "kiosk":
            raise InvalidInput("请先刷身份证再取号", "please lay your ID card on the reader first",
                               code="id_required")
        if applicant is not None:
            over = self.id_counts.get(applicant.id_hash, 0) >= hall.per_id_daily_limit
            if over and override_reason:
                past.append("id_limit_reached")
            elif over:
                raise LimitReached(
                    f"同一身份证每天最多取号{hall.per_id_daily_limit}次，请到咨询台",
                    f"one ID card may take {hall.per_id_daily_limit} tickets a day",
                    code="id_limit_reached")
            for t in self.waiting.values():
                if t.id_hash == applicant.id_hash and t.business == business:
                    raise LimitReached(f"您已取过该业务的号 {t.number}，请留意叫号",
                                       f"you already hold ticket {t.number} for this business",
                                       code="already_waiting")
        elderly = (applicant is not None and applicant.birth_date is not None
                   and age_on(applicant.birth_date, self.day) >= hall.green_age)
        if priority is None:
            # Not asked: an elderly applicant gets the green channel without asking.
            priority, priority_reason = ((Priority.GREEN, "age") if elderly
                                         else (Priority.NORMAL, priority_reason))
        elif priority is Priority.GREEN and channel == "kiosk" and not elderly:
            raise Forbidden(f"绿色通道面向{hall.green_age}岁以上老人；其他情况请找引导员办理",
                            f"the kiosk grants the green channel from age {hall.green_age}; "
                            "a guide can grant it otherwise", code="green_not_eligible")
        elif priority is Priority.GREEN:
            priority_reason = priority_reason or ("age" if elderly else "guide")
        if appointment is not None and priority is Priority.NORMAL:
            early = (appointment.slot_start - now).total_seconds() / 60
            if early <= APPOINTMENT_EARLY_MINUTES and now <= appointment.slot_end:
                priority, priority_reason = Priority.APPOINTMENT, "appointment"
            else:
                priority_reason = "appointment_outside_slot"
        t = Ticket(
            id=ticket_id, day=self.day, number=format_number(b.prefix, seq, hall.number_width),
            business=business, status=Status.WAITING, priority=priority, issued_at=now,
            queued_at=now, origin_business=business, journey=journey,
            id_hash=applicant.id_hash if applicant else None,
            id_masked=applicant.id_masked if applicant else None,
            name_masked=applicant.name_masked if applicant else None,
            priority_reason=priority_reason, channel=channel, request_key=request_key,
            appointment_code=appointment.code if appointment else None, issued_by=issued_by,
            override_reason=override_reason, precheck_item=precheck_item,
            follows_notice=follows_notice,
        )
        data: dict[str, object] = {"number": t.number, "business": business,
                                   "priority": priority.value}
        if appointment is not None:
            data["appointment"] = appointment.code
        if precheck_item:
            data["precheck"] = precheck_item
        if follows_notice:
            data["notice"] = follows_notice
        if override_reason:
            data["override"] = {"reason": override_reason, "past": past}
        event = Event(EventType.TICKET_ISSUED, now, actor, t.id, None, data)
        return Change(tickets=[t], events=[event], sequences={business: seq}, result=t)

    def _reissue(self, t: Ticket, business: str, applicant: KeptApplicant | None) -> Change:
        if t.origin_business != business or t.id_hash != (applicant.id_hash if applicant else None):
            raise InvalidInput("该请求编号已用于另一张号，请重新取号",
                               "this request key was used for a different ticket request",
                               code="request_key_reused")
        return Change(result=t)

