"""The kiosk's own settings (the devices have their TOML file; the hall has its layout)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KioskSettings:
    name: str = "kiosk-1"  # how the server's kiosk list names this machine
    idle_seconds: float = 60.0  # back to the start, wiping the applicant, after this long
    thanks_seconds: float = 10.0  # "thank you" for a rating, then back to the start
    ticket_show_seconds: float = 5.0  # an unprinted ticket not shown by then is cancelled
    voice: bool = True  # speak a prompt on each screen (when a [voice] device exists)
    demo: bool = False  # technician buttons to lay a demo card, present a demo slip
    # QR on the ticket, e.g. "https://hall.example/t/{id}"; "": the server's follow link
    # (kiosk/ticketing.py qr_link)
    follow_url: str = ""
    health_check_seconds: float = 5.0  # how often devices are asked for their health
    report_seconds: float = 30.0  # a health report at least this often (and on change)
    server_retry_seconds: float = 3.0  # while the server is away, ask /health this often
    hall_refresh_seconds: float = 300.0  # reload hall settings and catalogue this often
    device_retry_seconds: float = 10.0  # retry devices that failed to open
    desk_note: str = "如有疑问，请到咨询台"  # the closing line of a printed materials list
    desk_note_en: str = "Questions? Please ask at the consultation desk."

    def __post_init__(self) -> None:
        if self.idle_seconds < 5:
            raise ValueError("idle_seconds must be at least 5: an applicant needs time to read")
        if not self.name or len(self.name) > 40:
            raise ValueError("a kiosk name has 1-40 characters")
