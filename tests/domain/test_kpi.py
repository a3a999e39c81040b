"""The report figures on transitions written by hand: the cases the API cannot produce
today (a call after a no-show) and the ones whose rule is a decision (a call back after
挂起, completing without start, a journey's next step, a clear that ran days late)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from queue_server.domain import kpi
from queue_server.domain.layout import load_layout
from tests.conftest import FIXTURES

SETUP = kpi.Setup.of(load_layout(FIXTURES / "mini.toml"))
DAY = date(2026, 11, 23)
NINE = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def at(minutes: float) -> float:
    return (NINE + timedelta(minutes=minutes)).timestamp()


class Log:
    def __init__(self) -> None:
        self.rows: list[kpi.Transition] = []

    def __call__(self, minutes: float, kind: str, ticket: str | None, window: int | None = None,
                 to: str | None = None, staff: str | None = None) -> None:
        self.rows.append(kpi.Transition(len(self.rows) + 1, at(minutes), f"{kind}", ticket,
                                        window, staff, to))


def totals(tickets: list[kpi.TicketRow], log: Log, by: kpi.By = kpi.By.BUSINESS
           ) -> tuple[list[dict], dict]:
    return kpi.report(by, SETUP, tickets, log.rows, today=date(2026, 11, 24))


def test_a_call_after_a_no_show_and_a_call_back_after_park():
    e = Log()
    e(0, "ticket.issued", "a")
    e(4, "ticket.called", "a", 1)
    e(6, "ticket.no_show", "a", 1)
    e(9, "ticket.called", "a", 1)  # came back: the visit goes on, this call counts
    e(10, "ticket.started", "a", 1)
    e(15, "ticket.parked", "a", 1)
    e(25, "ticket.called", "a", 1)  # the call back: service had started, the wait stands
    e(30, "ticket.completed", "a", 1)
    rows, total = totals([kpi.TicketRow("a", DAY, "transfer")], e)
    assert (total["arrived"], total["served"], total["no_show"]) == (1, 1, 0)
    assert (total["mean_wait_min"], total["mean_walk_min"], total["mean_service_min"]) == (
        9.0, 1.0, 20.0)


def test_forward_serves_one_step_and_queues_the_next_from_then():
    e = Log()
    e(0, "ticket.issued", "j")
    e(5, "ticket.called", "j", 3)
    e(12, "ticket.forwarded", "j", 3, to="transfer")  # completed without start
    e(20, "ticket.called", "j", 1)
    e(21, "ticket.started", "j", 1)
    e(31, "ticket.completed", "j", 1)
    rows, total = totals([kpi.TicketRow("j", DAY, "tax")], e)
    by = {r["key"]: r for r in rows}
    assert (by["tax"]["served"], by["tax"]["forwarded"], by["tax"]["mean_wait_min"],
            by["tax"]["mean_service_min"], by["tax"]["mean_walk_min"]) == (1, 1, 5.0, 7.0, None)
    assert (by["transfer"]["arrived"], by["transfer"]["mean_wait_min"]) == (1, 8.0)
    assert (total["arrived"], total["served"], total["p90_wait_min"]) == (2, 2, 8.0)


def test_a_clear_that_ran_days_late_counts_from_the_ticket_row():
    e = Log()
    e(0, "ticket.issued", "x")
    late = (NINE + timedelta(days=3)).timestamp()
    _, total = totals([kpi.TicketRow("x", DAY, "query", "abandoned", late)], e)
    assert (total["arrived"], total["abandoned"], total["open"]) == (1, 1, 0)


def test_idle_time_leaves_out_pauses_and_counts_the_window_held():
    e = Log()
    e(0, "ticket.issued", "a")
    e(10, "window.paused", None, 4)
    e(30, "window.resumed", None, 4)
    e(40, "ticket.called", "a", 4)
    e(50, "ticket.completed", "a", 4)
    e(60, "ticket.issued", "b")  # the span: 09:00 to 10:00
    rows, total = totals([kpi.TicketRow("a", DAY, "query"), kpi.TicketRow("b", DAY, "query")],
                         e, kpi.By.WINDOW)
    idle = {r["key"]: r["idle_min"] for r in rows}
    # Window 4: 0–10 and 30–40 and 50–60; windows 1, 2 and 3 the whole hour; 6 closed.
    assert idle == {"1": 60.0, "2": 60.0, "3": 60.0, "4": 30.0}
    assert total["idle_min"] == 210.0
    hours = {r["key"]: r["idle_min"] for r in totals(
        [kpi.TicketRow("a", DAY, "query"), kpi.TicketRow("b", DAY, "query")], e,
        kpi.By.HOUR)[0]}
    # Window 4: 09:00–09:10 before its pause; 09:30–09:40 and 09:50–10:00. B001 arrives
    # as the span ends: its slot has no idle time.
    assert hours == {"09:00": 30.0 * 3 + 10.0, "09:30": 30.0 * 3 + 20.0, "10:00": 0.0}


def test_nearest_rank_percentile():
    assert kpi.nearest_rank([], 90) is None
    assert kpi.nearest_rank([5.0], 90) == 5.0
    assert kpi.nearest_rank([float(i) for i in range(1, 11)], 90) == 9.0
    assert kpi.nearest_rank([float(i) for i in range(1, 12)], 90) == 10.0
