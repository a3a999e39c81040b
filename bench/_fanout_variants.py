"""`hallq serve` with another fan-out, for bench/live_fanout.py to compare against in the
same run: the product's code, with only the last step of the fan-out swapped.

    python bench/_fanout_variants.py gather|queued serve --port P ...

- `queued`: what hallq did before issue 17: every client's own queue and task, each
  message sent through the ASGI WebSocket path on its own.
- `gather`: the naive fan-out: for each message, `asyncio.gather` of every listening
  client's `send_text`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

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


def main() -> int:
    variant, *argv = sys.argv[1:]
    {"gather": gather, "queued": no_frame_writer}[variant]()
    from hallq.cli import main as hallq
    sys.argv = ["hallq", *argv]
    return hallq()


if __name__ == "__main__":
    sys.exit(main())
