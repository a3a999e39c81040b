"""A realistic synthetic data set for the demo and the benchmarks: people of Hengyang,
their flats with mortgages, seizures and pre-notices, and the cases of the last weeks.

Deterministic for a seed, so a benchmark can regenerate the ID numbers it looks up
instead of storing them anywhere. Every person is invented; the data goes through the
same protection as real pushes (hashes, masks, sealed phones).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert

from hallrules.id_number import check_digit
from queue_server.archive import store as unit_store
from queue_server.archive.model import (
    HolderIn,
    MortgageIn,
    ObjectionIn,
    PersonIn,
    PrenoticeIn,
    SeizureIn,
    UnitIn,
)
from queue_server.archive.model import (
    protect as protect_unit,
)
from queue_server.cases import store as case_store
from queue_server.cases.model import ApplicantIn, CaseIn, StepIn
from queue_server.cases.model import protect as protect_case
from queue_server.cases.steps import PATH, Step
from queue_server.domain.identity import id_hash, normalise_id_number
from queue_server.domain.workdays import CalendarYearMissing, WorkCalendar
from queue_server.evidence import CardEvidence, card_hash
from queue_server.secrecy import SecretBox
from queue_server.store.tables import id_cards
from queue_server.workcalendar import load_work_calendar

# Hengyang's districts and counties (GB/T 2260), the first six digits of local ID numbers.
DISTRICTS = {"430405": "珠晖区", "430406": "雁峰区", "430407": "石鼓区", "430408": "蒸湘区",
             "430412": "南岳区", "430421": "衡阳县", "430422": "衡南县", "430481": "耒阳市"}
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严覃武"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕文军红梅玉兰国平德明小红春生秋菊冬梅湘衡岳雁蒸"
STREETS = ["解放大道", "蒸湘南路", "船山大道", "先锋路", "衡州大道", "华新大道", "立新大道",
           "光辉街", "中山北路", "延安路", "常胜西路", "红湘北路"]
ESTATES = ["华新苑", "湘江花园", "雁城名居", "船山雅苑", "蒸水湾", "岳屏新城", "珠江花城",
           "来雁新城", "白沙洲小区", "衡州府邸"]
BANKS = ["中国工商银行衡阳分行", "中国建设银行衡阳分行", "中国农业银行衡阳分行", "中国银行衡阳分行",
         "衡阳农村商业银行", "华融湘江银行衡阳分行", "交通银行衡阳分行", "衡阳市住房公积金管理中心"]
COURTS = ["衡阳市中级人民法院", "衡阳市蒸湘区人民法院", "衡阳市石鼓区人民法院",
          "衡阳市雁峰区人民法院", "衡阳市珠晖区人民法院", "衡南县人民法院"]
USES = [("住宅", 80), ("商业", 8), ("办公", 5), ("车库", 7)]
# (catalogue code, name, time limit in working days, weight): the hall's usual mix.
ITEMS = [("second_hand_sale", "二手房买卖转移登记", 5, 22), ("second_hand_loan", "二手房按揭买卖", 5, 12),
         ("new_house_transfer", "新建商品房转移登记", 5, 18), ("new_house_loan", "新建商品房按揭购房", 5, 10),
         ("mortgage_general", "一般抵押权首次登记", 3, 14), ("mortgage_cancel", "抵押权注销登记", 1, 9),
         ("inheritance", "继承转移登记", 5, 4), ("change_name_id", "权利人姓名、身份证明号码变更登记", 5, 4),
         ("pre_purchase", "预购商品房预告登记", 3, 5), ("cert_reissue", "不动产权证书补发", 5, 2)]
REFUSALS = ["申请材料不齐全，缺少完税证明", "申请人身份与登记簿记载不一致", "不动产已被查封，暂停办理",
            "共有人未到场且无有效委托书"]
T = TypeVar("T")


@dataclass(frozen=True)
class Person:
    id_number: str
    name: str
    phone: str


@dataclass
class DemoSet:
    people: list[Person]
    units: list[UnitIn]
    cases: list[CaseIn]


def id_number(rng: random.Random) -> str:
    birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 62))
    body = f"{rng.choice(list(DISTRICTS))}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + check_digit(body)


def person(rng: random.Random) -> Person:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    phone = f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}"
    return Person(id_number(rng), name, phone)


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _unit(rng: random.Random, n: int, people: list[Person], today: date) -> UnitIn:
    district = rng.choice(list(DISTRICTS))
    building, room = rng.randrange(1, 40), rng.randrange(101, 3305)
    unit_no = f"{district}{rng.randrange(1, 20):03d}{rng.randrange(1, 30):03d}GB{n:05d}F" \
              f"{building:04d}{room:04d}"[:40]
    use = _weighted(rng, USES)
    location = (f"衡阳市{DISTRICTS[district]}{rng.choice(STREETS)}{rng.randrange(1, 400)}号"
                f"{rng.choice(ESTATES)}{building}栋{rng.randrange(1, 5)}单元{room}室")
    owners = rng.sample(people, rng.choices((1, 2, 3), weights=(60, 35, 5))[0])
    share = {1: "单独所有", 2: "共同共有"}.get(len(owners), "按份共有 1/3")
    holders = tuple(HolderIn(p.id_number, p.name, share) for p in owners)
    bought = today - timedelta(days=rng.randrange(30, 365 * 20))
    mortgages = []
    if rng.random() < 0.45:
        years = rng.choice((10, 15, 20, 25, 30))
        end = bought.replace(year=bought.year + years) if bought.month != 2 or bought.day != 29 \
            else date(bought.year + years, 3, 1)
        mortgages.append(MortgageIn(rng.choice(BANKS), float(rng.randrange(200, 1500) * 1000),
                                    bought, end, "active" if end > today else "cancelled",
                                    f"湘({bought.year})衡阳市不动产证明第{rng.randrange(1, 10**7):07d}号"))
    seizures = []
    if rng.random() < 0.012:
        on = today - timedelta(days=rng.randrange(1, 900))
        seizures.append(SeizureIn(rng.choice(COURTS), on, rng.choice(("active", "active", "lifted")),
                                  rng.choice(("查封", "轮候查封")),
                                  f"({on.year})湘04执{rng.randrange(1, 3000)}号",
                                  on + timedelta(days=365 * 3)))
    objections = [ObjectionIn(today - timedelta(days=rng.randrange(1, 60)), "active")] \
        if rng.random() < 0.003 else []
    prenotices = [PrenoticeIn("预购商品房", today - timedelta(days=rng.randrange(1, 400)),
                              "active", (PersonIn(owners[0].id_number, owners[0].name),))] \
        if rng.random() < 0.05 else []
    return UnitIn(unit_no=unit_no, version=1, location=location, use=use,
                  area_m2=round(rng.uniform(12 if use == "车库" else 40, 180), 2),
                  certificate_no=f"湘({bought.year})衡阳市不动产权第{rng.randrange(1, 10**7):07d}号",
                  holders=holders, mortgages=tuple(mortgages), seizures=tuple(seizures),
                  objections=tuple(objections), prenotices=tuple(prenotices))


def _due_known(calendar: WorkCalendar, accepted: date, days: int) -> bool:
    try:
        calendar.add_workdays(accepted, days)
    except CalendarYearMissing:
        return False
    return True


def _case(rng: random.Random, n: int, people: list[Person], now: datetime, tz: ZoneInfo,
          calendar: WorkCalendar) -> CaseIn:
    code, name, days, _ = rng.choices(ITEMS, weights=[i[3] for i in ITEMS])[0]
    today = now.astimezone(tz).date()
    accepted_day = today - timedelta(days=rng.randrange(0, 30))
    # Late in the year, before next year's holidays are in, a due date may fall past the
    # calendar's data and be refused: the demo accepts such a case earlier instead.
    while not calendar.is_workday(accepted_day) or not _due_known(calendar, accepted_day, days):
        accepted_day -= timedelta(days=1)
    accepted = datetime.combine(accepted_day, time(rng.randrange(8, 17), rng.randrange(60)),
                                tz)
    if accepted > now:
        accepted = now - timedelta(minutes=rng.randrange(1, 60))
    elapsed = calendar.workdays_between(accepted_day, today)
    # Most cases keep pace with their time limit; some stall in review (the overdue ones).
    pace = rng.choice((1.0, 1.0, 1.0, 1.3, 0.4))
    done = min(len(PATH), 1 + int((elapsed + 1) * pace * (len(PATH) - 2) / max(days, 1)))
    steps = []
    at = accepted
    refused = rng.random() < 0.03 and elapsed > 0
    for seq, step in enumerate(PATH[:done], start=1):
        steps.append(StepIn(seq, step, at))
        at = min(now, at + timedelta(hours=rng.uniform(2, 20)))
    if refused:
        steps.append(StepIn(len(steps) + 1, Step.REFUSED, at, reason=rng.choice(REFUSALS)))
    applicants = tuple(ApplicantIn(p.id_number, p.name, p.phone if rng.random() < 0.8 else None,
                                   None, "申请人")
                       for p in rng.sample(people, rng.choices((1, 2), weights=(55, 45))[0]))
    return CaseIn(case_no=f"{accepted_day:%Y%m%d}{n:06d}", version=1, item=code,
                  item_name=name, accepted_at=accepted, applicants=applicants,
                  steps=tuple(steps), time_limit_days=days)


def demo_card(id_number: str) -> CardEvidence:
    """A made-up card for a demo person, the same every time: the back office's copy is
    loaded with the rest, so the demo's lookups need the card's data as real ones do."""
    start = date(2010, 1, 1) + timedelta(days=int(id_number[6:14]) % 3650)
    return CardEvidence("衡阳市公安局演示分局", start, start.replace(year=start.year + 20))


def card_json(id_number: str) -> dict[str, str]:
    """The demo card as a kiosk sends it (`card` of the lookups)."""
    c = demo_card(id_number)
    assert c.valid_to is not None
    return {"authority": c.authority, "valid_from": c.valid_from.isoformat(),
            "valid_to": c.valid_to.isoformat()}


def generate(*, units: int, cases: int, seed: int, now: datetime, tz: ZoneInfo,
             calendar: WorkCalendar | None = None) -> DemoSet:
    rng = random.Random(seed)
    cal = calendar or load_work_calendar()  # the real holidays: demo due dates look right
    people = [person(rng) for _ in range(max(10, int(units * 1.1)))]
    today = now.astimezone(tz).date()
    unit_list = [_unit(rng, n, people, today) for n in range(units)]
    case_list = [_case(rng, n, people, now, tz, cal) for n in range(cases)]
    return DemoSet(people, unit_list, case_list)


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def load(engine: Engine, demo: DemoSet, *, key: bytes, now: datetime, tz: ZoneInfo,
         calendar: WorkCalendar | None = None, batch: int = 2000) -> None:
    """Bulk insert into empty tables: many rows per statement, no messages sent."""
    box = SecretBox(key)
    cal = calendar or load_work_calendar()  # the real holidays: demo due dates look right
    catalogue = {code: (name, days) for code, name, days, _ in ITEMS}
    for units in _batches(demo.units, batch):
        with engine.begin() as conn:
            unit_store.insert_new(conn, [protect_unit(u, key) for u in units], now)
    for people in _batches(demo.people, batch):
        rows = []
        for p in people:
            subject = id_hash(normalise_id_number(p.id_number), key)
            rows.append({"id_hash": subject, "updated_at": now,
                         "card_hash": card_hash(key, subject, demo_card(p.id_number))})
        with engine.begin() as conn:
            conn.execute(insert(id_cards), rows)
    for cases in _batches(demo.cases, batch):
        records = [protect_case(c, key=key, box=box, calendar=cal,
                                local_accept_day=c.accepted_at.astimezone(tz).date(),
                                catalogue=catalogue) for c in cases]
        with engine.begin() as conn:
            case_store.insert_new(conn, records, now)
