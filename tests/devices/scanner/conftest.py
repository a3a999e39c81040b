"""Real QR images made with the `qrcode` package, placed in 640×480 camera-sized frames."""

from __future__ import annotations

import numpy as np
import pytest
import qrcode

KEY = "test-slip-key-0123456789abcdef"


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def qr_array(text: str, box: int = 4) -> np.ndarray:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    code.add_data(text)
    code.make(fit=True)
    return np.array(code.make_image().get_image().convert("L"), dtype=np.uint8)


def frame_with(text: str, *, at: tuple[int, int] = (120, 200), box: int = 4) -> np.ndarray:
    """A grey 640×480 frame: mid-grey desk, the QR printed on white paper at `at`."""
    frame = np.full((480, 640), 140, np.uint8)
    qr = qr_array(text, box)
    y, x = at
    frame[y : y + qr.shape[0], x : x + qr.shape[1]] = qr
    return frame


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
