"""Pure rules of cases: working days and overtime warnings, proof checking, receipt
tokens, and what `protect` keeps of a pushed case."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from queue_server.cases import proof
from queue_server.cases.model import ApplicantIn, CaseIn, StepIn, protect
from queue_server.cases.steps import Step
from queue_server.domain.deadline import (
    Urgency,
    WorkCalendar,
    due_date,
    urgency,
    warn_horizon,
)
from queue_server.domain.errors import InvalidInput
from queue_server.secrecy import SecretBox
from tests.cases.helpers import LI, LI_NAME, PHONE_ZHANG, ZHANG, ZHANG_NAME

KEY = b"domain-test"
FRI = date(2026, 11, 20)
NATIONAL_DAY = frozenset(date(2026, 10, d) for d in range(1, 8))


def test_working_days_skip_weekends_and_holidays():
    cal = WorkCalendar.weekends_only()
    assert due_date(FRI, 5, cal) == date(2026, 11, 27)
    assert due_date(FRI, 0, cal) == FRI
    assert due_date(FRI, 1, cal) == date(2026, 11, 23)
    holidays = WorkCalendar.weekends_only(NATIONAL_DAY, {date(2026, 10, 10)})  # a Saturday worked
    assert due_date(date(2026, 9, 30), 1, holidays) == date(2026, 10, 8)
    assert due_date(date(2026, 10, 9), 1, holidays) == date(2026, 10, 10)
    assert cal.workdays_between(FRI, date(2026, 11, 27)) == 5
    assert cal.workdays_between(date(2026, 11, 27), FRI) == -5


@pytest.mark.parametrize("today, expected", [
    (date(2026, 11, 23), None),               # Monday: four working days left
    (date(2026, 11, 25), Urgency.DUE_SOON),   # Wednesday: two left
    (date(2026, 11, 27), Urgency.DUE_SOON),   # the due date itself is still in time
    (date(2026, 11, 28), Urgency.OVERDUE),
])
def test_urgency(today, expected):
    assert urgency(date(2026, 11, 27), today, 2, WorkCalendar.weekends_only()) == expected


def test_the_warning_horizon_catches_weekend_due_dates():
    cal = WorkCalendar.weekends_only()
    horizon = warn_horizon(date(2026, 11, 25), 2, cal)  # Wednesday, two working days
    assert horizon == date(2026, 11, 29)  # through Sunday: Monday is a third working day
    assert urgency(date(2026, 11, 29), date(2026, 11, 25), 2, cal) is Urgency.DUE_SOON
    assert urgency(date(2026, 11, 30), date(2026, 11, 25), 2, cal) is None


def test_proof_compares_a_fixed_number_of_candidates(monkeypatch):
    calls = []
    real = proof.hmac.compare_digest
    monkeypatch.setattr(proof.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    good = proof.ProofDigest("id", "a" * 64)
    assert proof.matches(good, ["b" * 64, "a" * 64], None)
    assert not proof.matches(good, [], None)
    assert not proof.matches(proof.ProofDigest("receipt", "c" * 64), [], "d" * 64)
    # Found, not found, no case at all: the same work each time.
    assert len(calls) == 3 * proof.MAX_CANDIDATES


def test_receipt_tokens_are_stable_typable_and_keyed():
    t = proof.derive_receipt_token(KEY, "2026112000123")
    assert t == proof.derive_receipt_token(KEY, "2026112000123")
    assert t != proof.derive_receipt_token(b"other", "2026112000123")
    assert proof.TOKEN_RE.match(t)
    assert proof.receipt_hash(KEY, t) == proof.receipt_hash(KEY, f" {t[:4].lower()}-{t[4:]} ")
    assert proof.parse_receipt_qr(proof.receipt_qr("C-1", t)) == ("C-1", t)
    assert proof.parse_receipt_qr("https://example.com") is None


def case(**kw) -> CaseIn:
    base = dict(case_no="2026112000123", version=1, item="second_hand_sale",
                accepted_at=datetime(2026, 11, 20, 1, 30, tzinfo=UTC),
                applicants=(ApplicantIn(ZHANG, ZHANG_NAME, PHONE_ZHANG),
                            ApplicantIn(LI.lower(), LI_NAME)),
                steps=(StepIn(1, Step.ACCEPTED, datetime(2026, 11, 20, 1, 30, tzinfo=UTC)),))
    base.update(kw)
    return CaseIn(**base)  # type: ignore[arg-type]


def keep(c: CaseIn, catalogue: dict | None = None):
    return protect(c, key=KEY, box=SecretBox(KEY), calendar=WorkCalendar.weekends_only(),
                   local_accept_day=FRI, catalogue=catalogue or {"second_hand_sale": ("二手房", 5)})


def test_protect_keeps_no_clear_personal_data():
    rec = keep(case())
    text = repr(rec)
    for clear in (ZHANG, LI, LI.lower(), ZHANG_NAME, LI_NAME, PHONE_ZHANG):
        assert clear not in text
    zhang, li = rec.applicants
    assert (zhang.id_masked, zhang.name_masked, zhang.phone_masked) == (
        "430***********2317", "张**", "138****5678")
    assert li.id_masked.endswith("102X") and li.phone_sealed is None
    assert rec.item_name == "二手房" and rec.time_limit_days == 5
    assert rec.due_date == date(2026, 11, 27)
    assert SecretBox(KEY).open(zhang.phone_sealed) == PHONE_ZHANG


def test_the_content_hash_tells_a_resend_from_a_change():
    assert keep(case()).content_hash == keep(case()).content_hash
    renamed = case(applicants=(ApplicantIn(ZHANG, "张三"), ApplicantIn(LI, LI_NAME)))
    assert keep(renamed).content_hash != keep(case()).content_hash


def test_a_pushed_due_date_wins_and_gives_the_limit():
    rec = keep(case(item="local_item", due_date=date(2026, 12, 4)), catalogue={})
    assert rec.due_date == date(2026, 12, 4) and rec.time_limit_days == 10


@pytest.mark.parametrize("bad, code", [
    (dict(case_no="bad/no"), "invalid_case_no"),
    (dict(applicants=()), "applicants_required"),
    (dict(item="local_item"), "time_limit_required"),
    (dict(steps=(StepIn(1, Step.REFUSED, datetime(2026, 11, 20, tzinfo=UTC)),)), "reason_required"),
    (dict(steps=(StepIn(1, Step.ACCEPTED, datetime(2026, 11, 20)),)), "invalid_input"),
    (dict(steps=(StepIn(1, Step.ACCEPTED, datetime(2026, 11, 20, tzinfo=UTC)),
                 StepIn(1, Step.REVIEW_1, datetime(2026, 11, 20, tzinfo=UTC)))), "invalid_input"),
    (dict(item=""), "invalid_input"),
])
def test_protect_refuses_bad_cases(bad, code):
    with pytest.raises(InvalidInput) as err:
        keep(case(**bad), catalogue={"second_hand_sale": ("二手房", 5)})
    assert err.value.code == code
