"""The shipped hall layouts: layouts/hengyang.toml (the 96-window hall) and layouts/small.toml."""

from __future__ import annotations

from collections import defaultdict

import pytest

from queue_server.domain.layout import Layout, Window, check_layout_file, load_layout
from tests.conftest import REPO

LAYOUTS = REPO / "layouts"

# The 8 business classes of the 96-window hall (hall.md), chained for pooling.
BIG_CLASSES = {"first", "new_house", "second_hand", "mortgage", "change", "cancel",
               "pre_notice", "certificate"}
SPECIAL = {"judicial", "inheritance", "complaint", "consult", "query", "tax", "fund"}


@pytest.fixture(scope="module")
def hengyang() -> Layout:
    return load_layout(LAYOUTS / "hengyang.toml")


@pytest.fixture(scope="module")
def small() -> Layout:
    return load_layout(LAYOUTS / "small.toml")


def front(layout: Layout) -> list[Window]:
    return [w for w in layout.windows.values() if w.public]


@pytest.mark.parametrize("name", ["hengyang.toml", "small.toml"])
def test_layout_checks_clean(name: str) -> None:
    assert check_layout_file(LAYOUTS / name) == []


@pytest.mark.parametrize("name", ["hengyang.toml", "small.toml"])
def test_every_business_has_an_open_front_window_and_sane_settings(name: str) -> None:
    layout = load_layout(LAYOUTS / name)
    served = {b for w in front(layout) if w.open for b in w.businesses}
    assert served == set(layout.businesses)
    for b in layout.businesses.values():
        assert b.name and b.name_en, b.code
        assert b.service_minutes > 0 and b.wait_target_minutes > 0, b.code
        assert b.alert_waiting >= 1, b.code
    assert all(w.kind == "back" for w in layout.windows.values() if not w.open)
    assert layout.hall.timezone == "Asia/Shanghai"
    assert layout.hall.recall_limit == 3
    assert layout.hall.green_age == 70
    # Shared windows with ageing: the longest wait is bounded (docs/simulation.md).
    assert layout.routing.policy.value in ("oldest_eligible", "own_first")
    assert layout.routing.overdue_minutes > 0
    assert any(w.green_channel and w.open and w.public for w in layout.windows.values())


# --- the 96-window hall ----------------------------------------------------------------


def test_hengyang_has_96_windows_numbered_contiguously_by_zone(hengyang: Layout) -> None:
    assert sorted(hengyang.windows) == list(range(1, 97))
    by_zone: dict[str, list[int]] = defaultdict(list)
    for w in hengyang.windows.values():
        by_zone[w.zone].append(w.number)
    assert set(by_zone) == set(hengyang.zones)
    for zone, numbers in by_zone.items():
        assert numbers == list(range(min(numbers), max(numbers) + 1)), zone


def test_hengyang_sizes_every_big_class_front_and_back(hengyang: Layout) -> None:
    assert set(hengyang.businesses) >= BIG_CLASSES | SPECIAL
    for code in BIG_CLASSES:
        own_front = [w for w in front(hengyang) if w.businesses[0] == code]
        back = [w for w in hengyang.windows.values() if w.kind == "back" and code in w.businesses]
        assert own_front and back, code
    second_hand = sum(1 for w in front(hengyang) if w.businesses[0] == "second_hand")
    first = sum(1 for w in front(hengyang) if w.businesses[0] == "first")
    assert second_hand > first  # sized by volume
    closed = [w for w in hengyang.windows.values() if not w.open]
    assert 1 <= len(closed) <= 6


