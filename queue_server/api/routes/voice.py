"""Voice calling for the hall screen: one call as a WAV (chime + speech), made offline.

espeak-ng runs on the server, so calling works with no network beyond the hall's own;
the hall page fetches one clip per call and plays the clips through its own queue, one
after another. Clips are cached by their spoken text: a recall, or the same number at the
same window on another screen, costs nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from devices.errors import DeviceError
from devices.voice.backends import EspeakSynth, announcement_wav
from devices.voice.phrases import PhraseBook
from queue_server.api import API_PREFIX
from queue_server.api.deps import AnyRole
from queue_server.api.errors import ApiError
from queue_server.pages.config import VoiceSettings, display_config

router = APIRouter(prefix=API_PREFIX, tags=["voice"])

CACHE_CLIPS = 64  # a clip is ~200 kB: the cache stays near 12 MB


class VoiceClips:
    """WAV bytes per announcement text, made by espeak-ng and kept in a small LRU cache."""

    def __init__(self, settings: VoiceSettings, synth: EspeakSynth | None = None) -> None:
        self.phrases = PhraseBook(template=settings.template,
                                  recall_template=settings.recall_template,
                                  chime_only=settings.chime_only)
        self.synth = synth or EspeakSynth(settings.voice, settings.speed)
        self.cache: OrderedDict[str, bytes] = OrderedDict()
        self.made = 0  # clips synthesised (not served from the cache)
        # espeak-ng is one process per clip; two at once only slow each other down.
        self._lock = threading.Lock()

    def text(self, number: str, window: int, recall: bool) -> str:
        return self.phrases.announcement(number, window, recall=recall).text

    def wav(self, number: str, window: int, recall: bool) -> tuple[str, bytes]:
        text = self.text(number, window, recall)
        with self._lock:
            clip = self.cache.get(text)
            if clip is None:
                # Chime-only mode has no text: the clip is the chime alone.
                clip = announcement_wav(text, self.synth if text else None, with_chime=True)
                self.made += 1
                self.cache[text] = clip
                while len(self.cache) > CACHE_CLIPS:
                    self.cache.popitem(last=False)
            else:
                self.cache.move_to_end(text)
        return text, clip


def clips_of(state: Any) -> VoiceClips:
    clips = getattr(state, "voice_clips", None)
    if clips is None:
        clips = state.voice_clips = VoiceClips(display_config(state).voice)
    return clips


NumberQ = Annotated[str, Query(min_length=1, max_length=12, pattern=r"^[A-Za-z0-9]+$")]
WindowQ = Annotated[int, Query(ge=1, le=9999)]


@router.get("/voice/call.wav", response_class=Response,
            responses={200: {"content": {"audio/wav": {}}},
                       404: {"description": "没有这个窗口 / no such window in this hall"}})
async def call_wav(request: Request, _: AnyRole, number: NumberQ, window: WindowQ,
                   recall: Annotated[Literal["0", "1", "true", "false"], Query(
                       description="再次呼叫 a recall: 1 or true")] = "0") -> Response:
    """请A零零一号到十二号窗口办理: a chime, then the call, as one WAV."""
    # The document lists exactly what is taken (the page sends 1 or 0): FastAPI's bool
    # would also take yes/on/off, which a document's boolean does not allow.
    if window not in request.app.state.hall.layout.windows:
        # The document lists this hall's windows: a clip for another is refused as it says.
        raise ApiError(404, "unknown_window", f"没有 {window} 号窗口 / there is no window {window}")
    clips = clips_of(request.app.state)
    try:
        text, clip = await run_in_threadpool(clips.wav, number, window,
                                             recall in ("1", "true"))
    except DeviceError as exc:
        # The page falls back to a chime and the browser's own speech.
        raise ApiError(503, "voice_unavailable", str(exc)) from None
    return Response(clip, media_type="audio/wav", headers={
        "Cache-Control": "private, max-age=86400",
        "X-Hallq-Text": quote(text),  # what is said, for logs and tests (headers are ASCII)
    })
