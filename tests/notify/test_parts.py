"""The pieces of notification without a database: sealing, phone numbers, templates,
backoff and settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_server.domain.errors import InvalidInput
from queue_server.notify.config import ConfigError, NotifyConfig
from queue_server.notify.phone import mask_phone, normalise_phone
from queue_server.notify.templates import (
    CASE_READY,
    TICKET_NEAR,
    TemplateError,
    Templates,
)
from queue_server.notify.worker import backoff
from queue_server.secrecy import SealError, SecretBox


def test_a_sealed_number_opens_only_with_its_key_and_untouched():
    box = SecretBox(b"k1")
    sealed = box.seal("13812345678")
    assert "13812345678" not in sealed and sealed.startswith("v2.")
    assert box.open(sealed) == "13812345678"
    assert box.seal("13812345678") != sealed  # a fresh nonce each time
    with pytest.raises(SealError):
        SecretBox(b"k2").open(sealed)
    raw = bytearray(sealed.encode())
    raw[10] = ord("A") if raw[10] != ord("A") else ord("B")
    with pytest.raises(SealError):
        box.open(raw.decode())
    with pytest.raises(SealError):
        box.open("v9.abc")
    assert box.open(box.seal("o6_bmjrPTlm6_2sgVt7hMZOPfL2M")) == "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


def test_references_are_stable_keyed_and_not_the_number():
    box = SecretBox(b"k1")
    assert box.ref("13812345678") == box.ref("13812345678") != SecretBox(b"k2").ref("13812345678")
    assert len(box.ref("13812345678")) == 20 and "12345678" not in box.ref("13812345678")


@pytest.mark.parametrize("raw", ["13812345678", "+86 138-1234-5678", "0086 13812345678",
                                 "138 1234 5678"])
def test_phone_numbers_are_normalised(raw):
    assert normalise_phone(raw) == "13812345678"
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "abc", ""])
def test_bad_phone_numbers_are_refused_in_chinese_first(raw):
    with pytest.raises(InvalidInput) as err:
        normalise_phone(raw)
    assert err.value.code == "invalid_phone" and str(err.value).startswith("手机号码")


def test_templates_are_chinese_first_and_name_no_person():
    t = Templates("衡阳市不动产登记中心")
    text = t.render(CASE_READY, case_no="2026112000123", item_name="二手房买卖转移登记")
    assert text.startswith("【衡阳市不动产登记中心】您办理的二手房买卖转移登记（受理号2026112000123）")
    assert text.index("证书已可领取") < text.index("Case 2026112000123 is ready")
    near = t.render(TICKET_NEAR, number="A012", ahead=2, business_name="转移登记")
    assert "A012号前面还有2人" in near


def test_a_hall_replaces_templates_from_toml(tmp_path: Path):
    path = tmp_path / "t.toml"
    path.write_text('sign = "某中心"\n[templates]\nticket_near = "【{sign}】{number}号快到了，前面{ahead}人"\n',
                    encoding="utf-8")
    t = Templates.load("默认", path)
    assert t.render(TICKET_NEAR, number="B003", ahead=1, business_name="x") == \
        "【某中心】B003号快到了，前面1人"
    path.write_text('[templates]\nticket_near = "{number} {id_number}"\n', encoding="utf-8")
    with pytest.raises(TemplateError, match="id_number"):
        Templates.load("默认", path)
    path.write_text('[templates]\nnonsense = "x"\n', encoding="utf-8")
    with pytest.raises(TemplateError, match="未知的消息类型"):
        Templates.load("默认", path)


def test_backoff_doubles_up_to_its_cap():
    assert [backoff(n, 30, 600) for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]


def test_settings_from_the_environment(tmp_path: Path):
    c = NotifyConfig.from_env(tmp_path, {})
    assert c.sms_gateway == "file" and c.sms_file == tmp_path / "sms-outbox.jsonl"
    assert not c.wechat_enabled
    c = NotifyConfig.from_env(tmp_path, {"HALLQ_SMS_GATEWAY": "http", "HALLQ_SMS_URL": "http://x",
                                         "HALLQ_WECHAT_APPID": "a", "HALLQ_WECHAT_SECRET": "s",
                                         "HALLQ_WECHAT_TEMPLATES": "case_ready=T1, ticket_near=T2",
                                         "HALLQ_NOTIFY_MAX_ATTEMPTS": "3"})
    assert c.wechat_enabled and c.wechat_templates == {"case_ready": "T1", "ticket_near": "T2"}
    assert c.max_attempts == 3
    for bad in ({"HALLQ_SMS_GATEWAY": "carrier-pigeon"}, {"HALLQ_SMS_GATEWAY": "http"},
                {"HALLQ_NOTIFY_POLL_SECONDS": "soon"}, {"HALLQ_WECHAT_TEMPLATES": "case_ready"}):
        with pytest.raises(ConfigError):
            NotifyConfig.from_env(tmp_path, bad)
