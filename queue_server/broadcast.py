"""Fan-out of domain events to every connected display and console.

Each client has its own bounded queue, filled from the event loop; a client that falls
too far behind is dropped (it reconnects and reloads the snapshot) instead of slowing
anyone else. Messages are serialised once, not once per client.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

CLOSE = (0, None)  # queued in place of what a client fell behind on: it must reconnect


@dataclass(eq=False)
class Client:
    role: str
    queue: asyncio.Queue[tuple[int, str | None]]
    overflowed: bool = False


class Hub:
    def __init__(self, queue_size: int = 512) -> None:
        self.queue_size = queue_size
        self.clients: set[Client] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.dropped = 0

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self, role: str) -> Client:
        client = Client(role, asyncio.Queue(self.queue_size))
        self.clients.add(client)
        return client

    def unsubscribe(self, client: Client) -> None:
        self.clients.discard(client)

    def publish(self, messages: list[dict[str, Any]]) -> None:
        """Called from the hall's thread: hand over to the event loop."""
        if self.loop is None or self.loop.is_closed():
            return
        encoded = [(int(m.get("seq") or 0), json.dumps(m, ensure_ascii=False)) for m in messages]
        self.loop.call_soon_threadsafe(self._dispatch, encoded)

    def _dispatch(self, encoded: list[tuple[int, str]]) -> None:
        for client in list(self.clients):
            if client.overflowed:
                continue
            for item in encoded:
                try:
                    client.queue.put_nowait(item)
                except asyncio.QueueFull:
                    # Drop what it has not read: it reloads the snapshot on reconnecting.
                    client.overflowed = True
                    self.dropped += 1
                    while not client.queue.empty():
                        client.queue.get_nowait()
                    client.queue.put_nowait(CLOSE)
                    break
