"""DeviceManager: owns a kiosk's configured devices (Home Assistant coordinator style).

It builds each device through its package's `from_config(section)`, keeps going when one
fails (the kiosk can still issue tickets without its printer), turns every failure into
a Health the kiosk and the server can show, and retries broken devices on refresh().
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from devices.config import DEVICE_KINDS, DeviceConfig, DeviceConfigError, load_device_config
from devices.errors import DeviceError, DeviceUnavailable
from devices.health import Health, HealthState

log = logging.getLogger(__name__)


class Device(Protocol):
    def health(self) -> Health: ...

    def close(self) -> None: ...


Factory = Callable[[dict[str, Any]], Device]


def package_factory(kind: str) -> Factory:
    """`devices.<kind>.from_config`, imported when first needed."""

    def build(section: dict[str, Any]) -> Device:
        module = importlib.import_module(f"devices.{kind}")
        return module.from_config(section)  # type: ignore[no-any-return]

    return build


class DeviceManager:
    def __init__(
        self, config: DeviceConfig, *, factories: Mapping[str, Factory] | None = None
    ) -> None:
        self.config = config
        # Tests and the kiosk's demo mode may swap in their own factories per device.
        self._factories = {k: package_factory(k) for k in DEVICE_KINDS} | dict(factories or {})
        self._devices: dict[str, Device] = {}
        self._failures: dict[str, Health] = {}
        self._lock = threading.RLock()

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> DeviceManager:
        return cls(load_device_config(path), **kwargs)

    @property
    def kinds(self) -> list[str]:
        """The configured devices, in the canonical order."""
        return [k for k in DEVICE_KINDS if k in self.config.sections]

    def open(self) -> DeviceManager:
        """Build every configured device that is not open yet.

        A device that cannot be built is recorded as FAILED, not raised; a configuration
        error is raised (with the file named): the file must be fixed, not worked around.
        """
        with self._lock:
            for kind in self.kinds:
                if kind not in self._devices:
                    self._open_one(kind)
        return self

    refresh = open  # retry what failed, e.g. from a periodic health check

    def get(self, kind: str) -> Device:
        """The open device; DeviceUnavailable (with the reason) when it failed to open."""
        with self._lock:
            if kind in self._devices:
                return self._devices[kind]
            if kind in self._failures:
                failure = self._failures[kind]
                raise DeviceUnavailable(
                    f"设备 {kind} 不可用：{failure.reason}", f"device {kind} unavailable"
                )
            raise DeviceUnavailable(f"未配置设备 {kind}", f"no {kind} configured")

    def health(self) -> list[Health]:
        """One Health per configured device, in the canonical order; never raises."""
        with self._lock:
            devices = dict(self._devices)
            failures = dict(self._failures)
        result = []
        for kind in self.kinds:
            if kind in failures:
                result.append(failures[kind])
            elif kind in devices:
                result.append(_safe_health(kind, devices[kind]))
            else:
                result.append(
                    Health(kind, HealthState.FAILED, "尚未打开 / not opened yet (call open())")
                )
        return result

    def close(self) -> None:
        with self._lock:
            devices, self._devices = self._devices, {}
            self._failures.clear()
        for kind, device in devices.items():
            try:
                device.close()
            except Exception:  # closing must reach every device
                log.exception("closing %s failed", kind)

    def __enter__(self) -> DeviceManager:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open_one(self, kind: str) -> None:
        try:
            device = self._factories[kind](self.config.section(kind))
        except DeviceConfigError as e:
            raise e.in_file(self.config.source) from e
        except DeviceError as e:
            self._failures[kind] = Health(kind, HealthState.FAILED, str(e))
        except ImportError as e:
            # Another package's driver not installed (or not written yet).
            self._failures[kind] = Health(
                kind, HealthState.FAILED, f"驱动缺失 / driver package missing: {e}"
            )
        except Exception as e:  # a driver bug must not take the kiosk down
            log.exception("building %s failed", kind)
            self._failures[kind] = Health(
                kind, HealthState.FAILED, f"驱动内部错误 / driver failed: {type(e).__name__}: {e}"
            )
        else:
            self._failures.pop(kind, None)
            self._devices[kind] = device


def _safe_health(kind: str, device: Device) -> Health:
    try:
        return device.health()
    except DeviceError as e:
        return Health(kind, HealthState.FAILED, str(e))
    except Exception as e:
        log.exception("health of %s failed", kind)
        return Health(kind, HealthState.FAILED, f"驱动内部错误 / driver failed: {type(e).__name__}")
