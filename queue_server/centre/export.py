"""The province's daily export: the city's aggregate figures of one business day, per
hall and city-wide, as JSON lines and as CSV, written to a directory.

Aggregates only (counts, rates, minutes): nothing in them names or identifies a person.
Files are `city-figures-YYYY-MM-DD.jsonl` and `.csv`, written whole under a temporary
name and renamed, so a collector that picks files up never reads half of one. Writing a
day again (a hall that was behind has caught up) replaces its files.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from queue_server.domain import kpi
from queue_server.domain.tickets import business_day, next_clear_at

log = logging.getLogger("hallq.centre")
# The export of a day waits this long after the day's clear: the halls' clears (and
# their roll-ups) reach the centre first.
AFTER_CLEAR = timedelta(minutes=15)
# Lines carry these before the report's columns: which day, which hall, how complete.
LEAD = (("day", "日期 / day"), ("scope", "范围 / scope"), ("hall", "大厅 / hall"),
        ("link_state", "链路 / link state"), ("behind", "滞后 / behind"),
        ("lag_seconds", "滞后秒 / lag (s)"))


def names(day: date) -> tuple[str, str]:
    return f"city-figures-{day.isoformat()}.jsonl", f"city-figures-{day.isoformat()}.csv"


def lines(figures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One line per hall and business, each hall's totals, then the city's."""
    day = figures["from"]
    out: list[dict[str, Any]] = []
    for code, h in figures["halls"].items():
        lead = {"day": day, "scope": "hall", "hall": code, "link_state": h["state"],
                "behind": h["behind"], "lag_seconds": h["lag_seconds"]}
        out += [{**lead, **row} for row in [*h["rows"], h["totals"]]]
    lead = {"day": day, "scope": "city", "hall": None, "link_state": None,
            "behind": bool(figures["city"]["behind"]), "lag_seconds": None}
    out += [{**lead, **row} for row in [*figures["city"]["rows"], figures["city"]["totals"]]]
    return out


def to_csv(rows: list[dict[str, Any]]) -> str:
    columns = [*LEAD, *kpi.COLUMNS]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([header for _, header in columns])
    for row in rows:
        w.writerow(["" if row.get(k) is None else row[k] for k, _ in columns])
    return "\ufeff" + buf.getvalue()  # the BOM: Excel opens the Chinese headers right


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def export_day(engine: Engine, setup: kpi.Setup, day: date, out: Path, *, now: datetime,
               links: Mapping[str, Mapping[str, Any]]) -> tuple[Path, Path, int]:
    """Write the day's two files; returns their paths and the number of lines."""
    from queue_server.centre.figures import period_figures

    out.mkdir(parents=True, exist_ok=True)
    today = business_day(now, setup.tz, setup.clear_time)
    figures = period_figures(engine, day, day, setup, today=today, now=now, links=links)
    rows = lines(figures)
    jl, cs = (out / n for n in names(day))
    _write(jl, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    _write(cs, to_csv(rows))
    return jl, cs, len(rows)


def due_day(now: datetime, setup: kpi.Setup) -> date:
    """The latest business day whose export is due at `now`."""
    day = business_day(now, setup.tz, setup.clear_time)
    while next_clear_at(day, setup.tz, setup.clear_time) + AFTER_CLEAR > now:
        day -= timedelta(days=1)
    return day


def export_loop(engine: Engine, setup: kpi.Setup, out: Path, clock: Callable[[], datetime],
                stop: threading.Event, *,
                links: Callable[[date, datetime], list[dict[str, Any]]],
                check_every: float = 60.0) -> None:
    """The serve process's scheduler: the last due day is written when missing (so a
    centre that was down at export time writes it when it starts), then each day once
    it is due. Waits on `stop`, so the process ends at once."""
    while not stop.is_set():
        now = clock()
        day = due_day(now, setup)
        if not all((out / n).exists() for n in names(day)):
            try:
                today = business_day(now, setup.tz, setup.clear_time)
                states = {s["code"]: s for s in links(today, now)}
                _, _, n = export_day(engine, setup, day, out, now=now, links=states)
                log.info("centre export %s: %d lines in %s", day, n, out)
            except Exception:  # the database away: try again at the next check
                log.exception("centre export of %s failed; retrying", day)
        stop.wait(check_every)
