"""Camera scanning from an image and a real video file, with the repeat window."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.health import HealthState
from devices.scanner import ScannerUnavailable, from_config
from devices.scanner.camera import CameraScanner, StillImage, open_source
from devices.scanner.decoders import ZxingDecoder
from devices.scanner.events import Deduplicator
from devices.scanner.slip import make_slip
from tests.devices.scanner.conftest import KEY, FakeClock, frame_with


def test_still_image_is_reported_once_while_it_stays_in_view(
    tmp_path: Path, clock: FakeClock
) -> None:
    slip = make_slip("C", "BDC2024-000123", KEY)
    path = tmp_path / "slip.png"
    cv2.imwrite(str(path), frame_with(slip))
    scanner = CameraScanner(
        StillImage(path), ZxingDecoder(), dedup=Deduplicator(3.0, clock), clock=clock
    )
    assert [e.text for e in scanner.poll()] == [slip]
    for _ in range(5):  # held in front of the camera: every frame sees it again
        clock.advance(1.0)
        assert scanner.poll() == []
    clock.advance(3.5)  # taken away for longer than the window, then shown again
    (event,) = scanner.poll()
    assert (event.text, event.source, event.at) == (slip, "camera", clock.now)


def test_other_code_is_not_held_back_by_the_window(clock: FakeClock) -> None:
    dedup = Deduplicator(3.0, clock)
    assert dedup.accept("A") and dedup.accept("B")
    assert not dedup.accept("A")


def _write_video(path: Path, frames: list[np.ndarray]) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480), False)
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()


def test_video_file_yields_each_slip_once_then_ends(tmp_path: Path) -> None:
    a, b = make_slip("C", "BDC2024-000123", KEY), make_slip("A", "20240501-0930-07", KEY)
    blank = np.full((480, 640), 140, np.uint8)
    path = tmp_path / "desk.avi"
    _write_video(
        path, [blank] * 3 + [frame_with(a)] * 6 + [blank] * 2 + [frame_with(b, at=(60, 300))] * 6
    )
    scanner = from_config({"driver": "camera", "source": str(path)})
    texts = []
    while (event := scanner.read(timeout=5)) is not None:
        texts.append(event.text)
    assert texts == [a, b]
    assert scanner.health().state is HealthState.OK
    scanner.close()


def test_pyzbar_camera_reads_a_colour_video_frame(tmp_path: Path) -> None:
    slip = make_slip("T", "Q7RX2M", KEY)
    path = tmp_path / "colour.png"
    cv2.imwrite(str(path), cv2.cvtColor(frame_with(slip), cv2.COLOR_GRAY2BGR))
    scanner = from_config({"driver": "camera", "source": str(path), "decoder": "pyzbar"})
    event = scanner.read(timeout=2)
    assert event is not None and event.text == slip


def test_missing_camera_and_missing_image_are_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ScannerUnavailable):
        open_source(str(tmp_path / "nope.png"))
    with pytest.raises(ScannerUnavailable):
        open_source(str(tmp_path / "nope.avi"))
    with pytest.raises(ScannerUnavailable, match="摄像头无法打开"):
        open_source(63)  # no /dev/video63 here


class _DeadCamera:
    live = True

    def read(self) -> None:
        return None

    def close(self) -> None:
        pass


def test_live_camera_that_stops_giving_frames_fails_health() -> None:
    scanner = CameraScanner(_DeadCamera(), ZxingDecoder())
    with pytest.raises(ScannerUnavailable):
        scanner.read(timeout=0.1)
    assert scanner.health().state is HealthState.FAILED
