"""An ESC/POS reader written from the command reference, not from python-escpos: what a
printer would print, line by line with its bold and size, so tests read a job the way the
printer does instead of trusting the library that wrote it.

Knows the commands hallq sends: ESC @, ESC E n, ESC a n, ESC d n, ESC ! n, ESC - n, ESC t n,
FS & / FS ., GS ! n, GS V m [n], GS ( k (QR, skipped), GS v 0 (raster, skipped), GS ( L,
and ESC M / ESC G / ESC 2 / ESC 3 n (style and spacing). Anything else fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Line:
    text: str
    bold: bool
    width: int  # 1..8, GS ! high nibble + 1
    height: int
    align: int  # 0 left, 1 centre, 2 right


@dataclass
class Job:
    lines: list[Line] = field(default_factory=list)
    inits: int = 0
    cuts: int = 0
    chinese: bool = False
    qr_codes: int = 0
    rasters: int = 0

    @property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines)


class UnknownCommand(ValueError):
    pass


def read_job(data: bytes, encoding: str = "gbk") -> Job:
    job = Job()
    bold, width, height, align = False, 1, 1, 0
    buf = bytearray()
    i = 0

    def flush() -> None:
        nonlocal buf
        job.lines.append(Line(bytes(buf).decode(encoding), bold, width, height, align))
        buf = bytearray()

    while i < len(data):
        b = data[i]
        if b == 0x0A:
            flush()
            i += 1
        elif b == 0x1B:  # ESC
            cmd = data[i + 1]
            if cmd == 0x40:  # @ init
                job.inits += 1
                bold, width, height, align = False, 1, 1, 0
                i += 2
            elif cmd == 0x45:  # E n bold
                bold = bool(data[i + 2] & 1)
                i += 3
            elif cmd == 0x61:  # a n align
                align = data[i + 2] % 48 if data[i + 2] >= 48 else data[i + 2]
                i += 3
            elif cmd == 0x64 or cmd in (0x21, 0x2D, 0x74, 0x4D, 0x47, 0x33, 0x56, 0x7B):  # d n feed
                i += 3
            elif cmd == 0x32:  # 2 default spacing
                i += 2
            else:
                raise UnknownCommand(f"ESC {cmd:#04x} at {i}")
        elif b == 0x1C:  # FS
            cmd = data[i + 1]
            if cmd == 0x26:
                job.chinese = True
            elif cmd == 0x2E:
                job.chinese = False
            else:
                raise UnknownCommand(f"FS {cmd:#04x} at {i}")
            i += 2
        elif b == 0x1D:  # GS
            cmd = data[i + 1]
            if cmd == 0x21:  # ! n size
                n = data[i + 2]
                width, height = (n >> 4) + 1, (n & 0x0F) + 1
                i += 3
            elif cmd == 0x56:  # V m [n] cut
                job.cuts += 1
                i += 4 if data[i + 2] in (65, 66) else 3
            elif cmd == 0x28:  # ( k / ( L: pL pH then that many bytes
                fn = data[i + 2]
                length = data[i + 3] | (data[i + 4] << 8)
                if fn == 0x6B and data[i + 7] == 0x51:  # print the stored QR
                    job.qr_codes += 1
                i += 5 + length
            elif cmd == 0x76 and data[i + 2] == 0x30:  # v 0 m xL xH yL yH raster
                x = data[i + 4] | (data[i + 5] << 8)
                y = data[i + 6] | (data[i + 7] << 8)
                job.rasters += 1
                i += 8 + x * y
            elif cmd in (0x4C, 0x57):  # L / W margins and width: two bytes
                i += 4
            else:
                raise UnknownCommand(f"GS {cmd:#04x} at {i}")
        elif b < 0x20 and b not in (0x09,):
            raise UnknownCommand(f"control byte {b:#04x} at {i}")
        else:
            buf.append(b)
            i += 1
    if buf:
        flush()
    return job
