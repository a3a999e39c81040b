"""Build the ID-card reader a kiosk's [idcard] table describes.

    [idcard]
    driver = "sam"            # a GA/T 467 SAM reader; "sim" for the simulator
    port = "/dev/ttyUSB0"     # device path or pyserial URL (sam only)
    baud = 115200
    find_timeout = 0.5        # seconds, find/select
    read_timeout = 3.0        # seconds, reading the card
    retries = 2               # extra attempts on garbled/missing answers
    fingerprint = false       # read with 30 10 (text + photo + fingerprint)
    card = "zhang"            # sim only: demo card laid at start, or "none"
    halt_after_read = true    # sim only: a read card stops answering find until lifted

Options of the other driver are accepted and ignored, so switching `driver` between
"sam" and "sim" is a one-word edit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.config import Section
from devices.idcard.demo import DEMO_CARDS
from devices.idcard.identity import CardIdentity
from devices.idcard.reader import IdCardReader, ReaderSettings
from devices.idcard.simulator import SamSimulator

DRIVERS = ("sam", "sim")


@dataclass(frozen=True)
class IdCardConfig:
    driver: str
    settings: ReaderSettings  # port is "" for the simulator: it makes its own
    card: str | None  # sim: the demo card laid at start
    halt_after_read: bool


def parse_config(table: Mapping[str, Any]) -> IdCardConfig:
    s = Section("idcard", table)
    driver = s.get_choice("driver", DRIVERS)
    port = s.get_str("port") if driver == "sam" else s.get_str("port", "", nonempty=False)
    settings = ReaderSettings(
        port=port,
        baud=s.get_int("baud", 115200, low=1200, high=4_000_000),
        find_timeout=s.get_float("find_timeout", 0.5, low=0.05, high=10),
        read_timeout=s.get_float("read_timeout", 3.0, low=0.1, high=30),
        retries=s.get_int("retries", 2, low=0, high=10),
        fingerprint=s.get_bool("fingerprint", False),
    )
    card = s.get_str("card", "none")
    if card != "none" and card not in DEMO_CARDS:
        raise s.error(
            "card",
            f"没有这张演示卡（可用：{'、'.join(DEMO_CARDS)}、none）",
            f"no such demo card (have: {', '.join(DEMO_CARDS)}, none)",
        )
    halt = s.get_bool("halt_after_read", True)
    s.done()
    return IdCardConfig(driver, settings, None if card == "none" else card, halt)


def from_config(section: Mapping[str, Any]) -> IdCardReader:
    config = parse_config(section)
    if config.driver == "sim":
        card = DEMO_CARDS[config.card] if config.card else None
        return simulated_reader(card, config.settings, halt_after_read=config.halt_after_read)
    return IdCardReader(config.settings)


class SimulatedIdCardReader(IdCardReader):
    """A real IdCardReader talking to a SamSimulator it owns (demo mode, tests).

    `simulator.lay(card)` / `simulator.lift()` stand in for a person at the kiosk.
    """

    def __init__(self, simulator: SamSimulator, settings: ReaderSettings) -> None:
        super().__init__(dataclasses.replace(settings, port=simulator.port))
        self.simulator = simulator

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.simulator.close()


def simulated_reader(
    card: CardIdentity | None = None,
    settings: ReaderSettings | None = None,
    *,
    halt_after_read: bool = True,
) -> SimulatedIdCardReader:
    """A reader on a freshly started simulator, optionally with a card already laid."""
    simulator = SamSimulator(card, halt_after_read=halt_after_read).start()
    try:
        return SimulatedIdCardReader(simulator, settings or ReaderSettings(""))
    except BaseException:
        simulator.close()
        raise
