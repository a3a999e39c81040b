"""Answers and live events are written by orjson (queue_server/jsonbytes.py): the bytes must
be those `json.dumps(..., ensure_ascii=False, separators=(",", ":"))` wrote before, for
every kind of value a view holds."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from queue_server.jsonbytes import dumps, dumps_text
from tests.server.conftest import AppFactory


def _old(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_the_same_bytes_as_the_standard_encoder():
    values = [
        {"number": "A001", "business_name": "二手房转移登记", "estimated_wait_minutes": 4.5,
         "estimated_wait_range": [2, 8], "parked": False, "window": None, "recalls": 0},
        {"places": {"A001": [0, 0.0, 0, 3], "A002": [1, 7.25, 4, 11]}},
        {3: "int keys are written as strings", "nested": [{"a": [1, 2.5, -3, 12345678901]}]},
        ["引号 \" 反斜杠 \\ 换行 \n 制表 \t", "\u2028", "😀", ""],
        0.1 + 0.2, -0.0, 123456.789, True, None,
    ]
    for value in values:
        assert dumps(value) == _old(value), value
        assert dumps_text(value) == _old(value).decode("utf-8")
    # Only a small float's exponent is spelled otherwise (1e-7 or 0.00001, not 1e-07 or 1e-05): the same number to
    # any reader. Views round their minutes to tenths and hold no such value.
    for tiny in (1e-7, 1e-5):
        assert dumps(tiny) != _old(tiny)
        assert json.loads(dumps(tiny)) == tiny


def test_a_ticket_answer_and_its_live_events_parse_as_before(make_app: AppFactory):
    h = make_app()
    with TestClient(h.app) as client:
        kiosk = {"Authorization": f"Bearer {h.token('kiosk')}"}
        heard: list[dict[str, Any]] = []
        h.app.state.hall.listeners.append(heard.extend)
        r = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
        assert r.status_code == 201
        assert r.content == _old(r.json())  # the answer's very bytes
        assert heard and all(dumps(m) == _old(m) for m in heard)
