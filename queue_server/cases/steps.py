"""The steps of a registration case, in the order the back office walks them.

Three-level online review (初审、复审、核定) as the housing-registry office practises it,
then recording in the register (登簿), certificate printing (缮证), ready for collection
and collected; or refused with a reason at any point.
"""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    ACCEPTED = "accepted"
    REVIEW_1 = "review_1"
    REVIEW_2 = "review_2"
    REVIEW_3 = "review_3"
    RECORDED = "recorded"
    PRINTED = "printed"
    READY = "ready"
    COLLECTED = "collected"
    REFUSED = "refused"


# The normal path, in order; REFUSED leaves it.
PATH: tuple[Step, ...] = (Step.ACCEPTED, Step.REVIEW_1, Step.REVIEW_2, Step.REVIEW_3,
                          Step.RECORDED, Step.PRINTED, Step.READY, Step.COLLECTED)
RANK = {s: i for i, s in enumerate(PATH)}

# The statutory time limit runs until the certificate is ready (or the case refused):
# these steps end it, so they raise no overtime warning.
FINISHED = frozenset({Step.READY, Step.COLLECTED, Step.REFUSED})

NAMES: dict[Step, tuple[str, str]] = {
    Step.ACCEPTED: ("已受理", "Accepted"),
    Step.REVIEW_1: ("初审", "First review"),
    Step.REVIEW_2: ("复审", "Second review"),
    Step.REVIEW_3: ("核定", "Final approval"),
    Step.RECORDED: ("登簿", "Recorded in the register"),
    Step.PRINTED: ("缮证", "Certificate being printed"),
    Step.READY: ("待领证", "Ready for collection"),
    Step.COLLECTED: ("已领证", "Collected"),
    Step.REFUSED: ("不予登记", "Refused"),
}

# What the applicant should do now, in words an elderly applicant can follow.
HINTS: dict[Step, tuple[str, str]] = {
    Step.ACCEPTED: ("您的申请已受理，正在等待审核。", "Your application was accepted and awaits review."),
    Step.REVIEW_1: ("正在审核中，无需再来大厅。", "Under review; you need not come to the hall."),
    Step.REVIEW_2: ("正在审核中，无需再来大厅。", "Under review; you need not come to the hall."),
    Step.REVIEW_3: ("正在审核中，无需再来大厅。", "Under review; you need not come to the hall."),
    Step.RECORDED: ("已登记簿，正在准备证书。", "Recorded; the certificate is being prepared."),
    Step.PRINTED: ("证书正在制作，可领取时将短信通知您。",
                   "The certificate is being printed; an SMS will tell you when to collect it."),
    Step.READY: ("证书已可领取，请本人携带身份证和受理回执到领证窗口领取。",
                 "The certificate is ready: bring your ID card and the receipt to the "
                 "collection window."),
    Step.COLLECTED: ("证书已领取，办理完毕。", "The certificate was collected; the case is closed."),
    Step.REFUSED: ("不予登记，请查看原因或到咨询台咨询。",
                   "Registration refused: see the reason, or ask at the information desk."),
}


def parse_step(value: str) -> Step | None:
    try:
        return Step(value.strip().lower())
    except ValueError:
        return None
