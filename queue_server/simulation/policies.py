"""The routing variants compared, each expressed as a layout the real HallState runs.

Three are the server's own policies (`RoutingPolicyName`); `full_pooling` is the ideal
every window serving everything, written as a layout transform so that it, too, runs
through HallState and the server's routing rather than a separate model.
"""

from __future__ import annotations

from dataclasses import replace

from queue_server.domain.layout import Layout, RoutingPolicyName

POLICIES: tuple[str, ...] = ("dedicated", "own_first", "oldest_eligible", "full_pooling")


def full_pooling(layout: Layout) -> Layout:
    """Every front window lists every business (its own ones first), oldest first."""
    codes = tuple(layout.businesses)
    windows = {
        n: replace(w, businesses=w.businesses + tuple(c for c in codes if c not in w.businesses))
        if w.public else w
        for n, w in layout.windows.items()
    }
    routing = replace(layout.routing, policy=RoutingPolicyName.OLDEST_ELIGIBLE,
                      own_business_bonus_minutes=0.0)
    return replace(layout, windows=windows, routing=routing)


def layout_for(layout: Layout, policy: str) -> Layout:
    """The layout to simulate `policy` on; head starts and windows are kept as they are."""
    if policy == "full_pooling":
        return full_pooling(layout)
    try:
        name = RoutingPolicyName(policy)
    except ValueError:
        raise ValueError(f"未知策略 unknown policy '{policy}' (use {', '.join(POLICIES)})") from None
    return replace(layout, routing=replace(layout.routing, policy=name))
