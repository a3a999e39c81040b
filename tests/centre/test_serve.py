"""`hallq centre serve` and `hallq centre export` against a centre fed by the two real
county halls (conftest.network): the figures are the halls' own /reports figures, a hall
whose link is down is shown behind with its lag (not empty), the city page in Chromium,
and the province's export read back from its files."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from queue_server.centre.app import create_centre_app
from queue_server.centre.replication import add_hall, status
from queue_server.domain import kpi
from queue_server.domain.tickets import business_day
from queue_server.security import issue_token
from queue_server.store.db import normalise_url
from queue_server.store.reports import Reports
from queue_server.store.repository import Store
from tests.centre.conftest import Network, layout_for, wait_for
from tests.centre.test_replication import caught_up, cli, first_copy_done
from tests.server.conftest import LiveServer

pytestmark = pytest.mark.postgres
SETUP = kpi.Setup.of(layout_for("HY01"))


def centre_now(net: Network) -> datetime:
    """The centre's clock: the later of the two halls' (each test hall has its own)."""
    return max(h.hall.clock() for h in net.halls.values())


@pytest.fixture(scope="module")
def joined(network: Network) -> Network:
    """Both halls subscribed and caught up (when this file runs alone, too)."""
    centre = create_engine(normalise_url(network.centre_url))
    with centre.connect() as conn:
        subs = set(conn.execute(text("SELECT subname FROM pg_subscription")).scalars())
    for code, h in network.halls.items():
        if f"hallq_{code.lower()}" not in subs:
            add_hall(code, h.url, network.centre_url)
    if not any(h.issued for h in network.halls.values()):
        for h in network.halls.values():
            h.issue(6)
            h.serve_some(3)
    wait_for(lambda: first_copy_done(centre), "both halls' first copy", timeout=120)
    wait_for(lambda: caught_up(network, centre), "both halls at the centre", timeout=30)
    centre.dispose()
    # Rows equal is not yet `streaming`: the first copy's tables leave the syncing state
    # a moment after their rows are in.
    wait_for(lambda: all(s.state == "streaming" for s in status(
        network.centre_url, today=centre_now(network).date(), now=centre_now(network))),
        "both subscriptions streaming", timeout=30)
    return network


class Centre:
    def __init__(self, net: Network, export_dir: Path | None = None) -> None:
        self.net = net
        self.app = create_centre_app(net.centre_url, SETUP, clock=lambda: centre_now(net),
                                     export_dir=export_dir)
        self.live = LiveServer(self.app).start()
        self.url = self.live.url
        self.token = issue_token(Store(self.app.state.engine), "manager", name="city")

    def get(self, path: str, token: str | None = "", **params: Any) -> httpx.Response:
        token = self.token if token == "" else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(f"{self.url}{path}", params=params, headers=headers, timeout=30)

    def stop(self) -> None:
        self.live.stop()


@pytest.fixture(scope="module")
def centre(joined: Network) -> Iterator[Centre]:
    c = Centre(joined)
    yield c
    c.stop()


def hall_report(net: Network, code: str, now: datetime) -> tuple[list, dict]:
    """What the hall's own GET /reports?by=business answers for today, at `now`."""
    today = business_day(now, SETUP.tz, SETUP.clear_time)
    return Reports(net.halls[code].engine).report(kpi.By.BUSINESS, today, today, SETUP,
                                                   today=today, now=now)


def test_figures_are_the_halls_own_reports_by_hall_and_city_wide(centre: Centre) -> None:
    net = centre.net
    r = centre.get("/api/v1/centre/figures")
    assert r.status_code == 200, r.text
    body = r.json()
    now = datetime.fromisoformat(body["at"])
    assert set(body["halls"]) == {"HY01", "LY02"}
    for code in ("HY01", "LY02"):
        rows, totals = hall_report(net, code, now)
        mine = body["halls"][code]
        assert mine["rows"] == rows and mine["totals"] == totals
        assert mine["totals"]["arrived"] == net.halls[code].issued
        assert mine["behind"] is False and mine["state"] == "streaming", mine
    city = body["city"]["totals"]
    assert city["arrived"] == sum(h.issued for h in net.halls.values())
    assert city["served"] == sum(body["halls"][c]["totals"]["served"] for c in body["halls"])
    assert body["city"]["behind"] == []
    # The short path of the network's docs answers the same.
    assert centre.get("/centre/figures").json()["city"] == body["city"]