def test_hengyang_windows_are_cross_trained_in_one_closed_ring(hengyang: Layout) -> None:
    # Every public, non-green window serves its own business, then the next two and the
    # previous one in one ring: following "next" from any business visits all of them.
    following: dict[str, set[str]] = defaultdict(set)
    preceding: dict[str, set[str]] = defaultdict(set)
    for w in front(hengyang):
        if w.green_channel:
            continue
        assert len(w.businesses) == 4, w.number
        own, nxt, prev, after = w.businesses
        following[own].add(nxt)
        preceding[own].add(prev)
        assert following.get(nxt, {after}) == {after} or after in following[nxt], w.number
    assert set(following) == set(hengyang.businesses)
    assert all(len(n) == 1 for n in following.values())
    ring = ["second_hand"]
    while (nxt := next(iter(following[ring[-1]]))) != ring[0]:
        assert nxt not in ring
        ring.append(nxt)
    assert set(ring) == set(hengyang.businesses)
    for i, code in enumerate(ring):  # "previous" really is the one before in the ring
        assert preceding[code] == {ring[i - 1]}


def test_hengyang_front_windows_and_businesses_are_connected(hengyang: Layout) -> None:
    # The bipartite graph of front windows and businesses is one component: load can
    # flow from any queue to any window through shared skills.
    edges: dict[object, set[object]] = defaultdict(set)
    for w in front(hengyang):
        for code in w.businesses:
            edges[("w", w.number)].add(code)
            edges[code].add(("w", w.number))
    seen = {"mortgage"}
    todo: list[object] = ["mortgage"]
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    assert seen == set(edges)
    assert seen >= set(hengyang.businesses)


def test_hengyang_related_businesses_are_neighbours_in_the_ring(hengyang: Layout) -> None:
    # The links the hall's one-window reforms put at one counter.
    def serves_both(a: str, b: str) -> bool:
        return any(w.businesses[0] == a and b in w.businesses for w in front(hengyang))
    for a, b in [("second_hand", "trade"), ("trade", "fund"), ("fee", "tax"),
                 ("tax", "new_house"), ("judicial", "inheritance")]:
        assert serves_both(a, b) or serves_both(b, a), (a, b)


def test_hengyang_second_hand_sits_beside_new_house(hengyang: Layout) -> None:
    second = {w.number for w in front(hengyang) if w.businesses[0] == "second_hand"}
    new = {w.number for w in front(hengyang) if w.businesses[0] == "new_house"}
    assert any(n + 1 in new or n - 1 in new for n in second)


def test_hengyang_trading_area_holds_trade_fund_tax_and_second_hand(hengyang: Layout) -> None:
    def zones(code: str) -> set[str]:
        return {w.zone for w in front(hengyang) if w.businesses[0] == code}

    assert zones("second_hand") == zones("fund") == zones("tax") == zones("trade")
    assert len(zones("second_hand")) == 1


def test_hengyang_journeys(hengyang: Layout) -> None:
    assert hengyang.journeys["second_hand_sale"].steps == (
        "trade", "fund", "tax", "second_hand", "fee", "certificate")
    assert "mortgage" in hengyang.journeys["new_house_loan"].steps
    served = {b for w in front(hengyang) if w.open for b in w.businesses}
    for journey in hengyang.journeys.values():
        assert journey.name and journey.name_en, journey.code
        assert len(journey.steps) >= 2
        assert set(journey.steps) <= served, journey.code


def test_hengyang_green_channel(hengyang: Layout) -> None:
    green = [w for w in front(hengyang) if w.green_channel]
    assert green and all(w.open for w in green)
    assert hengyang.routing.head_start("green") > 0  # type: ignore[arg-type]


# --- the small hall --------------------------------------------------------------------


def test_small_hall_shape(small: Layout) -> None:
    assert len(small.windows) == 8
    assert 5 <= len(small.businesses) <= 6
    assert len([w for w in small.windows.values() if w.green_channel]) == 1
    assert len(small.journeys) == 1
    journey = next(iter(small.journeys.values()))
    assert 2 <= len(journey.steps) <= 4


def test_small_hall_businesses_are_a_subset_of_hengyang(small: Layout, hengyang: Layout) -> None:
    for code, b in small.businesses.items():
        assert code in hengyang.businesses, code
        assert b.name == hengyang.businesses[code].name, code
        assert b.prefix == hengyang.businesses[code].prefix, code
    for code in small.journeys:
        assert code in hengyang.journeys, code
