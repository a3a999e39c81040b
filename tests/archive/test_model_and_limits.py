"""Pure parts of the archive: what `protect` keeps of a unit, the rights summary, and
the token-bucket rate limiter."""

from __future__ import annotations

from datetime import date

import pytest

from queue_server.archive.model import (
    HolderIn,
    MortgageIn,
    PersonIn,
    PrenoticeIn,
    SeizureIn,
    UnitIn,
    protect,
)
from queue_server.archive.views import rights_status
from queue_server.domain.errors import InvalidInput
from queue_server.ratelimit import Limiter, Rate, RateLimited
from tests.cases.helpers import LI, LI_NAME, WANG, WANG_NAME, ZHANG, ZHANG_NAME

KEY = b"archive-test"


def unit(**kw) -> UnitIn:
    base = dict(unit_no="U-1", version=1, location="衡阳市蒸湘区某路1号", use="住宅", area_m2=88.5,
                holders=(HolderIn(ZHANG, ZHANG_NAME, "1/2"), HolderIn(LI, LI_NAME, "1/2")))
    base.update(kw)
    return UnitIn(**base)  # type: ignore[arg-type]


def test_people_in_a_unit_are_hashed_and_masked():
    rec = protect(unit(
        mortgages=(MortgageIn("", 5e5, holder_person=PersonIn(WANG, WANG_NAME)),),
        prenotices=(PrenoticeIn("预购商品房", date(2026, 1, 1), holders=(PersonIn(WANG, WANG_NAME),)),)),
        KEY)
    text = repr(rec)
    for clear in (ZHANG, LI, WANG, ZHANG_NAME, LI_NAME, WANG_NAME):
        assert clear not in text
    assert [(h.kind, h.name_masked, h.share) for h in rec.holders] == [
        ("owner", "张**", "1/2"), ("owner", "李**", "1/2"), ("prenotice", "王**", "")]
    assert rec.encumbrances["mortgages"][0]["holder"] == "王**"
    assert rec.encumbrances["mortgages"][0]["holder_is_person"] is True
    assert rec.encumbrances["prenotices"][0]["holders"] == [
        {"id_masked": "430***********0031", "name_masked": "王**"}]
    assert protect(unit(), KEY).content_hash == protect(unit(), KEY).content_hash
    assert protect(unit(use="商业"), KEY).content_hash != protect(unit(), KEY).content_hash


@pytest.mark.parametrize("bad", [
    dict(unit_no="import"), dict(unit_no="a/b"), dict(location=" "),
    dict(mortgages=(MortgageIn(""),)), dict(seizures=(SeizureIn("法院", date(2026, 1, 1), "gone"),)),
    dict(holders=(HolderIn("123", "某"),)), dict(area_m2=-1.0),
])
def test_bad_units_are_refused(bad):
    with pytest.raises(InvalidInput):
        protect(unit(**bad), KEY)


def test_the_rights_summary_counts_only_active_entries():
    assert rights_status({})["codes"] == []
    assert rights_status({})["text"].startswith("正常")
    s = rights_status({"mortgages": [{"status": "cancelled"}],
                       "seizures": [{"status": "active"}, {"status": "lifted"}],
                       "objections": [{"status": "active"}]})
    assert s["codes"] == ["seizures", "objections"]
    assert s["text"] == "已查封、有异议登记" and s["text_en"] == "seized, objection registered"


class Tick:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_buckets_refill_over_time_and_refuse_all_or_nothing():
    tick = Tick()
    lim = Limiter({"kiosk": Rate(3, 60), "id": Rate(2, 600)}, tick)
    lim.take([("kiosk", "k1"), ("id", "a")])
    lim.take([("kiosk", "k1"), ("id", "a")])
    with pytest.raises(RateLimited) as err:
        lim.take([("kiosk", "k1"), ("id", "a")])  # the ID's bucket is empty
    assert err.value.scope == "id" and err.value.retry_after == 300
    assert err.value.status == 429 and str(err.value).startswith("该身份证号码的查询过于频繁")
    lim.take([("kiosk", "k1"), ("id", "b")])  # the refusal cost the kiosk nothing
    with pytest.raises(RateLimited) as err:
        lim.take([("kiosk", "k1"), ("id", "c")])
    assert err.value.scope == "kiosk" and err.value.retry_after == 20
    tick.t += 20
    lim.take([("kiosk", "k1"), ("id", "c")])
    lim.take([("kiosk", "k2"), ("id", "d")])  # another kiosk has its own bucket


def test_idle_buckets_are_forgotten_when_many():
    tick = Tick()
    lim = Limiter({"id": Rate(1, 10)}, tick)
    lim.MAX_KEYS = 5
    for i in range(6):
        lim.take([("id", str(i))])
    tick.t += 10
    lim.take([("id", "new")])
    assert len(lim._buckets) <= 2


def test_rates_parse():
    assert Rate.parse("30/60") == Rate(30, 60.0)
    for bad in ("0/60", "x/1", "5/-1"):
        with pytest.raises(ValueError):
            Rate.parse(bad)
