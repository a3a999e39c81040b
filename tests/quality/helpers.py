"""Shared steps of the quality-loop tests: register staff, sign in, serve a ticket."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.server.conftest import AppHandle

API = "/api/v1"


def add_staff(client: TestClient, h: AppHandle, number: str, name: str,
              department: str = "登记科") -> dict[str, Any]:
    r = client.post(f"{API}/staff", json={"number": number, "name": name,
                                          "department": department}, headers=h.headers("admin"))
    assert r.status_code == 201, r.text
    return r.json()


def sign_in(client: TestClient, h: AppHandle, window: int, number: str) -> dict[str, Any]:
    r = client.post(f"{API}/windows/{window}/sign-in", json={"staff": number},
                    headers=h.headers("window", window))
    assert r.status_code == 200, r.text
    return r.json()


def serve(client: TestClient, h: AppHandle, window: int, business: str = "transfer",
          minutes: float = 6.0) -> dict[str, Any]:
    """Issue a ticket, call it at `window`, start and complete it after `minutes`."""
    kiosk, win = h.headers("kiosk"), h.headers("window", window)
    t = client.post(f"{API}/tickets", json={"business": business}, headers=kiosk).json()
    called = client.post(f"{API}/windows/{window}/call-next", headers=win).json()["ticket"]
    assert called["id"] == t["id"], called
    assert client.post(f"{API}/tickets/{t['id']}/start", headers=win).status_code == 200
    h.clock.advance(minutes=minutes)
    done = client.post(f"{API}/tickets/{t['id']}/complete", headers=win)
    assert done.status_code == 200, done.text
    return done.json()


def history(client: TestClient, h: AppHandle, ticket_id: str) -> list[dict[str, Any]]:
    r = client.get(f"{API}/tickets/{ticket_id}/history", headers=h.headers("guide"))
    assert r.status_code == 200
    return r.json()
