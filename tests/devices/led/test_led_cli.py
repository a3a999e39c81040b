"""`hallq devices led-show` / `simulate-led`."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devices.led import cli
from devices.led.simulator import LedBusSimulator

_HALLQ = Path(sys.executable).with_name("hallq")
HALLQ = [str(_HALLQ)] if _HALLQ.exists() else [sys.executable, "-m", "hallq"]


def in_process(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_led_show(bus_sim: LedBusSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = in_process(
        capsys, "led-show", "--port", bus_sim.port, "--address", "1", "--text", "A001", "--hex"
    )
    assert code == 0
    assert out.strip() == "AA 01 BB 51 54 CE 01 00 99 00 63 41 30 30 31 FF"
    assert bus_sim.wait_until(lambda s: s.shown == {1: "A001"})


def test_led_show_stx(bus_sim: LedBusSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["led-show", "--port", bus_sim.port, "--address", "2", "--text", "请A001"]
    code, _, _ = in_process(capsys, *argv, "--frame", "stx")
    assert code == 0
    assert bus_sim.wait_until(lambda s: s.shown == {2: "请A001"})


def test_led_show_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = in_process(
        capsys, "led-show", "--port", str(tmp_path / "none"), "--address", "1", "--text", "A"
    )
    assert code == 1 and out == "" and "无法打开串口" in err and len(err.splitlines()) == 1
    code, _, err = in_process(
        capsys, "led-show", "--port", "loop://", "--address", "1", "--text", "😀"
    )
    assert code == 1 and "LED 屏无法显示字符" in err


def test_simulate_led_subprocess(capsys: pytest.CaptureFixture[str]) -> None:
    proc = subprocess.Popen([*HALLQ, "devices", "simulate-led"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout
    try:
        port = proc.stdout.readline().strip()
        argv = ["led-show", "--port", port, "--address", "4", "--text", "请D004号到4号窗口"]
        assert in_process(capsys, *argv)[0] == 0
        assert proc.stdout.readline() == "4\t请D004号到4号窗口\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
