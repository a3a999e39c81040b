"""Device configuration files and the DeviceManager built from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devices.config import (
    EXAMPLE_CONFIG,
    SIM_CONFIG,
    DeviceConfigError,
    load_device_config,
    parse_device_config,
)
from devices.errors import DeviceError, DeviceUnavailable
from devices.health import Health, HealthState
from devices.idcard import DEMO_CARDS, IdCardReader, SimulatedIdCardReader
from devices.idcard.factory import IdCardConfig
from devices.led import SimulatedLedBoards
from devices.led.factory import LedConfig
from devices.led.frames import AaBbFrame, Checksum, StxFrame
from devices.manager import DeviceManager, package_factory


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_files_load() -> None:
    sim = load_device_config(SIM_CONFIG)
    assert sorted(sim.sections) == ["idcard", "led", "printer", "scanner", "voice"]
    assert all(sim.driver(kind) == "sim" for kind in sim.sections)

    example = load_device_config(EXAMPLE_CONFIG)
    idcard = example.typed["idcard"]
    assert isinstance(idcard, IdCardConfig) and idcard.driver == "sam"
    assert idcard.settings.baud == 115200 and idcard.settings.read_timeout == 3.0
    led = example.typed["led"]
    assert isinstance(led, LedConfig)
    assert [(b.window, b.address, b.baud) for b in led.boards] == [
        (1, 1, 9600), (2, 2, 9600), (3, 7, 4800)
    ]  # fmt: skip
    assert led.boards[0].frame == AaBbFrame("gbk", Checksum.SUM8, True)
    assert led.boards[2].frame == StxFrame("gbk", Checksum.XOR8)
    # The other engineers' sections are kept raw for their own from_config.
    assert example.section("printer") == {"driver": "sim"}


def test_other_devices_sections_are_passed_through_unvalidated(tmp_path: Path) -> None:
    config = load_device_config(
        write(tmp_path, '[printer]\ndriver = "network"\nhost = "10.0.0.20"\nport = 9100\n')
    )
    assert config.section("printer") == {"driver": "network", "host": "10.0.0.20", "port": 9100}


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('[idcrad]\ndriver = "sim"\n', "idcrad", "未知设备"),
        ("[idcard]\nport = 1\n", "idcard.driver", "缺少此项"),
        ("[printer]\ndriver = 42\n", "printer.driver", "应为字符串"),
        ('[voice]\ndriver = ""\n', "voice.driver", "不能为空"),
        ('idcard = "sim"\n', "idcard", "应为表"),
        ('[idcard]\ndriver = "usb"\n', "idcard.driver", "之一"),
        ('[idcard]\ndriver = "sam"\n', "idcard.port", "缺少此项"),
        ('[idcard]\ndriver = "sam"\nport = "/dev/x"\nbaud = "fast"\n', "idcard.baud", "整数"),
        ('[idcard]\ndriver = "sam"\nport = "/dev/x"\nbaud = true\n', "idcard.baud", "整数"),
        ('[idcard]\ndriver = "sam"\nport = "/dev/x"\nbaud = 12\n', "idcard.baud", "之间"),
        (
            '[idcard]\ndriver = "sam"\nport = "/dev/x"\nbaudrate = 9600\n',
            "idcard.baudrate",
            "未知配置项",
        ),
        ('[idcard]\ndriver = "sim"\nread_timeout = 0\n', "idcard.read_timeout", "之间"),
        ('[idcard]\ndriver = "sim"\nfingerprint = "yes"\n', "idcard.fingerprint", "true 或 false"),
        ('[idcard]\ndriver = "sim"\ncard = "bob"\n', "idcard.card", "演示卡"),
        ('[led]\ndriver = "serial"\nport = "/dev/x"\n', "led.boards", "至少需要"),
        ('[led]\ndriver = "sim"\nencoding = "klingon"\n', "led.encoding", "字符编码"),
        ('[led]\ndriver = "sim"\nframe = "xyz"\n', "led.frame", "之一"),
        ('[led]\ndriver = "sim"\nencoding = "utf-16"\n', "led.encoding", "帧结束字节"),
        ('[led]\ndriver = "sim"\nencoding = "ascii"\n', "led.encoding", "无法显示"),
        ('[led]\ndriver = "sim"\nboards = 3\n', "led.boards", "表数组"),
        (
            '[led]\ndriver = "sim"\n[[led.boards]]\nwindow = 1\naddress = 1\n'
            "[[led.boards]]\nwindow = 1\naddress = 2\n",
            "led.boards[1].window",
            "窗口号重复",
        ),
        (
            '[led]\ndriver = "sim"\n[[led.boards]]\nwindow = 1\naddress = 5\n'
            "[[led.boards]]\nwindow = 2\naddress = 5\n",
            "led.boards[1].address",
            "地址重复",
        ),
        (
            '[led]\ndriver = "sim"\n[[led.boards]]\nwindow = 1\naddress = 300\n',
            "led.boards[0].address",
            "之间",
        ),
        (
            '[led]\ndriver = "sim"\n[[led.boards]]\nwindow = 1\naddres = 3\n',
            "led.boards[0].address",
            "缺少",
        ),
    ],
)
def test_bad_files_name_the_file_and_the_key(
    tmp_path: Path, text: str, key: str, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DeviceConfigError) as info:
        load_device_config(path)
    e = info.value
    assert (e.file, e.key) == (str(path), key)
    assert fragment in e.message_zh
    assert str(e).startswith(f"设备配置错误 {path} 键 {key}：")
    assert f"bad device config {path} key {key}: " in str(e)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(DeviceConfigError) as info:
        load_device_config(tmp_path / "missing.toml")
    assert info.value.file == str(tmp_path / "missing.toml") and "无法读取" in str(info.value)
    path = write(tmp_path, "[idcard\ndriver = 1\n")
    with pytest.raises(DeviceConfigError) as info:
        load_device_config(path)
    assert info.value.file == str(path) and "TOML" in str(info.value)


def test_sim_is_valid_for_every_device() -> None:
    config = parse_device_config(
        {k: {"driver": "sim"} for k in ("idcard", "printer", "scanner", "voice", "led")}
    )
    assert len(config.sections) == 5


# --- DeviceManager ----------------------------------------------------------------------


class FakeDevice:
    """Stands in for another engineer's device; records being closed."""

    def __init__(self, kind: str, section: dict[str, Any]) -> None:
        self.kind, self.section, self.closed = kind, section, False

    def health(self) -> Health:
        if self.section.get("broken"):
            raise RuntimeError("driver bug")
        return Health(self.kind, HealthState.OK)

    def close(self) -> None:
        self.closed = True


