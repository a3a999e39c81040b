"""`WS /events`: a snapshot on connect, then every domain event as it happens.

`?window=N` (a display's token) follows one window only: the display over it needs
nothing else, and 96 of them then cost the server nothing for other windows' events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from queue_server.api import API_PREFIX
from queue_server.broadcast import EVERYTHING, Audience, Client, Hub, pad_audience, window_audience
from queue_server.connections import FRAMES
from queue_server.security import Role

router = APIRouter(prefix=API_PREFIX, tags=["events"])

CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 1013  # "try again later": the display reconnects and reloads the snapshot


@router.websocket("/events")
async def events(ws: WebSocket) -> None:
    app = ws.app
    principal = await run_in_threadpool(app.state.auth, ws.query_params.get("token"))
    await ws.accept()
    if principal is not None and principal.expired(app.state.hall.clock()):
        await ws.close(code=CLOSE_UNAUTHORIZED, reason="令牌已过期 / token_expired")
        return
    if principal is None:
        await ws.close(code=CLOSE_UNAUTHORIZED, reason="需要有效的令牌 / a valid token is required")
        return
    hall = app.state.hall
    audiences: tuple[Audience, ...] = (EVERYTHING,)
    snapshot: Callable[[], dict[str, Any]] = hall.snapshot
    if principal.role is Role.PAD:
        audiences = (pad_audience(principal.window),)
        snapshot = lambda: hall.pad_snapshot(principal.window)  # noqa: E731
    elif (window := _window(ws.query_params.get("window"))) is not None:
        if window not in hall.layout.windows:
            await ws.close(code=CLOSE_NOT_FOUND, reason=f"没有 {window} 号窗口 / no window {window}")
            return
        audiences = (window_audience(window),)
        snapshot = lambda: hall.window_snapshot(window)  # noqa: E731
    elif ws.query_params.get("window") is not None:
        await ws.close(code=CLOSE_NOT_FOUND, reason="窗口号应为正整数 / window must be a number")
        return
    await stream(ws, app.state.hub, principal.role.value, audiences, snapshot,
                 app.state.settings.ws_send_timeout)


def _window(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit() or len(raw) > 4:
        return None
    return int(raw)


async def stream(ws: WebSocket, hub: Hub, role: str, audiences: tuple[Audience, ...],
                 snapshot: Callable[[], dict[str, Any]], send_timeout: float) -> None:
    """Serve one accepted connection: its snapshot, then its audiences' events until it
    goes away or falls behind."""
    # Subscribe before the snapshot: no event can fall between them, and any event the
    # snapshot already holds is skipped by its sequence number.
    client = hub.subscribe(role, audiences)
    try:
        first = await run_in_threadpool(snapshot)
        await ws.send_json(first)
        writer = ws.scope.get("extensions", {}).get(FRAMES)
        if writer is not None:
            hub.go_direct(client, writer, first["seq"])
        # Tasks for the life of the connection: one notices a disconnect, one notices the
        # client fell behind (even while a send to it is stuck), and without a frame
        # writer one sends; whichever ends first ends all.
        async with anyio.create_task_group() as tg:
            async def pump() -> None:
                await _pump(ws, client, first["seq"], send_timeout)
                tg.cancel_scope.cancel()

            async def drain() -> None:
                await _drain(ws)
                tg.cancel_scope.cancel()

            async def watch() -> None:
                await client.gone.wait()
                tg.cancel_scope.cancel()

            if writer is None:
                tg.start_soon(pump)
            tg.start_soon(drain)
            tg.start_soon(watch)
        if client.gone.is_set():
            # A close frame if it still takes one; else the server drops the connection
            # when this returns (connections.py: closing never waits on a client).
            with anyio.move_on_after(1):
                await ws.close(code=CLOSE_TOO_SLOW, reason="too slow; reconnect for a snapshot")
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        hub.unsubscribe(client)


async def _pump(ws: WebSocket, client: Client, seen: int, send_timeout: float) -> None:
    try:
        while True:
            seq, text = await client.queue.get()
            if text is None:
                return  # fell behind: `gone` is set, the close follows
            if seq > seen:
                # A client that stopped reading (a hung browser, a cable pulled without a
                # FIN) blocks the send once the socket's buffers fill: give it up then.
                with anyio.move_on_after(send_timeout) as waited:
                    await ws.send_text(text)
                if waited.cancelled_caught:
                    client.gone.set()
                    return
    except (WebSocketDisconnect, RuntimeError):
        return


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends, so a disconnect is noticed at once."""
    try:
        while True:
            await ws.receive_text()
    except (WebSocketDisconnect, RuntimeError):
        return