def test_only_the_centres_manager_tokens_open_the_figures(centre: Centre) -> None:
    assert centre.get("/api/v1/centre/figures", token=None).status_code == 401
    # A manager token of a hall is the hall's: it opens nothing at the centre.
    hall_token = issue_token(Store(centre.net.halls["HY01"].engine), "manager")
    r = centre.get("/api/v1/centre/figures", token=hall_token)
    assert r.status_code == 401 and "市中心" in r.json()["error"]["message"]
    kiosk = issue_token(Store(centre.app.state.engine), "kiosk")
    r = centre.get("/api/v1/centre/figures", token=kiosk)
    assert r.status_code == 403 and "/" in r.json()["error"]["message"]
    # `hallq centre token` prints one that opens them.
    code, out, err = cli("centre", "token", "--centre-db", centre.net.centre_url, "--name",
                         "city-office")
    assert code == 0, err
    assert centre.get("/api/v1/centre/figures", token=out.strip()).status_code == 200
    code, _, err = cli("centre", "token", "--centre-db", centre.net.centre_url, "--expires",
                       "soon")
    assert code == 2 and "/" in err
    code, _, err = cli("centre", "serve", "--centre-db", "sqlite:///city.db")
    assert code == 1 and "PostgreSQL" in err
    # The centre's own tokens never show as a hall.
    assert set(centre.get("/api/v1/centre/figures").json()["halls"]) == {"HY01", "LY02"}


@pytest.mark.parametrize("params,code", [({"from": "23/11/2026"}, "invalid_date"),
                                         ({"from": "2026-11-23", "to": "2026-11-01"},
                                          "invalid_range"),
                                         ({"from": "2024-01-01", "to": "2026-11-23"},
                                          "invalid_range")])
def test_bad_periods_are_refused_with_a_message(centre: Centre, params: dict, code: str
                                                ) -> None:
    r = centre.get("/api/v1/centre/figures", **params)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == code and " / " in err["message"]


def test_a_hall_whose_link_is_down_is_behind_with_its_lag_not_empty(
        centre: Centre, open_page: Any, pages_dir: Path) -> None:
    net = centre.net
    ly = net.halls["LY02"]
    page = open_page(f"{centre.url}/city?token={centre.token}")
    page.wait_for_function("window.hallqCity.loads >= 1", timeout=20_000)
    page.wait_for_selector("#chart-mix svg")
    assert page.locator("#behind").is_hidden()
    page.screenshot(path=str(pages_dir / "city-live.png"), full_page=True)
    ly.cluster.stop()
    try:
        body = centre.get("/api/v1/centre/figures").json()
        late = body["halls"]["LY02"]
        assert late["behind"] is True and late["hall_reachable"] is False
        assert late["lag_seconds"] is not None and late["lag_seconds"] >= 0  # its lag
        assert late["totals"]["arrived"] == ly.issued  # what arrived stays shown
        assert body["city"]["behind"] == ["LY02"]
        assert body["halls"]["HY01"]["behind"] is False
        page.reload()
        page.wait_for_function("window.hallqCity.loads >= 1", timeout=20_000)
        page.wait_for_selector("#chart-mix svg")
        bar = page.locator("#behind")
        assert bar.is_visible()
        assert "LY02" in bar.inner_text() and "滞后" in bar.inner_text()
        assert "未知" not in bar.inner_text() and "数据截至" in bar.inner_text()
        row = page.locator('#halls tr[data-hall="LY02"]')
        assert "behind" in (row.get_attribute("class") or "")
        assert "大厅不可达" in row.inner_text()
        assert row.locator("td").nth(2).inner_text() == str(ly.issued)
        assert page.locator('#halls tr[data-hall="city"] td').nth(2).inner_text() == \
            f"{sum(h.issued for h in net.halls.values()):,}"
        for chart in ("volume", "waits", "quality", "mix"):
            assert page.locator(f"#chart-{chart} svg").count() == 1, chart
        assert "⚠ LY02" in page.locator("#chart-volume").inner_text()
        page.screenshot(path=str(pages_dir / "city-hall-down.png"), full_page=True)
    finally:
        ly.cluster.start()
    wait_for(lambda: not centre.get("/api/v1/centre/figures").json()["halls"]["LY02"]
             ["behind"], "LY02 live again at the centre", timeout=30)


