"""The applicant's way through the kiosk: a state machine with the server and devices injected.

No Kivy here. The screens call the actions (`start_purpose`, `choose_item`, `confirm_ticket`...)
and render `flow.state`; a driver thread calls `tick()` a few times a second, which polls
the card reader and the scanner, times out idle sessions, watches device health, reports
it to the server and reconnects when the server comes back.

    HOME ──lay card / 取号──► CARD ──card──► [GREEN if 70+] ──► BUSINESS ─► (CATEGORIES ─► ITEMS)
      │                       └─skip (hall allows)──────────────┘            │
      │                                                        MATERIALS ◄───┘
      │                                                            └─confirm─► TICKET
      ├─预约签到 / scan A slip──► SCAN ──slip──► [CARD if the hall requires ID] ──► TICKET
      ├─办件进度──► CASE_ENTRY ──typed no.──► CARD (the applicant's ID) ──► CASE
      │   receipt QR (HQC1) scanned on HOME or CASE_ENTRY ──────────────────► CASE
      ├─不动产档案──► CARD ──card──► ARCHIVE
      └─评价服务──► CARD ──card──► RATE (─► RATE_DIMS | RATE_REASON) ─► RATE_THANKS
          ticket QR (follow link) scanned on HOME or that CARD ──► RATE  (kiosk/rating.py)
    any failure ──► MESSAGE (what happened, what to do);  server gone ──► OFFLINE until back
    any screen, idle for settings.idle_seconds ──► HOME, the session wiped (an overall
        rating left on its optional questions sent first)

Not thread-safe by design: one thread (the driver, or a test) calls everything.
"""
from kiosk.flow.machine import Flow

__all__ = ["Flow"]
