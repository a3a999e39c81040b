"""Turning announcements into sound: espeak-ng speech, a synthesised chime, WAV assembly,
playback, and a simulated backend that records what it was asked to say.

espeak-ng's voice: use `cmn-latn-pinyin`. In espeak-ng 1.51 (Debian 12) the plain `cmn`
voice looks characters up as pinyin with tone digits and then reads those digits with
English rules: 号 comes out as "hao four", 零 as "ling two". `cmn-latn-pinyin` reads
the same pinyin as Mandarin, and with it `phrases.for_espeak` can spell letters in pinyin.
"""

from __future__ import annotations

import io
import logging
import math
import shutil
import subprocess
import tempfile
import threading
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from devices.errors import DeviceError, DeviceTimeout, DeviceUnavailable
from devices.health import Health, HealthState
from devices.voice.phrases import Announcement, for_espeak

log = logging.getLogger(__name__)

DEVICE = "voice"
DEFAULT_VOICE = "cmn-latn-pinyin"
# Words a minute. 200 is brisk but clear for the short, fixed call sentence; the old 140
# made a call 4.5 s of speech, and a hall calling more than 8 a minute fell behind.
DEFAULT_SPEED = 200
SAMPLE_RATE = 22050  # espeak-ng's output rate; the chime is made at the same rate
PLAYERS = (("aplay", "-q"), ("paplay",), ("pw-play",))


class VoiceUnavailable(DeviceUnavailable):
    """The speech engine or the audio player is missing or failing."""


# -- WAV ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pcm:
    rate: int
    channels: int
    width: int  # bytes per sample
    frames: bytes

    @property
    def seconds(self) -> float:
        return len(self.frames) / (self.rate * self.channels * self.width)


def read_wav(data: bytes) -> Pcm:
    with wave.open(io.BytesIO(data), "rb") as w:
        return Pcm(
            w.getframerate(), w.getnchannels(), w.getsampwidth(), w.readframes(w.getnframes())
        )


def write_wav(pcm: Pcm) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(pcm.channels)
        w.setsampwidth(pcm.width)
        w.setframerate(pcm.rate)
        w.writeframes(pcm.frames)
    return buf.getvalue()


def silence(seconds: float, rate: int = SAMPLE_RATE) -> Pcm:
    return Pcm(rate, 1, 2, bytes(2 * round(seconds * rate)))


def concat(parts: list[Pcm]) -> Pcm:
    first = parts[0]
    for p in parts[1:]:
        if (p.rate, p.channels, p.width) != (first.rate, first.channels, first.width):
            raise ValueError("cannot join audio of different formats without resampling")
    return Pcm(first.rate, first.channels, first.width, b"".join(p.frames for p in parts))


CHIME_NOTES = ((659.25, 0.22), (523.25, 0.38))  # E5 then C5: 0.6 s in all
CHIME_PAUSE_S = 0.1  # between the chime and the speech
TAIL_S = 0.15  # players clip the last few ms


def chime(rate: int = SAMPLE_RATE, volume: float = 0.5) -> Pcm:
    """A short two-note ding-dong (E5 then C5) with bell-like decay, made here, not
    downloaded. Short because a busy hall calls more than 8 numbers a minute: the old
    1.4 s chime was a fifth of every clip (issue 15)."""
    samples = array("h")
    for freq, seconds in CHIME_NOTES:
        n = round(seconds * rate)
        decay = 3.0 / seconds  # each note fades to ~5 % by its end, so no click at the cut
        for i in range(n):
            t = i / rate
            envelope = math.exp(-decay * t) * min(1.0, i / (0.005 * rate))  # 5 ms attack
            tone = math.sin(2 * math.pi * freq * t) + 0.35 * math.sin(2 * math.pi * 2 * freq * t)
            samples.append(int(32767 * volume * envelope * tone / 1.35))
    return Pcm(rate, 1, 2, samples.tobytes())


# -- espeak-ng ------------------------------------------------------------------------------


