"""回访, the monthly call-back: which visits a month's draw picks, and what its calls add up to.

Pure functions, no I/O, so an auditor can redraw a month from what the draw recorded:
the seed, the share and the population (every served visit of the month whose applicant
left a phone number). The draw is a keyed sort: each ticket id is ranked by
HMAC-SHA256(seed, id) and the lowest ranks are taken. That needs nothing but a hash
function to reimplement in any language, and unlike `random.sample` it does not depend
on a Python version's generator.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.domain.errors import IllegalTransition, InvalidInput, NotFound

SEED_BYTES = 16  # 128 bits
SCORES = ("attitude", "time_taken", "discipline")
SCORE_NAMES = {"attitude": ("服务态度", "attitude"), "time_taken": ("办理时长", "time taken"),
               "discipline": ("工作纪律", "discipline")}
MAX_COMMENT = 1000
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Versioned, so a later change of how the population is hashed cannot match an old one.
_HASH_PREFIX = b"hallq-callback-population-v1\n"


@dataclass(frozen=True)
class Month:
    text: str  # YYYY-MM
    first: date  # its first day
    after: date  # the first day of the next month

    def over(self, now: datetime, tz: ZoneInfo) -> bool:
        """Whether the month has ended in the hall's time zone."""
        return now.astimezone(tz) >= datetime.combine(self.after, time(0), tz)


def parse_month(text: str) -> Month:
    m = _MONTH.match(text)
    if m is None:
        raise InvalidInput(f"月份应写作 YYYY-MM，如 2026-11，而不是 '{text[:20]}'",
                           "a month is written YYYY-MM, e.g. 2026-11", code="invalid_month")
    year, month = int(m.group(1)), int(m.group(2))
    if not 2000 <= year <= 9998:  # 9999-12 would end in a year `date` cannot hold
        raise InvalidInput("月份不在有效范围内", "the month is out of range", code="invalid_month")
    first = date(year, month, 1)
    after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Month(text, first, after)


def check_month_over(month: Month, now: datetime, tz: ZoneInfo) -> None:
    """A month is drawn once it is over: earlier, visits still to come could not be drawn."""
    if not month.over(now, tz):
        raise InvalidInput(f"{month.text} 尚未结束，月底之后才能抽取回访名单",
                           f"{month.text} is not over yet; draw it once it has ended",
                           code="month_not_over")


def parse_share(percent: float | str | Decimal) -> Decimal:
    """The share in %, exact: 5.0 and "5" give the same draw and the same stored text."""
    try:
        value = Decimal(str(percent))
    except InvalidOperation:
        raise InvalidInput("回访比例应为数字", "the call-back share must be a number",
                           code="invalid_share") from None
    if not value.is_finite() or value <= 0 or value > 100:
        raise InvalidInput("回访比例应大于 0 且不超过 100%",
                           "the call-back share must be above 0 and at most 100 %",
                           code="invalid_share")
    return value


def share_text(share: Decimal) -> str:
    # format(…, "f"): Decimal("100").normalize() alone would print 1E+2.
    return format(share.normalize(), "f")


def sample_size(population: int, share: Decimal) -> int:
    """The share of the population, rounded up; at least one when any qualify."""
    if population <= 0:
        return 0
    k = int((Decimal(population) * share / 100).to_integral_value(rounding=ROUND_CEILING))
    return min(population, max(1, k))


def population_hash(ids: Iterable[str]) -> str:
    """SHA-256 of the sorted ids, one per line: the same population gives the same hash."""
    return hashlib.sha256(_HASH_PREFIX + "\n".join(sorted(ids)).encode("utf-8")).hexdigest()


def rank_key(seed: bytes, ticket_id: str) -> bytes:
    return hmac.new(seed, ticket_id.encode("utf-8"), hashlib.sha256).digest()


def draw(seed: bytes, population: Sequence[str], share: Decimal) -> list[str]:
    """The ids drawn, in call order (lowest keyed rank first)."""
    if len(seed) != SEED_BYTES:
        raise InvalidInput("抽样种子应为 128 位", "the seed must be 128 bits", code="invalid_seed")
    ids = sorted(set(population))
    ranked = sorted(ids, key=lambda i: rank_key(seed, i))
    return ranked[:sample_size(len(ids), share)]


def seed_bytes(seed_hex: str) -> bytes:
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        raise InvalidInput("抽样种子应为十六进制", "the seed must be hexadecimal",
                           code="invalid_seed") from None
    if len(seed) != SEED_BYTES:
        raise InvalidInput("抽样种子应为 128 位", "the seed must be 128 bits", code="invalid_seed")
    return seed


