"""The response shapes of the API, as documentation.

Routes return plain dicts (views.py, the routes' own) through `responses.Json`: these
models are never run on a response, because validating every answer costs more than the
use case on the busiest routes. They are put into the OpenAPI document (api/openapi.py),
and tests/server/test_openapi_fuzz.py checks real answers against them, so they stay true.

`Open` models list the fields an integrator can rely on and admit more: the rows of
reports, audits and imports carry columns that grow with the product.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from queue_server.domain.layout import Priority
from queue_server.domain.tickets import Status
from queue_server.domain.windows import WindowStatus


class Shut(BaseModel):
    """Exactly these fields."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Open(BaseModel):
    """At least these fields."""

    model_config = ConfigDict(extra="allow", defer_build=True)


# -- errors -----------------------------------------------------------------------------

class ErrorDetail(Open):
    code: str = Field(description="stable, for programs: `not_found`, `limit_reached`, …")
    message: str = Field(description="中文在前，英文在后 / Chinese first, then English")
    retry_after: int | None = Field(default=None, description="with 429: seconds to wait")
    request_id: str | None = Field(default=None, description="with 500: the log line's id")


class Error(Shut):
    """Every refusal and failure: `{"error": {"code", "message", ...}}`."""

    error: ErrorDetail


# -- tickets and windows (views.py) ---------------------------------------------------------

class Applicant(Shut):
    id_masked: str | None
    name_masked: str | None


class Ticket(Shut):
    id: str
    number: str
    business: str
    business_name: str
    business_name_en: str
    status: Status
    status_zh: str
    priority: Priority
    priority_reason: str | None
    window: int | None
    parked: bool
    recalls: int
    day: str
    issued_at: str | None
    called_at: str | None
    started_at: str | None
    finished_at: str | None
    closed_reason: str | None
    override_reason: str | None
    outcome: Literal["served", "refused", "no_show", "cancelled", "abandoned"] | None = Field(
        description="how a closed ticket ended: `refused` is 不予受理 with a written notice")
    prechecked: bool = Field(description="已预审: a guide checked the materials before issuing")
    precheck_item: str | None
    follows_notice: str | None = Field(
        default=None, description="the 不予受理告知单 number this visit follows up, if named")
    journey: str | None
    journey_step: int
    journey_next: str | None
    waiting_ahead: int | None
    estimated_wait_minutes: int | None
    estimated_wait_range: list[float] | None
    applicant: Applicant | None


class IssuedTicket(Ticket):
    follow_url: str = Field(description="the applicant's link to follow this ticket by phone")


class CurrentTicket(Shut):
    id: str
    number: str
    status: Status
    business: str
    called_at: str | None
    started_at: str | None
    typical_minutes: float


class WindowStaffOnDuty(Shut):
    number: str
    name: str | None
    since: str | None


class Window(Shut):
    number: int
    zone: str
    businesses: list[str]
    status: WindowStatus
    status_zh: str
    kind: str
    green_channel: bool
    label: str
    current: CurrentTicket | None
    parked: list[str]
    staff: WindowStaffOnDuty | None


class CallNextResult(Shut):
    ticket: Ticket | None = Field(description="the ticket called; null: nobody is waiting")


class WindowQueue(Shut):
    waiting: list[Ticket]
    parked: list[Ticket]


class Moved(Shut):
    moved: list[Ticket]


class HistoryEntry(Shut):
    seq: int
    at: str
    type: str
    actor: str | None
    window: int | None
    staff: str | None
    data: dict[str, Any] | None


# -- the hall ----------------------------------------------------------------------------

class Health(Shut):
    status: Literal["ok"]


class Business(Shut):
    code: str
    name: str
    name_en: str
    prefix: str
    daily_cap: int | None
    alert_waiting: int | None
    wait_target_minutes: float | None
    service_minutes: float | None
    kind: str
    issued_today: int
    cap_used: int
    open_windows: float


class Journey(Shut):
    code: str
    name: str
    name_en: str
    steps: list[str]


class Estimate(Shut):
    minutes: float
    low: float
    high: float


class QueueSummary(Shut):
    business: str
    name: str
    name_en: str
    waiting: int
    longest_wait_minutes: float
    estimate: Estimate | None
    alert: bool
    front_open: bool
    windows: float
    working_windows: float


class HallInfo(Shut):
    code: str
    name: str
    name_en: str
    timezone: str
    clear_time: str
    day: str
    recall_limit: int
    per_id_daily_limit: int | None
    green_age: int | None
    allow_anonymous: bool
    staff_sign_in_required: bool
    followup_working_days: int
    routing_policy: str
    slips: bool


class CatalogueItem(Open):
    code: str
    name: str
    business: str
    journey: str | None


class CatalogueCategory(Open):
    code: str
    name: str
    items: list[CatalogueItem]


