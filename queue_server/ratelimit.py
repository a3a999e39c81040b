"""Lookup rate limits per kiosk and per ID number: token buckets in memory.

They stop a kiosk (or a stolen kiosk token) from walking through ID numbers, and one
person's number from being tried over and over. One server process serves a hall, so
in-memory buckets are enough; a restart forgives everyone, which is acceptable.
Keys are token ids and keyed ID hashes, never an ID number.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hallenv import parse_rate
from queue_server.domain.errors import DomainError


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`30/60` means 30 lookups per 60 seconds."""
        return cls(*parse_rate(text))  # the one rate syntax, shared with the settings


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, scope: str, retry_after: int) -> None:
        who_zh, who_en = {"kiosk": ("本机查询", "this kiosk"),
                          "id": ("该身份证号码的查询", "lookups for this ID number"),
                          "issue": ("本机取号", "ticket issuing at this kiosk"),
                          "anonymous": ("本机免证取号", "tickets without an ID card here"),
                          "sms": ("短信验证码发送", "verification texts for this ID number"),
                          "booking_phone": ("向该手机发送验证码", "this phone"),
                          "booking_addr": ("本网络的验证码请求", "this address"),
                          "image": ("本机查看档案影像", "archive images at this kiosk"),
                          }.get(scope, ("查询", "lookups"))
        super().__init__(f"{who_zh}过于频繁，请 {retry_after} 秒后再试",
                         f"too many requests from {who_en}; try again in {retry_after} s")
        self.scope = scope
        self.retry_after = retry_after


class Limiter:
    MAX_KEYS = 50_000  # full buckets are forgotten beyond this: they equal no bucket

    def __init__(self, rates: dict[str, Rate], clock: Callable[[], float]) -> None:
        self.rates = rates
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, keys: Sequence[tuple[str, str]]) -> None:
        """Spend one token from every (scope, key) bucket, or none and raise RateLimited.

        All-or-nothing, so a refusal by the ID bucket costs the kiosk nothing.
        """
        now = self.clock()
        with self._lock:
            levels: list[tuple[tuple[str, str], float]] = []
            for scope, key in keys:
                rate = self.rates[scope]
                level, seen = self._buckets.get((scope, key), (float(rate.count), now))
                level = min(float(rate.count), level + (now - seen) * rate.count / rate.seconds)
                if level < 1.0:
                    wait = math.ceil((1.0 - level) * rate.seconds / rate.count)
                    raise RateLimited(scope, max(1, wait))
                levels.append(((scope, key), level))
            for bucket, level in levels:
                self._buckets[bucket] = (level - 1.0, now)
            if len(self._buckets) > self.MAX_KEYS:
                self._prune(now)

    def _prune(self, now: float) -> None:
        for bucket, (level, seen) in list(self._buckets.items()):
            rate = self.rates[bucket[0]]
            if level + (now - seen) * rate.count / rate.seconds >= rate.count:
                del self._buckets[bucket]
