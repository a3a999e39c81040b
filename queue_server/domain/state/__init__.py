"""The hall's state for one business day, and every use case as a pure decision.

Each use case reads the state and returns a `Change` (new ticket and window versions
plus the events that describe them) without touching the state. The server stores the
change and only then applies it, so a failed commit leaves memory as it was; the
simulator applies changes directly. Both run exactly this code.
"""


from queue_server.domain.state.change import ANY_STAFF, Appointment, Change
from queue_server.domain.state.hall_state import HallState
from queue_server.domain.state.issuing import APPOINTMENT_EARLY_MINUTES
from queue_server.domain.state.report import day_report

__all__ = ["ANY_STAFF", "APPOINTMENT_EARLY_MINUTES", "Appointment", "Change", "HallState",
           "day_report"]
