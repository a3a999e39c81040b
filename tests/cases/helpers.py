"""Shared by the cases, archive and notify tests: invented people, pushes, and the
privacy probes (every table dumped as text)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, inspect, select, text

from hallrules.id_number import check_digit
from queue_server.store.tables import metadata


def valid_id(first17: str) -> str:
    return first17 + check_digit(first17)


# Invented people. Names long enough that no mask or substring of other text hides them.
ZHANG = valid_id("43040819620314231")
ZHANG_NAME = "张三丰"
LI = valid_id("43040519750822102")
LI_NAME = "李秀英"
WANG = valid_id("43042119880101003")
WANG_NAME = "王建国"
PHONE_ZHANG = "13812345678"
PHONE_LI = "15987654321"

T_ACCEPT = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # Friday 09:30 in Shanghai


def case_body(version: int = 1, *, steps: list[dict[str, Any]] | None = None,
              applicants: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": version, "item": "second_hand_sale", "item_name": "二手房买卖转移登记",
        "accepted_at": T_ACCEPT.isoformat(), "time_limit_days": 5,
        "applicants": applicants if applicants is not None else [
            {"id_number": ZHANG, "name": ZHANG_NAME, "phone": PHONE_ZHANG, "role": "买方"},
            {"id_number": LI, "name": LI_NAME, "phone": PHONE_LI, "role": "卖方"}],
        "steps": steps if steps is not None else [
            {"seq": 1, "step": "accepted", "at": T_ACCEPT.isoformat()}],
    }
    body.update(extra)
    return body


def step(seq: int, name: str, at: datetime | None = None, **extra: Any) -> dict[str, Any]:
    return {"seq": seq, "step": name, "at": (at or T_ACCEPT).isoformat(), **extra}


def unit_body(version: int = 1, *, holders: list[dict[str, Any]] | None = None,
              **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": version, "location": "衡阳市蒸湘区解放大道88号华新苑3栋2单元1201室",
        "use": "住宅", "area_m2": 98.76, "certificate_no": "湘(2019)衡阳市不动产权第0012345号",
        "holders": holders if holders is not None else [
            {"id_number": ZHANG, "name": ZHANG_NAME, "share": "共同共有"},
            {"id_number": LI, "name": LI_NAME, "share": "共同共有"}],
        "mortgages": [{"holder": "中国建设银行衡阳分行", "amount_yuan": 600000, "term_start":
                       "2019-05-01", "term_end": "2039-05-01", "certificate_no": "湘证明001"}],
        "seizures": [], "objections": [], "prenotices": [],
    }
    body.update(extra)
    return body


def dump_database(engine: Engine) -> str:
    """Every row of every table, as one text: what a stolen database copy would reveal."""
    out = []
    names = inspect(engine).get_table_names()
    with engine.connect() as conn:
        for name in names:
            table = metadata.tables.get(name)
            if table is None:  # alembic_version and the like
                rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
            else:
                rows = conn.execute(select(table)).all()
            out.extend(f"{name}: {tuple(r)}" for r in rows)
    return "\n".join(out)


def secrets_in(blob: str, *values: str) -> list[str]:
    """Which of the clear values appear in the blob (ID numbers in either case)."""
    found = []
    for v in values:
        if v in blob or v.lower() in blob:
            found.append(v)
    return found


CLEAR_VALUES = (ZHANG, LI, WANG, ZHANG_NAME, LI_NAME, WANG_NAME, "三丰", "秀英", "建国",
                PHONE_ZHANG, PHONE_LI)


# What each invented person's ID card chip holds besides the number: the back office
# holds the same (PUT /id-cards), and a kiosk proves the card is on its reader with it.
CARDS: dict[str, dict[str, Any]] = {
    ZHANG: {"authority": "衡阳市公安局石鼓分局", "valid_from": "2012-03-14", "valid_to": None},
    LI: {"authority": "衡阳市公安局珠晖分局", "valid_from": "2019-08-22",
         "valid_to": "2039-08-22"},
    WANG: {"authority": "衡南县公安局", "valid_from": "2020-01-01", "valid_to": "2040-01-01"},
}


def card(id_number: str) -> dict[str, Any]:
    return CARDS[id_number.upper()]


def card_header(id_number: str) -> str:
    """The card as the X-Card-Evidence header of GET /cases/{case_no}: base64url JSON."""
    import base64
    import json
    raw = json.dumps(card(id_number), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def register_cards(c: Any, reg: dict[str, str]) -> None:
    """The back office pushes the cards of the invented people."""
    r = c.put("/api/v1/id-cards", json={"cards": [{"id_number": n, **v}
                                                  for n, v in CARDS.items()]}, headers=reg)
    assert r.status_code == 200, r.text
