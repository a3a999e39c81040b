"""The demand model: calibration against the layout, reproducibility, staff time off."""

import random
import statistics

import pytest

from queue_server.domain.layout import load_layout
from queue_server.simulation.demand import (
    DemandError,
    derive_demand,
    draw_day,
    find_demand,
    lognormal,
    parse_demand,
)
from tests.conftest import REPO
from tests.domain.helpers import mini_layout

HENGYANG = REPO / "layouts" / "hengyang.toml"


@pytest.fixture(scope="module")
def hengyang():
    return load_layout(HENGYANG)


def test_hengyang_demand_matches_the_layouts_assumed_volumes(hengyang):
    demand = find_demand(hengyang)
    assert demand.source.endswith("demand-hengyang.toml")
    average = demand.scaled(1.0).visits_per_day(hengyang)
    # hengyang.toml's comments: "assumed N a day" per business.
    assumed = {"first": 20, "new_house": 90, "second_hand": 110, "mortgage": 120, "change": 40,
               "cancel": 80, "pre_notice": 60, "certificate": 400, "judicial": 20,
               "inheritance": 15, "complaint": 5, "consult": 60, "query": 120, "trade": 130,
               "fund": 80, "tax": 200, "fee": 300}
    assert {b: round(n) for b, n in average.items()} == assumed
    registrations = sum(average[b] for b in ("first", "new_house", "second_hand", "mortgage",
                                             "change", "cancel", "pre_notice", "judicial",
                                             "inheritance"))
    assert registrations >= 500  # hall.md: 500+ cases finished a day
    assert demand.volume == 1.25  # the design day is a busy one


def test_profile_has_a_morning_peak_and_a_lunch_dip(hengyang):
    d = find_demand(hengyang)
    nine_to_eleven, noon_to_one = d.share(540, 660), d.share(720, 780)
    assert nine_to_eleven > 0.35 and noon_to_one < 0.05
    assert d.share(d.open, d.issue_until) == pytest.approx(1.0)


def test_same_seed_same_day_other_seed_other_day(hengyang):
    d = find_demand(hengyang)
    a, b, c = draw_day(d, hengyang, 7), draw_day(d, hengyang, 7), draw_day(d, hengyang, 8)
    assert a.arrivals == b.arrivals and a.pauses == b.pauses
    assert a.arrivals != c.arrivals


def test_arrival_counts_follow_the_demand(hengyang):
    d = find_demand(hengyang)
    days = [draw_day(d, hengyang, s) for s in range(1, 21)]
    entries = statistics.mean(sum(len(a.steps) for a in day.arrivals) for day in days)
    expected = sum(d.visits_per_day(hengyang).values())
    # A day's entries vary by about 110 (journeys come in blocks of 4–7): 20 days' mean
    # is within 4 % of the demand with a margin of almost four standard errors.
    assert entries == pytest.approx(expected, rel=0.04)
    journeys = [a for a in days[0].arrivals if a.journey]
    assert journeys and all(a.steps == hengyang.journeys[a.journey].steps for a in journeys)
    assert all(len(a.services) == len(a.steps) for a in days[0].arrivals)


def test_lognormal_has_the_asked_mean_and_cv():
    rng = random.Random(1)
    xs = [lognormal(rng, 10.0, 0.8, 100.0) for _ in range(40000)]
    mean = statistics.fmean(xs)
    assert mean == pytest.approx(10.0, rel=0.03)
    assert statistics.pstdev(xs) / mean == pytest.approx(0.8, rel=0.06)
    assert lognormal(rng, 10.0, 0.0, 5.0) == 10.0
    assert max(lognormal(rng, 10.0, 2.0, 3.0) for _ in range(2000)) <= 30.0


def test_lunch_keeps_every_business_with_two_or_more_windows_served(hengyang):
    day = draw_day(find_demand(hengyang), hengyang, 1)
    front = [w for w in hengyang.windows.values() if w.public and w.open]
    for start, _ in day.demand.lunch:
        away = {n for n, spans in day.pauses.items() if any(s == start for s, _ in spans)}
        for code in hengyang.businesses:
            serving = [w.number for w in front if code in w.businesses]
            if len(serving) >= 2:
                assert set(serving) - away, f"{code} has no window at lunch {start}"


def test_derived_demand_keeps_each_business_busy_as_documented():
    layout = mini_layout()
    d = derive_demand(layout)
    # Tax: one window, 5 minutes, 8.5 hours of issuing at 70 % → 71.4 tickets.
    assert d.direct["tax"] == pytest.approx(0.7 * 1 * 510 / 5)
    assert d.journeys == {}


def test_bad_demand_files_say_what_is_wrong():
    layout = mini_layout()
    with pytest.raises(DemandError, match="unknown business 'nope'"):
        parse_demand({"arrivals": {"nope": 3}}, layout)
    with pytest.raises(DemandError, match="unknown journey"):
        parse_demand({"journeys": {"trip": 3}}, layout)
    with pytest.raises(DemandError, match="HH:MM"):
        parse_demand({"day": {"open": "late"}}, layout)
    with pytest.raises(DemandError, match="number"):
        parse_demand({"arrivals": {"tax": -1}}, layout)


def test_expected_arrivals_shift_journey_steps_by_the_earlier_services(hengyang):
    d = find_demand(hengyang)
    first_hour = d.expected_visits(hengyang, d.open, d.open + 60)
    # Certificates end every journey: hardly any journey reaches them in the first hour,
    # while trade (the journeys' first step) is in full flow.
    direct = d.per_day()[0]
    assert first_hour["certificate"] < direct["certificate"] * d.share(d.open, d.open + 60) * 1.2
    assert first_hour["trade"] > direct["trade"] * d.share(d.open, d.open + 60) * 2
