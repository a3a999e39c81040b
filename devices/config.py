"""Per-kiosk device configuration: one TOML file, one table per device.

    [idcard]
    driver = "sam"          # or "sim"; "sim" is valid for every device
    port = "/dev/ttyUSB0"   # any pyserial URL

Loading validates the whole file up front (every key of the tables whose package knows
its options), so a typo stops the kiosk at start with the file and the key named,
instead of failing at the first card. Devices are built by each package's
`from_config(section: dict)`; see devices.manager.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devices.errors import DeviceError

DEVICE_KINDS = ("idcard", "printer", "scanner", "voice", "led")
SIM_CONFIG = Path(__file__).with_name("sim.toml")  # every device simulated
EXAMPLE_CONFIG = Path(__file__).with_name("example.toml")

# Packages whose options are checked at load time: "module:function(section) -> typed".
# The others get only their `driver` checked here; their from_config checks the rest.
_VALIDATORS = {
    "idcard": "devices.idcard.factory:parse_config",
    "led": "devices.led.factory:parse_config",
}

_REQUIRED: Any = object()


class DeviceConfigError(DeviceError):
    """A bad device configuration; names the file (when known) and the offending key."""

    def __init__(
        self, problem_zh: str, problem_en: str, *, key: str | None = None, file: str | None = None
    ) -> None:
        self.problem_zh, self.problem_en = problem_zh, problem_en
        self.key, self.file = key, file
        where = "".join([f" {file}" if file else "", f" 键 {key}" if key else ""])
        where_en = "".join([f" {file}" if file else "", f" key {key}" if key else ""])
        super().__init__(
            f"设备配置错误{where}：{problem_zh}", f"bad device config{where_en}: {problem_en}"
        )

    def in_file(self, file: str) -> DeviceConfigError:
        return DeviceConfigError(self.problem_zh, self.problem_en, key=self.key, file=file)


class Section:
    """Typed reads from one table; every problem names its full key (`led.boards[2].address`).

    Call done() after reading: a key nobody read is a typo and an error.
    """

    def __init__(self, path: str, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping):
            raise DeviceConfigError("应为表", "must be a table", key=path)
        self.path = path
        self._data = data
        self._seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}"

    def has(self, name: str) -> bool:
        return name in self._data

    def _lookup(self, name: str, default: Any) -> tuple[bool, Any]:
        """(True, the file's value) or (False, the default: it comes from code, unchecked)."""
        self._seen.add(name)
        if name in self._data:
            return True, self._data[name]
        if default is _REQUIRED:
            raise DeviceConfigError("缺少此项", "is required", key=self.key(name))
        return False, default

    def error(self, name: str, zh: str, en: str) -> DeviceConfigError:
        return DeviceConfigError(zh, en, key=self.key(name))

    def get_str(self, name: str, default: Any = _REQUIRED, *, nonempty: bool = True) -> str:
        found, value = self._lookup(name, default)
        if not found:
            return value  # type: ignore[no-any-return]
        if not isinstance(value, str):
            raise self.error(name, "应为字符串", f"must be a string, not {value!r}")
        if nonempty and not value.strip():
            raise self.error(name, "不能为空", "must not be empty")
        return value

    def get_int(
        self,
        name: str,
        default: Any = _REQUIRED,
        *,
        low: int | None = None,
        high: int | None = None,
    ) -> int:
        found, value = self._lookup(name, default)
        if not found:
            return value  # type: ignore[no-any-return]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, "应为整数", f"must be an integer, not {value!r}")
        _check_range(self, name, value, low, high)
        return value

    def get_float(
        self,
        name: str,
        default: Any = _REQUIRED,
        *,
        low: float | None = None,
        high: float | None = None,
    ) -> float:
        found, value = self._lookup(name, default)
        if not found:
            return value  # type: ignore[no-any-return]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(name, "应为数字", f"must be a number, not {value!r}")
        _check_range(self, name, value, low, high)
        return float(value)

    def get_bool(self, name: str, default: Any = _REQUIRED) -> bool:
        found, value = self._lookup(name, default)
        if not found:
            return value  # type: ignore[no-any-return]
        if not isinstance(value, bool):
            raise self.error(name, "应为 true 或 false", f"must be true or false, not {value!r}")
        return value

    def get_choice(self, name: str, choices: Iterable[str], default: Any = _REQUIRED) -> str:
        allowed = tuple(choices)
        found, value = self._lookup(name, default)
        if not found:
            return value  # type: ignore[no-any-return]
        value = self.get_str(name)
        if value not in allowed:
            raise self.error(
                name, f"应为 {'、'.join(allowed)} 之一", f"must be one of {', '.join(allowed)}"
            )
        return value

    def get_tables(self, name: str) -> list[Section]:
        found, value = self._lookup(name, [])
        if not found:
            return []
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.error(name, "应为表数组 [[...]]", "must be an array of tables [[...]]")
        return [Section(f"{self.key(name)}[{i}]", v) for i, v in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(set(self._data) - self._seen)
        if unknown:
            raise self.error(unknown[0], "未知配置项（拼写错误？）", "unknown option (a typo?)")


def _check_range(
    section: Section, name: str, value: float, low: float | None, high: float | None
) -> None:
    if (low is not None and value < low) or (high is not None and value > high):
        raise section.error(
            name, f"应在 {low} 到 {high} 之间", f"must be between {low} and {high}, not {value}"
        )


@dataclass(frozen=True)
class DeviceConfig:
    """The devices of one kiosk: raw tables for the factories, typed ones where known."""

    source: str  # the file, for messages
    sections: Mapping[str, Mapping[str, Any]]
    typed: Mapping[str, object] = field(default_factory=dict)

    def driver(self, kind: str) -> str:
        return str(self.sections[kind]["driver"])

    def section(self, kind: str) -> dict[str, Any]:
        return dict(self.sections[kind])


def load_device_config(path: str | Path) -> DeviceConfig:
    source = str(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise DeviceConfigError(
            f"无法读取文件（{e.strerror}）", f"cannot read the file: {e.strerror}", file=source
        ) from e
    except tomllib.TOMLDecodeError as e:
        raise DeviceConfigError(f"TOML 语法错误：{e}", f"TOML syntax: {e}", file=source) from e
    return parse_device_config(data, source=source)


def parse_device_config(data: Mapping[str, Any], *, source: str = "<config>") -> DeviceConfig:
    try:
        sections: dict[str, Mapping[str, Any]] = {}
        typed: dict[str, object] = {}
        for kind, table in data.items():
            if kind not in DEVICE_KINDS:
                raise DeviceConfigError(
                    f"未知设备（可用：{'、'.join(DEVICE_KINDS)}）",
                    f"unknown device (known: {', '.join(DEVICE_KINDS)})",
                    key=kind,
                )
            section = Section(kind, table)
            section.get_str("driver")
            sections[kind] = dict(table)
            if kind in _VALIDATORS:
                typed[kind] = _validator(kind)(table)
        return DeviceConfig(source, sections, typed)
    except DeviceConfigError as e:
        raise e.in_file(source) from e


def _validator(kind: str) -> Callable[[Mapping[str, Any]], object]:
    module, _, name = _VALIDATORS[kind].partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
