"""Which QR decoder should the kiosk use? Measure both on camera-sized frames.

    .venv/bin/python bench/qr_decoders.py [--runs 50]

Frames are 640×480 grey, like a kiosk's document camera: a signed slip QR, a short UTF-8
payload, and a rotated, blurred, noisy photo of a slip. Prints, per decoder and frame,
the p50/p99 decode time in ms and the success rate, then the pyzbar/zxing time ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import qrcode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devices.scanner.decoders import PyzbarDecoder, QrDecoder, ZxingDecoder  # noqa: E402
from devices.scanner.slip import make_slip  # noqa: E402

KEY = "bench-slip-key-0123456789abcdef"


def _frame(text: str, at: tuple[int, int], box: int) -> np.ndarray:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    code.add_data(text)
    code.make(fit=True)
    qr = np.array(code.make_image().get_image().convert("L"), dtype=np.uint8)
    frame = np.full((480, 640), 140, np.uint8)
    frame[at[0] : at[0] + qr.shape[0], at[1] : at[1] + qr.shape[1]] = qr
    return frame


def frames() -> dict[str, tuple[np.ndarray, str]]:
    slip = make_slip("C", "BDC2024-000123", KEY)
    rough = _frame(make_slip("A", "20240501-0930-07", KEY), (100, 180), 5)
    rough = cv2.warpAffine(
        rough, cv2.getRotationMatrix2D((320, 240), 23, 1.0), (640, 480), borderValue=140
    )
    rough = cv2.GaussianBlur(rough, (3, 3), 0)
    rough = np.clip(rough + np.random.default_rng(7).normal(0, 12, rough.shape), 0, 255).astype(
        np.uint8
    )
    return {
        "slip": (_frame(slip, (120, 200), 4), slip),
        "utf8": (_frame("不动产登记", (140, 240), 4), "不动产登记"),
        "rotated-noisy": (rough, make_slip("A", "20240501-0930-07", KEY)),
    }


def measure(
    decoder: QrDecoder, frame: np.ndarray, expected: str, runs: int
) -> tuple[float, float, float]:
    decoder.decode(frame)  # warm-up: library loading and first allocations
    times, ok = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        found = decoder.decode(frame)
        times.append((time.perf_counter() - start) * 1000)
        ok += found == [expected]
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return statistics.median(times), p99, ok / runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    decoders: list[QrDecoder] = [ZxingDecoder(), PyzbarDecoder()]
    print(f"{'frame':<14} {'decoder':<10} {'p50 ms':>8} {'p99 ms':>8} {'success':>8}")
    medians: dict[tuple[str, str], float] = {}
    for name, (frame, expected) in frames().items():
        for decoder in decoders:
            p50, p99, rate = measure(decoder, frame, expected, args.runs)
            medians[(name, decoder.name)] = p50
            print(f"{name:<14} {decoder.name:<10} {p50:8.2f} {p99:8.2f} {rate:8.0%}")
    for name in frames():
        ratio = medians[(name, "pyzbar")] / medians[(name, "zxing-cpp")]
        print(f"{name:<14} pyzbar/zxing-cpp p50 ratio: {ratio:.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
