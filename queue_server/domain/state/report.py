"""The day report managers read after the clear."""

from __future__ import annotations

from datetime import date

from queue_server.domain.state.change import minutes
from queue_server.domain.tickets import Status, Ticket


def day_report(day: date, tickets: list[Ticket], abandoned: list[Ticket]) -> dict[str, object]:
    """The day's figures per business, as managers read them."""
    abandoned_ids = {t.id for t in abandoned}
    per: dict[str, dict[str, float]] = {}
    for t in tickets:
        row = per.setdefault(t.origin_business, {
            "issued": 0, "done": 0, "no_show": 0, "cancelled": 0, "abandoned": 0,
            "mean_wait_minutes": 0.0, "max_wait_minutes": 0.0})
        row["issued"] += 1
        if t.id in abandoned_ids:
            row["abandoned"] += 1
        elif t.status is Status.DONE:
            row["done"] += 1
        elif t.status is Status.NO_SHOW:
            row["no_show"] += 1
        elif t.status is Status.CANCELLED:
            row["cancelled"] += 1
        if t.called_at is not None:
            wait = minutes(t.called_at - t.issued_at)
            row["mean_wait_minutes"] += wait  # summed here, divided below
            row["max_wait_minutes"] = max(row["max_wait_minutes"], round(wait, 1))
            row.setdefault("_called", 0)
            row["_called"] += 1
    for row in per.values():
        called = row.pop("_called", 0)
        row["mean_wait_minutes"] = round(row["mean_wait_minutes"] / called, 1) if called else 0.0
    return {"day": day.isoformat(), "businesses": per,
            "abandoned": len(abandoned_ids), "issued": len(tickets)}

