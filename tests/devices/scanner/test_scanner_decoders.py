"""Both decoders on real QR images: slips, colour frames, UTF-8, a rotated noisy photo."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from pyzbar import pyzbar

from devices.scanner.decoders import PyzbarDecoder, ZxingDecoder, make_decoder, to_grey
from devices.scanner.slip import make_slip, parse_slip
from tests.devices.scanner.conftest import KEY, frame_with

DECODERS = [ZxingDecoder, PyzbarDecoder]


@pytest.fixture(params=DECODERS, ids=lambda d: d.name)
def decoder(request: pytest.FixtureRequest):
    return request.param()


def test_slip_in_a_grey_camera_frame(decoder) -> None:
    slip = make_slip("C", "BDC2024-000123", KEY)
    assert decoder.decode(frame_with(slip)) == [slip]
    assert parse_slip(decoder.decode(frame_with(slip))[0], KEY).value == "BDC2024-000123"


def test_blue_code_in_a_colour_frame_is_read_after_grey_conversion(decoder) -> None:
    slip = make_slip("T", "Q7RX2M", KEY)
    grey = frame_with(slip)
    bgr = np.dstack([np.full_like(grey, 255), grey, grey])  # dark modules are pure blue
    # pyzbar on its own reads channel 0 (blue), where this code is invisible.
    assert pyzbar.decode(bgr) == []
    assert decoder.decode(bgr) == [slip]


@pytest.mark.parametrize("payload", ["登记", "不动产登记中心", "café"])
def test_short_utf8_payload_is_not_shift_jis_mojibake(decoder, payload: str) -> None:
    assert decoder.decode(frame_with(payload)) == [payload]


def test_rotated_noisy_photo(decoder) -> None:
    slip = make_slip("A", "20240501-0930-07", KEY)
    frame = frame_with(slip, at=(100, 180), box=5)
    turn = cv2.getRotationMatrix2D((320, 240), 23, 1.0)
    frame = cv2.warpAffine(frame, turn, (640, 480), borderValue=140)
    frame = cv2.GaussianBlur(frame, (3, 3), 0)
    noise = np.random.default_rng(7).normal(0, 12, frame.shape)
    frame = np.clip(frame + noise, 0, 255).astype(np.uint8)
    assert decoder.decode(frame) == [slip]


def test_frame_without_a_code(decoder) -> None:
    assert decoder.decode(np.full((480, 640), 140, np.uint8)) == []


def test_two_slips_in_one_frame(decoder) -> None:
    a, b = make_slip("C", "A1", KEY), make_slip("C", "B2", KEY)
    frame = frame_with(a, at=(40, 20))
    frame[40:300, 360:620] = frame_with(b, at=(0, 0))[0:260, 0:260]
    assert sorted(decoder.decode(frame)) == sorted([a, b])


def test_to_grey_accepts_the_shapes_cameras_give() -> None:
    grey = frame_with("x")
    assert to_grey(grey) is not None and to_grey(grey).shape == (480, 640)
    assert to_grey(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGRA)).shape == (480, 640)
    assert to_grey(grey[:, :, None]).shape == (480, 640)
    with pytest.raises(ValueError):
        to_grey(np.zeros((4, 4, 2), np.uint8))


def test_unknown_decoder_name() -> None:
    with pytest.raises(ValueError, match="decoder must be one of"):
        make_decoder("opencv")
