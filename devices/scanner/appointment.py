"""An appointment slip's value: the rule lives in hallrules.appointment (the server reads
it too); the kiosk and the scanner tools import it from here as before."""

from __future__ import annotations

from hallrules.appointment import (
    AppointmentSlip,
    BadAppointment,
    appointment_value,
    business_from_slip,
    business_to_slip,
    parse_appointment,
)

__all__ = ["AppointmentSlip", "BadAppointment", "appointment_value", "business_from_slip",
           "business_to_slip", "parse_appointment"]