class Catalogue(Shut):
    categories: list[CatalogueCategory]


class Me(Shut):
    role: str
    window: int | None
    name: str | None
    token_id: str


# -- tokens, staff, devices ------------------------------------------------------------------

class NewToken(Shut):
    token: str | None = Field(description="shown once: the server keeps only its hash")
    expires_at: str | None


class TokenRow(Open):
    id: str
    role: str
    window: int | None
    name: str | None
    created_at: str
    revoked_at: str | None
    expires_at: str | None
    expired: bool


class AuditRow(Open):
    seq: int
    at: str


class Revoked(Shut):
    revoked: bool


class StaffMember(Shut):
    number: str
    name: str
    department: str
    active: bool
    created_at: str | None
    disabled_at: str | None


class StaffListed(StaffMember):
    window: int | None = Field(description="the window this person is signed in at")


class DeviceReport(Open):
    name: str
    state: str
    stale: bool
    age_seconds: float


# -- advice, slips, evaluations ----------------------------------------------------------

class Advice(Open):
    horizon_minutes: float
    suggestions: list[dict[str, Any]]
    outlook: dict[str, dict[str, Any]]


class AppliedAdvice(Shut):
    applied: dict[str, Any]
    window: Window


class SlipAppointment(Shut):
    code: str
    business: str
    business_name: str | None
    business_name_en: str | None
    slot_start: str
    slot_end: str


class SlipChecked(Shut):
    kind: Literal["appointment", "case", "ticket"]
    value: str
    appointment: SlipAppointment | None = None


class Named(Shut):
    code: str
    name: str
    name_en: str


class Level(Shut):
    rating: int
    name: str
    name_en: str


class EvaluationLevels(Shut):
    levels: list[Level]
    dimensions: list[Named]
    reasons: list[Named]


class Evaluation(Open):
    id: str
    ticket: str
    number: str
    rating: int
    channel: str
    at: str


class Unrated(Shut):
    ticket: str
    number: str
    window: int | None
    staff: str | None
    staff_name: str
    business: str
    business_name: str
    business_name_en: str
    ended_at: str


class Followed(Shut):
    number: str
    business: str
    business_name: str
    business_name_en: str
    status: str
    status_zh: str
    window: int | None
    waiting_ahead: int | None
    estimated_wait_minutes: int | None
    estimated_wait_range: list[float] | None
    day: str
    issued_at: str | None
    called_at: str | None
    finished_at: str | None
    journey_next: str | None
    hall: dict[str, Any]
    to_rate: list[Unrated]
    remind: bool = Field(description="提醒我 is offered: the hall sends SMS")


class Reminded(Shut):
    """提醒我 signed up from the follow link: the phone masked, never whole."""

    phone_masked: str
    places: int
    number: str
    waiting_ahead: int | None


class CaseProgress(Open):
    """A case accepted at a followed ticket: its progress, nobody's name."""

    case_no: str
    item: str | None
    item_name: str | None
    status: str
    status_name: str
    status_name_en: str
    hint: str
    hint_en: str
    accepted_at: str | None
    due_date: str | None
    progress: list[dict[str, Any]]
    urgency: str | None
    workdays_left: int | None


class FollowedCases(Shut):
    cases: list[CaseProgress]


class Row(Open):
    """A row of a listing (evaluations, work orders, reveals, outbox): its columns."""


class Document(Open):
    """A structured result (reports, call lists, cases): see the operation's description."""


class Report(Open):
    rows: list[dict[str, Any]]
    totals: dict[str, Any]


class Cells(Open):
    cells: list[dict[str, Any]]


class CallList(Shut):
    draw: dict[str, Any] | None
    calls: list[dict[str, Any]]


class Phone(Shut):
    phone: str


class CasesOfApplicant(Shut):
    cases: list[dict[str, Any]]


class Stored(Shut):
    stored: int


class Watch(Open):
    number: str
    waiting_ahead: int | None


class Retried(Shut):
    id: str
    status: str


# Declared on the routes whose use case takes from the per-kiosk rate limiter: the document
# gives them 429 with the error shape and Retry-After (api/openapi.py).
RATE_LIMITED: dict[int | str, dict[str, Any]] = {429: {
    "description": "请求过于频繁，请按 Retry-After 秒后再试 / too many requests: try again "
                   "after Retry-After seconds",
    "headers": {"Retry-After": {"schema": {"type": "integer"},
                                "description": "seconds to wait"}}}}

# Declared on the routes an applicant's phone proves itself on with the SMS code's pass: a
# page left open past the pass's 30 minutes is told so by its own code, to ask for a new
# SMS code rather than show a refusal (domain/phone_pass.py).
PHONE_PASS: dict[int | str, dict[str, Any]] = {403: {
    "description": "手机验证已过期 (phone_pass_expired：请重新获取短信验证码) 或未通过 "
                   "(phone_unverified：没有验证、伪造或属于其他手机)；带令牌时：该令牌的角色不能做这件事 "
                   "/ the phone's pass has expired (phone_pass_expired: get a new SMS code) or "
                   "does not prove this phone (phone_unverified: none, forged or another "
                   "phone's); with a token: its role may not do this"}}


