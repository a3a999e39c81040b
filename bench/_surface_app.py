"""FastAPI with hallq's surface and none of its work: the floor under hallq's start-up.

As many operations, request bodies and schemas as hallq's API document has (counted at
start from `queue_server`'s own OpenAPI document would import hallq; the counts are
passed in), each answering a constant; one SQLite engine from SQLAlchemy, as any server
storing through it has. What this takes to start is what FastAPI, Pydantic and
SQLAlchemy cost for an API this size before a single line of the hall runs.

    python bench/_surface_app.py PORT OPERATIONS BODIES SCHEMAS
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import sqlalchemy
import uvicorn
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, create_model


async def caller(request: Request) -> str:
    return request.headers.get("authorization", "")


Caller = Annotated[str, Depends(caller)]


def build(operations: int, bodies: int, schemas: int) -> FastAPI:
    app = FastAPI()
    engine = sqlalchemy.create_engine("sqlite://")
    app.state.engine = engine
    # Six fields a model, the size of hallq's typical body and answer.
    models: list[type[BaseModel]] = [create_model(
        f"Model{i}", __config__=ConfigDict(extra="forbid"),
        code=(str, Field(min_length=1, max_length=40)), name=(str, ""),
        count=(int, Field(default=0, ge=0)), note=(str | None, None),
        at=(str | None, None), flag=(bool, False)) for i in range(schemas)]

    @app.get("/api/v1/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    for i in range(operations):
        answer = models[i % schemas]
        if i < bodies:
            body_model = models[(i + 1) % schemas]

            async def post(body: body_model, who: Caller) -> Any:  # type: ignore[valid-type]
                return {"code": "x"}
            app.post(f"/api/v1/op{i}/{{ref}}", response_model=answer)(post)
        else:
            async def get(ref: str, who: Caller) -> Any:
                return {"code": ref}
            app.get(f"/api/v1/op{i}/{{ref}}", response_model=answer)(get)
    return app


if __name__ == "__main__":
    port, operations, bodies, schemas = (int(x) for x in sys.argv[1:5])
    uvicorn.run(build(operations, bodies, schemas), host="127.0.0.1", port=port,
                log_level="warning")
