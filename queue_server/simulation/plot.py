"""A PNG of waiting tickets over the day, one line per policy, drawn with Pillow.

Pillow is already a dependency (ticket previews); matplotlib would add ~40 MB for one
chart. Labels are ASCII because Pillow's built-in font has no Chinese glyphs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 960, 480
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 60, 170, 40, 50
COLOURS = ((214, 39, 40), (255, 127, 14), (31, 119, 180), (44, 160, 44), (148, 103, 189),
           (140, 86, 75))


def plot_waiting(series: Mapping[str, Sequence[tuple[float, int]]], path: Path,
                 title: str = "") -> None:
    """Write the chart; minutes since midnight on x, waiting tickets on y."""
    img = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    points = [p for s in series.values() for p in s]
    x0 = min((m for m, _ in points), default=480.0)
    x1 = max((m for m, _ in points), default=1080.0)
    x0, x1 = 60 * (x0 // 60), 60 * (-(-x1 // 60))
    top = max((n for _, n in points), default=1)
    step = max(1, _nice(top / 5))
    top = step * (-(-top // step) or 1)
    pw, ph = WIDTH - MARGIN_L - MARGIN_R, HEIGHT - MARGIN_T - MARGIN_B

    def xy(minute: float, n: float) -> tuple[float, float]:
        return (MARGIN_L + (minute - x0) / max(1.0, x1 - x0) * pw,
                MARGIN_T + ph - n / top * ph)

    draw.rectangle([MARGIN_L, MARGIN_T, MARGIN_L + pw, MARGIN_T + ph], outline="black")
    for h in range(int(x0 // 60), int(x1 // 60) + 1):
        x, _ = xy(h * 60, 0)
        draw.line([x, MARGIN_T + ph, x, MARGIN_T + ph + 4], fill="black")
        draw.text((x - 10, MARGIN_T + ph + 8), f"{h:02d}:00", fill="black", font=font)
    n = 0
    while n <= top:
        _, y = xy(x0, n)
        draw.line([MARGIN_L - 4, y, MARGIN_L, y], fill="black")
        draw.line([MARGIN_L, y, MARGIN_L + pw, y], fill=(230, 230, 230))
        draw.text((MARGIN_L - 40, y - 6), str(n), fill="black", font=font)
        n += step
    for i, (name, pts) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        if len(pts) > 1:
            draw.line([xy(m, k) for m, k in pts], fill=colour, width=2)
        ly = MARGIN_T + 10 + 18 * i
        draw.line([WIDTH - MARGIN_R + 15, ly + 6, WIDTH - MARGIN_R + 40, ly + 6], fill=colour, width=3)
        draw.text((WIDTH - MARGIN_R + 46, ly), name, fill="black", font=font)
    draw.text((MARGIN_L, 12), f"Waiting tickets over the day  {title}", fill="black", font=font)
    draw.text((MARGIN_L + pw // 2 - 40, HEIGHT - 18), "local time", fill="black", font=font)
    img.save(path, format="PNG")


def _nice(x: float) -> int:
    """A round step near x: 1, 2, 5, 10, 20, 50, …"""
    if x <= 1:
        return 1
    mag = 10 ** (len(str(int(x))) - 1)
    for f in (1, 2, 5, 10):
        if x <= f * mag:
            return f * mag
    return 10 * mag