# -- cases, archive, call-backs ------------------------------------------------------------

class CasePushed(Open):
    case_no: str
    header: Literal["created", "updated", "unchanged", "stale"]
    steps_added: int
    status: str
    notifications_queued: int
    receipt_token: str | None = Field(default=None, description="to print on the receipt")
    receipt_qr: str | None = None


class ImportProblem(Open):
    line: int
    code: str
    message: str


class CaseImport(Open):
    cases: int
    created: int
    updated: int
    unchanged: int
    stale: int
    steps_added: int
    notifications_queued: int
    errors: list[ImportProblem]


class CaseView(Open):
    """A kiosk's view of a case; staff see more (masked applicants, urgency)."""

    case_no: str
    item: str | None
    item_name: str | None
    status: str
    status_name: str
    status_name_en: str
    accepted_at: str | None
    due_date: str | None
    timeline: list[dict[str, Any]]
    applicants: list[dict[str, Any]]


class CasesOverdue(Open):
    today: str
    warn_days: int
    overdue: int
    due_soon: int
    cases: list[dict[str, Any]]


class UnitPushed(Open):
    unit_no: str
    result: str


class UnitImport(Open):
    units: int
    created: int
    updated: int
    unchanged: int
    stale: int
    errors: list[dict[str, Any]]


class StoredImage(Shut):
    page: int
    sha256: str = Field(description="SHA-256 of the JPEG the hall keeps")
    source_sha256: str = Field(description="SHA-256 of the file pushed")
    width: int
    height: int
    size_bytes: int


class ImagesPushed(Shut):
    unit_no: str
    kind: str = Field(description="original | photo")
    result: str = Field(description="stored | unchanged (the same file again)")
    pages: int
    images: list[StoredImage]


class UnitImages(Shut):
    unit_no: str
    originals: list[StoredImage]
    photo: StoredImage | None


class ArchiveResult(Open):
    count: int
    units: list[dict[str, Any]]


class CallbackDraw(Open):
    month: str
    seed: str
    share_percent: str
    population: int
    population_hash: str
    sample_size: int
    drawn_at: str | None
    drawn_by: str


class CallbackSummary(Open):
    month: str
    population: int
    share_percent: str
    by_window: list[dict[str, Any]]
    by_staff: list[dict[str, Any]]


class CallbackVerify(Open):
    month: str
    ok: bool
    problems: list[Any]


class CallbackRecorded(Open):
    month: str
    ticket_id: str
    attempts: int
    outcome: dict[str, Any]


# -- listings of stored rows ----------------------------------------------------------------

class EvaluationRow(Open):
    id: str
    ticket_id: str
    number: str
    day: str
    window: int
    staff: str | None
    business: str
    case_no: str | None
    channel: str
    rating: int
    efficiency: int | None
    competence: int | None
    attitude: int | None
    reason: str | None
    comment: str
    at: str


class WorkOrder(Open):
    """差评整改 a work order opened by a bad rating."""

    id: str
    evaluation_id: str
    ticket_id: str
    ticket: str
    number: str
    window: int
    staff: str | None
    business: str
    rating: int
    rating_name: str
    status: str
    status_name: str
    opened_at: str
    due_date: str
    due_provisional: bool
    replied_at: str | None
    closed_at: str | None
    urgency: str | None
    urgency_name: str | None
    in_time: bool | None


class WorkOrderDetail(WorkOrder):
    steps: list[dict[str, Any]]
    evaluation: dict[str, Any] | None


class Reveal(Open):
    seq: int
    month: str
    ticket_id: str
    actor: str
    token_id: str
    role: str
    at: str


class OutboxRow(Open):
    status: str
    status_name: str
    created_at: str | None
    sent_at: str | None
    next_attempt_at: str | None


# -- 预约 booking (api/routes/booking.py, queue_server/bookings.py) ------------------------


class BookingBusinesses(Open):
    businesses: list[dict[str, Any]]


class BookingDay(Open):
    business: str
    day: str
    open: bool
    slots: list[dict[str, Any]]


class SmsCodeSent(Open):
    phone_masked: str
    expires_in_seconds: int


class PhonePass(Open):
    # "pass" is a Python keyword: the field keeps its JSON name through the alias.
    pass_: str = Field(alias="pass")
    expires_at: str
    phone_masked: str


class BookingSlip(Open):
    code: str
    business: str
    business_name: str
    business_name_en: str
    slot_start: str
    slot_end: str
    when: str
    when_en: str
    status: str
    status_zh: str
    status_en: str
    slip: str
    changes_close: str  # cancel and rebook close then (the business's cut-off)
    changeable: bool  # booked and before changes_close: cancel and rebook still open


