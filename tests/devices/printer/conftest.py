"""Shared ticket data and a byte-level printer simulator for the printer tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from devices.printer.ticket import MaterialsPrint, TicketPrint

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "printer"


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def ticket() -> TicketPrint:
    return TicketPrint(
        hall_name="某市不动产登记中心",
        business_zh="二手房转移登记",
        business_en="Second-hand housing transfer",
        number="A001",
        people_ahead=12,
        expected_wait=(10, 20),
        issued_at=datetime(2024, 5, 1, 1, 30, tzinfo=UTC),  # 09:30 in Shanghai
        follow_url="https://hall.example.cn/t/8f3a9c2d1e0b4a5f",
        window_hint="3–5号窗口",
    )


@pytest.fixture
def materials() -> MaterialsPrint:
    return MaterialsPrint(
        hall_name="某市不动产登记中心",
        business_name="二手房转移登记",
        materials=(
            "不动产权证书原件（或不动产登记证明）",
            "买卖双方身份证原件及复印件，委托办理的另附经公证的授权委托书",
            "网签备案的存量房买卖合同",
            "契税完税凭证",
        ),
        note="材料不全的，请先到咨询台核对",
    )
