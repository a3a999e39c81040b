"""Window LED boards on RS-485: one interface, one frame class per vendor."""

from __future__ import annotations

from devices.led.board import LedBoard, TextNotEncodable
from devices.led.factory import (
    LedConfig,
    SimulatedLedBoards,
    from_config,
    parse_config,
    simulated_boards,
)
from devices.led.frames import FORMATS, AaBbFrame, Checksum, FrameFormat, StxFrame
from devices.led.serial_board import LedBoards, SerialLedBoard, SerialLedBus, UnknownWindow
from devices.led.simulator import LedBusSimulator

__all__ = [
    "FORMATS",
    "AaBbFrame",
    "Checksum",
    "FrameFormat",
    "LedBoard",
    "LedBoards",
    "LedBusSimulator",
    "LedConfig",
    "SerialLedBoard",
    "SerialLedBus",
    "SimulatedLedBoards",
    "StxFrame",
    "TextNotEncodable",
    "UnknownWindow",
    "from_config",
    "parse_config",
    "simulated_boards",
]
