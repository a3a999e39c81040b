"""Announcements spoken one after another, never on top of each other, never dropped.

Users' complaint: two windows call at once and one announcement cuts the other off. Here
one worker thread speaks everything, in order, each after a chime.

When calls arrive faster than they can be said (`devices.voice.backlog` has the rules):
* coalesce: a number is never queued twice, a window never twice (its newer call makes
  the waiting one obsolete); a recall of a waiting call is absorbed by it;
* still standing: `stands(announcement)`, if given, is asked just before speaking; a
  ticket started, completed or given up since is not announced;
* bounded: at most `maxsize` different numbers wait; one more raises `VoiceQueueFull`
  at once (nothing already queued is dropped and the caller is never blocked): the
  screens still show the call and staff can recall it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from devices.errors import DeviceError
from devices.health import Health, HealthState
from devices.voice.backends import DEVICE, Backend
from devices.voice.backlog import admit
from devices.voice.phrases import Announcement

log = logging.getLogger(__name__)


class VoiceQueueFull(DeviceError):
    """Too many announcements are already waiting."""


class VoiceQueueClosed(DeviceError):
    """The announcer has been closed."""


class AnnouncementQueue:
    def __init__(self, backend: Backend, *, maxsize: int = 16, chime: bool = True,
                 stands: Callable[[Announcement], bool] | None = None) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.backend = backend
        self.stands = stands
        self.dropped: list[Announcement] = []  # obsolete or no longer standing, never said
        self.maxsize = maxsize
        self.chime = chime
        self._waiting: deque[Announcement] = deque()
        self._speaking: Announcement | None = None
        self._closed = False
        self._last_error = ""
        self._cond = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="voice-announcer", daemon=True)
        self._worker.start()

    def submit(self, announcement: Announcement) -> None:
        with self._cond:
            if self._closed:
                raise VoiceQueueClosed("语音播报已关闭", "the announcer is closed")
            admission = admit(list(self._waiting), announcement)
            if admission.absorbed:
                return
            if len(admission.waiting) > self.maxsize:
                raise VoiceQueueFull(
                    f"语音播报排队已满（{self.maxsize} 条），本次未播报，请稍后重呼",
                    f"announcement queue full ({self.maxsize} waiting); {announcement.number} not queued",
                )
            self._waiting = deque(admission.waiting)
            self.dropped += [d for d in admission.dropped if d.number != announcement.number]
            self._cond.notify_all()

    def pending(self) -> list[Announcement]:
        with self._cond:
            return list(self._waiting)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._closed:
                    self._cond.wait()
                if not self._waiting:  # closed and drained
                    return
                self._speaking = announcement = self._waiting.popleft()
            # Asked outside the lock: `stands` may look at the hall, and calls keep coming.
            if self.stands is not None and not self.stands(announcement):
                with self._cond:
                    self.dropped.append(announcement)
                    self._speaking = None
                    self._cond.notify_all()
                continue
            try:
                self.backend.speak(announcement, self.chime)
                error = ""
            except Exception as exc:  # a broken speaker must not end the announcer thread
                log.error("announcement %s failed: %s", announcement.number, exc)
                error = str(exc)
            with self._cond:
                self._last_error = error
                self._speaking = None
                self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True once everything queued has been spoken (for tests and orderly shutdown)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._waiting or self._speaking is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def health(self) -> Health:
        if not self._worker.is_alive() and not self._closed:
            return Health(
                DEVICE, HealthState.FAILED, "语音播报线程已停止 / announcer thread stopped"
            )
        with self._cond:
            last_error = self._last_error
        if last_error:
            return Health(DEVICE, HealthState.FAILED, last_error)
        return self.backend.health()

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking calls, finish what is queued (up to `timeout`), stop the worker."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._worker.join(timeout)
        self.backend.close()
