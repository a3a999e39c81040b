"""`hallq callback draw|verify|list` as an operator runs them (real subprocesses), on a
month built through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import sqlalchemy as sa

from queue_server.domain import callbacks as cb
from queue_server.store.tables import ticket_watch
from tests.callbacks.helpers import Hall
from tests.conftest import REPO
from tests.server.conftest import MINI


def hallq(h, *args: str) -> subprocess.CompletedProcess[str]:
    where = ["--layout", str(MINI), "--data", str(h.settings.data_dir), "--db", h.settings.db_url]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("HALLQ_SECRET", None)  # the key file of the app's data directory, as the app
    return subprocess.run([sys.executable, "-m", "hallq", "callback", *args, *where],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=60)


def test_draw_verify_list_from_the_command_line(make_app):
    h = make_app()
    hall = Hall(h)
    month = hall.build(with_phone=21, without_phone=3)

    out = hallq(h, "draw", "--month", "2026-11")
    assert out.returncode == 0, out.stderr
    assert "2026-11 回访名单已抽取" in out.stdout and "2 of 21" in out.stdout

    again = hallq(h, "draw", "--month", "2026-11")
    assert again.returncode == 1 and again.stdout == ""
    assert "2026-11 的回访名单已经抽取，不能重新抽取 / the call-back sample" in again.stderr

    ok = hallq(h, "verify", "--month", "2026-11")
    assert ok.returncode == 0 and "抽样核验一致" in ok.stdout, ok.stderr

    listed = hallq(h, "list", "--month", "2026-11", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    drawn = [c["ticket_id"] for c in data["calls"]]
    assert drawn == cb.draw(bytes.fromhex(data["draw"]["seed"]), month.with_phone,
                            cb.parse_share(5))
    assert all(month.phones[t] not in listed.stdout for t in drawn)
    assert data["draw"]["drawn_by"].startswith("cli")
    plain = hallq(h, "list", "--month", "2026-11")
    assert plain.returncode == 0 and "未回访 pending" in plain.stdout
    assert data["calls"][0]["number"] in plain.stdout

    # Through the API, the same draw: the CLI and the server share one record.
    api = hall.c.get("/api/v1/callbacks/2026-11", headers=hall.manager).json()
    assert api["draw"]["seed"] == data["draw"]["seed"]

    with h.app.state.store.engine.begin() as conn:
        conn.execute(sa.delete(ticket_watch).where(ticket_watch.c.ticket_id == drawn[0]))
    bad = hallq(h, "verify", "--month", "2026-11")
    assert bad.returncode == 1 and "抽样核验不一致" in bad.stderr
    assert "population hash" in bad.stderr and "抽样结果不符" in bad.stderr


def test_refusals_exit_1_chinese_first(make_app):
    h = make_app()
    for args, words in ((("draw", "--month", "2999-01"), "尚未结束"),
                        (("draw", "--month", "2026-13"), "月份应写作 YYYY-MM"),
                        (("verify", "--month", "2026-10"), "尚未抽取回访名单"),
                        (("list", "--month", "2026-10"), "尚未抽取回访名单")):
        out = hallq(h, *args)
        assert out.returncode == 1, (args, out.stdout)
        assert out.stderr.startswith("hallq callback: ") and words in out.stderr, out.stderr
        assert "Traceback" not in out.stderr
