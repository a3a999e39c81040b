"""Which waiting ticket a free window takes.

One ordering key serves every policy: a ticket's queue time, made earlier by its priority
class's head start (ageing: a normal ticket that has waited longer than the head start
still goes first, so no class starves) and later by how far down the window's own list
its business stands (`own_business_bonus_minutes`).
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


def routing_key(window: WindowState, ticket: Ticket, policy: RoutingPolicy
                ) -> tuple[float, ...] | None:
    rank = business_rank(window, ticket, policy)
    if rank is None:
        return None
    key = queue_minutes(ticket, policy)
    if policy.policy is RoutingPolicyName.OWN_FIRST:
        return (rank, key, ticket.number)
    return (key + rank * policy.own_business_bonus_minutes, ticket.number)


def choose_next(window: WindowState, waiting: Iterable[Ticket], policy: RoutingPolicy
                ) -> Ticket | None:
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
        key = routing_key(window, ticket, policy)
        if key is not None and (best_key is None or key < best_key):
            best, best_key = ticket, key
    return best
