"""Typed device failures. Every message is Chinese first, then English, for a technician."""

from __future__ import annotations


class DeviceError(Exception):
    """Base of every device failure; `str()` is the one-line reason a person reads."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


class DeviceUnavailable(DeviceError):
    """The device cannot be reached: unplugged, port missing, network down."""


class DeviceTimeout(DeviceError):
    """The device did not answer in time."""


class ProtocolError(DeviceError):
    """The device answered with bytes that break its protocol (frame, length, checksum)."""
