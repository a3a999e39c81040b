"""The JSON shapes of a case: for the applicant at the kiosk, and for staff.

Both are built from stored rows, which hold nothing but masks: neither view can show
an ID number, a full name or a phone number because none reaches this module.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from queue_server.cases.steps import HINTS, NAMES, PATH, RANK, Step
from queue_server.domain.deadline import URGENCY_NAMES, Urgency


def _iso(at: datetime | date | None) -> str | None:
    return at.isoformat() if at else None


def _current(case: dict[str, Any]) -> Step:
    # A case exists from its acceptance: before any step is pushed it is "accepted".
    return Step(case["status"]) if case.get("status") else Step.ACCEPTED


def timeline(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in steps:
        step = Step(s["step"])
        zh, en = NAMES[step]
        entry: dict[str, Any] = {"seq": s["seq"], "step": step.value, "name": zh, "name_en": en,
                                 "at": _iso(s["at"]), "note": s["note"] or None}
        if step is Step.REFUSED:
            entry["reason"] = s["reason"]
        out.append(entry)
    return out


def progress(current: Step) -> list[dict[str, Any]]:
    """The normal path with each step done, current or to come, for the touch screen."""
    if current is Step.REFUSED:
        return []
    here = RANK[current]
    return [{"step": s.value, "name": NAMES[s][0], "name_en": NAMES[s][1],
             "state": "done" if RANK[s] < here else "current" if s is current else "todo"}
            for s in PATH]


def kiosk_view(case: dict[str, Any], applicants: list[dict[str, Any]],
               steps: list[dict[str, Any]]) -> dict[str, Any]:
    current = _current(case)
    zh, en = NAMES[current]
    hint_zh, hint_en = HINTS[current]
    view: dict[str, Any] = {
        "case_no": case["case_no"],
        "item": case["item"],
        "item_name": case["item_name"],
        "status": current.value,
        "status_name": zh,
        "status_name_en": en,
        "hint": hint_zh,
        "hint_en": hint_en,
        "accepted_at": _iso(case["accepted_at"]),
        "due_date": _iso(case["due_date"]),
        "time_limit_days": case["time_limit_days"],
        "progress": progress(current),
        "timeline": timeline(steps),
        "applicants": [{"name_masked": a["name_masked"], "role": a["role"] or None}
                       for a in applicants],
    }
    if current is Step.REFUSED:
        refusal = next((s for s in reversed(steps) if s["step"] == Step.REFUSED.value), None)
        view["refusal_reason"] = refusal["reason"] if refusal else None
    return view


def staff_view(case: dict[str, Any], applicants: list[dict[str, Any]],
               steps: list[dict[str, Any]], *, urgency: Urgency | None,
               workdays_left: int | None) -> dict[str, Any]:
    view = kiosk_view(case, applicants, steps)
    view.update({
        "version": case["version"],
        "hall": case["accepted_hall"],
        "updated_at": _iso(case["updated_at"]),
        "applicants": [{"id_masked": a["id_masked"], "name_masked": a["name_masked"],
                        "role": a["role"] or None, "phone_masked": a["phone_masked"],
                        "wechat": bool(a["wechat_sealed"])} for a in applicants],
        **urgency_fields(urgency, workdays_left),
    })
    return view


def urgency_fields(urgency: Urgency | None, workdays_left: int | None) -> dict[str, Any]:
    return {"urgency": urgency.value if urgency else None,
            "urgency_name": URGENCY_NAMES[urgency][0] if urgency else None,
            "urgency_name_en": URGENCY_NAMES[urgency][1] if urgency else None,
            "workdays_left": workdays_left}


def overdue_item(case: dict[str, Any], applicants: list[dict[str, Any]], urgency: Urgency,
                 workdays_left: int) -> dict[str, Any]:
    current = _current(case)
    return {
        "case_no": case["case_no"], "item": case["item"], "item_name": case["item_name"],
        "status": current.value, "status_name": NAMES[current][0],
        "status_name_en": NAMES[current][1],
        "accepted_at": _iso(case["accepted_at"]), "due_date": _iso(case["due_date"]),
        "time_limit_days": case["time_limit_days"],
        "applicants": [{"id_masked": a["id_masked"], "name_masked": a["name_masked"]}
                       for a in applicants],
        **urgency_fields(urgency, workdays_left),
    }