def audit(*, seed_hex: str, share: str, recorded_population: int, recorded_hash: str,
          recorded_sample: Sequence[str], population: Sequence[str]) -> list[str]:
    """What does not agree between a stored draw and a redraw from today's data; empty
    when it all agrees. `recorded_sample` is in the stored call order."""
    problems: list[str] = []
    if len(population) != recorded_population:
        problems.append(f"人数不符 population size: recorded {recorded_population}, "
                        f"now {len(population)}")
    if population_hash(population) != recorded_hash:
        problems.append("名单摘要不符 population hash differs: the month's served visits with a "
                        "phone are not what was drawn from")
    try:
        redrawn = draw(seed_bytes(seed_hex), population, parse_share(share))
    except InvalidInput as exc:
        return [*problems, str(exc)]
    if list(recorded_sample) != redrawn:
        missing = sorted(set(redrawn) - set(recorded_sample))
        extra = sorted(set(recorded_sample) - set(redrawn))
        detail = f"missing {missing[:5]}, not drawn {extra[:5]}" if missing or extra \
            else "order differs"
        problems.append(f"抽样结果不符 the stored sample is not the redraw: {detail}")
    return problems


# --- outcomes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    reached: bool
    attitude: int | None
    time_taken: int | None
    discipline: int | None
    comment: str


def check_outcome(reached: bool, scores: Mapping[str, int | None], comment: str) -> Outcome:
    """Scores are 1 (very poor) to 5 (very good), each optional, and only given by an
    applicant who was reached: an unanswered call has no opinion to record."""
    clean: dict[str, int | None] = {}
    for name in SCORES:
        value = scores.get(name)
        if value is not None and not 1 <= value <= 5:
            zh, en = SCORE_NAMES[name]
            raise InvalidInput(f"{zh}评分应为 1 到 5", f"{en} is scored 1 to 5",
                               code="invalid_score")
        clean[name] = value
    if not reached and any(v is not None for v in clean.values()):
        raise InvalidInput("未接通的回访不能评分", "a call that did not reach the applicant "
                           "has no scores", code="scores_without_reach")
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"备注不能超过 {MAX_COMMENT} 字", f"the comment is at most "
                           f"{MAX_COMMENT} characters", code="invalid_input")
    return Outcome(reached, clean["attitude"], clean["time_taken"], clean["discipline"],
                   comment.strip())


def already_drawn(month: str) -> IllegalTransition:
    return IllegalTransition(f"{month} 的回访名单已经抽取，不能重新抽取",
                             f"the call-back sample of {month} was already drawn; it cannot "
                             "be drawn again", code="callback_already_drawn")


def not_drawn(month: str) -> NotFound:
    return NotFound(f"{month} 尚未抽取回访名单", f"no call-back sample drawn for {month}",
                    code="callback_not_drawn")


def not_in_sample(month: str, ticket_id: str) -> NotFound:
    return NotFound(f"该号不在 {month} 的回访名单中",
                    f"ticket {ticket_id[:32]} is not in the call-back sample of {month}",
                    code="not_in_sample")


# --- the summary -------------------------------------------------------------------------


def _mean(values: Iterable[int | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return round(sum(xs) / len(xs), 2) if xs else None


def _figures(calls: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    latest = [c["outcome"] for c in calls if c["outcome"] is not None]
    reached = [o for o in latest if o["reached"]]
    return {"drawn": len(calls), "called": len(latest), "reached": len(reached),
            # Of the calls made: an applicant not yet called is not one who did not answer.
            "reach_rate": round(len(reached) / len(latest), 4) if latest else None,
            **{f"mean_{s}": _mean(o[s] for o in reached) for s in SCORES}}


def summarize(calls: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Drawn, called, reached, reach rate and mean scores: the month's, by window and by
    the staff on duty when the visit was completed.

    Each call counts by its latest outcome (`outcome`, None when not yet called)."""
    return {**_figures(calls), "by_window": _by(calls, "window"), "by_staff": _by(calls, "staff")}


def _by(calls: Sequence[Mapping[str, Any]], key: str) -> list[dict[str, Any]]:
    groups: dict[Any, list[Mapping[str, Any]]] = {}
    for c in calls:
        groups.setdefault(c[key], []).append(c)
    # Nobody signed in (None) last; numbers and staff numbers each in their own order.
    order = sorted(groups, key=lambda k: (k is None, str(k).zfill(8) if k is not None else ""))
    return [{key: k, **_figures(groups[k])} for k in order]
