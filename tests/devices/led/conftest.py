from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.led.frames import AaBbFrame, StxFrame
from devices.led.simulator import LedBusSimulator


@pytest.fixture
def bus_sim(tmp_path: Path) -> Iterator[LedBusSimulator]:
    """An RS-485 line with listeners for both frame kinds, on a pty at a stable link."""
    sim = LedBusSimulator([AaBbFrame(), StxFrame()], link=tmp_path / "ttyLED").start()
    yield sim
    sim.close()