class EspeakSynth:
    """Text to WAV with the espeak-ng command line."""

    def __init__(
        self, voice: str = DEFAULT_VOICE, speed: int = DEFAULT_SPEED, timeout_s: float = 15.0
    ) -> None:
        self.voice = voice
        self.speed = speed
        self.timeout_s = timeout_s
        self.binary = shutil.which("espeak-ng")
        self._check: str | None = None

    def engine_text(self, text: str) -> str:
        return for_espeak(text) if "pinyin" in self.voice else text

    def synthesize(self, text: str) -> Pcm:
        if self.binary is None:
            raise VoiceUnavailable(
                "找不到语音引擎 espeak-ng", "espeak-ng is not installed (apt-get install espeak-ng)"
            )
        with tempfile.TemporaryDirectory(prefix="hallq-voice-") as tmp:
            out = Path(tmp) / "speech.wav"
            # Text goes in on stdin as UTF-8 (-b 1): never parsed as an option, whatever it says.
            cmd = [self.binary, "-v", self.voice, "-s", str(self.speed), "-b", "1", "-w", str(out)]
            try:
                proc = subprocess.run(
                    cmd,
                    input=self.engine_text(text).encode(),
                    capture_output=True,
                    timeout=self.timeout_s,
                )
            except subprocess.TimeoutExpired as exc:
                raise DeviceTimeout(
                    "语音合成超时", f"espeak-ng took longer than {self.timeout_s}s"
                ) from exc
            if proc.returncode != 0 or not out.exists():
                err = proc.stderr.decode(errors="replace").strip()
                raise VoiceUnavailable(
                    "语音合成失败", f"espeak-ng failed ({proc.returncode}): {err}"
                )
            return read_wav(out.read_bytes())

    def check(self) -> str:
        """Empty when usable, else the reason (Chinese first). Asked once: the installed
        voices do not change while the kiosk runs, and health() is polled."""
        if self._check is None:
            self._check = self._run_check()
        return self._check

    def _run_check(self) -> str:
        if self.binary is None:
            return "找不到语音引擎 espeak-ng / espeak-ng is not installed"
        proc = subprocess.run(
            [self.binary, f"--voices={self.voice.split('-')[0]}"], capture_output=True, timeout=5
        )
        names = proc.stdout.decode(errors="replace").split()
        if self.voice not in names:
            return f"espeak-ng 没有语音 {self.voice} / espeak-ng has no voice {self.voice}"
        return ""


def trim_silence(pcm: Pcm, threshold: int = 300, keep_s: float = 0.02) -> Pcm:
    """The speech without espeak-ng's leading and trailing quiet (~0.3 s a clip), keeping
    `keep_s` either side so no syllable is cut. Mono 16-bit only; anything else as given."""
    if pcm.width != 2 or pcm.channels != 1:
        return pcm
    samples = array("h", pcm.frames)
    first = next((i for i, v in enumerate(samples) if abs(v) > threshold), None)
    if first is None:
        return pcm
    last = len(samples) - next(i for i, v in enumerate(reversed(samples)) if abs(v) > threshold)
    keep = round(keep_s * pcm.rate)
    start, end = max(0, first - keep), min(len(samples), last + keep)
    return Pcm(pcm.rate, 1, 2, samples[start:end].tobytes())


def announcement_pcm(text: str, synth: EspeakSynth | None, *, with_chime: bool = True) -> Pcm:
    """Chime, a short pause, then the speech: one clip so nothing can come between them."""
    parts: list[Pcm] = []
    if with_chime:
        parts += [chime(), silence(CHIME_PAUSE_S)]
    if text:
        if synth is None:
            raise VoiceUnavailable("没有语音引擎", "no speech engine configured")
        speech = trim_silence(synth.synthesize(text))
        if with_chime and speech.rate != SAMPLE_RATE:
            parts = [chime(speech.rate), silence(CHIME_PAUSE_S, speech.rate)]
        parts.append(speech)
    if not parts:
        raise ValueError("nothing to say: no text and no chime")
    parts.append(silence(TAIL_S, parts[0].rate))
    return concat(parts)


def announcement_wav(text: str, synth: EspeakSynth | None, *, with_chime: bool = True) -> bytes:
    return write_wav(announcement_pcm(text, synth, with_chime=with_chime))


