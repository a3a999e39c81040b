"""QR decoders behind one interface: `decode(frame) -> list[str]`.

zxing-cpp is the default: on 640×480 grey frames it is several times faster than zbar and
decodes UTF-8 correctly (see bench/qr_decoders.py and the docs for the figures). pyzbar is
kept as a second opinion and for machines where a technician prefers the system zbar.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from ctypes import c_void_p, cast, string_at
from typing import Any, Protocol

import cv2
import numpy as np

from devices.errors import DeviceError

# zbar's ZBAR_CFG_BINARY (zbar >= 0.23.1; pyzbar's enum predates it): return the QR's bytes
# as they are instead of guessing a character set, which turns short UTF-8 into Shift-JIS
# mojibake.
_ZBAR_CFG_BINARY = 4
_ZBAR_FOURCC_Y800 = 0x30303859  # "Y800": 8-bit grey


def to_grey(frame: np.ndarray) -> np.ndarray:
    """Grey uint8: pyzbar would otherwise read only the first (blue) channel of a BGR frame."""
    if frame.ndim == 2:
        grey = frame
    elif frame.ndim == 3 and frame.shape[2] == 3:
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    elif frame.ndim == 3 and frame.shape[2] == 4:
        grey = cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    elif frame.ndim == 3 and frame.shape[2] == 1:
        grey = frame[:, :, 0]
    else:
        raise ValueError(f"not an image frame: shape {frame.shape}")
    if grey.dtype != np.uint8:
        grey = grey.astype(np.uint8)
    return np.ascontiguousarray(grey)


class QrDecoder(Protocol):
    name: str

    def decode(self, frame: np.ndarray) -> list[str]: ...


class ZxingDecoder:
    name = "zxing-cpp"

    def __init__(self) -> None:
        import zxingcpp

        self._zx = zxingcpp
        self._format = zxingcpp.BarcodeFormat.QRCode

    def decode(self, frame: np.ndarray) -> list[str]:
        results = self._zx.read_barcodes(to_grey(frame), formats=self._format)
        return [r.text for r in results if r.valid]


class PyzbarDecoder:
    name = "pyzbar"

    def __init__(self) -> None:
        try:
            from pyzbar import wrapper
        except ImportError as exc:  # pyzbar raises ImportError when libzbar0 is missing
            raise DeviceError(
                "找不到 zbar 库，请安装 libzbar0", f"pyzbar cannot load the zbar library: {exc}"
            ) from exc
        self._w = wrapper

    @contextmanager
    def _scanner(self) -> Iterator[Any]:
        w = self._w
        scanner = w.zbar_image_scanner_create()
        try:
            w.zbar_image_scanner_set_config(scanner, w.ZBarSymbol.NONE, w.ZBarConfig.CFG_ENABLE, 0)
            w.zbar_image_scanner_set_config(
                scanner, w.ZBarSymbol.QRCODE, w.ZBarConfig.CFG_ENABLE, 1
            )
            w.zbar_image_scanner_set_config(scanner, w.ZBarSymbol.QRCODE, _ZBAR_CFG_BINARY, 1)
            yield scanner
        finally:
            w.zbar_image_scanner_destroy(scanner)

    def decode(self, frame: np.ndarray) -> list[str]:
        w = self._w
        grey = to_grey(frame)
        height, width = grey.shape
        data = grey.tobytes()
        found: list[str] = []
        with self._scanner() as scanner:
            image = w.zbar_image_create()
            try:
                w.zbar_image_set_format(image, _ZBAR_FOURCC_Y800)
                w.zbar_image_set_size(image, width, height)
                w.zbar_image_set_data(image, cast(data, c_void_p), len(data), None)
                if w.zbar_scan_image(scanner, image) < 0:
                    raise DeviceError("二维码识别出错", "zbar failed to scan the frame")
                symbol = w.zbar_image_first_symbol(image)
                while symbol:
                    raw = string_at(
                        w.zbar_symbol_get_data(symbol), w.zbar_symbol_get_data_length(symbol)
                    )
                    # A payload that is not UTF-8 is not one of ours; keep it visible, not fatal.
                    found.append(raw.decode("utf-8", errors="replace"))
                    symbol = w.zbar_symbol_next(symbol)
            finally:
                w.zbar_image_destroy(image)
        return found


DECODERS = {"zxing": ZxingDecoder, "pyzbar": PyzbarDecoder}
DEFAULT_DECODER = "zxing"


def make_decoder(name: str = DEFAULT_DECODER) -> QrDecoder:
    try:
        return DECODERS[name]()
    except KeyError:
        raise ValueError(f"decoder must be one of {sorted(DECODERS)}: {name!r}") from None
