"""GET /advice and POST /advice/{id}/apply through FastAPI's TestClient."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from queue_server.api.app import create_app
from queue_server.security import issue_token
from queue_server.settings import Settings
from tests.conftest import FIXTURES


@pytest.fixture
def client(tmp_path, clock) -> Iterator[TestClient]:
    settings = Settings(layout_path=FIXTURES / "mini.toml", catalogue_path=None,
                        data_dir=tmp_path / "var")
    app = create_app(settings, clock=clock)
    with TestClient(app) as c:
        c.app_state = app.state  # type: ignore[attr-defined]
        yield c
    app.state.store.engine.dispose()


def auth(client: TestClient, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(client.app_state.store, role)}"}  # type: ignore[attr-defined]


def overload_tax(client: TestClient) -> None:
    hall = client.app_state.hall  # type: ignore[attr-defined]
    for _ in range(12):
        hall.issue("tax", actor="kiosk:test")
    hall.call_next(3, actor="window:3", acting_window=3)


def test_guides_read_advice_and_apply_one(client):
    overload_tax(client)
    r = client.get("/api/v1/advice", headers=auth(client, "guide"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outlook"]["tax"]["waiting"] == 11
    first = body["suggestions"][0]
    assert first["business"] == "tax" and first["action"] == "reskill"
    assert first["wait_after_minutes"] < first["wait_before_minutes"]
    assert first["text"] and first["text_en"]

    r = client.post(f"/api/v1/advice/{first['id']}/apply", headers=auth(client, "admin"))
    assert r.status_code == 200, r.text
    assert r.json()["window"]["businesses"] == first["businesses"]
    windows = client.get("/api/v1/windows", headers=auth(client, "guide")).json()
    assert next(w for w in windows if w["number"] == first["window"])["businesses"] == \
        first["businesses"]


def test_a_stale_or_unknown_suggestion_is_refused(client):
    overload_tax(client)
    first = client.get("/api/v1/advice", headers=auth(client, "guide")).json()["suggestions"][0]
    assert client.post(f"/api/v1/advice/{first['id']}/apply",
                       headers=auth(client, "guide")).status_code == 200
    # Applied once, it is no longer suggested.
    again = client.post(f"/api/v1/advice/{first['id']}/apply", headers=auth(client, "guide"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "stale_advice"
    assert client.post("/api/v1/advice/w99-open/apply",
                       headers=auth(client, "guide")).status_code == 409


@pytest.mark.parametrize("role", ["kiosk", "display", "registry"])
def test_only_guides_and_admins_get_advice(client, role):
    assert client.get("/api/v1/advice", headers=auth(client, role)).status_code == 403
    assert client.post("/api/v1/advice/w1-open/apply", headers=auth(client, role)).status_code == 403


def test_advice_needs_a_token(client):
    assert client.get("/api/v1/advice").status_code == 401
