"""Erlang C against published figures."""

import math

import pytest

from queue_server.domain.erlang import erlang_b, erlang_c, mean_wait

LAM = 2000 / 480  # queueing.md: 2,000 tickets over 8 hours
SERVICE = 10.0  # minutes, so a ≈ 41.7


def test_queueing_md_pooled_hall_waits_a_fifth_of_a_minute():
    assert mean_wait(50, LAM, SERVICE) == pytest.approx(0.18, abs=0.005)


def test_queueing_md_ten_businesses_on_five_dedicated_windows_wait_seven_minutes():
    assert mean_wait(5, LAM / 10, SERVICE) == pytest.approx(7.4, abs=0.05)


def test_textbook_values():
    # M/M/1: C = ρ. M/M/2 with a = 1: C = 1/3. Erlang B(1, 1) = 1/2.
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    # Call-centre tables: 10 agents, 8 erlangs → P(wait) ≈ 0.409.
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=1e-3)
    # M/M/1, λ = 0.5/min, 1-min service: Wq = ρ/(μ − λ) = 1 min.
    assert mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)


def test_overload_and_no_load():
    assert math.isinf(mean_wait(3, 1.0, 3.0))  # a = c: the queue grows without bound
    assert mean_wait(3, 0.0, 5.0) == 0.0
    assert erlang_c(0, 1.0) == 1.0


def test_fractional_windows_lie_between_their_neighbours_and_fall_with_capacity():
    lo, mid, hi = (mean_wait(c, 0.3, 10.0) for c in (4, 4.5, 5))
    assert hi < mid < lo
    waits = [mean_wait(3 + k / 10, 0.25, 10.0) for k in range(11)]
    assert all(a > b for a, b in zip(waits, waits[1:], strict=False))
