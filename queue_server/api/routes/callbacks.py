"""回访, the monthly call-back, for the supervision office: draw a month's sample once,
work through the call list (phones masked, a full number only through an audited
reveal), record each call's outcome, read the summary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from queue_server.api import API_PREFIX
from queue_server.api.deps import Admin, require
from queue_server.domain.callbacks import check_outcome, parse_share
from queue_server.secrecy import SecretBox
from queue_server.security import Principal, Role
from queue_server.store.callbacks import Callbacks, Who

router = APIRouter(prefix=API_PREFIX, tags=["callbacks"])
Managers = Annotated[Principal, Depends(require(Role.MANAGER, Role.ADMIN))]


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Strict: a JSON true is not a score of 1, nor "yes" a reached call.
    reached: StrictBool
    attitude: StrictInt | None = None
    time_taken: StrictInt | None = None
    discipline: StrictInt | None = None
    comment: str = Field(default="", max_length=1000)


def callbacks_of(request: Request) -> Callbacks:
    """Built on first use, from the hall's engine, secret, time zone and share setting."""
    state = request.app.state
    service: Callbacks | None = getattr(state, "callbacks", None)
    if service is None:
        hall = state.hall
        service = Callbacks(state.store.engine, SecretBox(hall.secret), tz=hall.layout.hall.tz,
                            share=parse_share(hall.layout.hall.callback_percent),
                            clock=hall.clock)
        state.callbacks = service
    return service


CallbacksDep = Annotated[Callbacks, Depends(callbacks_of)]


def _who(p: Principal) -> Who:
    return Who(p.actor, p.token_id, p.role.value)


@router.post("/callbacks/{month}/draw", status_code=201)
def draw(month: str, callbacks: CallbacksDep, who: Managers) -> JSONResponse:
    """抽取回访名单 Draw the month's sample, once: a second draw is refused."""
    return JSONResponse(callbacks.draw(month, _who(who)), status_code=201)


@router.get("/callbacks/{month}")
def call_list(month: str, callbacks: CallbacksDep, _: Managers) -> dict[str, Any]:
    """回访名单 The draw and its calls in call order, phones masked, latest outcomes."""
    d, calls = callbacks.calls(month)
    return {"draw": d, "calls": calls}


@router.get("/callbacks/{month}/summary")
def summary(month: str, callbacks: CallbacksDep, _: Managers) -> dict[str, Any]:
    """回访统计 Drawn, called, reached, reach rate and mean scores, by window too."""
    return callbacks.summary(month)


@router.get("/callbacks/{month}/verify")
def verify(month: str, callbacks: CallbacksDep, _: Managers) -> dict[str, Any]:
    """核验 Redraw from the stored seed over today's data and compare."""
    return callbacks.verify(month)


@router.post("/callbacks/{month}/calls/{ticket_id}", status_code=201)
def record(month: str, ticket_id: str, body: OutcomeIn, callbacks: CallbacksDep,
           who: Managers) -> JSONResponse:
    """回访结果 One attempt at a call; a call may be recorded again, the latest counts."""
    outcome = check_outcome(body.reached, {"attitude": body.attitude,
                                           "time_taken": body.time_taken,
                                           "discipline": body.discipline}, body.comment)
    return JSONResponse(callbacks.record(month, ticket_id, outcome, _who(who)), status_code=201)


@router.post("/callbacks/{month}/calls/{ticket_id}/reveal")
def reveal(month: str, ticket_id: str, callbacks: CallbacksDep,
           who: Managers) -> dict[str, str]:
    """显示完整号码 The full phone number of one call; every reveal is audited."""
    return {"phone": callbacks.reveal(month, ticket_id, _who(who))}


@router.get("/callbacks/{month}/reveals")
def reveals(month: str, callbacks: CallbacksDep, _: Admin) -> list[dict[str, Any]]:
    """号码查看记录 Who saw which full number, when (administrators)."""
    return callbacks.reveals(month)
