"""The JSON shapes a ticket and a window take in responses and events.

Only masked applicant data ever leaves the server: the state holds nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server.domain.state import HallState
from queue_server.domain.tickets import STATUS_ZH, Status, Ticket
from queue_server.domain.windows import WINDOW_STATUS_ZH, WindowState


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def ticket_view(t: Ticket, state: HallState, ahead: int | None = None) -> dict[str, Any]:
    layout = state.layout
    b = layout.businesses.get(t.business)
    journey = layout.journeys.get(t.journey or "")
    next_step = (journey.steps[t.journey_step + 1]
                 if journey and t.journey_step + 1 < len(journey.steps) else None)
    view: dict[str, Any] = {
        "id": t.id,
        "number": t.number,
        "business": t.business,
        "business_name": b.name if b else t.business,
        "business_name_en": b.name_en if b else "",
        "status": t.status.value,
        "status_zh": STATUS_ZH[t.status],
        "priority": t.priority.value,
        "priority_reason": t.priority_reason,
        "window": t.window,
        "parked": t.parked,
        "recalls": t.recalls,
        "day": t.day.isoformat(),
        "issued_at": iso(t.issued_at),
        "called_at": iso(t.called_at),
        "started_at": iso(t.started_at),
        "finished_at": iso(t.finished_at),
        "closed_reason": t.closed_reason,
        "override_reason": t.override_reason,
        # 不予受理 closes a ticket as done with its own outcome; the figures count it apart.
        "outcome": _outcome(t),
        "prechecked": t.precheck_item is not None,  # 已预审 at the desk before issuing
        "precheck_item": t.precheck_item,
        "follows_notice": t.follows_notice,
        "journey": t.journey,
        "journey_step": t.journey_step,
        "journey_next": next_step,
        "waiting_ahead": None,
        "estimated_wait_minutes": None,
        "estimated_wait_range": None,
        "applicant": {"id_masked": t.id_masked, "name_masked": t.name_masked}
        if t.id_hash else None,
    }
    if t.status is Status.WAITING and not t.parked and t.day == state.day:
        if ahead is None:
            ahead = state.people_ahead(t)
        est = state.estimate(t.business, ahead or 0)
        view["waiting_ahead"] = ahead
        if est is not None:
            view["estimated_wait_minutes"] = round(est.minutes)
            view["estimated_wait_range"] = [est.low, est.high]
    return view


def _outcome(t: Ticket) -> str | None:
    if t.status is Status.DONE:
        return "refused" if t.closed_reason == "refused" else "served"
    if t.status in (Status.NO_SHOW, Status.CANCELLED):
        return t.closed_reason if t.closed_reason == "abandoned" else t.status.value
    return None


def window_view(w: WindowState, state: HallState) -> dict[str, Any]:
    current = state.tickets.get(w.current) if w.current else None
    return {
        "number": w.number,
        "zone": w.zone,
        "businesses": list(w.businesses),
        "status": w.status.value,
        "status_zh": WINDOW_STATUS_ZH[w.status],
        "kind": w.kind,
        "green_channel": w.green_channel,
        "label": w.label,
        "current": {"id": current.id, "number": current.number, "status": current.status.value,
                    "business": current.business, "called_at": iso(current.called_at),
                    "started_at": iso(current.started_at),
                    # A service past twice this is overtime (超时警示) on the consoles.
                    "typical_minutes": round(state.stats.mean(current.business), 1)}
        if current else None,
        "parked": [t.number for t in state.waiting.values() if t.parked and t.window == w.number],
        "staff": {"number": w.staff, "name": w.staff_name, "since": iso(w.staff_since)}
        if w.staff else None,
    }


# What a phone following its ticket may see of it: its own progress, no applicant data.
FOLLOWED = ("id", "number", "business", "business_name", "business_name_en", "status",
            "status_zh", "window", "waiting_ahead", "estimated_wait_minutes",
            "estimated_wait_range", "day", "issued_at", "called_at", "finished_at",
            "journey_next")


def follow_view(view: dict[str, Any]) -> dict[str, Any]:
    """A ticket view cut to what its follow link shows."""
    return {k: view.get(k) for k in FOLLOWED}


def business_places(state: HallState, business: str) -> dict[str, list[Any]]:
    """Every waiting ticket's place in one business's queue, by number: `[ahead, minutes,
    low, high]` (the estimate's three as None when no open window serves it).

    One object per business serves every phone following a ticket there: each finds its
    own number, so the server does no work per phone (issue 17)."""
    order = state.queue_order(business)  # parked ones are not in it
    return {t.number: ([ahead, round(est.minutes), est.low, est.high] if est is not None
                       else [ahead, None, None, None])
            for (ahead, t), est in zip(enumerate(order), state.estimates(business, len(order)),
                                       strict=True)}