def fake(kind: str) -> Any:
    def build(section: dict[str, Any]) -> FakeDevice:
        if section["driver"] == "missing":
            raise DeviceUnavailable("打印机未连接", "printer not connected")
        if section["driver"] == "nopackage":
            raise ImportError(f"No module named 'devices.{kind}'")
        if section["driver"] == "badoption":
            raise DeviceConfigError("未知配置项", "unknown option", key=f"{kind}.colour")
        return FakeDevice(kind, section)

    return build


FACTORIES = {
    "idcard": package_factory("idcard"),
    "led": package_factory("led"),
    "printer": fake("printer"),
    "scanner": fake("scanner"),
    "voice": fake("voice"),
}


def test_manager_opens_every_device_and_reports_health() -> None:
    config = load_device_config(SIM_CONFIG)
    with DeviceManager(config, factories=FACTORIES) as manager:
        reader = manager.get("idcard")
        assert isinstance(reader, SimulatedIdCardReader)
        assert isinstance(manager.get("led"), SimulatedLedBoards)
        health = manager.health()
        assert [h.device for h in health] == ["idcard", "printer", "scanner", "voice", "led"]
        assert all(h.state is HealthState.OK for h in health), health
        reader.simulator.lay(DEMO_CARDS["zhang"])
        assert reader.poll() is not None
        printer = manager.get("printer")
    assert isinstance(printer, FakeDevice) and printer.closed


def test_one_broken_device_does_not_stop_the_others(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[idcard]\ndriver = "sam"\nport = "/nonexistent/ttyUSB9"\n'
        '[printer]\ndriver = "missing"\n[scanner]\ndriver = "nopackage"\n'
        '[voice]\ndriver = "sim"\nbroken = true\n',
    )
    with DeviceManager.from_file(path, factories=FACTORIES) as manager:
        states = {h.device: h for h in manager.health()}
        # The reader opens its port lazily: it exists, and its health says the port is gone.
        assert states["idcard"].state is HealthState.FAILED
        assert "ttyUSB9" in states["idcard"].reason
        assert states["printer"].state is HealthState.FAILED
        assert states["printer"].reason == "打印机未连接 / printer not connected"
        assert "driver package missing" in states["scanner"].reason
        assert (
            states["voice"].state is HealthState.FAILED
            and "driver failed" in states["voice"].reason
        )
        with pytest.raises(DeviceUnavailable) as info:
            manager.get("printer")
        assert "打印机未连接" in str(info.value)
        with pytest.raises(DeviceUnavailable):
            manager.get("led")  # not configured
        assert isinstance(manager.get("idcard"), IdCardReader)


def test_refresh_retries_failed_devices() -> None:
    plugged = False

    def printer(section: dict[str, Any]) -> FakeDevice:
        if not plugged:
            raise DeviceUnavailable("打印机未连接", "printer not connected")
        return FakeDevice("printer", section)

    config = parse_device_config({"printer": {"driver": "usb"}})
    with DeviceManager(config, factories={"printer": printer}) as manager:
        assert manager.health()[0].state is HealthState.FAILED
        plugged = True
        manager.refresh()
        assert manager.health() == [Health("printer", HealthState.OK)]


def test_config_errors_from_a_factory_name_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[printer]\ndriver = "badoption"\n')
    manager = DeviceManager.from_file(path, factories=FACTORIES)
    with pytest.raises(DeviceConfigError) as info:
        manager.open()
    assert info.value.file == str(path) and info.value.key == "printer.colour"
    manager.close()


def test_not_opened_yet() -> None:
    manager = DeviceManager(parse_device_config({"voice": {"driver": "sim"}}), factories=FACTORIES)
    assert manager.health()[0].state is HealthState.FAILED


def test_device_errors_are_device_errors() -> None:
    assert issubclass(DeviceConfigError, DeviceError)
