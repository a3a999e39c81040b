"""POST /kiosks/{name}/health (kiosks) and GET /kiosks (guides): the kiosks' live status."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from queue_server.api.boards import STALE_SECONDS
from queue_server.security import issue_token
from tests.server.conftest import AppHandle

REPORT = {"devices": [{"device": "printer", "state": "failed", "reason": "缺纸 / out of paper"},
                      {"device": "idcard", "state": "ok", "reason": ""}],
          "faults": ["printer"], "screen": "home", "version": "0.1.0",
          "counters": {"issued": 12, "print_failed": 1}}


@pytest.fixture
def api(make_hall: Callable[..., AppHandle]) -> Iterator[tuple[TestClient, AppHandle]]:
    handle = make_hall(catalogue=False)
    with TestClient(handle.app) as client:
        yield client, handle


def test_a_kiosk_reports_and_a_guide_sees_it(api: tuple[TestClient, AppHandle]) -> None:
    client, handle = api
    r = client.post("/api/v1/kiosks/k-1/health", json=REPORT, headers=handle.headers("kiosk"))
    assert r.status_code == 204, r.text
    client.post("/api/v1/kiosks/k-2/health", json={"devices": []},
                headers=handle.headers("kiosk"))
    r = client.get("/api/v1/kiosks", headers=handle.headers("guide"))
    assert r.status_code == 200
    k1, k2 = r.json()
    assert k1["name"] == "k-1" and k1["state"] == "failed" and k1["faults"] == ["printer"]
    assert k1["counters"] == {"issued": 12, "print_failed": 1} and not k1["stale"]
    assert k2["name"] == "k-2" and k2["state"] == "ok"
    # A newer report replaces the older one: this is live status, not history.
    client.post("/api/v1/kiosks/k-1/health", json={"devices": [], "faults": []},
                headers=handle.headers("kiosk"))
    assert client.get("/api/v1/kiosks", headers=handle.headers("admin")).json()[0]["state"] == "ok"


@pytest.mark.parametrize(("role", "method", "path", "status"), [
    ("guide", "post", "/api/v1/kiosks/k-1/health", 403),
    ("display", "post", "/api/v1/kiosks/k-1/health", 403),
    ("kiosk", "get", "/api/v1/kiosks", 403),
    ("window", "get", "/api/v1/kiosks", 403),
])
def test_roles(api: tuple[TestClient, AppHandle], role: str, method: str, path: str,
               status: int) -> None:
    client, handle = api
    headers = handle.headers(role, 1 if role == "window" else None)
    r = client.request(method.upper(), path, json=REPORT if method == "post" else None,
                       headers=headers)
    assert r.status_code == status and r.json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/kiosks").status_code == 401


@pytest.mark.parametrize("body", [
    {"devices": [{"device": "printer", "state": "on fire"}]},
    {"devices": "printer"},
    {"faults": ["x" * 21]},
    {"unknown": 1},
    {"devices": [{"device": "d", "state": "ok"}] * 11},
])
def test_bad_reports_are_refused(api: tuple[TestClient, AppHandle], body: dict[str, object]
                                 ) -> None:
    client, handle = api
    r = client.post("/api/v1/kiosks/k-1/health", json=body, headers=handle.headers("kiosk"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"


def test_bad_names_are_refused(api: tuple[TestClient, AppHandle]) -> None:
    client, handle = api
    for name in ("a" * 41, "k%201", "自助机"):
        r = client.post(f"/api/v1/kiosks/{name}/health", json=REPORT,
                        headers=handle.headers("kiosk"))
        assert r.status_code == 422, name


def test_a_named_token_speaks_only_for_its_own_kiosk(api: tuple[TestClient, AppHandle]) -> None:
    client, handle = api
    token = issue_token(handle.app.state.store, "kiosk", name="k-7")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/kiosks/k-7/health", json=REPORT, headers=auth).status_code == 204
    r = client.post("/api/v1/kiosks/k-8/health", json=REPORT, headers=auth)
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_kiosk"


def test_a_silent_kiosk_turns_stale_on_the_halls_clock(api: tuple[TestClient, AppHandle]
                                                        ) -> None:
    client, handle = api
    client.post("/api/v1/kiosks/k-1/health", json={"devices": []},
                headers=handle.headers("kiosk"))
    guide = handle.headers("guide")
    [k] = client.get("/api/v1/kiosks", headers=guide).json()
    assert k["state"] == "ok" and not k["stale"]
    handle.clock.advance(seconds=STALE_SECONDS + 1)
    [k] = client.get("/api/v1/kiosks", headers=guide).json()
    assert k["stale"] and k["state"] == "stale" and k["age_seconds"] == STALE_SECONDS + 1
