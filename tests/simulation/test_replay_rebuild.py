"""Stored rows → simulator arrivals, on hand-written tickets and events (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from queue_server.simulation.engine import simulate
from queue_server.simulation.replay import (
    compare_replay,
    extra_windows,
    rebuild,
    replay_day,
    replay_layout,
)
from tests.domain.helpers import mini_layout

DAY = date(2026, 11, 23)
NINE = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: minute 540


def at(minute: float) -> datetime:
    return NINE + timedelta(minutes=minute)


def ticket(tid: str, business: str, issued: float, *, status: str = "done",
           journey: str | None = None, priority: str = "normal", **row: Any) -> dict[str, Any]:
    return {"id": tid, "business": business, "origin_business": business, "status": status,
            "priority": priority, "journey": journey, "issued_at": at(issued),
            "called_at": None, "started_at": None, "finished_at": None, "window": None,
            "closed_reason": None, **row}


def ev(tid: str | None, kind: str, minute: float, window: int | None = None,
       **data: Any) -> dict[str, Any]:
    return {"ticket_id": tid, "type": f"ticket.{kind}" if tid else kind, "at": at(minute),
            "window": window, "data": data, "seq": 0}


def test_a_journey_is_forwarded_with_each_steps_recorded_time():
    layout = mini_layout()
    rows = [ticket("t1", "tax", 0, journey="sale")]
    events = [ev("t1", "issued", 0, priority="normal"), ev("t1", "called", 1, 3),
              ev("t1", "started", 2, 3), ev("t1", "forwarded", 7, 3, to="transfer"),
              ev("t1", "called", 9, 1), ev("t1", "started", 9.5, 1),
              ev("t1", "completed", 21, 1)]
    r = rebuild(layout, DAY, rows, events)
    a = r.arrivals[0]
    assert a.steps == ("tax", "transfer") and a.journey == "sale" and a.moves == ()
    assert a.services == pytest.approx((6.0, 12.0))  # call → forward, call → complete
    assert [(v.business, v.entered - 540, v.wait) for v in r.actual] == \
        [("tax", 0, 1.0), ("transfer", 7, 2.0)]
    assert r.staffed == (1, 3)


def test_transfers_parks_and_moves_while_waiting():
    layout = mini_layout()
    rows = [ticket("t1", "mortgage", 0), ticket("t2", "query", 1), ticket("t3", "tax", 2)]
    events = [
        # t1 is served at window 2, found to need a transfer, and is sent on.
        ev("t1", "issued", 0), ev("t1", "called", 0, 2), ev("t1", "transferred", 4, 2,
                                                           to="transfer"),
        ev("t1", "called", 10, 1), ev("t1", "completed", 20, 1),
        # t2 waits in the wrong queue; a guide moves it to tax before anyone calls it.
        ev("t2", "issued", 1), ev("t2", "transferred", 3, to="tax"),
        ev("t2", "called", 8, 3), ev("t2", "completed", 13, 3),
        # t3 is parked for a missing paper and called back: both spans held window 3.
        ev("t3", "issued", 2), ev("t3", "called", 3, 3), ev("t3", "parked", 5, 3),
        ev("t3", "called", 13, 3), ev("t3", "completed", 16, 3),
    ]
    r = rebuild(layout, DAY, rows, events)
    t1, t2, t3 = r.arrivals
    assert t1.steps == ("mortgage", "transfer") and t1.moves == ("transfer",)
    assert t1.services == pytest.approx((4.0, 10.0))
    assert t2.steps == ("tax",) and t2.services == pytest.approx((5.0,))
    assert t3.services == pytest.approx((5.0,))  # 2 + 3 minutes at the window
    waits = {(v.ticket_id, v.step): v.wait for v in r.actual}
    assert waits == {("t1", 0): 0.0, ("t1", 1): 6.0, ("t2", 0): 7.0, ("t3", 0): 1.0}
    # The same policy replays the transfer through HallState.transfer.
    run = simulate(replay_layout(layout, r), replay_day(layout, r), "oldest_eligible")
    assert [(v.step, v.business) for v in run.visits if v.arrival == 0] == \
        [(0, "mortgage"), (1, "transfer")]
    assert all(v.called is not None for v in run.visits)


def test_unserved_tickets_take_the_typical_time_and_old_rows_still_replay():
    layout = mini_layout()
    rows = [ticket("t1", "tax", 0, status="cancelled", closed_reason="abandoned"),
            # No events stored for this one: its row's times are used.
            ticket("t2", "query", 1, called_at=at(2), started_at=at(2.5), finished_at=at(6),
                   window=4),
            ticket("t3", "query", 2, status="no_show", called_at=at(6), finished_at=at(9),
                   window=4, priority="green")]
    events = [ev("t1", "issued", 0), ev("t1", "abandoned", 600),
              ev("t3", "issued", 2, priority="green"), ev("t3", "called", 6, 4),
              ev("t3", "no_show", 9, 4)]
    r = rebuild(layout, DAY, rows, events)
    t1, t2, t3 = r.arrivals
    assert t1.services == (layout.businesses["tax"].service_minutes,)
    assert t2.services == pytest.approx((4.0,))
    assert t3.no_show and t3.green and t3.hold_minutes == pytest.approx(3.0)
    doc, _ = compare_replay(layout, r, policies=["oldest_eligible"])
    assert doc["actual"]["served"] == 1 and doc["actual"]["no_shows"] == 1
    assert doc["actual"]["called"] == 2  # t1 was never called


def test_extra_windows_clone_a_window_of_the_business():
    layout = mini_layout()
    rows = [ticket("t1", "mortgage", 0)]
    events = [ev("t1", "issued", 0), ev("t1", "called", 5, 2), ev("t1", "completed", 10, 2)]
    r = rebuild(layout, DAY, rows, events)
    added = extra_windows(layout, r, 2, "mortgage")
    assert [w.number for w in added] == [7, 8]
    assert all(w.businesses == ("mortgage", "transfer") and not w.green_channel for w in added)
    staffed = replay_layout(layout, r, added)
    # Window 2 called someone, so it works; windows nobody called from are closed, except
    # where a business of the day would otherwise have no window at all.
    assert staffed.windows[2].open and not staffed.windows[3].open
    assert staffed.windows[7].open and staffed.windows[8].open


def test_tickets_of_businesses_gone_from_the_layout_are_skipped_and_counted():
    layout = mini_layout()
    rows = [ticket("t1", "tax", 0), ticket("t2", "demolished", 1)]
    events = [ev("t1", "issued", 0), ev("t1", "called", 1, 3), ev("t1", "completed", 4, 3),
              ev("t2", "issued", 1), ev("t2", "called", 2, 3), ev("t2", "completed", 5, 3)]
    r = rebuild(layout, DAY, rows, events)
    assert len(r.arrivals) == 1 and r.skipped == 1
    doc, _ = compare_replay(layout, r, policies=["dedicated"])
    assert doc["skipped"] == 1 and doc["actual"]["served"] == 1


def test_a_whole_simulated_hengyang_day_replays_to_itself():
    """Journeys, green tickets, no-shows, lunch and breaks at the scale of 96 windows.

    The day is one the simulator made; its events are kept as the store would keep them
    and replayed. Nothing is sampled again, so every queue entry's wait comes back.
    """
    from queue_server.domain.layout import load_layout
    from queue_server.settings import DEFAULT_LAYOUT
    from queue_server.simulation.demand import draw_day, find_demand
    from queue_server.simulation.engine import SIM_DATE, HallDay

    layout = load_layout(DEFAULT_LAYOUT)
    day = draw_day(find_demand(layout), layout, 1)
    hall = HallDay(layout, day, "oldest_eligible")
    kept: list[Any] = []
    apply = hall.run_case

    def keep(change):  # type: ignore[no-untyped-def]
        kept.extend(change.events)
        return apply(change)

    hall.run_case = keep  # type: ignore[method-assign]
    hall.run()
    rows = [{"id": t.id, "business": t.business, "origin_business": t.origin_business,
             "status": t.status.value, "priority": t.priority.value, "journey": t.journey,
             "issued_at": t.issued_at, "called_at": t.called_at, "started_at": t.started_at,
             "finished_at": t.finished_at, "window": t.window, "closed_reason": t.closed_reason}
            for t in hall.state.tickets.values()]
    events = [{"ticket_id": e.ticket_id, "type": e.type.value, "at": e.at, "window": e.window,
               "data": e.data, "seq": i} for i, e in enumerate(kept)]
    r = rebuild(layout, SIM_DATE, rows, events)
    assert any(a.journey for a in r.arrivals) and any(a.green for a in r.arrivals)
    assert any(a.no_show for a in r.arrivals) and r.pauses
    doc, runs = compare_replay(layout, r, policies=["oldest_eligible"])
    same = doc["variants"][0]
    for key in ("mean_wait_min", "p90_wait_min", "max_wait_min", "served", "service_level"):
        assert same[key] == doc["actual"][key], key
    real = {(v.arrival, v.step): v.wait for v in r.actual}
    sim = {(v.arrival, v.step): v.wait for v in runs[("oldest_eligible", 0)].visits}
    assert real.keys() == sim.keys()
    assert all(w is None and sim[k] is None or abs((sim[k] or 0) - (w or 0)) < 1e-6
               for k, w in real.items())


def test_a_window_opened_later_serves_only_from_then():
    # Window 6 (query) is closed in the layout; staff open it at 09:30 and it serves.
    layout = mini_layout()
    rows = [ticket("t1", "query", 0), ticket("t2", "query", 1)]
    events = [ev("t1", "issued", 0), ev("t1", "called", 0, 4), ev("t1", "completed", 45, 4),
              ev(None, "window.opened", 30, 6),
              ev("t2", "issued", 1), ev("t2", "called", 30, 6), ev("t2", "completed", 33, 6)]
    r = rebuild(layout, DAY, rows, events)
    assert r.staffed == (4, 6) and r.pauses == {6: ((540.0, 570.0),)}
    doc, _ = compare_replay(layout, r, policies=["oldest_eligible"])
    assert doc["variants"][0]["max_wait_min"] == doc["actual"]["max_wait_min"] == 29.0
