"""Figures, targets and the table; same seed, same JSON."""

import json
from dataclasses import replace

import pytest

from queue_server.simulation.report import compare, percentile, table, targets
from tests.domain.helpers import mini_layout
from tests.simulation.helpers import quiet_demand


def test_percentile_interpolates_like_numpy():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([0, 10], 90) == 9.0
    assert percentile([], 90) == 0.0


def test_targets_compare_oldest_eligible_with_pooling_and_dedicated():
    fig = {"dedicated": {"mean_wait_min": 10.0, "max_wait_min": 60.0, "estimate_mae_min": 3.0},
           "oldest_eligible": {"mean_wait_min": 5.5, "max_wait_min": 41.0, "estimate_mae_min": 1.9},
           "full_pooling": {"mean_wait_min": 5.0, "max_wait_min": 20.0, "estimate_mae_min": 1.0}}
    t = targets(fig)
    assert t["mean_above_pooling"] == pytest.approx(0.1)
    assert t["mean_within_15pct_of_pooling"] and t["mean_40pct_below_dedicated"]
    assert not t["max_within_2x_pooling"] and t["estimate_mae_at_most_2"]


def run(seed: int) -> dict:
    layout = mini_layout()
    demand = quiet_demand(layout)
    # Transfer stays under its daily cap of 5; the sale journey runs tax → transfer.
    busy = replace(demand, direct={"transfer": 3, "mortgage": 40, "tax": 60, "query": 80},
                   journeys={"sale": 2})
    doc, _ = compare(layout, busy, seed=seed, policies=("dedicated", "oldest_eligible",
                                                        "full_pooling"))
    return doc


def test_same_seed_gives_identical_json_and_another_seed_does_not():
    a, b, c = run(3), run(3), run(4)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert json.dumps(a, sort_keys=True) != json.dumps(c, sort_keys=True)
    for name in ("dedicated", "oldest_eligible", "full_pooling"):
        fig = a["policies"][name]
        assert {"mean_wait_min", "p90_wait_min", "max_wait_min", "estimate_mae_min",
                "service_level", "utilisation", "estimate_p90_abs_error_min",
                "tickets_served"} <= fig.keys()
    # Every policy replays the same arrivals: same number of queue entries served.
    served = {a["policies"][p]["tickets_served"] for p in a["policies"]}
    assert len(served) == 1


def test_table_is_bilingual_and_lists_every_policy():
    doc = run(3)
    text = table(doc)
    assert "平均等候 mean" in text and "估计误差 MAE" in text
    assert all(name in text for name in doc["policies"])
