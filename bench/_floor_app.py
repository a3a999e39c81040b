"""FastAPI doing nothing: the floor under any FastAPI server's ticket operations.

The same four request shapes as hallq's health endpoint and ticket operations (a GET; an
authenticated POST with a Pydantic body; authenticated POSTs with a path parameter),
served by uvicorn with hallq's settings, answering constants: no hall, no storage, no
events. Whatever hallq's ticket operations cost beyond these is hallq's own work;
these show how much of a health request's rate a FastAPI app can reach with none.

    python bench/_floor_app.py PORT
"""

from __future__ import annotations

import gc
import sys
from typing import Annotated, Any

import uvicorn
from _server import FLOOR_TOKEN
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

app = FastAPI()


async def caller(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header[7:] != FLOOR_TOKEN:
        raise HTTPException(401)
    return "guide"


Caller = Annotated[str, Depends(caller)]


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    business: str = Field(min_length=1, max_length=40)


TICKET: dict[str, Any] = {"id": "t1", "number": "A000001", "status": "called"}


@app.get("/api/v1/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/v1/tickets", status_code=201)
async def issue(body: IssueIn, who: Caller) -> dict[str, Any]:
    return {**TICKET, "business": body.business, "status": "waiting"}


@app.post("/api/v1/windows/{number}/call-next")
async def call_next(number: int, who: Caller) -> dict[str, Any]:
    return {"ticket": {**TICKET, "window": number}}


@app.post("/api/v1/tickets/{ticket_id}/complete")
async def complete(ticket_id: str, who: Caller) -> dict[str, Any]:
    return {**TICKET, "id": ticket_id, "status": "done"}


if __name__ == "__main__":
    gc.collect()
    gc.freeze()  # as `hallq serve` does
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
