"""Real audio: the synthesised chime and espeak-ng speaking Mandarin."""

from __future__ import annotations

import subprocess
from array import array
from pathlib import Path

import pytest

from devices.health import HealthState
from devices.voice import from_config
from devices.voice.backends import (
    DEFAULT_VOICE,
    EspeakSynth,
    Pcm,
    announcement_pcm,
    chime,
    read_wav,
    silence,
    trim_silence,
)
from devices.voice.phrases import PhraseBook

CALL = PhraseBook().text("A001", 12)  # 请A零零一号到十二号窗口


def rms(pcm: Pcm) -> float:
    samples = array("h", pcm.frames)
    return (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5


def test_chime_is_audible_unclipped_and_starts_without_a_click() -> None:
    bell = chime()
    samples = array("h", bell.frames)
    # Short (issue 15: the old 1.4 s chime was a fifth of every clip), still two notes.
    assert 0.4 < bell.seconds < 0.8
    assert rms(bell) > 1000
    assert max(abs(s) for s in samples) < 32000
    assert abs(samples[0]) < 100


def test_espeak_speaks_the_call_in_mandarin() -> None:
    speech = EspeakSynth().synthesize(CALL)
    assert (speech.rate, speech.channels, speech.width) == (22050, 1, 2)
    # 13 syllables read slowly: a few seconds, not a blip and not a minute of garbage.
    assert 2.5 < speech.seconds < 9.0
    assert rms(speech) > 500


def test_the_voice_reads_every_syllable_as_mandarin() -> None:
    # espeak-ng's `cmn` voice switches to English for tone digits ("hao four"); ours must not.
    text = EspeakSynth().engine_text(CALL)
    phonemes = subprocess.run(
        ["espeak-ng", "-v", DEFAULT_VOICE, "-q", "-x", "-b", "1"],
        input=text.encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "(en)" not in phonemes
    assert phonemes.count("_|") >= 12  # one break per syllable or more


def test_announcement_is_chime_pause_then_speech() -> None:
    synth = EspeakSynth()
    clip = announcement_pcm(CALL, synth)
    bell = chime()
    assert clip.frames.startswith(bell.frames)
    speech = trim_silence(synth.synthesize(CALL))
    assert clip.seconds == pytest.approx(bell.seconds + 0.1 + speech.seconds + 0.15, abs=0.01)


@pytest.mark.parametrize("number,window", [("A012", 21), ("W077", 96), ("X999", 97), ("H127", 7)])
def test_a_call_clip_keeps_up_with_a_busy_hall(number: str, window: int) -> None:
    # Issue 15: a call was 7.2 s and a recall 8.7 s, about 8 a minute, fewer than a busy
    # 65-window hall calls. Now a call is about 4 s, a recall hardly more, whatever the
    # letter (W is three syllables) and the window (九十七 is three).
    synth, book = EspeakSynth(), PhraseBook()
    call = announcement_pcm(book.text(number, window), synth)
    recall = announcement_pcm(book.text(number, window, recall=True), synth)
    assert call.seconds <= 4.3 and recall.seconds <= 4.5, (call.seconds, recall.seconds)
    if (number, window) == ("A012", 21):
        assert call.seconds <= 4.0


def test_speech_is_trimmed_of_espeaks_quiet_but_not_of_sound() -> None:
    speech = EspeakSynth().synthesize(CALL)
    trimmed = trim_silence(speech)
    assert speech.seconds - trimmed.seconds > 0.15  # espeak-ng ends with ~0.25 s of quiet
    assert rms(trimmed) > rms(speech)  # what was cut was quiet
    quiet = silence(0.5)
    assert trim_silence(quiet) == quiet  # all quiet: nothing to find, nothing cut


def test_announcer_wav_bytes_for_the_browser() -> None:
    voice = from_config({"driver": "sim"})
    data = voice.wav("B120", 96, recall=True)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    pcm = read_wav(data)
    assert pcm.seconds > chime().seconds + 2
    voice.close()


def test_chime_only_wav_is_just_the_chime() -> None:
    voice = from_config({"driver": "sim", "chime_only": True})
    pcm = read_wav(voice.wav("A001", 12))
    assert pcm.seconds == pytest.approx(chime().seconds + 0.1 + 0.15, abs=0.01)
    voice.close()


def test_espeak_backend_writes_each_announcement_in_turn(tmp_path: Path) -> None:
    voice = from_config({"driver": "espeak", "output_dir": str(tmp_path)})
    voice.call("A001", 12)
    voice.call("A002", 3)
    assert voice.wait_idle(60)
    files = sorted(tmp_path.glob("*.wav"))
    assert [f.name for f in files] == ["000001-A001.wav", "000002-A002.wav"]
    assert all(rms(read_wav(f.read_bytes())) > 500 for f in files)
    assert voice.health().state is HealthState.OK
    voice.close()


def test_player_failure_is_reported_not_swallowed() -> None:
    voice = from_config({"driver": "espeak", "player": "false"})
    voice.call("A001", 12)
    assert voice.wait_idle(60)
    health = voice.health()
    assert health.state is HealthState.FAILED and "音频播放失败" in health.reason
    voice.close()


def test_player_success_keeps_health_ok() -> None:
    voice = from_config({"driver": "espeak", "player": "true"})
    voice.call("A001", 12)
    assert voice.wait_idle(60)
    assert voice.health().state is HealthState.OK
    voice.close()


def test_unknown_espeak_voice_fails_health() -> None:
    voice = from_config({"driver": "espeak", "voice": "cmn-klingon", "player": "true"})
    health = voice.health()
    assert health.state is HealthState.FAILED and "cmn-klingon" in health.reason
    voice.close()
