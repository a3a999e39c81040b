"""Fan-out of domain events to every connected screen, console, pad and phone.

Each client listens to audiences, and gets only what it shows:

- `EVERYTHING`: hall screens and consoles, every event in full;
- `("window", n)`: the display over window n, that window's events and the day's close;
- `("pad", n)`: the evaluation pad facing the public at window n, its events in a short
  form that carries no applicant's data (`pad_message`);
- `("ticket", id)` and `("business", code)`: a phone following its ticket, the ticket's
  own changes and one object of places for its business's whole queue (`views.
  business_places`), from which each phone reads its own.

Each batch of events is serialised once per audience that has listeners (on the hall's
thread), and framed once (on the event loop): a client served by `hallq serve` then
takes one write of the batch's frames to its socket, nothing more per client
(`connections.FrameWriter`). A client whose socket backlog grows past its limit is
dropped there; it reconnects and reloads the snapshot. Other servers (the tests' uvicorn)
get the same items through a bounded queue per client, drained by the connection's own
task; a client that falls too far behind there is dropped the same way.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from queue_server.connections import text_frame
from queue_server.jsonbytes import dumps_text
from queue_server.views import follow_view

CLOSE = (0, None)  # queued in place of what a client fell behind on: it must reconnect

Audience = tuple[str, Any]
EVERYTHING: Audience = ("all", None)
GLOBAL_TYPES = frozenset({"day.closed"})  # every window display and phone must hear these


def window_audience(number: int) -> Audience:
    return ("window", number)


def pad_audience(number: int) -> Audience:
    return ("pad", number)


def ticket_audience(ticket_id: str) -> Audience:
    return ("ticket", ticket_id)


def business_audience(code: str) -> Audience:
    return ("business", code)


Item = tuple[int, str]  # (seq, the message's JSON)


class Writer(Protocol):
    def write(self, wire: bytes) -> Literal["sent", "gone", "dropped"]: ...


@dataclass(eq=False)
class Client:
    role: str
    queue: asyncio.Queue[tuple[int, str | None]]
    audiences: tuple[Audience, ...] = (EVERYTHING,)
    overflowed: bool = False
    # Set when it fell behind: its connection is ended even while a send to it is stuck
    # (a client that stopped reading never takes the CLOSE queued for it).
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    writer: Writer | None = None  # set once its snapshot is out: frames go straight out

    @property
    def window(self) -> int | None:
        """The window of a pad, for the pad's own stream."""
        for kind, key in self.audiences:
            if kind == "pad":
                return int(key)
        return None


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


def _dumps(m: dict[str, Any]) -> str:
    return dumps_text(m)


