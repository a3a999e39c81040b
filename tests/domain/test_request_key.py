"""Issuing with a request key: the same request again gets the same ticket, never a second."""

import pytest

from queue_server.domain.errors import InvalidInput
from queue_server.domain.identity import KeptApplicant
from queue_server.domain.state import HallState
from queue_server.domain.tickets import Status
from tests.domain.helpers import KEY, T0, Driver
from tests.domain.test_lifecycle import young_id


def test_the_same_key_gets_the_same_ticket_whatever_happened_to_it():
    d = Driver()
    first = d.issue("transfer", request_key="k1:a")
    d.call(1)
    change = d.state.issue("transfer", d.now, ticket_id="other", actor="kiosk:test",
                           request_key="k1:a")
    assert not (change.tickets or change.events or change.sequences)  # nothing to store
    again = change.result
    assert again is not None and again.id == first.id and again.status is Status.CALLED
    assert d.issue("transfer").number == "A002"  # the number was not used up


def test_another_key_or_no_key_issues_a_new_ticket():
    d = Driver()
    numbers = [d.issue("transfer", request_key="k1:a").number,
               d.issue("transfer", request_key="k2:a").number,
               d.issue("transfer").number, d.issue("transfer").number]
    assert numbers == ["A001", "A002", "A003", "A004"]


def test_a_key_reused_for_another_request_is_refused():
    d = Driver()
    applicant = KeptApplicant.from_id(young_id(), "张三", KEY)
    d.issue("transfer", request_key="k1:a", applicant=applicant)
    with pytest.raises(InvalidInput) as refused:
        d.issue("mortgage", request_key="k1:a", applicant=applicant)
    assert refused.value.code == "request_key_reused"
    with pytest.raises(InvalidInput):
        d.issue("transfer", request_key="k1:a")  # the same business for somebody else


def test_keys_come_back_with_the_day_and_end_with_it():
    d = Driver()
    first = d.issue("transfer", request_key="k1:a")
    loaded = HallState(d.layout, d.state.day, tickets=d.state.tickets.values())
    assert loaded.issue("transfer", T0, ticket_id="x", actor="kiosk:test",
                        request_key="k1:a").result == first
    d.state.apply(d.state.close_day(T0, d.state.day.replace(day=d.state.day.day + 1)))
    assert d.state.request_keys == {}
