"""Serial and keyboard-wedge scanners, over loop:// and a pty, and the sim."""

from __future__ import annotations

import os
import threading

import pytest

from devices.health import HealthState
from devices.scanner import (
    InvalidSlip,
    ScannerConfigError,
    ScannerUnavailable,
    SimScanner,
    Slip,
    SlipKind,
    from_config,
    make_slip,
    read_slip,
)
from devices.scanner.wedge import LineAssembler, SerialScanner
from tests.devices.scanner.conftest import KEY, FakeClock


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"])
def test_assembler_splits_on_any_line_ending(ending: str) -> None:
    lines = LineAssembler().feed(f"ABC{ending}DEF{ending}")
    assert lines == ["ABC", "DEF"]


def test_assembler_joins_a_code_split_across_reads() -> None:
    asm = LineAssembler()
    assert asm.feed("HQ1:C:BD") == []
    assert asm.feed("C1\r") == ["HQ1:C:BDC1"]


def test_slow_keys_before_a_burst_are_discarded(clock: FakeClock) -> None:
    asm = LineAssembler(0.1, clock=clock)
    asm.feed("xy")  # someone poking at a keyboard
    clock.advance(2.0)
    out = []
    for ch in "CODE1\r":  # the scanner's burst, 5 ms apart
        out += asm.feed(ch)
        clock.advance(0.005)
    assert out == ["CODE1"]


def test_code_without_terminator_is_emitted_on_idle_only_when_configured(clock: FakeClock) -> None:
    plain = LineAssembler(0.1, clock=clock)
    idle = LineAssembler(0.1, complete_on_idle=True, clock=clock)
    plain.feed("CODE2")
    idle.feed("CODE2")
    clock.advance(0.05)
    assert idle.poll() == []
    clock.advance(0.1)
    assert plain.poll() == []
    assert idle.poll() == ["CODE2"]


def test_wedge_scanner_events(clock: FakeClock) -> None:
    scanner = from_config({"driver": "wedge", "dedup_seconds": 3}, clock=clock)
    scanner.feed_keys("SLIP-1\r")
    scanner.feed_keys("SLIP-1\r")  # double read by a scanner in continuous mode
    event = scanner.read(timeout=0.1)
    assert event is not None and (event.text, event.source) == ("SLIP-1", "wedge")
    assert scanner.read(timeout=0.05) is None


def test_serial_scanner_over_loop_url() -> None:
    scanner = SerialScanner("loop://")
    slip = make_slip("C", "BDC2024-000123", KEY)
    scanner.port.write(slip.encode() + b"\r\n")
    event = scanner.read(timeout=1)
    assert event is not None and (event.text, event.source) == (slip, "serial")
    assert scanner.read(timeout=0.1) is None  # the LF after CR is not a second, empty scan
    assert scanner.health().state is HealthState.OK
    scanner.close()


def test_serial_scanner_over_a_pty_then_unplugged() -> None:
    master, slave = os.openpty()
    scanner = from_config({"driver": "serial", "port": os.ttyname(slave), "baud": 115200})
    try:
        threading.Timer(0.05, lambda: os.write(master, b"HQ1:T:Q7RX")).start()
        threading.Timer(0.1, lambda: os.write(master, b"2M:XYZ\r")).start()
        event = scanner.read(timeout=2)
        assert event is not None and event.text == "HQ1:T:Q7RX2M:XYZ"
        os.close(master)  # the cable is pulled: reads on the tty now fail
        with pytest.raises(ScannerUnavailable, match="扫码枪无法连接"):
            scanner.read(timeout=1)
        assert scanner.health().state is HealthState.FAILED
    finally:
        scanner.close()
        os.close(slave)


def test_serial_port_that_does_not_exist() -> None:
    scanner = from_config({"driver": "serial", "port": "/dev/ttyNOPE9"})
    with pytest.raises(ScannerUnavailable):
        scanner.read(timeout=0.1)
    assert scanner.health().state is HealthState.FAILED


def test_read_slip_from_the_sim() -> None:
    scanner = from_config({"driver": "sim"})
    assert isinstance(scanner, SimScanner)
    assert read_slip(scanner, KEY, timeout=0.01) is None
    scanner.present(make_slip("A", "20240501-0930-07", KEY))
    assert read_slip(scanner, KEY, timeout=0.1) == Slip(SlipKind.APPOINTMENT, "20240501-0930-07")
    scanner.present("HQ1:A:20240501-0930-07:AAAAAAAAAAAAAAAAAAAAAAAA")
    with pytest.raises(InvalidSlip):
        read_slip(scanner, KEY, timeout=0.1)


def test_sim_can_fail() -> None:
    scanner = SimScanner()
    scanner.failed = True
    assert scanner.health().state is HealthState.FAILED
    with pytest.raises(ScannerUnavailable):
        scanner.read(timeout=0.01)


@pytest.mark.parametrize(
    ("section", "fragment"),
    [
        ({"driver": "barcode-gun"}, "driver must be one of"),
        ({"driver": "sim", "speed": 3}, "unknown option"),
        ({"driver": "sim", "dedup_seconds": -1}, "dedup_seconds"),
        ({"driver": "camera", "decoder": "opencv"}, "decoder must be one of"),
        ({"driver": "camera", "source": 1.5}, "source must be"),
        ({"driver": "serial"}, "port is required"),
        ({"driver": "serial", "port": "loop://", "baud": "fast"}, "baud"),
        ({"driver": "wedge", "inter_char_timeout": 0}, "inter_char_timeout"),
    ],
)
def test_bad_config(section: dict, fragment: str) -> None:
    with pytest.raises(ScannerConfigError) as err:
        from_config(section)
    assert str(err.value).startswith("设备配置错误 键 scanner：") and fragment in str(err.value)
