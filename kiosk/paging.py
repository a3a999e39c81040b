"""Pages of big buttons: an unsteady hand pages with two large buttons instead of scrolling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def page_count(n: int, per_page: int) -> int:
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    return max(1, -(-n // per_page))


def page(items: Sequence[T], number: int, per_page: int) -> list[T]:
    """Items of page `number` (0-based), clamped to the pages that exist."""
    number = max(0, min(number, page_count(len(items), per_page) - 1))
    return list(items[number * per_page:(number + 1) * per_page])
