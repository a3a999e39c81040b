"""Fan-out of domain events to every connected display and console.

Each client has its own bounded queue, filled from the event loop; a client that falls
too far behind is dropped (it reconnects and reloads the snapshot) instead of slowing
anyone else. Messages are serialised once, not once per client.

An evaluation pad faces the public: it hears only its own window's events, in a short
form that carries no applicant's data (`pad_message`).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

CLOSE = (0, None)  # queued in place of what a client fell behind on: it must reconnect


@dataclass(eq=False)
class Client:
    role: str
    queue: asyncio.Queue[tuple[int, str | None]]
    overflowed: bool = False
    window: int | None = None  # set for a pad: only this window's events, in pad form
    # Set when it fell behind: its connection is ended even while a send to it is stuck
    # (a client that stopped reading never takes the CLOSE queued for it).
    gone: asyncio.Event = field(default_factory=asyncio.Event)


PAD_TYPES = frozenset({"ticket.called", "ticket.started", "ticket.completed", "ticket.forwarded",
                       "ticket.no_show", "ticket.transferred", "ticket.parked",
                       "staff.signed_in", "staff.signed_out", "evaluation.recorded"})


def pad_message(m: dict[str, Any]) -> dict[str, Any] | None:
    """What a pad may hear of an event: the window's staff on duty and the ticket's number."""
    if m.get("type") not in PAD_TYPES:
        return None
    w = m.get("window_state") or {}
    t = m.get("ticket") or {}
    return {"type": m["type"], "seq": m.get("seq"), "at": m.get("at"), "window": m.get("window"),
            "staff": w.get("staff"),
            "ticket": {"id": t.get("id"), "number": t.get("number"), "status": t.get("status"),
                       "business_name": t.get("business_name"),
                       "business_name_en": t.get("business_name_en")} if t else None}


class Hub:
    def __init__(self, queue_size: int = 512) -> None:
        self.queue_size = queue_size
        self.clients: set[Client] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.dropped = 0
        # Windows with a pad listening: only their events are put in pad form, so a hall
        # without pads pays nothing for them on the publishing path.
        self.pad_windows: Counter[int] = Counter()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self, role: str, window: int | None = None) -> Client:
        client = Client(role, asyncio.Queue(self.queue_size), window=window)
        self.clients.add(client)
        if window is not None:
            self.pad_windows[window] += 1
        return client

    def unsubscribe(self, client: Client) -> None:
        if client in self.clients and client.window is not None:
            self.pad_windows[client.window] -= 1
            if self.pad_windows[client.window] <= 0:
                del self.pad_windows[client.window]
        self.clients.discard(client)

    def publish(self, messages: list[dict[str, Any]]) -> None:
        """Called from the hall's thread: hand over to the event loop."""
        if self.loop is None or self.loop.is_closed():
            return
        encoded = [(int(m.get("seq") or 0), json.dumps(m, ensure_ascii=False)) for m in messages]
        pads: dict[int, list[tuple[int, str]]] = {}
        for m in messages:
            if m.get("window") not in self.pad_windows:
                continue
            short = pad_message(m)
            if short is not None:
                pads.setdefault(m["window"], []).append(
                    (int(m.get("seq") or 0), json.dumps(short, ensure_ascii=False)))
        self.loop.call_soon_threadsafe(self._dispatch, encoded, pads)

    def _dispatch(self, encoded: list[tuple[int, str]],
                  pads: dict[int, list[tuple[int, str]]] | None = None) -> None:
        for client in list(self.clients):
            if client.overflowed:
                continue
            items = encoded if client.window is None else (pads or {}).get(client.window, [])
            for item in items:
                try:
                    client.queue.put_nowait(item)
                except asyncio.QueueFull:
                    # Drop what it has not read: it reloads the snapshot on reconnecting.
                    client.overflowed = True
                    self.dropped += 1
                    while not client.queue.empty():
                        client.queue.get_nowait()
                    client.queue.put_nowait(CLOSE)
                    client.gone.set()
                    break
