"""The announcement queue: in order, never overlapping, never silently dropped."""

from __future__ import annotations

import threading

import pytest

from devices.health import HealthState
from devices.voice import VoiceQueueClosed, VoiceQueueFull, from_config
from devices.voice.backends import SimBackend
from devices.voice.phrases import PhraseBook
from devices.voice.queue import AnnouncementQueue

BOOK = PhraseBook()


class GatedBackend(SimBackend):
    """Holds the first announcement 'on air' until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.started = threading.Event()

    def speak(self, announcement, with_chime: bool) -> None:
        self.started.set()
        self.gate.wait(5)
        super().speak(announcement, with_chime)


def test_simultaneous_calls_are_spoken_one_after_another() -> None:
    backend = SimBackend(speak_seconds=0.01)
    queue = AnnouncementQueue(backend)
    callers = [
        threading.Thread(target=queue.submit, args=(BOOK.announcement(f"A{i:03d}", i + 1),))
        for i in range(8)
    ]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert queue.wait_idle(5)
    assert sorted(a.number for a in backend.said) == [f"A{i:03d}" for i in range(8)]
    assert backend.overlaps == 0
    assert backend.chimes == 8
    queue.close()


def test_order_is_first_come_first_said() -> None:
    backend = GatedBackend()
    queue = AnnouncementQueue(backend)
    for window, number in enumerate(("A001", "A002", "B001"), start=1):
        queue.submit(BOOK.announcement(number, window))
    backend.gate.set()
    assert queue.wait_idle(5)
    assert [a.number for a in backend.said] == ["A001", "A002", "B001"]
    queue.close()


def test_recall_of_a_waiting_call_is_absorbed_and_a_new_window_replaces_in_place() -> None:
    backend = GatedBackend()
    queue = AnnouncementQueue(backend)
    queue.submit(BOOK.announcement("A001", 1))  # on air, held
    assert backend.started.wait(5)
    queue.submit(BOOK.announcement("A002", 2))
    queue.submit(BOOK.announcement("A003", 3))
    queue.submit(BOOK.announcement("A002", 2, recall=True))  # not said yet: nothing to add
    queue.submit(BOOK.announcement("A003", 5))  # moved to window 5 before being called
    assert [(a.number, a.window, a.recall) for a in queue.pending()] == [
        ("A002", "2", False),
        ("A003", "5", False),
    ]
    queue.submit(BOOK.announcement("A001", 1, recall=True))  # A001 is on air: a real recall
    backend.gate.set()
    assert queue.wait_idle(5)
    assert [(a.number, a.window, a.recall) for a in backend.said] == [
        ("A001", "1", False),
        ("A002", "2", False),
        ("A003", "5", False),
        ("A001", "1", True),
    ]
    queue.close()


def test_a_newer_call_at_a_window_makes_its_waiting_call_obsolete() -> None:
    # Issue 15: 15 calls in a second were said over 104 s, some for tickets long gone.
    backend = GatedBackend()
    queue = AnnouncementQueue(backend)
    queue.submit(BOOK.announcement("A001", 1))  # on air, held
    assert backend.started.wait(5)
    queue.submit(BOOK.announcement("A002", 2))
    queue.submit(BOOK.announcement("B001", 3))
    queue.submit(BOOK.announcement("A003", 2))  # window 2 has moved on: A002 is not said
    assert [(a.number, a.window) for a in queue.pending()] == [("B001", "3"), ("A003", "2")]
    backend.gate.set()
    assert queue.wait_idle(5)
    assert [a.number for a in backend.said] == ["A001", "B001", "A003"]
    assert [a.number for a in queue.dropped] == ["A002"]
    queue.close()


def test_a_ticket_started_or_ended_before_its_turn_is_not_announced() -> None:
    backend = GatedBackend()
    done: set[str] = set()  # tickets started, completed, cancelled or no-show since
    queue = AnnouncementQueue(backend, stands=lambda a: a.number not in done)
    queue.submit(BOOK.announcement("A001", 1))
    assert backend.started.wait(5)
    for window, number in ((2, "A002"), (3, "A003"), (4, "A004")):
        queue.submit(BOOK.announcement(number, window))
    done.update({"A002", "A004"})  # they saw the screen and walked up while A001 was said
    backend.gate.set()
    assert queue.wait_idle(5)
    assert [a.number for a in backend.said] == ["A001", "A003"]
    assert [a.number for a in queue.dropped] == ["A002", "A004"]
    queue.close()


def test_full_queue_refuses_loudly_and_keeps_what_it_has() -> None:
    backend = GatedBackend()
    queue = AnnouncementQueue(backend, maxsize=2)
    queue.submit(BOOK.announcement("A001", 1))
    assert backend.started.wait(5)
    queue.submit(BOOK.announcement("A002", 2))
    queue.submit(BOOK.announcement("A003", 3))
    with pytest.raises(VoiceQueueFull) as err:
        queue.submit(BOOK.announcement("A004", 4))
    assert str(err.value).startswith("语音播报排队已满")
    queue.submit(BOOK.announcement("A003", 3, recall=True))  # coalescing still works when full
    backend.gate.set()
    assert queue.wait_idle(5)
    assert [a.number for a in backend.said] == ["A001", "A002", "A003"]
    queue.close()


def test_a_failing_speaker_does_not_stop_the_announcer() -> None:
    backend = SimBackend()
    queue = AnnouncementQueue(backend)
    backend.fail = True
    queue.submit(BOOK.announcement("A001", 1))
    assert queue.wait_idle(5)
    assert queue.health().state is HealthState.FAILED
    backend.fail = False
    queue.submit(BOOK.announcement("A002", 1))
    assert queue.wait_idle(5)
    assert [a.number for a in backend.said] == ["A002"]
    assert queue.health().state is HealthState.OK
    queue.close()


def test_close_finishes_the_queue_then_refuses() -> None:
    backend = SimBackend(speak_seconds=0.01)
    queue = AnnouncementQueue(backend)
    for window, number in enumerate(("A001", "A002", "A003"), start=1):
        queue.submit(BOOK.announcement(number, window))
    queue.close(timeout=5)
    assert [a.number for a in backend.said] == ["A001", "A002", "A003"]
    with pytest.raises(VoiceQueueClosed):
        queue.submit(BOOK.announcement("A004", 1))


def test_sim_announcer_from_config() -> None:
    voice = from_config({"driver": "sim", "template": "{number}号请到{window}"})
    said = voice.call("A001", 12)
    assert said.text == "A零零一号请到十二号窗口"
    assert voice.wait_idle(5)
    assert voice.backend.said == [said]
    voice.close()


def test_chime_only_mode_chimes_without_words() -> None:
    voice = from_config({"driver": "sim", "chime_only": True})
    voice.call("A001", 12)
    assert voice.wait_idle(5)
    assert voice.backend.said[0].text == "" and voice.backend.chimes == 1
    voice.close()


@pytest.mark.parametrize(
    ("section", "fragment"),
    [
        ({"driver": "gtts"}, "driver must be"),
        ({"driver": "sim", "volume": 3}, "unknown option"),
        ({"driver": "sim", "template": "{who}"}, "only"),
        ({"driver": "sim", "speed": 20}, "speed"),
        ({"driver": "sim", "queue_size": 0}, "queue_size"),
        ({"driver": "sim", "chime_only": True, "chime": False}, "chime_only"),
        ({"driver": "espeak", "player": "no-such-player -q"}, "not found"),
        ({"driver": "espeak", "output_dir": "/no/such/dir"}, "not a directory"),
    ],
)
def test_bad_config(section: dict, fragment: str) -> None:
    from devices.voice import VoiceConfigError

    with pytest.raises(VoiceConfigError) as err:
        from_config(section)
    assert str(err.value).startswith("设备配置错误 键 voice：") and fragment in str(err.value)
