"""The report benchmark's generator, on two small days: it writes rows the report reads
the way the server's own would (every visit ends once), and the documentation holds the
definitions word for word as the code does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from bench import reports as bench
from queue_server.domain import kpi
from queue_server.domain.layout import load_layout
from queue_server.store.db import make_engine, migrate
from queue_server.store.reports import Reports

REPO = Path(__file__).resolve().parent.parent.parent


def test_two_generated_days_add_up(db_url: str):
    engine = make_engine(db_url)
    migrate(engine, "TEST")
    try:
        layout = load_layout(bench.LAYOUT)
        end = date(2026, 11, 27)  # a Friday: two working days
        counts = bench.generate(engine, layout, end, 2, 60, seed=3)
        assert counts["days"] == 2 and counts["tickets"] == 120
        assert counts["events"] > 4 * counts["tickets"]
        reader = Reports(engine)
        setup = kpi.Setup.of(layout)
        today, now = date(2026, 11, 30), datetime(2026, 11, 30, 2, tzinfo=UTC)
        data = reader.read(date(2026, 11, 26), end, setup)
        for by in kpi.By:
            rows, totals = reader.report(by, date(2026, 11, 26), end, setup, today=today, now=now)
            fresh = kpi.report(by, setup, data.tickets, data.transitions, data.ratings,
                               data.orders, today=today)
            assert (rows, totals) == fresh
            ended = sum(totals[k] for k in ("served", "no_show", "cancelled", "abandoned",
                                            "transferred"))
            assert totals["open"] == 0 and ended == totals["arrived"] >= 120
            assert 0 < totals["service_level"] <= 1 and totals["evaluations"] > 0
            assert totals["idle_min"] > 0
            if by is kpi.By.BUSINESS:
                assert sum(r["arrived"] for r in rows) == totals["arrived"]
    finally:
        engine.dispose()


def test_the_definitions_are_written_once_in_code_and_docs():
    doc = kpi.__doc__ or ""
    definitions = doc[doc.index("**Period.**"):].strip()
    assert definitions in (REPO / "docs" / "kpi.md").read_text(encoding="utf-8")
