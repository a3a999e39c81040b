from __future__ import annotations

import subprocess
import sys

import devices.idcard


def test_every_export_resolves() -> None:
    for name in devices.idcard.__all__:
        assert getattr(devices.idcard, name) is not None


def test_id_number_import_stays_light() -> None:
    # The queue server imports the check-digit function; it must not drag in pyserial.
    code = "import sys; import hallrules.id_number; print('serial' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
