"""Issue 15, start-up: after a power cut every kiosk and screen waits for `hallq serve`.
The server's import path holds no kiosk, Kivy, OpenCV, numpy or printer-driver code: each
would add its import time to every start. Checked in a fresh interpreter (sys.modules)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

# pyserial stays (the slip parser's package holds the serial scanner; ~10 ms).
HEAVY = ("kivy", "cv2", "kiosk", "numpy", "escpos", "PIL", "qrcode", "matplotlib")

PROBE = """
import json, sys
from pathlib import Path
import hallq.cli
hallq.cli.build_parser(["serve"])
from queue_server.api.app import create_app
from queue_server.settings import Settings
tmp = Path(sys.argv[1])
app = create_app(Settings(data_dir=tmp / "var", db_url=f"sqlite:///{tmp / 'hallq.db'}"))
app.state.store.engine.dispose()
heavy = sys.argv[2].split(",")
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(heavy))))
"""


def heavy_imports(tmp_path: Path, heavy: tuple[str, ...]) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path), ",".join(heavy)],
                         cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_server_imports_no_kiosk_kivy_opencv_or_device_drivers(tmp_path: Path) -> None:
    # A new SQLite database is created at the newest schema, without Alembic (~0.5 s of
    # import and 0.55 s of migrations)...
    assert heavy_imports(tmp_path, (*HEAVY, "alembic")) == []
    # ...and a restart on a database at the newest revision does without it too.
    assert heavy_imports(tmp_path, (*HEAVY, "alembic")) == []


def test_device_commands_are_still_there_when_asked_for() -> None:
    out = subprocess.run([sys.executable, "-m", "hallq", "devices", "--help"], cwd=REPO,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "print-test" in out.stdout and "read-id" in out.stdout
    top = subprocess.run([sys.executable, "-m", "hallq", "--help"], cwd=REPO,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=120)
    assert top.returncode == 0 and "kiosk" in top.stdout and "serve" in top.stdout
