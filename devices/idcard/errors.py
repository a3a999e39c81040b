"""Typed ID-card failures, grouped by what the caller does about them.

- FrameError: the bytes on the wire are broken; retry the exchange.
- CardStatusError: the reader answered properly but refused (no card, authentication
  failed, SAM broken); `status` holds the SW3 code.
- CardDataError: a well-formed answer whose text block is not a valid card.
"""

from __future__ import annotations

from devices.errors import DeviceError, ProtocolError


class FrameError(ProtocolError):
    """A frame that breaks the GA/T 467 layout; worth retrying."""


class BadPreamble(FrameError):
    pass


class BadLength(FrameError):
    pass


class ChecksumMismatch(FrameError):
    pass


class TruncatedFrame(FrameError):
    pass


class CardStatusError(DeviceError):
    """The reader reported a non-success SW3 status."""

    def __init__(self, status: int, message_zh: str, message_en: str) -> None:
        self.status = status
        super().__init__(message_zh, message_en)


class NoCard(CardStatusError):
    """No card on the reader (find failed), or a read card not yet lifted."""


class CardRemoved(CardStatusError):
    """A card was found but gone before the read finished."""


class SelectFailed(CardStatusError):
    pass


class NoContent(CardStatusError):
    pass


class CardAuthFailed(CardStatusError):
    """Card and SAM did not authenticate each other: a forged, damaged or foreign chip."""


class CardReadFailed(CardStatusError):
    """The card answered but reading failed (unknown type, random number, read error)."""


class ReaderRejected(CardStatusError):
    """The reader says *our* frame was bad (checksum, length, command); worth retrying."""


class SamFailed(CardStatusError):
    """The SAM module failed its self-test or is not authorised: the reader needs service."""


class CardDataError(ProtocolError):
    """The text block is not a valid card; never half-decoded."""


class UnsupportedCardType(CardDataError):
    pass
