"""What to say next when calls come faster than they can be said. Pure rules, no audio.

Issue 15: with 15 calls in one second the last was said 104 s later, and tickets already
being served were still announced. The rules, the same in `AnnouncementQueue` and the
hall screen's `voice.js` (a test keeps them together):

* one announcement per number: a recall of a number whose call is still waiting at the
  same window is absorbed (the call has not been said yet); a call of a waiting number to
  another window replaces it in its place (the applicant hears the newest instruction);
* one announcement per window: a window holds one called ticket, so a newer call at a
  window makes the one waiting for it obsolete; it is dropped, whatever the backlog;
* just before an announcement is said it is checked again (`stands`): a ticket started,
  completed, cancelled, parked, transferred or marked no-show since is not announced.

Nothing else is dropped: every window with a standing call is said, oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class Call(Protocol):
    @property
    def number(self) -> str: ...

    @property
    def window(self) -> str: ...

    @property
    def recall(self) -> bool: ...


C = TypeVar("C", bound=Call)


@dataclass(frozen=True)
class Admission(Generic[C]):
    waiting: list[C]  # the new queue, in speaking order
    dropped: list[C]  # announcements the new one made obsolete
    absorbed: bool  # the new one is already said by a waiting one


def admit(waiting: Sequence[C], new: C) -> Admission[C]:
    """The queue after `new` arrives (the input is not changed)."""
    for queued in waiting:
        if queued.number == new.number and new.recall and queued.window == new.window:
            return Admission(list(waiting), [], True)
    out: list[C] = []
    dropped: list[C] = []
    placed = False
    for queued in waiting:
        if queued.number == new.number:
            if not placed:  # the newest instruction, in the place the number held
                out.append(new)
                placed = True
            dropped.append(queued)
        elif queued.window == new.window:
            dropped.append(queued)  # the window has called someone else since
        else:
            out.append(queued)
    if not placed:
        out.append(new)
    return Admission(out, dropped, False)
