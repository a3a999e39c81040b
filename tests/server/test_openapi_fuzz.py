"""schemathesis over the app's own document, as an integrator's CI would run it.

Every check runs (`--checks all`), on SQLite and PostgreSQL, with an admin token and with
a kiosk token (and a registry one, which alone pushes cases and units), a few examples per operation so each run stays well under a minute. What
must never be found are the ST1xx failures, which say the server or its document is
wrong: a 5xx (ST101), a status, content type, header or body the document does not declare
(ST103-ST108), a request the document calls invalid but the server accepts (ST201: the
routes validate as their document says), and a 405 without the right `Allow` (ST204, ST205).

ST202, a schema-valid request refused, is reported, not failed: a ticket id that does
not exist, a business past its cap, a control character in a path, are the hall's rules,
which no schema can state.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.conftest import LiveServer

ST = Path(sys.executable).parent / "st"
MUST_NOT = ("ST1", "ST201", "ST204", "ST205")


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
            capture_output=True, text=True, timeout=480)  # a loaded CI machine
    assert report.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(report.read_text(encoding="utf-8"))
    assert result["complete"] and result["operations"]["tested"] >= 82
    assert result["errors"] == [], _findings(run.stdout, result["errors"])
    bad = [f for f in result["failures"] if f["code"].startswith(MUST_NOT)]
    assert bad == [], _findings(run.stdout, bad)
    assert result["test_cases"]["generated"] > 500


def _findings(stdout: str, bad: list[dict]) -> str:
    """Each finding's operation, check and reproducing request, whatever its place in a
    long output (the tail alone missed the ST201s behind hundreds of ST202s); for an
    error (a request the client could not send), the lines that say why."""
    codes = {f["code"] for f in bad if "code" in f}
    titles = {f["title"] for f in bad if "code" not in f}
    out, op, keep = [], "", False
    lines = stdout.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("_____"):
            op = line.strip("_ ")
        elif any(f"- {c} " in line for c in codes):
            keep = True
            out.append(f"{op}: {line.strip()}")
        elif keep and ("Invalid component" in line or "curl " in line):
            out.append("    " + line.strip()[:400])
            keep = "curl " not in line
        elif line.strip() in titles:
            out.extend(x[:400] for x in lines[max(0, n - 3):n + 4])
    return f"{bad}\n" + "\n".join(out)
