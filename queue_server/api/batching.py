"""Running hall work from requests: group commit on the event loop.

Use cases run where the requests are, on the event loop: the hall's work is in memory
but for the commit, so a thread hop would cost more than it saves. Requests that arrive
together share one transaction (`Hall.run_many`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any, ParamSpec, TypeVar

from queue_server.hall import Hall

P = ParamSpec("P")
R = TypeVar("R")


async def in_hall(hall: Hall, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run `fn` on the event loop in the hall's next batch; for anything touching hall state.

    Calls made while a batch waits join it, so concurrent requests share one commit;
    the answer comes only once that commit is done.
    """
    batcher = _batchers.get(hall)
    if batcher is None:
        batcher = _batchers[hall] = _Batcher(hall)
    return await batcher.submit(partial(fn, *args, **kwargs))


async def off_loop(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Database work that is not a use case (tokens, history, reports), off the loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


class _Batcher:
    def __init__(self, hall: Hall) -> None:
        self.hall = hall
        self.pending: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    def submit(self, call: Callable[[], Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        if self.pending and self.loop is not loop:
            # Left by a loop that stopped before its flush ran (a server shut down, a test
            # client closed): nobody awaits them any more, and they must not block this one.
            self.pending = []
        future = loop.create_future()
        if not self.pending:
            # Runs after the callbacks already due, so requests that arrived together join.
            self.loop = loop
            loop.call_soon(self.flush)
        self.pending.append((call, future))
        return future

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        outcomes = self.hall.run_many([call for call, _ in batch])
        for (_, future), (value, error) in zip(batch, outcomes, strict=True):
            if future.cancelled():
                continue
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)


_batchers: weakref.WeakKeyDictionary[Hall, _Batcher] = weakref.WeakKeyDictionary()
