"""The queue-server API as the kiosk uses it, with typed errors instead of status codes.

    client = HallClient("http://10.0.0.5:8000", token)
    ticket = client.issue_ticket("mortgage", id_number=..., name=..., priority="green")

Errors:
- `ServerUnreachable`: no connection, a timeout, or a 5xx. The applicant is told to wait
  or go to the desk; the kiosk keeps retrying /health and recovers by itself. Issuing
  a ticket first asks again itself, with the same `Idempotency-Key`: an answer lost
  after the server issued the ticket brings back that ticket, never a second one.
- `Refused(code, message, status)`: the server said no, with its `{"error": …}` body
  (daily_cap_reached, id_limit_reached, already_waiting, business_closed, ...).
- `FeatureMissing`: the route does not exist on this server (an older server, or a part
  still being built); the kiosk shows "not available here" rather than an error.

Any httpx.Client can carry the requests (tests hand in a Starlette TestClient).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx

from kiosk.models import (
    BadResponse,
    CaseProgress,
    Category,
    CheckedSlip,
    Dimension,
    Evaluated,
    HallInfo,
    Property,
    Reason,
    Service,
    Ticket,
    categories_from_businesses,
    parse_archive,
    parse_case,
    parse_catalogue,
    parse_checked_slip,
    parse_dimensions,
    parse_evaluated,
    parse_hall,
    parse_pending,
    parse_reasons,
    parse_ticket,
)

log = logging.getLogger(__name__)

API = "/api/v1"
# The case and archive routes (queue_server/api/routes/cases.py, archive.py). Proof of
# being an applicant travels only in request bodies, never in a URL.
#   POST /cases/lookup    {"case_no", "id_number"} | {"case_no", "receipt_token"}
#   POST /archive/lookup  {"id_number"} → {"count", "units": [...]}
#   POST /archive/image   {"id_number", "card", "unit_no", "kind", "page"} → a JPEG
CASE_LOOKUP = API + "/cases/lookup"
ARCHIVE_LOOKUP = API + "/archive/lookup"
ARCHIVE_IMAGE = API + "/archive/image"
MAX_IMAGE_BYTES = 8 * 1024 * 1024  # a watermarked page is well under 1 MB
KIOSK_HEALTH = API + "/kiosks/{name}/health"
# 好差评 (queue_server/api/routes/evaluations.py). The ID number, again, only in a body.
#   POST /evaluations/pending      {"id_number"} → today's services not yet rated
#   POST /tickets/{id}/evaluation  {"rating", "window", "reason"?} → 201
#   GET  /evaluation/levels        the levels, dimensions and bad-review reasons
EVALUATIONS_PENDING = API + "/evaluations/pending"
EVALUATION_LEVELS = API + "/evaluation/levels"
# A ticket's follow link (queue_server/api/routes/follow.py), needing no token:
#   GET /follow/{ref} → the ticket and "to_rate", its services of today not yet rated
FOLLOW = API + "/follow/{ref}"

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
# Pauses before asking again for a ticket whose answer did not come: short, because an
# applicant stands waiting, and few, because a server that is down stays down.
ISSUE_RETRY_PAUSES = (0.3, 1.0)


class ClientError(Exception):
    """Base of the kiosk's API failures."""


class ServerUnreachable(ClientError):
    """No answer we can use: connection refused, timeout, or the server failed (5xx)."""


class FeatureMissing(ClientError):
    """This server has no such route."""


class Refused(ClientError):
    def __init__(self, code: str, message: str, status: int) -> None:
        self.code = code
        self.message = message  # "中文 / English", as the server writes it
        self.status = status
        super().__init__(f"{status} {code}: {message}")

    @property
    def message_zh(self) -> str:
        return self.message.split(" / ", 1)[0].strip()

    @property
    def message_en(self) -> str:
        parts = self.message.split(" / ", 1)
        return parts[1].strip() if len(parts) > 1 else ""


def _no_such_path(response: httpx.Response) -> bool:
    """A 404/405 from routing, not from a use case (the server says "no such path")."""
    if response.status_code == 405:
        return True
    if response.status_code != 404:
        return False
    try:
        message = str(response.json()["error"]["message"])
    except Exception:  # not our error shape at all: some other server's 404 page
        return True
    return "no such path" in message


