"""Which waiting ticket a free window takes.

One ordering key serves every policy: a ticket's queue time, made earlier by its priority
class's head start (ageing: a normal ticket that has waited longer than the head start
still goes first, so no class starves) and later by how far down the window's own list
its business stands (`own_business_bonus_minutes`).

Ageing on top (`overdue_minutes`, given the time of the call): a ticket that has waited
that long counts as holding the largest head start and as the window's first business, so
it goes before every ticket that has not waited as long, whatever their class or
business. Without it, on busy days the walk-ins of a business fed by journeys waited
behind every freshly forwarded step (30 minutes' head start) for up to 28 minutes while
the rest of the hall waited 11 at most (docs/simulation.md, "The tail").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from queue_server.domain.layout import Priority, RoutingPolicy, RoutingPolicyName
from queue_server.domain.tickets import Status, Ticket
from queue_server.domain.windows import WindowState

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def eligible_businesses(window: WindowState, policy: RoutingPolicy) -> tuple[str, ...]:
    if policy.policy is RoutingPolicyName.DEDICATED:
        return window.businesses[:1]
    return window.businesses


def business_rank(window: WindowState, ticket: Ticket, policy: RoutingPolicy) -> int | None:
    """Position of the ticket's business in the window's list; None when not eligible."""
    if ticket.status is not Status.WAITING or ticket.parked:
        return None
    served = eligible_businesses(window, policy)
    if ticket.business in served:
        return served.index(ticket.business)
    if window.green_channel and ticket.priority is Priority.GREEN:
        return 0  # the green-channel window takes priority applicants of any business
    return None


def queue_minutes(ticket: Ticket, policy: RoutingPolicy) -> float:
    """A ticket's place in its own business's queue, in minutes: lower is served first."""
    waited_from = (ticket.queued_at - EPOCH).total_seconds() / 60.0
    return waited_from - policy.head_start(ticket.priority)


def overdue(ticket: Ticket, policy: RoutingPolicy, now: datetime | None) -> bool:
    """Whether the ticket has waited `overdue_minutes` in its queue by `now`."""
    return (now is not None and policy.overdue_minutes > 0
            and policy.policy is not RoutingPolicyName.DEDICATED
            and (now - ticket.queued_at).total_seconds() >= policy.overdue_minutes * 60.0)


def routing_key(window: WindowState, ticket: Ticket, policy: RoutingPolicy,
                now: datetime | None = None) -> tuple[float, ...] | None:
    """The order a window calls in at `now` (None: without ageing); lower goes first."""
    rank = business_rank(window, ticket, policy)
    if rank is None:
        return None
    key = queue_minutes(ticket, policy)
    if overdue(ticket, policy, now):
        # Every ticket not yet overdue joined its queue later than this one and holds at
        # most the largest head start, so this key is below all of theirs.
        waited_from = (ticket.queued_at - EPOCH).total_seconds() / 60.0
        key = min(key, waited_from - max(policy.head_start_minutes.values(), default=0.0))
        rank = 0
    if policy.policy is RoutingPolicyName.OWN_FIRST:
        return (rank, key, ticket.number)
    return (key + rank * policy.own_business_bonus_minutes, ticket.number)


def choose_next(window: WindowState, waiting: Iterable[Ticket], policy: RoutingPolicy,
                now: datetime | None = None) -> Ticket | None:
    """The ticket this window should call next, or None when it has nothing to serve.

    Same order as `routing_key`; the window's eligible businesses are looked up once
    rather than once per waiting ticket, because this runs on every call.
    """
    served = eligible_businesses(window, policy)
    green = window.green_channel
    best: Ticket | None = None
    best_key: tuple[float, ...] | None = None
    for ticket in waiting:
        # Cheap pre-filter: only tickets of a served business, or green ones at a green window.
        if ticket.business not in served and not (green and ticket.priority is Priority.GREEN):
            continue
        key = routing_key(window, ticket, policy, now)
        if key is not None and (best_key is None or key < best_key):
            best, best_key = ticket, key
    return best
