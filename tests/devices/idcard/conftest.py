"""ID-card fixtures: a simulated SAM reader on a real pty, and readers pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.idcard.demo import DEMO_CARDS
from devices.idcard.reader import IdCardReader
from devices.idcard.simulator import SamSimulator

# Short enough that timeout tests stay fast, long enough for a loaded CI machine: a slow
# answer only costs a retry, and assertions never depend on how long anything took.
FIND_TIMEOUT = 0.3
READ_TIMEOUT = 1.0


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SamSimulator]:
    """A reader with 张伟's card on it, at a stable link path (so it can be re-plugged)."""
    with SamSimulator(DEMO_CARDS["zhang"], link=tmp_path / "ttyIDCARD") as s:
        yield s


@pytest.fixture
def reader(sim: SamSimulator) -> Iterator[IdCardReader]:
    r = IdCardReader(sim.port, find_timeout=FIND_TIMEOUT, read_timeout=READ_TIMEOUT)
    yield r
    r.close()
