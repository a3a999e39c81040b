"""IdCardReader against SamSimulator on a real pty, through pyserial's POSIX port."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from devices.errors import DeviceTimeout, DeviceUnavailable
from devices.health import HealthState
from devices.idcard import codec
from devices.idcard.demo import DEMO_CARDS
from devices.idcard.errors import (
    CardAuthFailed,
    CardRemoved,
    ChecksumMismatch,
    NoCard,
    SamFailed,
    TruncatedFrame,
)
from devices.idcard.factory import from_config, simulated_reader
from devices.idcard.reader import IdCardReader
from devices.idcard.simulator import Fault, SamSimulator

ZHANG, ELDER = DEMO_CARDS["zhang"], DEMO_CARDS["elder"]


def _ops(sim: SamSimulator) -> list[tuple[int, int]]:
    return [(r.cmd, r.para) for r in sim.requests]


def test_read_card_runs_find_select_read(sim: SamSimulator, reader: IdCardReader) -> None:
    assert reader.read_card() == dataclasses.replace(ZHANG, fingerprint=None)
    assert _ops(sim) == [codec.FIND_CARD, codec.SELECT_CARD, codec.READ_TEXT_PHOTO]
    assert reader.health().state is HealthState.OK


def test_fingerprint_read_uses_30_10(sim: SamSimulator) -> None:
    with IdCardReader(sim.port, fingerprint=True) as reader:
        assert reader.read_card() == ZHANG
    assert _ops(sim)[-1] == codec.READ_WITH_FINGERPRINT


def test_foreigner_card(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.lay(DEMO_CARDS["foreigner"])
    assert reader.read_card() == DEMO_CARDS["foreigner"]


def test_poll_returns_each_placement_once(sim: SamSimulator, reader: IdCardReader) -> None:
    assert reader.poll() is not None
    assert reader.poll() is None  # still lying there (and halted)
    assert reader.poll() is None
    sim.lift()
    assert reader.poll() is None
    sim.lay(ELDER)
    card = reader.poll()
    assert card is not None and card.display_name == "王秀英"
    assert reader.poll() is None


def test_poll_with_a_reader_that_keeps_answering_find(tmp_path: Path) -> None:
    with SamSimulator(ZHANG, halt_after_read=False) as sim, IdCardReader(sim.port) as reader:
        assert reader.poll() is not None
        assert reader.poll() is None  # find still says 9F, but it is the same placement
        assert _ops(sim)[-1] == codec.FIND_CARD  # and it was not read again
        sim.lift()
        assert reader.poll() is None
        sim.lay(ZHANG)
        assert reader.poll() is not None


def test_no_card(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.lift()
    assert reader.poll() is None
    with pytest.raises(NoCard) as info:
        reader.read_card()
    assert "未检测到身份证" in str(info.value)


def test_read_card_waits_for_a_card(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.lift()
    timer = threading.Timer(0.3, sim.lay, args=(ELDER,))
    timer.start()
    try:
        assert reader.read_card(wait=10).display_name == "王秀英"
    finally:
        timer.cancel()


def test_corrupt_checksum_is_retried(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.inject(Fault.CORRUPT_CHECKSUM, command=codec.READ_TEXT_PHOTO)
    assert reader.read_card().display_name == "张伟"
    assert _ops(sim).count(codec.READ_TEXT_PHOTO) == 2
    health = reader.health()
    assert health.state is HealthState.DEGRADED and "重试" in health.reason


def test_corrupt_checksum_every_time_fails_typed(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.inject(Fault.CORRUPT_CHECKSUM, times=None, command=codec.READ_TEXT_PHOTO)
    with pytest.raises(ChecksumMismatch):
        reader.read_card()
    assert _ops(sim).count(codec.READ_TEXT_PHOTO) == 1 + reader.settings.retries
    assert reader.health().state is HealthState.FAILED


def test_truncated_answer_is_retried(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.inject(Fault.TRUNCATE, command=codec.READ_TEXT_PHOTO)
    assert reader.read_card().display_name == "张伟"


def test_truncated_every_time(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.inject(Fault.TRUNCATE, times=None, command=codec.FIND_CARD)
    with pytest.raises(TruncatedFrame):
        reader.poll()


def test_garbage_before_the_answer_is_skipped_without_retry(
    sim: SamSimulator, reader: IdCardReader
) -> None:
    sim.inject(Fault.GARBAGE, times=3)
    assert reader.read_card().display_name == "张伟"
    assert len(sim.requests) == 3  # resynchronised on the preamble, nothing re-sent
    assert reader.health().state is HealthState.OK


def test_answer_in_small_pieces(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.inject(Fault.DRIP, command=codec.READ_TEXT_PHOTO)
    assert reader.read_card().display_name == "张伟"


def test_late_answer_is_retried(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.inject(Fault.DELAY, command=codec.SELECT_CARD, delay=reader.settings.find_timeout * 2)
    assert reader.read_card().display_name == "张伟"
    assert _ops(sim).count(codec.SELECT_CARD) >= 2


@pytest.mark.parametrize("op", [codec.READ_TEXT_PHOTO, codec.FIND_CARD])
def test_stale_answer_to_another_command_is_skipped(
    sim: SamSimulator, reader: IdCardReader, op: tuple[int, int]
) -> None:
    sim.inject(Fault.STALE, command=op)
    assert reader.read_card().display_name == "张伟"
    assert len(sim.requests) == 3  # skipped without re-sending


def test_silent_reader_times_out(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.inject(Fault.SILENT, times=None)
    with pytest.raises(DeviceTimeout) as info:
        reader.poll()
    assert str(info.value) == "读卡器无应答 / ID card reader timed out"
    assert len(sim.requests) == 1 + reader.settings.retries
    assert reader.health().state is HealthState.FAILED
    sim.clear_faults()
    assert reader.poll() is not None


def test_card_lifted_mid_read(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.inject(Fault.LIFT_DURING_READ, command=codec.READ_TEXT_PHOTO)
    with pytest.raises(CardRemoved) as info:
        reader.poll()
    assert "重新放置" in info.value.message_zh
    assert reader.poll() is None
    sim.lay(ZHANG)
    assert reader.poll() is not None


def test_bad_card_is_reported_once_per_placement(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.inject(Fault.STATUS, sw3=0x31, times=None, command=codec.READ_TEXT_PHOTO)
    with pytest.raises(CardAuthFailed):
        reader.poll()
    assert reader.poll() is None  # same card still there: not raised every second
    assert reader.health().state is HealthState.OK  # the reader is fine, the card is not
    sim.lift()
    reader.poll()
    sim.lay(ZHANG)
    with pytest.raises(CardAuthFailed):
        reader.poll()


def test_sam_failure_marks_the_reader_failed(sim: SamSimulator, reader: IdCardReader) -> None:
    sim.inject(Fault.STATUS, sw3=0x60, command=codec.FIND_CARD)
    with pytest.raises(SamFailed):
        reader.poll()
    assert reader.health().state is HealthState.FAILED


def test_reader_complaint_about_our_frame_is_retried(
    sim: SamSimulator, reader: IdCardReader
) -> None:
    sim.inject(Fault.STATUS, sw3=0x10, command=codec.SELECT_CARD)
    assert reader.read_card().display_name == "张伟"


def test_unplug_and_replug(sim: SamSimulator, reader: IdCardReader) -> None:
    assert reader.poll() is not None
    sim.unplug()
    with pytest.raises(DeviceUnavailable):
        reader.poll()  # the open port fails
    with pytest.raises(DeviceUnavailable) as info:
        reader.poll()  # and the path is gone
    assert sim.port in str(info.value)
    health = reader.health()
    assert health.state is HealthState.FAILED and sim.port in health.reason
    sim.replug()
    card = reader.poll()  # reopened; after a reconnection the card is read afresh
    assert card is not None and card.display_name == "张伟"


def test_missing_port(tmp_path: Path) -> None:
    reader = IdCardReader(str(tmp_path / "ttyNONE"))
    with pytest.raises(DeviceUnavailable) as info:
        reader.poll()
    assert str(info.value).startswith("无法打开串口")
    assert reader.health().state is HealthState.FAILED


def test_health_probes_an_idle_reader(sim: SamSimulator) -> None:
    with IdCardReader(sim.port) as reader:
        assert reader.health().state is HealthState.OK
    assert _ops(sim) == [codec.SAM_STATUS]


def test_pyserial_url_handler() -> None:
    with IdCardReader("hallqsim://idcard?card=elder") as reader:
        assert reader.read_card().display_name == "王秀英"
    with IdCardReader("hallqsim://idcard?card=nobody") as reader, pytest.raises(DeviceUnavailable):
        reader.poll()


def test_simulated_reader_helper() -> None:
    with simulated_reader(ELDER) as reader:
        assert reader.poll() == ELDER
        reader.simulator.lift()
        assert reader.poll() is None


def test_from_config_sim_and_sam(sim: SamSimulator) -> None:
    with from_config({"driver": "sim", "card": "young"}) as reader:
        assert reader.read_card().display_name == "阿依古丽·买买提"
    with from_config({"driver": "sam", "port": sim.port, "fingerprint": True}) as reader:
        assert reader.read_card() == ZHANG
