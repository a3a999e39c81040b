"""Message templates, Chinese first and English second.

Templates name their blanks `{like_this}`; only the blanks of each kind may be used,
and none of them is personal data: a message names the case or the ticket, never the
person. A hall replaces any template from a TOML file (`HALLQ_NOTIFY_TEMPLATES`):

    [templates]
    case_ready = "【{sign}】您的不动产登记（受理号{case_no}）已可领证……"
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CASE_READY = "case_ready"
TICKET_NEAR = "ticket_near"
TICKET_CALLED = "ticket_called"
BOOKING_CODE = "booking_code"
BOOKING_MADE = "booking_made"
LOOKUP_CODE = "lookup_code"
BOOKING_REMIND = "booking_remind"
VISIT_RECEIVED = "visit_received"
VISIT_SCHEDULED = "visit_scheduled"

BLANKS: dict[str, frozenset[str]] = {
    CASE_READY: frozenset({"sign", "case_no", "item_name"}),
    TICKET_NEAR: frozenset({"sign", "number", "ahead", "business_name"}),
    TICKET_CALLED: frozenset({"sign", "number", "window"}),
    BOOKING_CODE: frozenset({"sign", "code", "minutes"}),
    BOOKING_MADE: frozenset({"sign", "business_name", "when", "booking", "link"}),
    LOOKUP_CODE: frozenset({"sign", "code", "minutes"}),
    BOOKING_REMIND: frozenset({"sign", "business_name", "when", "booking", "link"}),
    VISIT_RECEIVED: frozenset({"sign", "business_name", "visit"}),
    VISIT_SCHEDULED: frozenset({"sign", "business_name", "visit", "when", "team"}),
}

DEFAULTS: dict[str, str] = {
    CASE_READY: ("【{sign}】您办理的{item_name}（受理号{case_no}）证书已可领取，请本人携带身份证和"
                 "受理回执到领证窗口领取。Case {case_no} is ready: collect the certificate at the "
                 "hall with your ID card and receipt."),
    TICKET_NEAR: ("【{sign}】您的{number}号前面还有{ahead}人，请尽快回到大厅留意叫号。"
                  "Ticket {number}: {ahead} ahead of you, please return to the hall."),
    TICKET_CALLED: ("【{sign}】请{number}号到{window}号窗口办理。"
                    "Ticket {number}: please go to window {window}."),
    BOOKING_CODE: ("【{sign}】预约验证码 {code}，{minutes} 分钟内有效，请勿告诉他人。"
                   "Booking code {code}, valid {minutes} min; do not share it."),
    BOOKING_MADE: ("【{sign}】您已预约{business_name}，{when}，预约号{booking}。到厅请在自助机扫预约码"
                   "签到：{link} Booked {when}, booking {booking}; scan the QR at the kiosk: "
                   "{link}"),
    LOOKUP_CODE: ("【{sign}】您正在大厅自助机查询本人不动产登记信息，验证码 {code}，{minutes} 分钟内有效。"
                  "如非本人操作，请勿告诉他人。Kiosk lookup code {code}, valid {minutes} min; "
                  "if this is not you, tell no one."),
    BOOKING_REMIND: ("【{sign}】温馨提醒：您预约了明天{when}办理{business_name}（预约号{booking}），请带齐"
                     "身份证和材料，按时到厅在自助机扫码签到；不能来请提前取消：{link} Reminder: "
                     "booking {booking} is tomorrow, {when}; bring your ID card; cancel if you "
                     "cannot come: {link}"),
    VISIT_RECEIVED: ("【{sign}】已收到您的{business_name}上门服务申请（编号{visit}），工作人员安排好后"
                     "会再发短信告知上门时间。Home-visit request {visit} received; we will text "
                     "you the visit time."),
    VISIT_SCHEDULED: ("【{sign}】{team}将于{when}上门为您办理{business_name}（编号{visit}），请"
                      "备好身份证和材料并保持电话畅通。Home visit {visit}: {when}; please have "
                      "your ID card ready."),
}


class TemplateError(ValueError):
    pass


def _blanks(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise TemplateError(f"模板格式错误 / malformed template: {exc}") from None


def check(kind: str, text: str) -> None:
    if kind not in BLANKS:
        raise TemplateError(f"未知的消息类型 {kind} / unknown message kind {kind}")
    unknown = _blanks(text) - BLANKS[kind]
    if unknown:
        names = ", ".join(sorted(unknown))
        allowed = ", ".join(sorted(BLANKS[kind]))
        raise TemplateError(f"模板 {kind} 含未知占位符 {names}（可用：{allowed}）/ template {kind} "
                            f"uses unknown blanks {names} (allowed: {allowed})")


@dataclass(frozen=True)
class Templates:
    sign: str  # the SMS signature, 【…】, usually the centre's name
    texts: dict[str, str] = field(default_factory=lambda: dict(DEFAULTS))

    def render(self, kind: str, **values: object) -> str:
        return self.texts[kind].format(sign=self.sign, **values)

    @classmethod
    def load(cls, sign: str, path: Path | None) -> Templates:
        texts = dict(DEFAULTS)
        if path is not None:
            with path.open("rb") as f:
                data = tomllib.load(f)
            for kind, text in data.get("templates", {}).items():
                if not isinstance(text, str):
                    raise TemplateError(f"模板 {kind} 应为字符串 / template {kind} must be a string")
                check(kind, text)
                texts[kind] = text
            sign = str(data.get("sign", sign))
        return cls(sign, texts)
