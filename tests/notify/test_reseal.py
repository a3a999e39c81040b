"""Recipients sealed the old way (`v1.`, before AES-GCM) still open, and are re-sealed as
`v2.` when the server starts, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from queue_server.notify.reseal import reseal_all
from queue_server.secrecy import SealError, SecretBox
from queue_server.settings import load_secret
from queue_server.store.db import make_engine, migrate
from queue_server.store.tables import ticket_watch
from tests.server.conftest import AppFactory


def legacy_seal(secret: bytes, text: str, nonce: bytes = b"\x07" * 16) -> str:
    """The v1 construction as hallq wrote it until 2026-12, kept here as the fixture's
    independent source of old values."""
    def derive(label: bytes) -> bytes:
        return hmac.new(secret, b"hallq-secretbox\0" + label, hashlib.sha256).digest()
    enc, mac = derive(b"enc-v1"), derive(b"mac-v1")
    data = text.encode("utf-8")
    stream = b"".join(hmac.new(enc, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest()
                      for i in range(len(data) // 32 + 1))
    body = bytes(a ^ b for a, b in zip(data, stream, strict=False))
    tag = hmac.new(mac, b"v1" + nonce + body, hashlib.sha256).digest()[:16]
    return "v1." + base64.urlsafe_b64encode(nonce + body + tag).decode("ascii")


def test_old_values_open_and_reseal_as_aes_gcm():
    box = SecretBox(b"hall-secret")
    old = legacy_seal(b"hall-secret", "13812345678")
    assert box.open(old) == "13812345678"
    new = box.reseal(old)
    assert new.startswith("v2.") and box.open(new) == "13812345678"
    assert box.reseal(new) == new
    with pytest.raises(SealError):
        SecretBox(b"another").open(old)
    tampered = old[:-3] + ("A" if old[-3] != "A" else "B") + old[-2:]
    with pytest.raises(SealError):
        box.open(tampered)


def test_a_starting_server_reseals_what_it_finds(make_app: AppFactory, db_url: str, tmp_path):
    secret = load_secret(tmp_path / "var")
    engine = make_engine(db_url)
    migrate(engine, "MINI")  # the hall make_app serves (tests/fixtures/mini.toml)
    at = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)

    def watch(ticket: str, sealed: str) -> dict[str, object]:
        return {"ticket_id": ticket, "day": date(2026, 11, 23), "phone_sealed": sealed,
                "phone_masked": "138****5678", "places": 3, "created_at": at}
    with engine.begin() as conn:
        conn.execute(insert(ticket_watch), [
            *(watch(f"t{i}", legacy_seal(secret, f"1381234567{i}", bytes([i]) * 16))
              for i in range(3)),
            watch("foreign", legacy_seal(b"not-this-hall", "13900000000"))])
    h = make_app()
    with TestClient(h.app):
        pass
    box = SecretBox(secret)
    with engine.connect() as conn:
        rows = {r.ticket_id: r.phone_sealed for r in conn.execute(
            select(ticket_watch.c.ticket_id, ticket_watch.c.phone_sealed))}
    assert [rows[f"t{i}"][:3] for i in range(3)] == ["v2."] * 3
    assert [box.open(rows[f"t{i}"]) for i in range(3)] == [f"1381234567{i}" for i in range(3)]
    assert rows["foreign"].startswith("v1.")  # sealed under another key: left, not lost
    assert reseal_all(engine, box) == 0  # nothing left to do
    engine.dispose()
