"""schemathesis over the app's own document, as an integrator's CI would run it.

Every check runs (`--checks all`), on SQLite and PostgreSQL, with an admin token and with
a kiosk token (and a registry one, which alone pushes cases and units), a few examples per operation so each run stays well under a minute. What
must never be found are the ST1xx failures, which say the server or its document is
wrong: a 5xx (ST101), a status, content type, header or body the document does not declare
(ST103-ST108), and a 405 without the right `Allow` (ST204, ST205).

The ST2xx findings about which requests the server accepts are reported, not failed:
a schema-valid request the use case refuses (a ticket id that does not exist, a business
past its cap) is the hall's rule, which no schema can state.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.conftest import LiveServer

ST = Path(sys.executable).parent / "st"
MUST_NOT = ("ST1", "ST204", "ST205")


@pytest.mark.parametrize("role", ["admin", "kiosk", "registry"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(make_app, tmp_path, role):
    h = make_app()
    report = tmp_path / "report.json"
    with LiveServer(h.app) as server:
        run = subprocess.run(
            [str(ST), "run", f"{server.url}/api/openapi.json", "--checks", "all",
             "--max-examples", "4", "--workers", "1", "--seed", "16", "--no-shrink",
             "--header", f"Authorization: Bearer {h.token(role)}",
             "--report", "json", "--report-json-path", str(report), "--no-color"],
            capture_output=True, text=True, timeout=240)
    assert report.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(report.read_text(encoding="utf-8"))
    assert result["complete"] and result["operations"]["tested"] >= 82
    assert result["errors"] == [], result["errors"]
    bad = [f for f in result["failures"] if f["code"].startswith(MUST_NOT)]
    assert bad == [], run.stdout[-6000:]
    assert result["test_cases"]["generated"] > 500
