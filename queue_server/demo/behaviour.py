"""What the demo's simulated applicants and staff do next: pure decisions, no I/O.

The HTTP driving is `traffic.py`; everything here takes a random source and numbers and
returns a decision, so it is tested without a server. The numbers come from the
simulator's demand model (`queue_server/simulation/demand.py`, the layout's
`demand-*.toml`): which businesses and journeys applicants come for and in what mix,
how the arrival rate moves over the day, service times, no-shows, breaks.

Time is compressed by one factor, `Pace.seconds_per_minute`: real seconds for one of the
model's minutes, chosen so that the staffed windows keep up with the arrival rate asked
for (busy, not swamped). Every duration (service, break, recall gap) scales with it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from hallrules.id_number import check_digit
from queue_server.domain.layout import Layout
from queue_server.simulation.demand import Demand, lognormal

UTILISATION = 0.75  # staffed windows are kept this busy at the day's mean arrival rate
FIRST_CALL_ANSWERED = 0.88  # most applicants come at the first call; others after a recall
TRANSFER_SHARE = 0.03  # a clerk finds the applicant is at the wrong business
PAD_RATES = 0.85  # share of services rated on the pad
RATINGS = ((5, 0.72), (4, 0.18), (3, 0.06), (2, 0.03), (1, 0.01))
BAD_REASONS = ("slow", "unclear", "attitude", "other")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "玉兰", "志强")
REGION = "430400"  # 衡阳市: synthetic applicants' ID numbers are of the hall's city


@dataclass(frozen=True)
class Pace:
    """How fast the demo runs: arrivals a minute, and real seconds per model minute."""

    arrivals_per_minute: float
    seconds_per_minute: float

    def seconds(self, model_minutes: float) -> float:
        return model_minutes * self.seconds_per_minute


@dataclass(frozen=True)
class Mix:
    """What applicants come for: (business, journey or None) with weights."""

    choices: tuple[tuple[str, str | None], ...]
    weights: tuple[float, ...]
    visits_per_arrival: float  # queue entries one arrival makes (a journey: its steps)
    mean_service: float  # model minutes per queue entry, weighted by visits

    def pick(self, rng: random.Random) -> tuple[str, str | None]:
        return rng.choices(self.choices, self.weights)[0]


def mix_of(demand: Demand, layout: Layout, served: set[str]) -> Mix:
    """The demand's business and journey mix, kept to what the staffed windows serve
    (an applicant for a business nobody calls would only wait all day)."""
    direct, journeys = demand.per_day()
    choices: list[tuple[str, str | None]] = []
    weights: list[float] = []
    visits = minutes = 0.0
    for code, n in sorted(direct.items()):
        if n > 0 and code in served:
            choices.append((code, None))
            weights.append(n)
            visits += n
            minutes += n * demand.service_minutes[code]
    for code, n in sorted(journeys.items()):
        steps = layout.journeys[code].steps
        if n > 0 and all(s in served for s in steps):
            choices.append((steps[0], code))
            weights.append(n)
            visits += n * len(steps)
            minutes += n * sum(demand.service_minutes[s] for s in steps)
    if not choices:
        raise ValueError("no business the staffed windows serve has any demand")
    total = sum(weights)
    return Mix(tuple(choices), tuple(weights), visits / total, minutes / visits)


def pace_for(mix: Mix, arrivals_per_minute: float, staffed: int,
             utilisation: float = UTILISATION) -> Pace:
    """The time factor at which `staffed` windows are `utilisation` busy.

    Each window does 60 / (mean_service × k) visits a real minute; the hall needs
    arrivals × visits_per_arrival of them, so k = u × staffed × 60 / (mean × visits/min).
    """
    visits = arrivals_per_minute * mix.visits_per_arrival
    k = utilisation * staffed * 60.0 / (mix.mean_service * visits)
    return Pace(arrivals_per_minute, k)


def rate_factor(demand: Demand, minute: float) -> float:
    """The arrival rate at a minute of the hall's day relative to the day's mean: the door
    queue, the morning peak, the lunch dip. Outside opening hours the demo runs at the
    mean, so a hall trying hallq in the evening still sees a busy hall."""
    if not demand.open <= minute < demand.issue_until:
        return 1.0
    whole = demand.weight_integral(demand.open, demand.issue_until)
    mean = whole / (demand.issue_until - demand.open)
    here = demand.weight_integral(minute, minute + 1.0)
    return here / mean if mean > 0 else 1.0


def next_gap(rng: random.Random, pace: Pace, factor: float) -> float:
    """Real seconds to the next arrival (a Poisson stream at the rate of the moment)."""
    return rng.expovariate(pace.arrivals_per_minute * factor / 60.0)


def opening_queue(staffed: int) -> int:
    """Applicants already at the door when the demo starts: a busy morning at once."""
    return max(4, staffed * 3 // 2)


def service_seconds(rng: random.Random, demand: Demand, pace: Pace, business: str) -> float:
    minutes = lognormal(rng, demand.service_minutes[business], demand.service_cv[business],
                        demand.service_cap)
    return pace.seconds(minutes)


def calls_until_answered(rng: random.Random, demand: Demand, recall_limit: int) -> int | None:
    """How many calls the applicant needs before coming to the window (1 = the first
    call); None: they never come (过号 after the last recall)."""
    if rng.random() < demand.no_show_rate:
        return None
    if rng.random() < FIRST_CALL_ANSWERED:
        return 1
    return 1 + rng.randint(1, max(1, recall_limit))


def recall_gap(pace: Pace, demand: Demand, recall_limit: int) -> float:
    """Real seconds between a call and its recall: the model's no-show wait shared out."""
    return pace.seconds(demand.no_show_minutes / (recall_limit + 1))