class Hub:
    def __init__(self, queue_size: int = 512,
                 places: Callable[[str], dict[str, list[Any]]] | None = None) -> None:
        self.queue_size = queue_size
        self.places = places  # business → its waiting tickets' places, read on the hall's thread
        self.clients: set[Client] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.dropped = 0
        self.roles: Counter[str] = Counter()
        self._members: dict[Audience, set[Client]] = {}
        # Read on the hall's thread while the loop subscribes: replaced whole, never changed.
        self._listening: frozenset[Audience] = frozenset()
        self._last_places: dict[str, dict[str, list[Any]]] = {}

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self, role: str, audiences: Iterable[Audience] = (EVERYTHING,)) -> Client:
        client = Client(role, asyncio.Queue(self.queue_size), tuple(audiences))
        self.clients.add(client)
        self.roles[role] += 1
        fresh = False
        for aud in client.audiences:
            members = self._members.setdefault(aud, set())
            fresh |= not members
            members.add(client)
        if fresh:
            self._listening = frozenset(self._members)
        return client

    def unsubscribe(self, client: Client) -> None:
        if client not in self.clients:
            return
        self.clients.discard(client)
        self.roles[client.role] -= 1
        emptied = False
        for aud in client.audiences:
            members = self._members.get(aud)
            if members is not None:
                members.discard(client)
                if not members:
                    del self._members[aud]
                    emptied = True
                    if aud[0] == "business":
                        self._last_places.pop(aud[1], None)
        if emptied:
            self._listening = frozenset(self._members)

    # --- the hall's thread -----------------------------------------------------------------

    def publish(self, messages: list[dict[str, Any]]) -> None:
        """Called from the hall's thread: encode once per audience, hand over to the loop."""
        if self.loop is None or self.loop.is_closed():
            return
        frames = self.frames(messages, self._listening)
        if frames:
            self.loop.call_soon_threadsafe(self._dispatch, frames)

    def frames(self, messages: list[dict[str, Any]], listening: frozenset[Audience]
               ) -> dict[Audience, list[Item]]:
        out: dict[Audience, list[Item]] = {}
        if EVERYTHING in listening:
            out[EVERYTHING] = [(int(m.get("seq") or 0), _dumps(m)) for m in messages]
        if len(listening) <= (EVERYTHING in listening):
            return out
        every = out.get(EVERYTHING)
        shared = [(i, m) for i, m in enumerate(messages) if m.get("type") in GLOBAL_TYPES]
        businesses: set[str] = set()
        for i, m in enumerate(messages):
            seq = int(m.get("seq") or 0)
            window = m.get("window")
            if window is not None and ("window", window) in listening:
                text = every[i][1] if every else _dumps(m)
                out.setdefault(("window", window), []).append((seq, text))
            if window is not None and ("pad", window) in listening \
                    and (short := pad_message(m)) is not None:
                out.setdefault(("pad", window), []).append((seq, _dumps(short)))
            t = m.get("ticket")
            if t:
                businesses.add(t.get("business"))
                if ("ticket", t.get("id")) in listening:
                    out.setdefault(("ticket", t["id"]), []).append((seq, _dumps(
                        {"type": "ticket", "event": m.get("type"), "seq": seq, "at": m.get("at"),
                         "ticket": follow_view(t)})))
            if m.get("type") == "queues":
                businesses.update(q["business"] for q in m.get("queues") or ())
        for aud in listening:
            kind, key = aud
            if kind in ("window", "ticket", "business") and shared:
                out.setdefault(aud, []).extend(
                    (int(m.get("seq") or 0), every[i][1] if every else _dumps(m))
                    for i, m in shared)
            if kind == "business" and key in businesses and self.places is not None:
                places = self.places(key)
                if places != self._last_places.get(key):  # unchanged: nothing to tell phones
                    self._last_places[key] = places
                    seq = max((int(m.get("seq") or 0) for m in messages), default=0)
                    out.setdefault(aud, []).append((seq, _dumps(
                        {"type": "places", "seq": seq, "business": key, "places": places})))
        return out

    # --- the event loop --------------------------------------------------------------------

    def _dispatch(self, frames: dict[Audience, list[Item]]) -> None:
        for aud, items in frames.items():
            members = self._members.get(aud)
            if not members:
                continue
            wire: bytes | None = None
            for client in tuple(members):
                if client.overflowed:
                    continue
                if client.writer is not None:
                    if wire is None:
                        wire = b"".join(text_frame(text.encode()) for _, text in items)
                    self._write(client, wire)
                else:
                    self._enqueue(client, items)

    def go_direct(self, client: Client, writer: Writer, seen: int) -> None:
        """From now on, frames go straight to the client's socket; what was queued for it
        while its snapshot went out goes first, the snapshot's own events skipped."""
        pending: list[str] = []
        while not client.queue.empty():
            seq, text = client.queue.get_nowait()
            if text is None:
                return  # it fell behind already: `gone` is set
            if seq > seen:
                pending.append(text)
        if pending:
            self._write(client, b"".join(text_frame(t.encode()) for t in pending))
        client.writer = writer

    def _write(self, client: Client, wire: bytes) -> None:
        assert client.writer is not None
        result = client.writer.write(wire)
        if result != "sent":
            client.overflowed = True
            self.dropped += result == "dropped"
            client.gone.set()

    def _enqueue(self, client: Client, items: list[Item]) -> None:
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
                return
