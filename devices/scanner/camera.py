"""Slips read by a camera: OpenCV capture (device, video file or still image), grey frames,
a QR decoder, repeats of the same code dropped."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from devices.health import Health, HealthState
from devices.scanner.decoders import QrDecoder, to_grey
from devices.scanner.events import Clock, Deduplicator, ScanEvent, ScannerUnavailable

DEVICE = "scanner"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".tif", ".tiff", ".webp"}


class FrameSource(Protocol):
    live: bool  # False for files: at the end there are no more frames, which is not a fault

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


class CvCapture:
    """A camera (device index) or a video file through cv2.VideoCapture."""

    def __init__(
        self, source: int | str, width: int | None = None, height: int | None = None
    ) -> None:
        self.source = source
        self.live = isinstance(source, int)
        self._cap = cv2.VideoCapture(source)
        if not self._cap.isOpened():
            self._cap.release()
            raise ScannerUnavailable(
                f"摄像头无法打开（{source}）", f"cannot open camera or video {source!r}"
            )
        if self.live and width and height:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)

    def read(self) -> np.ndarray | None:
        ok, frame = self._cap.read()
        return frame if ok else None

    def close(self) -> None:
        self._cap.release()


class StillImage:
    """One image, returned on every read: for tests and for checking a photo of a slip."""

    live = True  # an image never runs out

    def __init__(self, path: str | Path) -> None:
        frame = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if frame is None:
            raise ScannerUnavailable(f"图片无法读取（{path}）", f"cannot read image {str(path)!r}")
        self._frame = frame

    def read(self) -> np.ndarray | None:
        return self._frame

    def close(self) -> None:
        pass


def open_source(
    source: int | str, width: int | None = None, height: int | None = None
) -> FrameSource:
    """A device index (0, "0"), an image file, or anything else OpenCV opens (a video, a URL)."""
    if isinstance(source, int) or (isinstance(source, str) and source.isdigit()):
        return CvCapture(int(source), width, height)
    if Path(source).suffix.lower() in IMAGE_SUFFIXES:
        return StillImage(source)
    return CvCapture(source)


class CameraScanner:
    def __init__(
        self,
        source: FrameSource,
        decoder: QrDecoder,
        *,
        dedup: Deduplicator | None = None,
        clock: Clock = time.monotonic,
        idle_sleep_s: float = 0.03,
    ) -> None:
        self.source = source
        self.decoder = decoder
        self.clock = clock
        self.dedup = dedup if dedup is not None else Deduplicator(3.0, clock)
        # A still image returns at once; without a pause `read()` would spin a CPU core.
        self.idle_sleep_s = idle_sleep_s
        self.exhausted = False
        self._failure: str = ""
        self._backlog: list[ScanEvent] = []  # a frame may hold two slips; keep the second

    def poll(self) -> list[ScanEvent]:
        """Read one frame; the new codes in it (repeats within the window dropped)."""
        frame = self.source.read()
        if frame is None:
            if self.source.live:
                self._failure = "摄像头读不到画面 / camera returns no frames"
                raise ScannerUnavailable("摄像头读不到画面", "camera returns no frames")
            self.exhausted = True
            return []
        self._failure = ""
        now = self.clock()
        return [
            ScanEvent(text, "camera", now)
            for text in self.decoder.decode(to_grey(frame))
            if self.dedup.accept(text)
        ]

    def read(self, timeout: float) -> ScanEvent | None:
        """The next new code, or None after `timeout` seconds or at the end of a video."""
        deadline = time.monotonic() + timeout
        while not self._backlog:
            self._backlog = self.poll()
            if self._backlog or self.exhausted or time.monotonic() >= deadline:
                break
            if isinstance(self.source, StillImage):
                time.sleep(self.idle_sleep_s)
        return self._backlog.pop(0) if self._backlog else None

    def health(self) -> Health:
        if self._failure:
            return Health(DEVICE, HealthState.FAILED, self._failure)
        return Health(DEVICE, HealthState.OK)

    def close(self) -> None:
        self.source.close()
