"""Logging: one line per record, the request id on every line of a request, JSON when
asked, and no personal data or secret in a whole day's log."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from queue_server.logs import configure
from tests.server.conftest import AppFactory

ID = "11010519491231002X"
NAME = "王秀英"
PHONE = "13812345678"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """A stream the root logger writes to for this test; pytest's own handlers come back."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield io.StringIO()
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _a_day(client: TestClient, h, token: str) -> None:  # type: ignore[no-untyped-def]
    kiosk = {"Authorization": f"Bearer {token}"}
    win = h.headers("window", 1)
    for _ in range(2):
        t = client.post("/api/v1/tickets", json={"business": "transfer", "applicant": {
            "id_number": ID, "name": NAME}}, headers=kiosk)
        assert t.status_code in (201, 409)
    tid = client.get("/api/v1/tickets", headers=h.headers("guide")).json()[0]["id"]
    watched = client.post(f"/api/v1/tickets/{tid}/notify", json={"phone": PHONE}, headers=kiosk)
    assert watched.status_code < 300, watched.text
    client.post("/api/v1/windows/1/call-next", headers=win)
    client.post(f"/api/v1/tickets/{tid}/complete", headers=win)
    client.post("/api/v1/tickets", json={"business": "transfer", "applicant": {
        "id_number": ID[:-1] + "0", "name": NAME}}, headers=kiosk)  # a bad ID: refused
    client.get(f"/api/v1/hall?token={token}")  # a token in the address
    client.get("/api/v1/hall", headers={"Authorization": "Bearer hq_forged",
                                        "X-Request-ID": "desk-7.42"})


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_days_log_has_request_ids_and_no_personal_data(make_app: AppFactory, fmt: str,
                                                         log_stream: io.StringIO):
    stream = log_stream
    configure("INFO", fmt, stream)
    h = make_app()
    with TestClient(h.app) as client:
        token = h.token("kiosk")
        _a_day(client, h, token)
        r = client.get("/api/v1/health", headers={"X-Request-ID": "bad id with spaces"})
        assert len(r.headers["x-request-id"]) == 12  # ours, not the caller's nonsense
    text = stream.getvalue()
    lines = text.splitlines()
    http = [line for line in lines if "hallq.http" in line]
    assert len(http) >= 9
    for secret in (ID, ID[:-1] + "0", NAME, PHONE, token, "hq_forged", "token="):
        assert secret not in text
    if fmt == "json":
        records = [json.loads(line) for line in lines]  # every line is one JSON object
        http_records = [r for r in records if r["logger"] == "hallq.http"]
        assert all(len(r["request_id"]) >= 8 for r in http_records)
        assert any(r["request_id"] == "desk-7.42" and "401" in r["message"]
                   for r in http_records)
    else:
        assert any("[desk-7.42]" in line and " 401 " in line for line in http)
        assert all("[-]" not in line for line in http)


def test_a_bad_log_setting_stops_the_server_naming_it(tmp_path):
    from tests.server.test_cli import run
    out = run("serve", "--data", str(tmp_path / "var"), "--port", "1",
              env={"HALLQ_LOG_LEVEL": "LOUD"})
    assert out.returncode == 1 and "HALLQ_LOG_LEVEL" in out.stderr


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_each_line_has_its_own_time_across_a_second(fmt: str, log_stream: io.StringIO):
    """The time of day is formatted once a second (logs._Formatter): a line just after the
    second turns must not keep the one before's."""
    import time

    handler = configure("INFO", fmt, log_stream)
    base = time.mktime((2026, 12, 8, 9, 30, 59, 0, 0, -1))
    for created in (base + 0.5, base + 0.75, base + 1.25, base + 61.5):
        record = logging.LogRecord("hallq.http", logging.INFO, "", 0, "x", (), None)
        record.created, record.msecs = created, (created % 1) * 1000
        handler.handle(record)
    lines = log_stream.getvalue().splitlines()
    if fmt == "json":
        stamps = [json.loads(line)["at"] for line in lines]
        assert stamps == ["2026-12-08T09:30:59.500", "2026-12-08T09:30:59.750",
                          "2026-12-08T09:31:00.250", "2026-12-08T09:32:00.500"]
    else:
        assert [line[:23] for line in lines] == [
            "2026-12-08 09:30:59,500", "2026-12-08 09:30:59,750", "2026-12-08 09:31:00,250",
            "2026-12-08 09:32:00,500"]
