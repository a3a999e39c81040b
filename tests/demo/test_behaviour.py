"""The demo's decisions, without a server: who is staffed, what applicants come for, how
fast, and what a clerk and an applicant at the pad do next."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

from hallrules.id_number import birth_date_of, validate_id_number
from queue_server.demo import behaviour as b
from queue_server.domain.layout import load_layout
from queue_server.simulation.demand import find_demand, minute_of
from tests.conftest import REPO

LAYOUT = load_layout(REPO / "layouts" / "hengyang.toml")
DEMAND = find_demand(LAYOUT)


def test_staffed_windows_cover_every_business_and_leave_the_hand_windows_alone():
    chosen = b.staffed_windows(LAYOUT, 0.6, {1})
    assert 1 not in chosen
    public = [n for n, w in LAYOUT.windows.items() if w.public]
    assert abs(len(chosen) - round(0.6 * len(public))) <= 1
    served = {c for n in chosen for c in LAYOUT.windows[n].businesses}
    assert served == {c for n in public for c in LAYOUT.windows[n].businesses}
    assert all(LAYOUT.windows[n].public for n in chosen)  # never a back-office window
    # A tiny share still has someone for each business.
    few = b.staffed_windows(LAYOUT, 0.01, {1, 2})
    assert {c for n in few for c in LAYOUT.windows[n].businesses} == served


def test_the_mix_follows_the_demand_file():
    served = set(LAYOUT.businesses)
    mix = b.mix_of(DEMAND, LAYOUT, served)
    rng = random.Random(1)
    picks = Counter(mix.pick(rng) for _ in range(20000))
    direct, journeys = DEMAND.per_day()
    total = sum(direct.values()) + sum(journeys.values())
    # Certificates are the largest direct share, the second-hand sale a real journey.
    assert abs(picks[("certificate", None)] / 20000 - direct["certificate"] / total) < 0.015
    sale = LAYOUT.journeys["second_hand_sale"].steps[0]
    assert abs(picks[(sale, "second_hand_sale")] / 20000 - journeys["second_hand_sale"] / total) < 0.01
    assert 1.5 < mix.visits_per_arrival < 3  # journeys queue at every step
    # A business no staffed window serves gets nobody, nor do journeys through it.
    partial = b.mix_of(DEMAND, LAYOUT, served - {"tax"})
    assert all(j is None or "tax" not in LAYOUT.journeys[j].steps for _, j in partial.choices)


def test_the_pace_keeps_the_staffed_windows_busy_not_swamped():
    mix = b.mix_of(DEMAND, LAYOUT, set(LAYOUT.businesses))
    pace = b.pace_for(mix, 3.0, 39)
    per_window = 60.0 / (mix.mean_service * pace.seconds_per_minute)  # visits a real minute
    busy = 3.0 * mix.visits_per_arrival / (39 * per_window)
    assert abs(busy - b.UTILISATION) < 1e-9
    # Twice the rate, the same windows: everything runs twice as fast.
    assert abs(b.pace_for(mix, 6.0, 39).seconds_per_minute * 2 - pace.seconds_per_minute) < 1e-9


def test_time_of_day_moves_the_rate():
    assert b.rate_factor(DEMAND, minute_of("09:30")) > 1.5 > b.rate_factor(DEMAND, minute_of("12:30"))
    assert b.rate_factor(DEMAND, minute_of("22:00")) == 1.0  # after hours: the day's mean
    mean = sum(b.rate_factor(DEMAND, m) for m in range(int(DEMAND.open), int(DEMAND.issue_until)))
    assert abs(mean / (DEMAND.issue_until - DEMAND.open) - 1.0) < 0.01


def test_calls_until_answered_matches_the_no_show_rate():
    rng = random.Random(2)
    draws = [b.calls_until_answered(rng, DEMAND, 3) for _ in range(20000)]
    assert abs(draws.count(None) / 20000 - DEMAND.no_show_rate) < 0.01
    assert all(d is None or 1 <= d <= 4 for d in draws)
    assert draws.count(1) > 0.8 * 20000


def test_finish_forwards_journeys_and_sometimes_transfers():
    rng = random.Random(3)
    assert b.finish(rng, {"business": "tax", "journey_next": "fee"}, ["tax", "fee"]).action == "forward"
    ends = Counter(b.finish(rng, {"business": "tax"}, ["tax", "fee"]).action for _ in range(5000))
    assert 0.01 < ends["transfer"] / 5000 < 0.06 and ends["forward"] == 0
    moved = {b.finish(rng, {"business": "tax"}, ["tax", "fee"]).business for _ in range(2000)}
    assert moved == {None, "fee"}  # never "transferred" to its own business
    assert b.finish(rng, {"business": "tax"}, ["tax"]).action == "complete"


def test_breaks_come_about_twice_a_day():
    rng = random.Random(4)
    day = DEMAND.close - DEMAND.open
    breaks = sum(b.takes_break(rng, DEMAND, 12.0) for _ in range(int(day / 12.0) * 1000))
    assert 1.7 < breaks / 1000 < 2.3


def test_pad_ratings_are_mostly_good_and_bad_ones_give_a_reason():
    rng = random.Random(5)
    bodies = [b.rating(rng) for _ in range(5000)]
    given = [x for x in bodies if x]
    assert 0.8 < len(given) / 5000 < 0.9
    assert sum(x["rating"] >= 4 for x in given) / len(given) > 0.85
    from queue_server.domain.evaluation import REASONS
    assert all(x["reason"] in REASONS for x in given if x["rating"] <= 2)
    assert all(set(x["dimensions"]) == {"efficiency", "competence", "attitude"}
               for x in given if "dimensions" in x)


def test_applicants_have_valid_id_numbers_and_the_green_share_is_elderly():
    rng = random.Random(6)
    today = date(2026, 12, 3)
    people = [b.applicant(rng, today, 0.05) for _ in range(4000)]
    for p in people:
        validate_id_number(p["id_number"])
        assert p["id_number"].startswith(b.REGION) and 2 <= len(p["name"]) <= 3
    old = sum(today.year - birth_date_of(p["id_number"]).year >= 70 for p in people)
    assert 0.03 < old / 4000 < 0.07


def test_staff_names_are_distinct_and_stable():
    names = b.staff_names(60)
    assert len(set(names)) == 60 and names == b.staff_names(60)
