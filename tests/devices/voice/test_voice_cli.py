"""The technician commands of the printer, scanner and voice packages."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image

from devices.printer import cli as printer_cli
from devices.scanner import cli as scanner_cli
from devices.voice import cli as voice_cli
from devices.voice.backends import read_wav


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    dsub = parser.add_subparsers(dest="cmd", required=True)
    for module in (printer_cli, scanner_cli, voice_cli):
        module.register(dsub)
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_print_test_on_the_sim_writes_a_scannable_preview(tmp_path: Path) -> None:
    png = tmp_path / "t.png"
    assert run("print-test", "--preview", str(png)) == 0
    found = zxingcpp.read_barcodes(np.array(Image.open(png).convert("L")))
    assert [r.text for r in found] == ["https://example.invalid/t/TEST"]


def test_print_test_reports_paper_out(tmp_path: Path, capsys) -> None:
    config = tmp_path / "devices.toml"
    config.write_text('[printer]\ndriver = "sim"\npaper = "out"\n', encoding="utf-8")
    assert run("print-test", "--config", str(config), "--preview", str(tmp_path / "t.png")) == 1
    assert "缺纸" in capsys.readouterr().err


def test_make_slip_then_scan_it(tmp_path: Path, capsys) -> None:
    png = tmp_path / "slip.png"
    key = "cli-slip-key-0123456789abcdef"
    assert run("make-slip", "A", "20240501-0930-07", "--key", key, "--png", str(png)) == 0
    slip = capsys.readouterr().out.strip()
    assert run("scan", str(png), "--key", key) == 0
    assert capsys.readouterr().out.strip() == f"{slip}\tAPPOINTMENT\t20240501-0930-07"
    assert run("scan", str(png), "--key", "wrong-key-0123456789abcdef") == 1


def test_say_writes_the_announcement_wav(tmp_path: Path, capsys) -> None:
    wav = tmp_path / "a.wav"
    assert run("say", "A001", "12", "--wav", str(wav)) == 0
    assert capsys.readouterr().out.strip() == "请A零零一号到十二号窗口"
    assert read_wav(wav.read_bytes()).seconds > 3
