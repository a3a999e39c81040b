"""Policy variants are layouts the real HallState runs."""

import pytest

from queue_server.domain.layout import RoutingPolicyName
from queue_server.simulation.policies import POLICIES, full_pooling, layout_for
from tests.domain.helpers import mini_layout


def test_full_pooling_lists_every_business_on_front_windows_only():
    layout = mini_layout()
    pooled = full_pooling(layout)
    for n, w in pooled.windows.items():
        if w.public:
            assert set(w.businesses) == set(layout.businesses)
            assert w.businesses[: len(layout.windows[n].businesses)] == layout.windows[n].businesses
        else:
            assert w == layout.windows[n]
    assert pooled.routing.policy is RoutingPolicyName.OLDEST_ELIGIBLE
    assert pooled.routing.head_start_minutes == layout.routing.head_start_minutes


@pytest.mark.parametrize("name", ["dedicated", "own_first", "oldest_eligible"])
def test_server_policies_only_change_the_routing(name):
    layout = mini_layout()
    variant = layout_for(layout, name)
    assert variant.routing.policy.value == name and variant.windows == layout.windows


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="unknown policy"):
        layout_for(mini_layout(), "random")
    assert POLICIES == ("dedicated", "own_first", "oldest_eligible", "full_pooling")
