"""`hallq db backup` while a real server takes traffic, `hallq db restore` into an empty
data directory, and a second server on the restored data: every ticket acknowledged before
the backup is there, with its number, its place in the queue and its history, as of one
moment. On SQLite (online backup API) and PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import REPO, _pg_reason, _pg_url
from tests.server.served import HALLQ, Server

BUSINESSES = ("query", "trade", "tax")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_databases(request: pytest.FixtureRequest) -> Iterator[tuple[str | None, str | None]]:
    """The live server's database and the empty one to restore into (None: SQLite in
    each data directory)."""
    if request.param == "sqlite":
        yield None, None
        return
    reason = _pg_reason()
    if reason:
        pytest.skip(reason)
    from queue_server.store.db import normalise_url
    url = normalise_url(_pg_url())
    names = [f"hallq_bk_{secrets.token_hex(4)}" for _ in range(2)]
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    base = url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def hallq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HALLQ, *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def db_args(url: str | None) -> list[str]:
    return ["--db", url] if url else []


class Traffic:
    """Issue, call and complete, as a hall's morning does, until stopped."""

    def __init__(self, url: str, token: str) -> None:
        self.acknowledged: list[str] = []
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._run, args=(url, token), daemon=True)

    def _run(self, url: str, token: str) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                          timeout=10) as c:
            i = 0
            while not self.stop.is_set() and i < 330:
                r = c.post("/api/v1/tickets", json={"business": BUSINESSES[i % 3]})
                if r.status_code != 201:
                    self.errors.append(r.text)
                    return
                self.acknowledged.append(r.json()["id"])
                if i % 4 == 3:  # a window serves one, another is called and waits
                    called = c.post(f"/api/v1/windows/{1 + i % 3}/call-next")
                    if called.status_code == 200 and called.json().get("ticket"):
                        tid = called.json()["ticket"]["id"]
                        c.post(f"/api/v1/tickets/{tid}/start")
                        c.post(f"/api/v1/tickets/{tid}/complete")
                i += 1

    def wait_for(self, n: int) -> None:
        deadline = time.monotonic() + 60
        while len(self.acknowledged) < n:
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} tickets"
            time.sleep(0.02)


def view(c: httpx.Client, tid: str) -> dict[str, Any]:
    r = c.get(f"/api/v1/tickets/{tid}")
    assert r.status_code == 200, (tid, r.text)
    return r.json()


def test_a_backup_taken_mid_day_restores_every_ticket_place_and_history(
        tmp_path: Path, two_databases: tuple[str | None, str | None]):
    live_db, restored_db = two_databases
    live = Server(tmp_path / "live", *db_args(live_db))
    guide = live.token("guide")
    live.start()
    backup = tmp_path / "backups" / "hallq-midday.backup"
    try:
        traffic = Traffic(live.url, guide)
        traffic.thread.start()
        traffic.wait_for(60)
        before = list(traffic.acknowledged)
        done = hallq("db", "backup", str(backup), "--data", str(live.data), *db_args(live_db))
        assert done.returncode == 0, done.stderr
        assert "不含身份证号哈希密钥" in done.stderr  # the key is kept apart
        after_backup = len(traffic.acknowledged)
        traffic.wait_for(after_backup + 20)  # traffic went on through the backup
        traffic.stop.set()
        traffic.thread.join()
        assert not traffic.errors, traffic.errors
        assert len(before) < after_backup or len(traffic.acknowledged) > after_backup
        with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {guide}"}) as c:
            live_views = {tid: view(c, tid) for tid in traffic.acknowledged}
            live_history = {tid: c.get(f"/api/v1/tickets/{tid}/history").json()
                            for tid in traffic.acknowledged}
    finally:
        live.stop()
    assert "secret.key" not in backup.read_bytes().decode("latin-1")

    # A data directory in use is refused, and so is a restore without the key.
    refused = hallq("db", "restore", str(backup), "--data", str(live.data),
                    "--key", str(live.data / "secret.key"), *db_args(live_db))
    assert refused.returncode == 1 and "不是空的" in refused.stderr
    assert "not empty" in refused.stderr
    fresh = tmp_path / "restored"
    no_key = hallq("db", "restore", str(backup), "--data", str(fresh), *db_args(restored_db))
    assert no_key.returncode == 2 and "--key" in no_key.stderr and not fresh.exists()

    done = hallq("db", "restore", str(backup), "--data", str(fresh),
                 "--key", str(live.data / "secret.key"), *db_args(restored_db))
    assert done.returncode == 0, done.stderr
    assert (fresh / "secret.key").read_bytes() == (live.data / "secret.key").read_bytes()

    restored = Server(fresh, *db_args(restored_db)).start()
    try:
        with httpx.Client(base_url=restored.url,
                          headers={"Authorization": f"Bearer {guide}"}) as c:
            kept = {t["id"]: t for t in c.get("/api/v1/tickets?limit=2000").json()}
            history = {tid: c.get(f"/api/v1/tickets/{tid}/history").json() for tid in kept}
            waiting = c.get("/api/v1/tickets?status=waiting&limit=2000").json()
            # The restored server goes on from there: numbers continue, none reused.
            new = c.post("/api/v1/tickets", json={"business": "query"})
            assert new.status_code == 201 and new.json()["number"] not in {
                t["number"] for t in kept.values()}
    finally:
        restored.stop()

    # Every ticket acknowledged before the backup began, with its number.
    assert set(before) <= set(kept)
    assert set(kept) <= set(live_views)
    for tid, t in kept.items():
        assert t["number"] == live_views[tid]["number"]
        assert t["issued_at"] == live_views[tid]["issued_at"]
    # One moment for all: every ticket's history is the live one up to the same event.
    moment = max(h["seq"] for hs in history.values() for h in hs)
    for tid, hs in history.items():
        assert hs == [h for h in live_history[tid] if h["seq"] <= moment], tid
    # Its place: the tickets that were waiting at that moment, in their queue order.
    was_waiting = {tid for tid, hs in history.items() if hs[-1]["type"] == "ticket.issued"}
    assert {t["id"] for t in waiting} == was_waiting and was_waiting
    for business in BUSINESSES:
        queue = [t for t in waiting if t["business"] == business]
        assert [t["waiting_ahead"] for t in queue] == list(range(len(queue)))
        assert [t["issued_at"] for t in queue] == sorted(t["issued_at"] for t in queue)
    # Tickets that did not change after the backup read the same on both servers.
    unchanged = [tid for tid in kept if history[tid] == live_history[tid]]
    assert len(unchanged) > len(kept) // 2
    for tid in unchanged:
        for field in ("status", "window", "called_at", "started_at", "finished_at",
                      "business", "priority"):
            assert kept[tid][field] == live_views[tid][field], (tid, field)