# -- backends ---------------------------------------------------------------------------------


class Backend(Protocol):
    def speak(self, announcement: Announcement, with_chime: bool) -> None:
        """Say it, returning when the sound has finished."""
        ...

    def health(self) -> Health: ...

    def close(self) -> None: ...


def find_player() -> list[str] | None:
    for cmd in PLAYERS:
        if shutil.which(cmd[0]):
            return list(cmd)
    return None


class EspeakBackend:
    """Speaks through the sound card (a player command such as `aplay -q`), or writes each
    announcement's WAV into `output_dir` (headless halls, the demo, tests)."""

    def __init__(
        self,
        synth: EspeakSynth,
        *,
        player: list[str] | None = None,
        output_dir: Path | None = None,
        play_timeout_s: float = 30.0,
    ) -> None:
        self.synth = synth
        self.output_dir = output_dir
        self.player = player if player is not None or output_dir is not None else find_player()
        self.play_timeout_s = play_timeout_s
        self.written: list[Path] = []
        self._seq = 0
        self._last_error = ""

    def speak(self, announcement: Announcement, with_chime: bool) -> None:
        try:
            data = announcement_wav(announcement.text, self.synth, with_chime=with_chime)
            if self.output_dir is not None:
                self._seq += 1
                path = self.output_dir / f"{self._seq:06d}-{announcement.number}.wav"
                path.write_bytes(data)
                self.written.append(path)
            else:
                self._play(data)
        except DeviceError as exc:
            self._last_error = str(exc)
            raise
        self._last_error = ""

    def _play(self, data: bytes) -> None:
        if not self.player:
            raise VoiceUnavailable(
                "找不到音频播放程序（请安装 alsa-utils）",
                "no audio player found (aplay, paplay, pw-play)",
            )
        with tempfile.NamedTemporaryFile(suffix=".wav") as f:
            f.write(data)
            f.flush()
            try:
                proc = subprocess.run(
                    [*self.player, f.name], capture_output=True, timeout=self.play_timeout_s
                )
            except subprocess.TimeoutExpired as exc:
                raise DeviceTimeout(
                    "播放超时", f"{self.player[0]} did not finish in {self.play_timeout_s}s"
                ) from exc
            except OSError as exc:
                raise VoiceUnavailable(
                    "音频播放失败", f"cannot run {self.player[0]}: {exc}"
                ) from exc
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            raise VoiceUnavailable(
                "音频播放失败，请检查音箱", f"{self.player[0]} failed ({proc.returncode}): {err}"
            )

    def health(self) -> Health:
        reason = self.synth.check()
        if not reason and self.output_dir is None and not self.player:
            reason = "找不到音频播放程序（请安装 alsa-utils） / no audio player found"
        reason = reason or self._last_error
        return (
            Health(DEVICE, HealthState.FAILED, reason) if reason else Health(DEVICE, HealthState.OK)
        )

    def close(self) -> None:
        pass


class SimBackend:
    """Records what it was asked to say. `speak_seconds` makes it take that long, so tests
    can see that announcements never overlap; `fail` makes it raise like a broken speaker."""

    def __init__(self, speak_seconds: float = 0.0) -> None:
        self.speak_seconds = speak_seconds
        self.said: list[Announcement] = []
        self.chimes = 0
        self.overlaps = 0
        self.fail = False
        self._speaking = threading.Lock()

    def speak(self, announcement: Announcement, with_chime: bool) -> None:
        if not self._speaking.acquire(blocking=False):
            self.overlaps += 1
            self._speaking.acquire()
        try:
            if self.fail:
                raise VoiceUnavailable("音频播放失败（模拟）", "audio output failed (simulated)")
            self.chimes += with_chime
            threading.Event().wait(self.speak_seconds)
            self.said.append(announcement)
        finally:
            self._speaking.release()

    def health(self) -> Health:
        if self.fail:
            return Health(
                DEVICE, HealthState.FAILED, "音频播放失败（模拟） / audio output failed (simulated)"
            )
        return Health(DEVICE, HealthState.OK)

    def close(self) -> None:
        pass
