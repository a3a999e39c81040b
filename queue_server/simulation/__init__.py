"""A discrete-event hall day that drives the real domain (`HallState`) use cases.

`demand` draws the day (arrivals, service times, no-shows, breaks) once per seed; `engine`
replays the same draws under each routing policy (`policies`) and `report` turns the
tickets into figures. Nothing here decides routing: every call goes through HallState.
"""
