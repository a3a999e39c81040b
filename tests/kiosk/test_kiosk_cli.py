"""`hallq kiosk`: what it refuses before it opens a window."""

from __future__ import annotations

from pathlib import Path

import pytest

from hallq.cli import main


def test_a_kiosk_needs_a_token(monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("HALLQ_KIOSK_TOKEN", raising=False)
    assert main(["kiosk", "--server", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "需要自助机令牌" in err and "HALLQ_KIOSK_TOKEN" in err


def test_a_missing_font_stops_the_kiosk_with_the_package_to_install(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HALLQ_KIOSK_FONT", "/nonexistent/wqy.ttc")
    assert main(["kiosk", "--token", "t"]) == 1
    assert "找不到字体文件" in capsys.readouterr().err


def test_a_bad_device_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("HALLQ_KIOSK_FONT", raising=False)
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[printer]\ndriver = "laser"\n', encoding="utf-8")
    assert main(["kiosk", "--token", "t", "--devices", str(bad)]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "laser" in err


def test_bad_window_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HALLQ_KIOSK_FONT", raising=False)
    with pytest.raises(SystemExit, match="WxH"):
        main(["kiosk", "--token", "t", "--size", "big"])
