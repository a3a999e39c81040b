"""Device health as the kiosk, the server and a technician see it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HealthState(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"  # works, but needs attention soon (paper low, slow answers)
    FAILED = "failed"  # cannot do its job now


@dataclass(frozen=True)
class Health:
    device: str  # "idcard", "printer", "scanner", "led", "voice"
    state: HealthState
    reason: str = ""  # Chinese first, then English; empty when OK

    def as_dict(self) -> dict[str, str]:
        return {"device": self.device, "state": self.state.value, "reason": self.reason}
