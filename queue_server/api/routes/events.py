"""`WS /events`: a snapshot on connect, then every domain event as it happens."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from queue_server.broadcast import Client
from queue_server.security import Role

router = APIRouter(tags=["events"])

CLOSE_UNAUTHORIZED = 4401
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
    hub = app.state.hub
    pad = principal.role is Role.PAD
    # Subscribe before the snapshot: no event can fall between them, and any event the
    # snapshot already holds is skipped by its sequence number.
    client = hub.subscribe(principal.role.value, principal.window if pad else None)
    try:
        hall = app.state.hall
        snapshot = await run_in_threadpool(
            (lambda: hall.pad_snapshot(principal.window)) if pad else hall.snapshot)
        await ws.send_json(snapshot)
        # Three tasks for the life of the connection: one sends, one notices a disconnect,
        # one notices the client fell behind (even while a send to it is stuck);
        # whichever ends first ends all.
        send_timeout = app.state.settings.ws_send_timeout
        async with anyio.create_task_group() as tg:
            async def pump() -> None:
                await _pump(ws, client, snapshot["seq"], send_timeout)
                tg.cancel_scope.cancel()

            async def drain() -> None:
                await _drain(ws)
                tg.cancel_scope.cancel()

            async def watch() -> None:
                await client.gone.wait()
                tg.cancel_scope.cancel()

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