class HallClient:
    def __init__(self, base_url: str = "", token: str = "", *,
                 http: httpx.Client | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 retry_pauses: tuple[float, ...] = ISSUE_RETRY_PAUSES) -> None:
        self.retry_pauses = retry_pauses
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if http is None:
            http = httpx.Client(base_url=base_url, timeout=timeout)
        http.headers.update(headers)
        self.http = http
        self._routes: dict[str, bool] = {}
        self._levels: tuple[tuple[Reason, ...], tuple[Dimension, ...]] | None = None

    @property
    def base_url(self) -> str:
        """The server's address as this kiosk reaches it (the fallback for follow links)."""
        return str(self.http.base_url)

    def close(self) -> None:
        self.http.close()

    # --- plumbing -----------------------------------------------------------------------

    @contextmanager
    def _transport(self) -> Iterator[None]:
        try:
            yield
        except httpx.TransportError as e:  # connect, read, write, pool, timeouts
            raise ServerUnreachable(f"{type(e).__name__}: {e}") from e

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        with self._transport():
            response = self.http.request(method, path, **kwargs)
        self._request_failed(response, method, path)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as e:
            raise ServerUnreachable(f"{method} {path}: the answer is not JSON") from e

    def _request_failed(self, response: httpx.Response, method: str, path: str) -> None:
        """Raise the typed error of a 4xx or 5xx answer; return on anything else."""
        if response.status_code >= 500:
            raise ServerUnreachable(f"server error {response.status_code} on {method} {path}")
        if response.status_code >= 400:
            if _no_such_path(response):
                raise FeatureMissing(f"{method} {path}: {response.status_code}")
            try:
                err = response.json()["error"]
                raise Refused(str(err["code"]), str(err.get("message", "")), response.status_code)
            except (ValueError, KeyError, TypeError):
                raise Refused("error", response.text[:200], response.status_code) from None

    def _parse(self, parser: Any, data: Any, *args: Any) -> Any:
        try:
            return parser(data, *args)
        except BadResponse as e:
            # A server we cannot understand is, for the applicant, a server that is down.
            raise ServerUnreachable(str(e)) from e

    # --- reads ----------------------------------------------------------------------------

    def ping(self) -> bool:
        """True when the server answers /health; never raises."""
        try:
            return self._request("GET", API + "/health").get("status") == "ok"
        except (ClientError, AttributeError):
            return False

    def hall(self) -> HallInfo:
        return self._parse(parse_hall, self._request("GET", API + "/hall"))  # type: ignore[no-any-return]

    def categories(self) -> tuple[Category, ...]:
        """The catalogue's categories; a hall without one gets its businesses as items."""
        cats = self._parse(parse_catalogue, self._request("GET", API + "/catalogue"))
        if cats:
            return cats  # type: ignore[no-any-return]
        return self._parse(categories_from_businesses,  # type: ignore[no-any-return]
                           self._request("GET", API + "/businesses"))

    def journeys(self) -> dict[str, tuple[str, ...]]:
        data = self._request("GET", API + "/journeys")
        if not isinstance(data, list):
            raise ServerUnreachable("journeys: expected a list")
        return {str(j["code"]): tuple(j.get("steps") or ()) for j in data
                if isinstance(j, dict) and j.get("code")}

    def windows(self) -> list[dict[str, Any]]:
        data = self._request("GET", API + "/windows")
        return [w for w in data if isinstance(w, dict)] if isinstance(data, list) else []

    def _probe(self, path: str) -> bool:
        """Does this server have the POST route `path`? Asked with an empty body, which
        every such route refuses (422) before doing anything — no lookup, no audit entry —
        while a server without it answers "no such path". Cheaper than the OpenAPI
        document, which the server builds on first request."""
        if path not in self._routes:
            try:
                self._request("POST", path, json={})
                self._routes[path] = True
            except FeatureMissing:
                self._routes[path] = False
            except Refused:
                self._routes[path] = True
        return self._routes[path]

    def forget_routes(self) -> None:
        """Ask again next time: the server may have been upgraded."""
        self._routes.clear()
        self._levels = None

    def has_cases(self) -> bool:
        return self._probe(CASE_LOOKUP)

    def has_archive(self) -> bool:
        return self._probe(ARCHIVE_LOOKUP)

    def has_evaluations(self) -> bool:
        return self._probe(EVALUATIONS_PENDING)

    # --- tickets --------------------------------------------------------------------------

    def issue_ticket(self, business: str, *, id_number: str | None = None, name: str = "",
                     priority: str | None = None, journey: str | None = None,
                     appointment_slip: str | None = None,
                     request_key: str | None = None) -> Ticket:
        """`request_key` names this press of the button (a new one when not given): kept
        across the retries here, and usable later with `ticket_by_request_key`.
        `appointment_slip` is the slip as scanned: the server reads the booking from it."""
        body: dict[str, Any] = {"business": business}
        if id_number:
            body["applicant"] = {"id_number": id_number, "name": name[:60]}
        if priority:
            body["priority"] = priority
        if journey:
            body["journey"] = journey
        if appointment_slip is not None:
            body["appointment"] = {"slip": appointment_slip}
        headers = {"Idempotency-Key": request_key or uuid.uuid4().hex}
        pauses = list(self.retry_pauses)
        while True:
            try:
                return self._parse(parse_ticket,  # type: ignore[no-any-return]
                                   self._request("POST", API + "/tickets", json=body,
                                                 headers=headers))
            except ServerUnreachable as e:
                if not pauses:
                    raise
                log.warning("no answer to a ticket request (%s); asking again", e)
                time.sleep(pauses.pop(0))

    def ticket_by_request_key(self, request_key: str) -> Ticket | None:
        """The ticket this kiosk issued today with that key, None when none was issued."""
        data = self._request("GET", API + "/tickets", params={"request_key": request_key})
        if not isinstance(data, list):
            raise ServerUnreachable("tickets: expected a list")
        return self._parse(parse_ticket, data[0]) if data else None

    def cancel_ticket(self, ticket_id: str) -> None:
        self._request("POST", f"{API}/tickets/{ticket_id}/cancel")

    def ticket(self, ticket_id: str) -> Ticket:
        return self._parse(parse_ticket,  # type: ignore[no-any-return]
                           self._request("GET", f"{API}/tickets/{ticket_id}"))

    def check_slip(self, text: str) -> CheckedSlip:
        """What a scanned slip is; the server holds the key (Refused `invalid_slip` when
        it is not one of the hall's, `slips_unavailable` when the hall has no key)."""
        data = self._request("POST", API + "/slips/check", json={"text": text})
        return self._parse(parse_checked_slip, data, text)  # type: ignore[no-any-return]

    # --- cases and the archive --------------------------------------------------------

    def case_progress(self, case_no: str, *, id_number: str | None = None,
                      receipt_token: str | None = None,
                      card: dict[str, Any] | None = None) -> CaseProgress:
        """Progress of one case; proof is the applicant's ID number with the card's chip
        data (`card`: authority and validity, the server checks them), or the receipt's
        token."""
        proof: dict[str, Any] = ({"id_number": id_number, "card": card} if id_number
                                 else {"receipt_token": receipt_token})
        if not (id_number or receipt_token):
            raise ValueError("a case lookup needs an ID number or a receipt token")
        data = self._request("POST", CASE_LOOKUP, json={"case_no": case_no, **proof})
        return self._parse(parse_case, data, case_no)  # type: ignore[no-any-return]

    def archive(self, id_number: str, *, card: dict[str, Any] | None = None
                ) -> tuple[Property, ...]:
        """The units where the card holder holds rights (the server audits every lookup);
        `card`, the chip's authority and validity, proves the card is on the reader."""
        data = self._request("POST", ARCHIVE_LOOKUP, json={"id_number": id_number,
                                                           "card": card})
        return self._parse(parse_archive, data)  # type: ignore[no-any-return]

    def archive_image(self, id_number: str, *, card: dict[str, Any] | None, unit_no: str,
                      kind: str, page: int = 1) -> bytes:
        """One page of a unit's originals (`original`) or its photo (`photo`), as the
        server watermarked it for this kiosk and this card holder. Kept in memory only:
        the caller holds it in the session's state, which going home wipes."""
        body = {"id_number": id_number, "card": card, "unit_no": unit_no, "kind": kind,
                "page": page}
        with self._transport():
            response = self.http.request("POST", ARCHIVE_IMAGE, json=body)
        if response.status_code == 200:
            if not response.headers.get("content-type", "").startswith("image/") or (
                    len(response.content) > MAX_IMAGE_BYTES):
                raise ServerUnreachable("archive image: the answer is not an image")
            return response.content
        self._request_failed(response, "POST", ARCHIVE_IMAGE)
        raise ServerUnreachable(f"archive image: status {response.status_code}")

    # --- 好差评 ------------------------------------------------------------------------

    def pending_evaluations(self, id_number: str) -> tuple[Service, ...]:
        """The card holder's services of today not yet rated, newest first."""
        data = self._request("POST", EVALUATIONS_PENDING, json={"id_number": id_number})
        return self._parse(parse_pending, data)  # type: ignore[no-any-return]

    def follow_to_rate(self, ref: str) -> tuple[Service, ...]:
        """The services of the ticket a scanned follow link names, of today and not yet
        rated; Refused (unknown_follow) for a link the server did not sign."""
        data = self._request("GET", FOLLOW.format(ref=quote(ref, safe="")))
        if not isinstance(data, dict):
            raise ServerUnreachable("follow: expected an object")
        return self._parse(parse_pending, data.get("to_rate") or [])  # type: ignore[no-any-return]

    def evaluation_words(self) -> tuple[tuple[Reason, ...], tuple[Dimension, ...]]:
        """The bad-review reasons and the dimensions the server accepts (asked once per
        hall reload: they change only with the server)."""
        if self._levels is None:
            data = self._request("GET", EVALUATION_LEVELS)
            self._levels = (self._parse(parse_reasons, data), self._parse(parse_dimensions, data))
        return self._levels

    def evaluation_reasons(self) -> tuple[Reason, ...]:
        return self.evaluation_words()[0]

    def evaluate(self, ticket_id: str, rating: int, *, window: int,
                 reason: str | None = None,
                 dimensions: Mapping[str, int] | None = None) -> Evaluated:
        """Rate the service `window` gave to the ticket's visit, with the dimensions the
        applicant scored, if any. Never asked again on a lost answer: the server may have
        recorded it, and a second try would only be refused as already rated."""
        body: dict[str, Any] = {"rating": rating, "window": window}
        if reason:
            body["reason"] = reason
        if dimensions:
            body["dimensions"] = dict(dimensions)
        data = self._request("POST", f"{API}/tickets/{ticket_id}/evaluation", json=body)
        return self._parse(parse_evaluated, data)  # type: ignore[no-any-return]

    # --- the kiosk itself -------------------------------------------------------------

    def report_health(self, name: str, report: dict[str, Any]) -> None:
        self._request("POST", KIOSK_HEALTH.format(name=name), json=report)
