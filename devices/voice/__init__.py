"""Voice calling: `from_config(section)` builds an `Announcer`.

    voice = from_config({"driver": "espeak"})
    voice.call("A001", 12)      # "请A零零一号到十二号窗口", queued after a chime
    voice.recall("A001", 12)    # "请A零零一号速到十二号窗口"
    wav = voice.wav("A001", 12) # the same announcement as WAV bytes, for a browser

Options: driver (espeak | sim), voice (cmn-latn-pinyin), speed (200), template,
recall_template, chime (true), chime_only (false), queue_size (16), player (e.g.
"aplay -q -D plughw:1"), output_dir (write WAVs there instead of playing).
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devices.config import DeviceConfigError
from devices.health import Health
from devices.voice.backends import (
    DEFAULT_SPEED,
    DEFAULT_VOICE,
    Backend,
    EspeakBackend,
    EspeakSynth,
    SimBackend,
    VoiceUnavailable,
    announcement_wav,
)
from devices.voice.phrases import (
    DEFAULT_RECALL_TEMPLATE,
    DEFAULT_TEMPLATE,
    Announcement,
    PhraseBook,
)
from devices.voice.queue import AnnouncementQueue, VoiceQueueClosed, VoiceQueueFull

__all__ = [
    "Announcement",
    "Announcer",
    "PhraseBook",
    "SimBackend",
    "VoiceConfigError",
    "VoiceQueueClosed",
    "VoiceQueueFull",
    "VoiceUnavailable",
    "from_config",
]


class VoiceConfigError(DeviceConfigError):
    """The voice section of the configuration is wrong (the device manager then stops the
    kiosk with the file named)."""

    def __init__(self, problem_zh: str, problem_en: str) -> None:
        super().__init__(problem_zh, problem_en, key="voice")


class Announcer:
    def __init__(
        self,
        phrases: PhraseBook,
        queue: AnnouncementQueue,
        synth: EspeakSynth | None,
        *,
        chime: bool = True,
    ) -> None:
        self.phrases = phrases
        self.queue = queue
        self.synth = synth
        self.chime = chime

    @property
    def backend(self) -> Backend:
        return self.queue.backend

    def call(self, number: str, window: int | str) -> Announcement:
        """Queue the call; raises VoiceQueueFull rather than dropping it silently."""
        announcement = self.phrases.announcement(number, window)
        self.queue.submit(announcement)
        return announcement

    def recall(self, number: str, window: int | str) -> Announcement:
        announcement = self.phrases.announcement(number, window, recall=True)
        self.queue.submit(announcement)
        return announcement

    def wav(self, number: str, window: int | str, *, recall: bool = False) -> bytes:
        """Chime + speech as one WAV, for the hall screen's browser to play."""
        announcement = self.phrases.announcement(number, window, recall=recall)
        return announcement_wav(
            announcement.text, self.synth, with_chime=self.chime or not announcement.text
        )

    def wait_idle(self, timeout: float) -> bool:
        return self.queue.wait_idle(timeout)

    def health(self) -> Health:
        return self.queue.health()

    def close(self, timeout: float = 30.0) -> None:
        self.queue.close(timeout)


def _bad(zh: str, en: str) -> VoiceConfigError:
    return VoiceConfigError(zh, en)


_KEYS = {
    "driver",
    "voice",
    "speed",
    "template",
    "recall_template",
    "chime",
    "chime_only",
    "queue_size",
    "player",
    "output_dir",
}


def from_config(section: Mapping[str, Any]) -> Announcer:
    backend_name = section.get("driver")
    if backend_name not in ("espeak", "sim"):
        raise _bad(
            f"未知驱动 {backend_name!r}", f"driver must be espeak or sim, got {backend_name!r}"
        )
    unknown = set(section) - _KEYS
    if unknown:
        raise _bad(f"未知选项 {sorted(unknown)}", f"unknown option(s): {sorted(unknown)}")
    try:
        phrases = PhraseBook(
            template=section.get("template", DEFAULT_TEMPLATE),
            recall_template=section.get("recall_template", DEFAULT_RECALL_TEMPLATE),
            chime_only=bool(section.get("chime_only", False)),
        )
    except ValueError as exc:
        raise _bad("播报模板只能包含 {number} 和 {window}", str(exc)) from None
    speed = section.get("speed", DEFAULT_SPEED)
    if not isinstance(speed, int) or isinstance(speed, bool) or not 80 <= speed <= 450:
        raise _bad("speed 应为 80–450", f"speed must be an integer 80-450, got {speed!r}")
    queue_size = section.get("queue_size", 16)
    if not isinstance(queue_size, int) or isinstance(queue_size, bool) or queue_size < 1:
        raise _bad(
            "queue_size 应为正整数", f"queue_size must be a positive integer, got {queue_size!r}"
        )
    chime = bool(section.get("chime", True))
    if phrases.chime_only and not chime:
        raise _bad("仅提示音模式需要开启提示音", "chime_only needs chime = true")

    espeak = EspeakSynth(section.get("voice", DEFAULT_VOICE), speed)
    # The sim speaks nothing, so it works without espeak-ng; `wav()` then has no engine.
    synth: EspeakSynth | None = espeak if espeak.binary else None
    backend: Backend
    if backend_name == "sim":
        backend = SimBackend()
    else:
        player = section.get("player")
        output_dir = section.get("output_dir")
        if player is not None and not isinstance(player, str | list):
            raise _bad(
                "player 应为命令", f"player must be a command string or list, got {player!r}"
            )
        cmd = shlex.split(player) if isinstance(player, str) else player
        if cmd and shutil.which(cmd[0]) is None:
            raise _bad(f"找不到播放程序 {cmd[0]}", f"player {cmd[0]!r} not found")
        out = Path(output_dir) if output_dir else None
        if out is not None and not out.is_dir():
            raise _bad(f"目录不存在 {output_dir}", f"output_dir {output_dir!r} is not a directory")
        backend = EspeakBackend(espeak, player=cmd, output_dir=out)
    return Announcer(
        phrases, AnnouncementQueue(backend, maxsize=queue_size, chime=chime), synth, chime=chime
    )
