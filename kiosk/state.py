"""What the kiosk shows at one moment: an immutable State the flow replaces on every step.

The screens render a State and nothing else, so "wipe what it showed of the applicant"
is one assignment, and the UI thread can read `flow.state` while the flow thread works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from devices.idcard import CardIdentity, Identity
from hallrules.people import Applicant
from kiosk.models import (
    CaseProgress,
    Category,
    Dimension,
    Item,
    Property,
    Reason,
    Service,
    Ticket,
)


class Screen(StrEnum):
    STARTING = "starting"  # before the server first answered
    OFFLINE = "offline"  # out of service until the server answers again
    HOME = "home"
    CARD = "card"  # lay the ID card (for a ticket, a case's proof, the archive, a check-in)
    GREEN = "green"  # 70+: offered the green channel
    BUSINESS = "business"  # the common items
    CATEGORIES = "categories"
    ITEMS = "items"  # the items of one category
    MATERIALS = "materials"  # the one-time list of materials, print it, take the ticket
    TICKET = "ticket"
    SCAN = "scan"  # present an appointment or pre-application slip
    CASE_ENTRY = "case_entry"  # type a case number, or scan the receipt
    CASE = "case"  # the case's steps as a timeline
    ARCHIVE = "archive"  # the card holder's properties
    IMAGES = "images"  # 档案原貌 / 房屋现貌: one page of a property's originals, or its photo
    RATE = "rate"  # 好差评: five levels for the newest service not yet rated
    RATE_DIMS = "rate_dims"  # after a rating of 3–5: 办事效率 / 业务水平 / 服务态度 (optional)
    RATE_REASON = "rate_reason"  # after a bad rating: why (optional)
    RATE_THANKS = "rate_thanks"  # sent; the visit's next service offered, if any
    MESSAGE = "message"  # something went wrong: what happened and what to do


class Purpose(StrEnum):
    TICKET = "ticket"
    APPOINTMENT = "appointment"
    CASE = "case"
    ARCHIVE = "archive"
    RATE = "rate"


def applicant_from_card(card: CardIdentity) -> Applicant:
    """The applicant on the reader; a foreigner's card gives no number the server takes."""
    if isinstance(card, Identity):
        evidence = {"authority": card.authority, "valid_from": card.valid_from.isoformat(),
                    "valid_to": card.valid_to.isoformat() if card.valid_to else None}
        return Applicant(card.name, card.id_number, card.birth_date, evidence)
    return Applicant(card.display_name, None, card.birth_date)


@dataclass(frozen=True)
class Viewer:
    """The image on the viewer: the server's watermarked JPEG, in memory only (the
    session's state holds it; going home drops it, and the screen its texture)."""

    unit_no: str
    address: str
    kind: str  # original | photo
    page: int  # from 1
    pages: int  # of this kind: originals' page count, 1 for the photo
    image: bytes


@dataclass(frozen=True)
class Message:
    code: str  # a key of texts.MESSAGES: what happened and what to do
    detail_zh: str = ""  # the server's own words, when it gave some
    detail_en: str = ""


@dataclass(frozen=True)
class TicketResult:
    ticket: Ticket
    item_name: str
    item_name_en: str
    printed: bool
    print_problem: str | None  # "paper_out" | "offline" | "failed" when not printed
    green: bool
    window_hint: tuple[str, str] = ("", "")  # zh, en: "12–37号窗口"
    appointment: str | None = None  # "in_slot" | "outside_slot" for a check-in
    # Steps of the journey the ticket starts (0: none). Only a journey of two or more
    # steps is a visit to several windows, worth a "first step" line.
    journey_steps: int = 0


@dataclass(frozen=True)
class HallView:
    """What the screens need of the hall; replaced when the kiosk reloads it."""

    name: str
    name_en: str
    allow_anonymous: bool
    green_age: int
    categories: tuple[Category, ...]
    offers: frozenset[Purpose]  # what the home screen offers on this kiosk and server
    timezone: str = "Asia/Shanghai"  # times on screen are the hall's local time
    day: date | None = None  # the server's business day, as last loaded

    def item(self, code: str) -> Item | None:
        return next((i for c in self.categories for i in c.items if i.code == code), None)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    @property
    def common_items(self) -> tuple[Item, ...]:
        """The first page of choices; a catalogue that marks nothing common shows it all."""
        common = tuple(i for c in self.categories for i in c.items if i.common)
        return common or tuple(i for c in self.categories for i in c.items)

    @property
    def has_more(self) -> bool:
        """Is there anything beyond the common items to browse?"""
        return len(self.common_items) < sum(len(c.items) for c in self.categories)


@dataclass(frozen=True)
class State:
    screen: Screen = Screen.STARTING
    lang: str = "zh"
    hall: HallView | None = None
    faults: frozenset[str] = frozenset()  # "server", "idcard", "printer", "scanner", "voice"
    busy: bool = False  # working (issuing, printing, asking the server): "please wait"
    notice: str = ""  # a key of texts.NOTICES shown under the title, e.g. "card_unreadable"
    # --- the applicant's session: everything below is wiped when the kiosk goes home ----
    purpose: Purpose | None = None
    applicant: Applicant | None = None
    anonymous: bool = False
    green: bool | None = None  # None: not offered; True/False: accepted/declined
    category: str | None = None
    item: Item | None = None
    materials_printed: str = ""  # "" | "ok" | a printer problem code
    result: TicketResult | None = None
    case_input: str = ""
    case: CaseProgress | None = None
    properties: tuple[Property, ...] | None = None
    viewer: Viewer | None = None
    message: Message | None = None
    # 好差评: the services still to rate (the first is on screen), the overall rating
    # waiting for its reason or its dimensions, the reasons and dimensions offered, the
    # dimensions scored so far ((code, level), in the server's order), and the rating
    # just sent (for the thanks).
    to_rate: tuple[Service, ...] = ()
    rating: int | None = None
    reasons: tuple[Reason, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    scores: tuple[tuple[str, int], ...] = ()
    rated: int | None = None

    def score(self, code: str) -> int | None:
        return next((level for c, level in self.scores if c == code), None)
