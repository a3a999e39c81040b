"""The pure draw: sizes, reproducibility, independence of the order the ids come in, and
the audit comparing a stored draw with a redraw."""

from __future__ import annotations

from decimal import Decimal

import pytest

from queue_server.domain import callbacks as cb
from queue_server.domain.errors import InvalidInput
from queue_server.domain.layout import Layout, parse_layout
from tests.conftest import FIXTURES

SEED = bytes(range(16))
IDS = [f"t{i:04d}" for i in range(60)]


@pytest.mark.parametrize(("population", "percent", "size"), [
    (0, "5", 0), (1, "5", 1), (19, "5", 1), (20, "5", 1), (21, "5", 2), (60, "5", 3),
    (61, "5", 4), (1000, "5", 50), (3, "100", 3), (7, "0.01", 1), (10, "33.3", 4)])
def test_sample_size_rounds_up_with_at_least_one(population, percent, size):
    assert cb.sample_size(population, cb.parse_share(percent)) == size


def test_the_draw_is_a_function_of_seed_population_and_share():
    share = cb.parse_share(5.0)
    sample = cb.draw(SEED, IDS, share)
    assert len(sample) == 3 and set(sample) <= set(IDS)
    assert cb.draw(SEED, list(reversed(IDS)), share) == sample  # the order given is irrelevant
    assert cb.draw(SEED, IDS, cb.parse_share("5")) == sample
    assert cb.draw(bytes(16), IDS, share) != sample  # another seed, another sample
    # A larger share extends the same ranking: the first picks stay first.
    assert cb.draw(SEED, IDS, cb.parse_share(10))[:3] == sample
    with pytest.raises(InvalidInput):
        cb.draw(b"short", IDS, share)


def test_share_text_is_exact():
    assert [cb.share_text(cb.parse_share(x)) for x in (5.0, "5", 100, 2.5, "0.50")] == \
        ["5", "5", "100", "2.5", "0.5"]
    for bad in (0, -1, 101, "abc", "NaN", "Infinity"):
        with pytest.raises(InvalidInput) as e:
            cb.parse_share(bad)
        assert e.value.code == "invalid_share"


def test_audit_finds_each_kind_of_change():
    share = cb.parse_share(5)
    sample = cb.draw(SEED, IDS, share)
    good = {"seed_hex": SEED.hex(), "share": "5", "recorded_population": 60,
            "recorded_hash": cb.population_hash(IDS), "recorded_sample": sample}
    assert cb.audit(**good, population=IDS) == []
    assert cb.audit(**good, population=IDS[1:])  # a visit gone
    assert cb.audit(**{**good, "seed_hex": bytes(16).hex()}, population=IDS)
    assert cb.audit(**{**good, "share": "10"}, population=IDS)
    assert cb.audit(**{**good, "recorded_sample": list(reversed(sample))}, population=IDS)
    assert cb.audit(**{**good, "seed_hex": "zz"}, population=IDS)


def test_outcomes_are_checked():
    o = cb.check_outcome(True, {"attitude": 5, "time_taken": None}, " ok ")
    assert (o.attitude, o.time_taken, o.discipline, o.comment) == (5, None, None, "ok")
    for reached, scores, code in ((True, {"attitude": 0}, "invalid_score"),
                                  (True, {"discipline": 6}, "invalid_score"),
                                  (False, {"time_taken": 3}, "scores_without_reach")):
        with pytest.raises(InvalidInput) as e:
            cb.check_outcome(reached, scores, "")
        assert e.value.code == code and e.value.message_zh


def test_the_share_is_a_layout_setting():
    text = (FIXTURES / "mini.toml").read_text(encoding="utf-8")
    def layout(extra: str) -> tuple[Layout | None, list[str]]:
        return parse_layout(text.replace("green_age = 70\n", f"green_age = 70\n{extra}\n"))

    default, _ = parse_layout(text)
    assert default is not None and default.hall.callback_percent == 5.0
    set_, problems = layout("callback_percent = 2.5")
    assert set_ is not None and set_.hall.callback_percent == 2.5 and problems == []
    for bad in ("0", "101", '"five"'):
        parsed, problems = layout(f"callback_percent = {bad}")
        assert parsed is None and any("callback_percent" in p for p in problems), problems


def test_a_month_ends_in_the_hall_time_zone():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo
    m = cb.parse_month("2026-12")
    assert (m.first.isoformat(), m.after.isoformat()) == ("2026-12-01", "2027-01-01")
    tz = ZoneInfo("Asia/Shanghai")
    assert not m.over(datetime(2026, 12, 31, 15, 59, tzinfo=UTC), tz)
    assert m.over(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), tz)
    assert Decimal(cb.share_text(cb.parse_share("5"))) == 5
