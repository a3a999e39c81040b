"""`hallq serve` with another fan-out, for bench/live_fanout.py to compare against in the
same run: the product's code, with only the last step of the fan-out swapped.

    python bench/_fanout_variants.py gather|queued|sse|profile serve --port P ...

- `queued`: what hallq did before issue 17: every client's own queue and task, each
  message sent through the ASGI WebSocket path on its own.
- `gather`: the naive fan-out: for each message, `asyncio.gather` of every listening
  client's `send_text`.
- `sse`: as `queued`, and phones over server-sent events instead
  (`GET /api/v1/follow/{ref}/stream`, text/event-stream, the same audiences and frames
  through a StreamingResponse): the other transport issue 17 asks to measure.
- `profile`: the product's own, under cProfile between SIGUSR1 and SIGUSR2 (the calls,
  not the set-up), the stats written to BENCH_PROFILE_PATH: where the server's time goes.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from fastapi import Request  # at module level: the route's annotations are read from here

from queue_server import broadcast, connections
from queue_server.api.routes import events


def no_frame_writer() -> None:
    """Every connection takes the ASGI send path, as before."""
    def handle_connect(self: connections.HallWebSocket, event: Any) -> None:
        connections.WebSocketsSansIOProtocol.handle_connect(self, event)
    connections.HallWebSocket.handle_connect = handle_connect  # type: ignore[method-assign]


def gather() -> None:
    no_frame_writer()
    sockets: dict[broadcast.Client, Any] = {}

    async def pump(ws: Any, client: broadcast.Client, seen: int, send_timeout: float) -> None:
        sockets[client] = ws
        try:
            await client.gone.wait()
        finally:
            sockets.pop(client, None)

    async def send_all(frames: dict[broadcast.Audience, list[broadcast.Item]],
                       members: dict[broadcast.Audience, list[broadcast.Client]]) -> None:
        for aud, items in frames.items():
            for _, text in items:
                await asyncio.gather(*(sockets[c].send_text(text) for c in members[aud]
                                       if c in sockets), return_exceptions=True)

    def dispatch(self: broadcast.Hub, frames: dict[broadcast.Audience, list[broadcast.Item]]
                 ) -> None:
        members = {aud: list(self._members.get(aud, ())) for aud in frames}
        asyncio.ensure_future(send_all(frames, members))

    events._pump = pump  # type: ignore[assignment]
    broadcast.Hub._dispatch = dispatch  # type: ignore[method-assign]


def profile() -> None:
    """The event loop's thread (where requests, the hall and the fan-out run) profiled
    from SIGUSR1 to SIGUSR2; signal handlers run on that thread."""
    import cProfile
    import os
    import signal

    prof = cProfile.Profile()

    def stop(*_: Any) -> None:
        prof.disable()
        prof.dump_stats(os.environ["BENCH_PROFILE_PATH"])
    signal.signal(signal.SIGUSR1, lambda *_: prof.enable())
    signal.signal(signal.SIGUSR2, stop)


def sse() -> None:
    """Phones over server-sent events: what the WebSocket is measured against."""
    import json

    from fastapi.responses import StreamingResponse
    from starlette.concurrency import run_in_threadpool

    from queue_server.api.routes import follow
    from queue_server.domain.follow import ticket_of

    no_frame_writer()

    @follow.router.get("/follow/{ref}/stream", include_in_schema=False)
    async def stream(ref: str, request: Request) -> StreamingResponse:
        app = request.app
        hall, hub = app.state.hall, app.state.hub
        t = await run_in_threadpool(hall.ticket, ticket_of(ref, hall.secret))
        client = hub.subscribe("phone", follow.phone_audiences(t))
        first = await run_in_threadpool(follow.phone_snapshot, hall, t)

        async def events():  # type: ignore[no-untyped-def]
            try:
                yield f"data: {json.dumps(first, ensure_ascii=False)}\n\n"
                while True:
                    seq, text = await client.queue.get()
                    if text is None:
                        return
                    if seq > first["seq"]:
                        yield f"data: {text}\n\n"
            finally:
                hub.unsubscribe(client)
        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})


def main() -> int:
    variant, *argv = sys.argv[1:]
    {"gather": gather, "queued": no_frame_writer, "sse": sse, "profile": profile}[variant]()
    from hallq.cli import main as hallq
    sys.argv = ["hallq", *argv]
    return hallq()


if __name__ == "__main__":
    sys.exit(main())