class Booking(BookingSlip):
    id: str
    id_masked: str | None
    phone_masked: str | None
    channel: str
    slip_url: str
    rebooked_from: str | None
    checked_in_at: str | None
    checked_in_by: str | None  # "kiosk", or the guide who checked it in by hand
    no_show_at: str | None  # when the sweep stored it as a no-show
    reminded_at: str | None  # when the day-before reminder was queued
    batch: str | None  # the enterprise batch it belongs to
    case_no: str | None  # the case an enterprise batch booked it for


class BookingFigures(Open):
    booked: int  # not cancelled
    checked_in: int
    by_hand: int  # checked in by a guide, not at a kiosk
    no_show: int
    to_come: int
    cancelled: int
    enterprise: int  # of the booked, from enterprise batches
    show_rate: float | None  # checked in ÷ (checked in + no-shows); None before any is due


class BookingBusinessFigures(BookingFigures):
    code: str
    name: str
    name_en: str


class BookingDayFigures(BookingFigures):
    day: str
    businesses: list[BookingBusinessFigures]


class BookingBatch(Open):
    batch: str
    business: str
    account: str
    count: int
    first_slot: str | None
    last_slot: str | None
    bookings: list[Booking]


class BookingCheckIn(Open):
    booking: Booking
    ticket: IssuedTicket


# -- 不予受理告知单 notices of non-acceptance (routes/notices.py) ---------------------------

class MissingMaterial(Shut):
    index: int = Field(description="1-based, as the catalogue item lists it")
    text: str = Field(description="the material with its requirements, Chinese")
    text_en: str
    where: str = Field(description="where to get it; empty when the catalogue does not say")


class NoticeVisit(Shut):
    id: str
    number: str
    day: str
    status: str
    closed_reason: str | None
    issued_at: str
    by: Literal["notice", "applicant"] = Field(
        description="`notice`: the ticket names this notice; `applicant`: the same ID card, "
                    "for the notice's item (pre-checked for it) or else its business")


class Notice(Shut):
    no: str = Field(description="unique across halls: the hall's code, the day, a sequence")
    hall: str
    hall_name: str
    hall_name_en: str
    day: str
    ticket_id: str
    ticket_number: str
    business: str
    item: str
    item_name: str
    item_name_en: str
    missing: list[MissingMaterial]
    note: str
    window: int | None
    staff: str | None = Field(description="工号 of who was on duty at the window")
    staff_name: str
    prechecked: bool
    issued_at: str
    printed: int = Field(description="how many slips were printed at a window")
    later_visits: list[NoticeVisit] = Field(
        description="the next visits: later tickets that name this notice, and the same "
                    "applicant's (by ID card) for its item, or its business where the ticket "
                    "was not pre-checked")
    page_url: str = Field(description="the A4 page a browser prints")


class Refused(Shut):
    ticket: Ticket
    notice: Notice


class NoticePrinted(Shut):
    no: str
    window: int
    printed: int


# --- 上门服务 home visits ----------------------------------------------------------------


class VisitChoice(Open):
    code: str
    name: str
    name_en: str


class VisitTeam(Open):
    code: str
    name: str
    name_en: str
    kind: str
    kind_name: str
    per_window: int
    districts: list[str]


class HomeVisitOptions(Open):
    businesses: list[VisitChoice]
    reasons: list[VisitChoice]
    districts: list[str]
    windows: list[str]
    teams: list[VisitTeam]
    days: list[str]
    max_days: int


class HomeVisit(Open):
    """A request as guides and the applicant's phone see it: name, address and phone
    masked."""

    code: str
    status: str
    status_zh: str
    status_en: str
    business: str
    business_name: str
    reason: str
    reason_zh: str
    reason_note: str
    name_masked: str
    district: str
    address_masked: str
    phone_masked: str
    preferred_days: list[str]
    channel: str
    created_at: str
    team: str | None
    team_name: str | None
    visit_day: str | None
    window_start: str | None
    window_end: str | None
    when: str | None
    attempts: int
    outcome_note: str | None


class CrewVisit(HomeVisit):
    """On the crew's day list: the door to find and the number to call."""

    stop: int
    name: str
    address: str
    phone: str


class CrewDay(Open):
    day: str
    team: str | None
    visits: list[CrewVisit]
    left: int


class VisitCounts(Open):
    scheduled: int
    done: int
    rescheduled: int
    refused: int
    nobody_home: int
    cancelled: int


class VisitTeamRow(VisitCounts):
    team: str
    name: str
    kind: str


class HomeVisitSummary(Open):
    requested: int
    waiting: int
    visits: VisitCounts
    teams: list[VisitTeamRow]
