"""From a ticket the server issued to what the printer prints and the screen says."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from devices.printer import MaterialsPrint, TicketPrint
from devices.printer.ticket import DEFAULT_NOTICE
from kiosk.models import Item, Ticket

GREEN_NOTICE = "绿色通道优先办理。请留意叫号，过号请到咨询台"
MAX_RANGES = 3  # more than this many window ranges is no help to read: say nothing


def _ranges(numbers: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def window_hint(windows: list[dict[str, Any]], business: str) -> tuple[str, str]:
    """Where the ticket will be called, as "12–37号窗口" / "windows 12–37"; empty if unclear."""
    numbers = [int(w["number"]) for w in windows
               if business in (w.get("businesses") or ()) and w.get("status") == "open"
               and w.get("kind", "front") != "back"]
    ranges = _ranges(numbers)
    if not ranges or len(ranges) > MAX_RANGES:
        return "", ""
    text = "、".join(f"{a}" if a == b else f"{a}–{b}" for a, b in ranges)
    en = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in ranges)
    plural = len(numbers) > 1
    return f"{text}号窗口", f"window{'s' if plural else ''} {en}"


def public_base(base_url: str) -> tuple[str, str]:
    """The server's address as this kiosk reaches it, when a phone in the hall could reach
    it too: (base, "") or ("", why not). A loopback or unspecified host (127.0.0.1,
    localhost, ::1, 0.0.0.0) is the kiosk's own machine, never the applicant's phone."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return "", f"the server address {base_url!r} is not an http(s) URL"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        local = host == "localhost" or host.endswith(".localhost")
    else:
        local = ip.is_loopback or ip.is_unspecified
    if local:
        return "", (f"the kiosk reaches the server at {host}, which a phone cannot open: "
                    "set HALLQ_PUBLIC_URL on the server or --follow-url on the kiosk")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", "")), ""


def qr_link(ticket: Ticket, template: str, base: str = "") -> str:
    """The ticket's QR, by default the server's follow link: as the server gives it when
    it knows its public address; else the kiosk's own template; else the server's path
    joined to the address this kiosk reaches the server at (`base`, from public_base);
    else none (a phone cannot open a bare path)."""
    link = ticket.follow_url
    if link.startswith(("https://", "http://")):
        return link
    if template:
        return template.format(id=ticket.id, number=ticket.number)
    if base and link.startswith("/"):
        return base + link
    return ""


def ticket_print(ticket: Ticket, *, hall_name: str, window: str, green: bool,
                 follow_url: str, server_base: str = "") -> TicketPrint:
    return TicketPrint(
        hall_name=hall_name,
        business_zh=ticket.business_name,
        business_en=ticket.business_name_en,
        number=ticket.number,
        people_ahead=ticket.waiting_ahead or 0,
        expected_wait=ticket.wait_range,
        issued_at=ticket.issued_at,
        follow_url=qr_link(ticket, follow_url, server_base),
        notice=GREEN_NOTICE if green else DEFAULT_NOTICE,
        window_hint=window or None,
    )


def materials_print(item: Item, *, hall_name: str, lang: str, note: str,
                    note_en: str) -> MaterialsPrint:
    """The one-time list on paper, in the language on screen when the catalogue has it."""
    if lang == "en" and item.materials_en:
        return MaterialsPrint(hall_name=hall_name, business_name=item.name_en or item.name,
                              materials=item.materials_en,
                              heading="一次性告知单 Materials to bring",
                              note=item.note_en or note_en)
    return MaterialsPrint(hall_name=hall_name, business_name=item.name,
                          materials=item.materials, note=item.note or note)
