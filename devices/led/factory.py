"""Build the window LED boards an [led] table describes.

    [led]
    driver = "serial"        # RS-485 boards; "sim" for the bus simulator
    port = "/dev/ttyUSB1"    # device path or pyserial URL of the RS-485 adapter
    baud = 9600
    frame_gap = 0.1          # seconds between frames on one line
    frame = "aabb"           # default frame for the boards: "aabb" or "stx"
    encoding = "gbk"
    # checksum = "sum8"      # default: the frame's own (aabb sum8, stx xor8)

    [[led.boards]]
    window = 1
    address = 1
    # any of frame, encoding, checksum, checksum_includes_end, baud, port per board

With driver = "sim" and no boards, windows 1–4 get addresses 1–4.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.config import Section
from devices.errors import DeviceError
from devices.led.frames import FORMATS, AaBbFrame, Checksum, FrameFormat, StxFrame
from devices.led.serial_board import LedBoards, SerialLedBoard, SerialLedBus
from devices.led.simulator import LedBusSimulator

DRIVERS = ("serial", "sim")


@dataclass(frozen=True)
class BoardConfig:
    window: int
    address: int
    frame: FrameFormat
    port: str
    baud: int


@dataclass(frozen=True)
class LedConfig:
    driver: str
    baud: int  # of the lines; a board may override it
    frame_gap: float
    boards: tuple[BoardConfig, ...]


def parse_config(table: Mapping[str, Any]) -> LedConfig:
    s = Section("led", table)
    driver = s.get_choice("driver", DRIVERS)
    port = s.get_str("port") if driver == "serial" else s.get_str("port", "", nonempty=False)
    baud = s.get_int("baud", 9600, low=1200, high=921_600)
    frame_gap = s.get_float("frame_gap", 0.1, low=0, high=5)
    defaults = _frame_options(s, None)
    boards: list[BoardConfig] = []
    taken: dict[tuple[str, int], str] = {}
    for b in s.get_tables("boards"):
        window = b.get_int("window", low=1, high=9999)
        address = b.get_int("address", low=0, high=255)
        board_port = b.get_str("port", port)
        board = BoardConfig(
            window,
            address,
            _frame_options(b, defaults).build(),
            board_port,
            b.get_int("baud", baud, low=1200, high=921_600),
        )
        b.done()
        if any(x.window == window for x in boards):
            raise b.error("window", "窗口号重复", f"window {window} is listed twice")
        if (board_port, address) in taken:
            raise b.error(
                "address",
                f"与 {taken[board_port, address]} 在同一串口上地址重复",
                f"same address on the same line as {taken[board_port, address]}",
            )
        taken[board_port, address] = b.path
        boards.append(board)
    s.done()
    if driver == "serial" and not boards:
        raise s.error("boards", "至少需要一块 [[led.boards]]", "needs at least one [[led.boards]]")
    if not boards:
        boards = [BoardConfig(w, w, defaults.build(), "", baud) for w in range(1, 5)]
    return LedConfig(driver, baud, frame_gap, tuple(boards))


@dataclass(frozen=True)
class _FrameOptions:
    name: str
    encoding: str
    checksum: Checksum | None
    includes_end: bool

    def build(self) -> FrameFormat:
        if self.name == "aabb":
            return AaBbFrame(self.encoding, self.checksum or Checksum.SUM8, self.includes_end)
        return StxFrame(self.encoding, self.checksum or Checksum.XOR8)


def _frame_options(s: Section, inherit: _FrameOptions | None) -> _FrameOptions:
    base = inherit or _FrameOptions("aabb", "gbk", None, True)
    name = s.get_choice("frame", FORMATS, base.name)
    encoding = s.get_str("encoding", base.encoding)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise s.error("encoding", "未知的字符编码", f"unknown text encoding {encoding!r}") from None
    checksum = s.get_choice("checksum", [c.value for c in Checksum], base.checksum)
    includes_end = s.get_bool("checksum_includes_end", base.includes_end)
    options = _FrameOptions(name, encoding, Checksum(checksum) if checksum else None, includes_end)
    try:
        # A call text must fit the frame: utf-16 in an FF-terminated frame, say, cannot.
        options.build().encode(1, "请A001号到12号窗口")
    except DeviceError as e:
        raise s.error("encoding", e.message_zh, e.message_en) from e
    return options


def from_config(section: Mapping[str, Any]) -> LedBoards:
    config = parse_config(section)
    if config.driver == "sim":
        return simulated_boards(config)
    buses: dict[str, SerialLedBus] = {}
    boards = {}
    for b in config.boards:
        if b.port not in buses:
            buses[b.port] = SerialLedBus(b.port, baud=config.baud, frame_gap=config.frame_gap)
        boards[b.window] = SerialLedBoard(buses[b.port], b.address, b.frame, baud=b.baud)
    return LedBoards(boards, buses.values())


class SimulatedLedBoards(LedBoards):
    """Real SerialLedBoards writing to a LedBusSimulator on a pty; `simulator.shown` is
    what the hall would see."""

    def __init__(self, config: LedConfig, simulator: LedBusSimulator) -> None:
        self.simulator = simulator
        bus = SerialLedBus(simulator.port, baud=config.baud, frame_gap=config.frame_gap)
        boards = {
            b.window: SerialLedBoard(bus, b.address, b.frame, baud=b.baud) for b in config.boards
        }
        super().__init__(boards, [bus])

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.simulator.close()


def simulated_boards(config: LedConfig | None = None) -> SimulatedLedBoards:
    config = config or parse_config({"driver": "sim"})
    simulator = LedBusSimulator({b.frame for b in config.boards}).start()
    try:
        return SimulatedLedBoards(config, simulator)
    except BaseException:
        simulator.close()
        raise
