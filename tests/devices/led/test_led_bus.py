"""Boards on a bus: the serial driver through a real pty into the bus simulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.errors import DeviceUnavailable
from devices.health import HealthState
from devices.led import from_config, simulated_boards
from devices.led.frames import AaBbFrame, Checksum, StxFrame
from devices.led.serial_board import LedBoards, SerialLedBoard, SerialLedBus, UnknownWindow
from devices.led.simulator import LedBusSimulator

# No per-example deadline: a loaded CI machine must not turn slowness into failures.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _frames_seen(n: int) -> Callable[[LedBusSimulator], bool]:
    return lambda s: len(s.history) + s.rejected >= n


def test_boards_by_address_on_one_line(bus_sim: LedBusSimulator) -> None:
    bus = SerialLedBus(bus_sim.port, frame_gap=0)
    one = SerialLedBoard(bus, 1, AaBbFrame())
    two = SerialLedBoard(bus, 2, AaBbFrame())
    seven = SerialLedBoard(bus, 7, StxFrame(checksum=Checksum.XOR8), baud=4800)
    try:
        one.show("请A001号到1号窗口")
        two.show("请B017号到2号窗口")
        seven.show("暂停服务")
        one.clear()
        assert bus_sim.wait_until(_frames_seen(4))
    finally:
        bus.close()
    assert bus_sim.shown == {1: "", 2: "请B017号到2号窗口", 7: "暂停服务"}
    assert bus_sim.history[0] == (1, "请A001号到1号窗口")
    assert bus_sim.rejected == 0 and bus_sim.noise == 0


def test_bad_checksum_is_ignored_by_the_board() -> None:
    sim = LedBusSimulator([AaBbFrame()])
    good = AaBbFrame().encode(1, "A001")
    sim.feed(good[:5] + bytes([good[5] ^ 0x01]) + good[6:])
    sim.feed(b"\x00\x55" + AaBbFrame().encode(2, "B002"))
    assert sim.shown == {2: "B002"}
    assert sim.rejected == 1 and sim.noise == 2


def test_checksum_reading_must_match_the_board() -> None:
    # A board that sums up to the last text byte rejects our literal reading of the spec.
    sim = LedBusSimulator([AaBbFrame(checksum_includes_end=False)])
    sim.feed(AaBbFrame().encode(1, "A001"))
    assert sim.shown == {} and sim.rejected == 1


@settings(RELAXED)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["aabb", "stx"]),
            st.integers(0, 255),
            st.text("号窗口请AB0123", max_size=12),
        ),
        min_size=1,
        max_size=6,
    ),
    st.binary(max_size=20).map(lambda b: bytes(x for x in b if x not in (0xAA, 0x02))),
    st.lists(st.integers(1, 30), max_size=12),
)
def test_stream_in_any_chunks(
    sends: list[tuple[str, int, str]], noise: bytes, cuts: list[int]
) -> None:
    formats = {"aabb": AaBbFrame(), "stx": StxFrame()}
    stream = noise + b"".join(formats[f].encode(a, t) for f, a, t in sends)
    sim = LedBusSimulator(formats.values())
    pos = 0
    for cut in cuts:
        sim.feed(stream[pos : pos + cut])
        pos += cut
    sim.feed(stream[pos:])
    assert sim.history == [(a, t) for _, a, t in sends]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_frames_are_spaced_by_the_gap(bus_sim: LedBusSimulator) -> None:
    clock = FakeClock()
    bus = SerialLedBus(bus_sim.port, frame_gap=0.1, clock=clock, sleep=clock.sleep)
    board = SerialLedBoard(bus, 1, AaBbFrame())
    try:
        board.show("A001")  # the line was idle: no wait
        board.show("A002")  # right after: waits the whole gap
        clock.now += 0.03
        board.show("A003")  # 30 ms later: waits the rest
        clock.now += 1
        board.show("A004")  # long after: no wait
        assert bus_sim.wait_until(_frames_seen(4))
    finally:
        bus.close()
    assert clock.sleeps == pytest.approx([0.1, 0.07])


def test_unplugged_line_fails_then_recovers(bus_sim: LedBusSimulator) -> None:
    bus = SerialLedBus(bus_sim.port, frame_gap=0)
    board = SerialLedBoard(bus, 1, AaBbFrame())
    try:
        board.show("A001")
        bus_sim.unplug()
        with pytest.raises(DeviceUnavailable):
            board.show("A002")
        with pytest.raises(DeviceUnavailable):
            board.show("A002")
        health = board.health()
        assert health.state is HealthState.FAILED and bus_sim.port in health.reason
        bus_sim.replug()
        board.show("A003")
        assert bus_sim.wait_until(lambda s: s.shown.get(1) == "A003")
        assert board.health().state is HealthState.OK
    finally:
        bus.close()


def test_boards_by_window(bus_sim: LedBusSimulator) -> None:
    bus = SerialLedBus(bus_sim.port, frame_gap=0)
    boards = LedBoards({5: SerialLedBoard(bus, 1, AaBbFrame())}, [bus])
    try:
        boards.show(5, "请A001号")
        with pytest.raises(UnknownWindow):
            boards.show(6, "x")
        assert bus_sim.wait_until(lambda s: s.shown == {1: "请A001号"})
        assert boards.health().state is HealthState.OK
    finally:
        boards.close()


def test_health_of_several_lines(bus_sim: LedBusSimulator, tmp_path: Path) -> None:
    good = SerialLedBus(bus_sim.port, frame_gap=0)
    gone = SerialLedBus(str(tmp_path / "ttyGONE"), frame_gap=0)
    boards = LedBoards(
        {1: SerialLedBoard(good, 1, AaBbFrame()), 2: SerialLedBoard(gone, 1, AaBbFrame())},
        [good, gone],
    )
    try:
        boards.show(1, "A")
        with pytest.raises(DeviceUnavailable):
            boards.show(2, "B")
        health = boards.health()
        assert health.state is HealthState.DEGRADED and "ttyGONE" in health.reason
    finally:
        boards.close()


def test_from_config_serial_driver(bus_sim: LedBusSimulator) -> None:
    boards = from_config(
        {
            "driver": "serial",
            "port": bus_sim.port,
            "frame_gap": 0,
            "boards": [
                {"window": 1, "address": 11},
                {"window": 2, "address": 12, "frame": "stx", "baud": 4800},
            ],
        }
    )
    try:
        boards.show(1, "一号")
        boards.show(2, "二号")
        assert bus_sim.wait_until(lambda s: s.shown == {11: "一号", 12: "二号"})
    finally:
        boards.close()


def test_simulated_boards() -> None:
    boards = simulated_boards()
    try:
        assert boards.windows == [1, 2, 3, 4]
        boards.show(3, "请C003号到3号窗口")
        assert boards.simulator.wait_until(lambda s: s.shown.get(3) == "请C003号到3号窗口")
    finally:
        boards.close()