@dataclass(frozen=True)
class Finish:
    action: str  # "complete", "forward" or "transfer"
    business: str | None = None  # the transfer's new business


def finish(rng: random.Random, ticket: dict, transfer_to: list[str]) -> Finish:
    """What the clerk does when the service is over: send a journey on to its next step,
    now and then transfer one who came to the wrong business, else complete."""
    if ticket.get("journey_next"):
        return Finish("forward")
    own = ticket.get("business")
    others = [b for b in transfer_to if b != own]
    if others and rng.random() < TRANSFER_SHARE:
        return Finish("transfer", rng.choice(others))
    return Finish("complete")


def takes_break(rng: random.Random, demand: Demand, served_minutes: float) -> bool:
    """After a service of `served_minutes` (model time), does the clerk go on a break?

    The demand model gives each window one break per half-day span; spread over the
    minutes worked, that is a chance proportional to the service just finished."""
    spans = len(demand.break_spans)
    if spans == 0 or demand.break_minutes <= 0:
        return False
    working = (demand.close - demand.open) / spans
    return rng.random() < served_minutes / working


def break_seconds(pace: Pace, demand: Demand) -> float:
    return pace.seconds(demand.break_minutes)


def rating(rng: random.Random) -> dict | None:
    """What the applicant touches on the pad, or None (walked away unrated)."""
    if rng.random() >= PAD_RATES:
        return None
    level = rng.choices([r for r, _ in RATINGS], [w for _, w in RATINGS])[0]
    body: dict = {"rating": level}
    if level <= 2:
        body["reason"] = rng.choice(BAD_REASONS)
    elif rng.random() < 0.4:
        body["dimensions"] = {d: max(1, min(5, level + rng.choice((-1, 0, 0, 1))))
                              for d in ("efficiency", "competence", "attitude")}
    return body


def applicant(rng: random.Random, today: date, green_share: float) -> dict:
    """A made-up applicant with a valid ID number (GB 11643) of the hall's city; the
    demand's green share are 70 or older, which gives them the green channel."""
    age = rng.randint(70, 88) if rng.random() < green_share else rng.randint(22, 66)
    born = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
    first17 = f"{REGION}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    return {"id_number": first17 + check_digit(first17), "name": name}


def staff_names(count: int, seed: int = 7) -> list[str]:
    """Distinct made-up names for the simulated clerks, the same at every start."""
    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in names or len(names) > len(SURNAMES) * len(GIVEN) // 2:
            names.append(name)
    return names


def staffed_windows(layout: Layout, share: float, hand: set[int]) -> list[int]:
    """Which public windows get a simulated clerk: one for every business first (so each
    has someone calling), then evenly spread until `share` of the public windows, never
    the windows left for people to try by hand."""
    public = sorted(n for n, w in layout.windows.items() if w.public and w.open and n not in hand)
    want = max(1, min(len(public), round(share * (len(public) + len(hand)))))
    chosen: list[int] = []
    for code in layout.businesses:
        if any(code in layout.windows[n].businesses for n in chosen):
            continue
        first = next((n for n in public if code in layout.windows[n].businesses), None)
        if first is not None:
            chosen.append(first)
    rest = [n for n in public if n not in chosen]
    need = max(0, want - len(chosen))
    if need and rest:
        step = len(rest) / need
        chosen += [rest[int(i * step)] for i in range(min(need, len(rest)))]
    return sorted(set(chosen))
