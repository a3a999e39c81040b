"""Second-generation ID card reading over the GA/T 467 SAM serial protocol.

Layers: codec (frames, pure) → identity (text block, pure) → reader (serial I/O);
simulator answers from the device side of a pty; factory builds from configuration.

Names are imported on first use, so `from hallrules.id_number import ...` (the
queue server) does not pull in pyserial and the reader.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "devices.idcard.demo": ["DEMO_CARDS"],
    "devices.idcard.errors": [
        "CardAuthFailed",
        "CardDataError",
        "CardReadFailed",
        "CardRemoved",
        "CardStatusError",
        "FrameError",
        "NoCard",
        "SamFailed",
    ],
    "devices.idcard.factory": [
        "IdCardConfig",
        "SimulatedIdCardReader",
        "from_config",
        "parse_config",
        "simulated_reader",
    ],
    "hallrules.id_number": ["InvalidIdNumber", "birth_date_of", "validate_id_number"],
    "devices.idcard.identity": [
        "CardIdentity",
        "CardType",
        "ForeignerIdentity",
        "Identity",
        "Nation",
        "Sex",
        "contract_dict",
        "encode_identity",
    ],
    "devices.idcard.reader": ["IdCardReader", "ReaderSettings"],
    "devices.idcard.simulator": ["Fault", "SamSimulator"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [
    "CardAuthFailed",
    "CardDataError",
    "CardIdentity",
    "CardReadFailed",
    "CardRemoved",
    "CardStatusError",
    "CardType",
    "DEMO_CARDS",
    "Fault",
    "ForeignerIdentity",
    "FrameError",
    "IdCardConfig",
    "IdCardReader",
    "Identity",
    "InvalidIdNumber",
    "Nation",
    "NoCard",
    "ReaderSettings",
    "SamFailed",
    "SamSimulator",
    "Sex",
    "SimulatedIdCardReader",
    "birth_date_of",
    "contract_dict",
    "encode_identity",
    "from_config",
    "parse_config",
    "simulated_reader",
    "validate_id_number",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'devices.idcard' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from devices.idcard.demo import DEMO_CARDS
    from devices.idcard.errors import (
        CardAuthFailed,
        CardDataError,
        CardReadFailed,
        CardRemoved,
        CardStatusError,
        FrameError,
        NoCard,
        SamFailed,
    )
    from devices.idcard.factory import (
        IdCardConfig,
        SimulatedIdCardReader,
        from_config,
        parse_config,
        simulated_reader,
    )
    from devices.idcard.identity import (
        CardIdentity,
        CardType,
        ForeignerIdentity,
        Identity,
        Nation,
        Sex,
        contract_dict,
        encode_identity,
    )
    from devices.idcard.reader import IdCardReader, ReaderSettings
    from devices.idcard.simulator import Fault, SamSimulator
    from hallrules.id_number import InvalidIdNumber, birth_date_of, validate_id_number