def test_city_page_signs_in_and_a_month_at_a_glance(centre: Centre, open_page: Any,
                                                     pages_dir: Path) -> None:
    page = open_page(f"{centre.url}/city")
    page.fill("#login-token", "hq_wrong")
    page.click("#login-go")
    page.wait_for_selector("#login-error:not([hidden])")
    assert "令牌无效" in page.inner_text("#login-error")
    page.fill("#login-token", centre.token)
    page.click("#login-go")
    page.wait_for_function("window.hallqCity.loads >= 1", timeout=20_000)
    page.click('[data-quick="month"]')
    page.wait_for_function("window.hallqCity.loads >= 2", timeout=20_000)
    today = business_day(centre_now(centre.net), SETUP.tz, SETUP.clear_time)
    assert page.input_value("#from") == today.replace(day=1).isoformat()
    assert page.input_value("#to") == today.isoformat()
    assert page.locator("#kpis .kpi").count() == 6
    page.screenshot(path=str(pages_dir / "city-month.png"), full_page=True)


# --- the province's export ----------------------------------------------------------

def read_back(out: Path, day: str) -> tuple[list[dict], list[list[str]]]:
    lines = [json.loads(s) for s in (out / f"city-figures-{day}.jsonl").read_text(
        encoding="utf-8").splitlines()]
    with open(out / f"city-figures-{day}.csv", encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    return lines, table


def test_export_writes_json_lines_and_csv_the_province_reads_back(joined: Network,
                                                                  tmp_path: Path) -> None:
    net = joined
    day = business_day(centre_now(net), SETUP.tz, SETUP.clear_time).isoformat()
    layout = Path(__file__).parents[2] / "layouts" / "small.toml"
    code, out, err = cli("centre", "export", "--centre-db", net.centre_url, "--out",
                         str(tmp_path), "--day", day, "--layout", str(layout),
                         "--at", centre_now(net).isoformat())
    assert code == 0, err
    assert day in out
    lines, table = read_back(tmp_path, day)
    city = [x for x in lines if x["scope"] == "city" and x["key"] == "total"]
    assert len(city) == 1 and city[0]["arrived"] == sum(h.issued for h in net.halls.values())
    for c, h in net.halls.items():
        total = [x for x in lines if x["hall"] == c and x["key"] == "total"]
        assert len(total) == 1 and total[0]["arrived"] == h.issued
        assert total[0]["behind"] is False
        by_business = [x for x in lines if x["hall"] == c and x["key"] != "total"]
        assert sum(x["arrived"] for x in by_business) == h.issued
    # Aggregates only: no column of the export can hold a person's data.
    assert not {"id_hash", "id_masked", "name_masked", "phone"} & set(lines[0])
    header, *rows = table
    assert header[0] == "日期 / day" and "取号 / arrived" in header
    assert len(rows) == len(lines)
    arrived = header.index("取号 / arrived")
    assert [int(r[arrived]) for r in rows] == [x["arrived"] for x in lines]
    # Bad input: a day that is not a date, a directory that cannot be written.
    code, _, err = cli("centre", "export", "--centre-db", net.centre_url, "--out",
                       str(tmp_path), "--day", "yesterday")
    assert code == 2 and "YYYY-MM-DD" in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = cli("centre", "export", "--centre-db", net.centre_url, "--out",
                       str(blocker / "sub"), "--day", day, "--layout", str(layout))
    assert code == 2 and "cannot write" in err


def test_serve_writes_the_days_export_once_it_is_due(joined: Network, tmp_path: Path) -> None:
    net = joined
    day = business_day(centre_now(net), SETUP.tz, SETUP.clear_time)
    # The centre starts the next morning: the day before is due and not yet written.
    morning = datetime.combine(day + timedelta(days=1), datetime.min.time(),
                               tzinfo=SETUP.tz).replace(hour=8).astimezone(UTC)
    app = create_centre_app(net.centre_url, SETUP, clock=lambda: morning, export_dir=tmp_path)
    with LiveServer(app):
        wait_for(lambda: (tmp_path / f"city-figures-{day}.csv").exists()
                 and (tmp_path / f"city-figures-{day}.jsonl").exists(),
                 "the serve process wrote the day's export", timeout=30)
    lines, table = read_back(tmp_path, day.isoformat())
    city = next(x for x in lines if x["scope"] == "city" and x["key"] == "total")
    assert city["arrived"] == sum(h.issued for h in net.halls.values())
    assert len(table) == len(lines) + 1
    assert not list(tmp_path.glob(".*.tmp"))  # written whole, then renamed


# --- a migration at all three, replication running ----------------------------------
# Last in this file: it leaves the three databases one (test-only) revision ahead.

PROBE = '''"""Test only: a nullable column on tickets, as a real later migration would add.

Revision ID: 9901
Revises: {head}
"""

import sqlalchemy as sa
from alembic import op

revision = "9901"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("probe", sa.String(20), nullable=True))


def downgrade() -> None:
    op.drop_column("tickets", "probe")
'''


def test_a_migration_at_both_halls_and_the_centre_with_replication_running(
        joined: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from sqlalchemy import Column, String

    from queue_server.centre import replication
    from queue_server.store import db
    from queue_server.store.tables import tickets

    net = joined
    hy, ly = net.halls["HY01"], net.halls["LY02"]
    head = db.head_revision()
    migrations = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS, migrations)
    (migrations / "versions" / "9901_probe.py").write_text(PROBE.format(head=head))
    monkeypatch.setattr(db, "MIGRATIONS", migrations)
    monkeypatch.setattr(replication, "MIGRATIONS", migrations)
    probe = Column("probe", String(20), nullable=True)
    tickets.append_column(probe)  # the code that ships with the migration knows it
    try:
        centre = create_engine(normalise_url(net.centre_url))
        errors_before = {s.code: s.errors for s in status(
            net.centre_url, today=centre_now(net).date(), now=centre_now(net))}
        # 1. The centre first: its schema must take what the halls will send.
        hy.issue(4)
        code, out, _ = cli("centre", "migrate", "--centre-db", net.centre_url)
        assert code == 1 and "not refreshed" in out and "hall at " + head in out  # halls old
        ly.issue(4)
        hy.serve_some(2)
        # 2. Each hall migrates itself (its server restarts), at its own moment.
        db.upgrade(hy.engine, "head")
        hy.issue(3)  # HY01 new, LY02 old: both still replicate on their old lists
        ly.issue(3)
        db.upgrade(ly.engine, "head")
        ly.serve_some(2)
        # 3. The centre again: the publications carry the new column.
        code, out, err = cli("centre", "migrate", "--centre-db", net.centre_url)
        assert code == 0, out + err
        assert out.count("refreshed") == 2
        for h in (hy, ly):
            with h.engine.begin() as conn:
                assert conn.exec_driver_sql("SELECT version_num FROM alembic_version"
                                            ).scalar() == "9901"
                conn.execute(text("UPDATE tickets SET probe = :p WHERE id = :id"),
                             {"p": f"{h.code}-probe", "id": h.ids[-1]})
            h.issue(2)
        wait_for(lambda: caught_up(net, centre), "every row at the centre after the migration",
                 timeout=30)
        with centre.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() \
                == "9901"
            probes = dict(conn.execute(text("SELECT hall, probe FROM tickets WHERE probe IS "
                                            "NOT NULL")).all())
            assert probes == {"HY01": "HY01-probe", "LY02": "LY02-probe"}  # it travels
            total = conn.execute(text("SELECT count(*), count(DISTINCT (hall, id)) FROM "
                                      "tickets")).one()
        assert total == (hy.issued + ly.issued,) * 2  # nothing lost, nothing doubled
        after = status(net.centre_url, today=centre_now(net).date(), now=centre_now(net))
        assert all(s.state == "streaming" for s in after)
        assert {s.code: s.errors for s in after} == errors_before  # no apply error on the way
        centre.dispose()
    finally:
        tickets._columns.remove(probe)  # the rest of the session knows the shipped schema
