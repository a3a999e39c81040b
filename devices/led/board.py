"""The one interface every window LED board driver implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

from devices.errors import DeviceError
from devices.health import Health


class TextNotEncodable(DeviceError):
    """The text cannot be put in this board's frame (encoding, length)."""


class LedBoard(ABC):
    """A write-only text display over a window: boards never answer, so health is the
    health of the line that feeds it."""

    @abstractmethod
    def show(self, text: str) -> None: ...

    def clear(self) -> None:
        self.show("")

    @abstractmethod
    def health(self) -> Health: ...

    def close(self) -> None:  # noqa: B027 - deliberately a no-op by default
        """Boards share their bus; the owner of the bus closes it."""
