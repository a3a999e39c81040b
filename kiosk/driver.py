"""Runs the flow on its own thread, so the touchscreen never freezes on a slow device or
an unreachable server: the screens post actions, the thread runs them one at a time and
ticks the flow between them."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from kiosk.flow import Flow

log = logging.getLogger(__name__)

_STOP = object()


class FlowDriver:
    def __init__(self, flow: Flow, *, interval: float = 0.2) -> None:
        self.flow = flow
        self.interval = interval
        self._commands: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="kiosk-flow", daemon=True)
        self.errors = 0

    def start(self) -> FlowDriver:
        self._thread.start()
        return self

    def post(self, action: Callable[..., None], *args: Any) -> None:
        self._commands.put(partial(action, *args))

    def call(self, name: str, *args: Any) -> None:
        """Run the flow's action `name` on the flow thread."""
        self.post(getattr(self.flow, name), *args)

    def stop(self, timeout: float = 5.0) -> None:
        self._commands.put(_STOP)
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _safely(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            # A bug in one step must not take the kiosk down: log it, start afresh.
            self.errors += 1
            log.exception("kiosk flow step failed; back to the start")
            try:
                self.flow.home()
            except Exception:
                log.exception("going home failed too")

    def _run(self) -> None:
        self._safely(self.flow.start)
        next_tick = time.monotonic()
        while True:
            try:
                command = self._commands.get(timeout=max(0.0, next_tick - time.monotonic()))
            except queue.Empty:
                command = None
            if command is _STOP:
                break
            if command is not None:
                self._safely(command)
            if time.monotonic() >= next_tick:
                self._safely(self.flow.tick)
                next_tick = time.monotonic() + self.interval
        self._safely(self.flow.close)
