"""Erlang C (M/M/c): the textbook figure the simulation is checked against.

With offered load a = λ/μ on c servers, C(c, a) is the probability an arrival waits and
the mean wait is C(c, a) / (cμ − λ) (queueing.md). Also used by the floor guides' advice
for a quick "wait before / after" comparison.
"""

from __future__ import annotations

import math


def erlang_b(c: int, a: float) -> float:
    """Blocking probability, by the stable recursion B(k) = aB(k−1) / (k + aB(k−1))."""
    if c < 0 or a < 0:
        raise ValueError("c and a must not be negative")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting; 1.0 when the load reaches the servers (the queue grows)."""
    if c <= 0 or a >= c:
        return 1.0
    if a <= 0:
        return 0.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def _integer_wait(c: int, arrivals_per_minute: float, service_minutes: float) -> float:
    a = arrivals_per_minute * service_minutes
    if a <= 0:
        return 0.0
    if c <= 0 or a >= c:
        return math.inf
    return erlang_c(c, a) * service_minutes / (c - a)  # = C / (cμ − λ) with μ = 1/s


def mean_wait(servers: float, arrivals_per_minute: float, service_minutes: float) -> float:
    """Mean wait in minutes (inf when overloaded).

    `servers` may be fractional (a window serving two businesses counts half to each):
    the wait is interpolated between the integer server counts around it, in 1/wait,
    which is linear in spare capacity near saturation and so stays finite and monotone.
    """
    lo = math.floor(servers)
    if servers == lo:
        return _integer_wait(lo, arrivals_per_minute, service_minutes)
    w_lo = _integer_wait(lo, arrivals_per_minute, service_minutes)
    w_hi = _integer_wait(lo + 1, arrivals_per_minute, service_minutes)
    if w_hi == 0.0:
        return 0.0
    if math.isinf(w_hi):
        return math.inf
    inv_lo = 0.0 if math.isinf(w_lo) else 1.0 / w_lo
    frac = servers - lo
    inv = inv_lo + frac * (1.0 / w_hi - inv_lo)
    return math.inf if inv <= 0 else 1.0 / inv
