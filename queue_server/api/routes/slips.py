"""QR slips, checked where the key is: a kiosk sends what it scanned and is told what it is."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api import API_PREFIX
from queue_server.api.deps import HallDep, StaffOrKiosk
from queue_server.domain.slips import MAX_SLIP_CHARS, check_slip

router = APIRouter(prefix=API_PREFIX, tags=["slips"])

KIND_NAMES = {"A": "appointment", "C": "case", "T": "ticket"}


class SlipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_SLIP_CHARS,
                      description="what the scanner read, as it read it")


@router.post("/slips/check")
async def check(body: SlipIn, request: Request, hall: HallDep,
                _: StaffOrKiosk) -> dict[str, Any]:
    """核验二维码 what a scanned slip is, if this hall signed it.

    An appointment slip also says what it books; whether the slot is still good is decided
    when the ticket is issued."""
    checked = check_slip(body.text, request.app.state.slip_key, hall.layout.hall.timezone)
    out: dict[str, Any] = {"kind": KIND_NAMES[checked.slip.kind.value],
                           "value": checked.slip.value}
    if (a := checked.appointment) is not None:
        business = hall.layout.businesses.get(a.business)
        out["appointment"] = {
            "code": a.code, "business": a.business,
            "business_name": business.name if business else None,
            "business_name_en": business.name_en if business else None,
            "slot_start": a.slot_start.isoformat(), "slot_end": a.slot_end.isoformat()}
    return out
