"""`hallq devices scan` (decode a photo of a slip) and `make-slip` (a signed test slip)."""

from __future__ import annotations

import argparse
import sys

from devices.errors import DeviceError


def register(dsub: argparse._SubParsersAction) -> None:
    scan = dsub.add_parser(
        "scan",
        help="识别图片中的二维码 / decode the QR codes in an image file",
        description="Print each QR code found in IMAGE, one a line; with --key, check each "
        "as a slip. Exit 1 when nothing is found or a slip is invalid.",
    )
    scan.add_argument("image")
    scan.add_argument("--decoder", choices=("zxing", "pyzbar"), default="zxing")
    scan.add_argument("--key", help="the hall's slip key, to verify slips")
    scan.set_defaults(func=_scan)

    make = dsub.add_parser(
        "make-slip",
        help="生成签名的测试二维码单 / make a signed slip and its QR PNG",
        description="Print the slip text for KIND (C case, A appointment, T ticket) and VALUE; "
        "with --png, write it as a QR image to scan.",
    )
    make.add_argument("kind", choices=("C", "A", "T"))
    make.add_argument("value")
    make.add_argument("--key", required=True)
    make.add_argument("--png", help="write the QR here")
    make.set_defaults(func=_make)


def _scan(args: argparse.Namespace) -> int:
    from devices.scanner import parse_slip
    from devices.scanner.camera import StillImage
    from devices.scanner.decoders import make_decoder

    try:
        texts = make_decoder(args.decoder).decode(StillImage(args.image).read())  # type: ignore[arg-type]
    except DeviceError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if not texts:
        print("未找到二维码 / no QR code found", file=sys.stderr)
        return 1
    status = 0
    for text in texts:
        if args.key is None:
            print(text)
            continue
        try:
            slip = parse_slip(text, args.key)
            print(f"{text}\t{slip.kind.name}\t{slip.value}")
        except DeviceError as exc:
            print(f"{text}\t{exc}")
            status = 1
    return status


def _make(args: argparse.Namespace) -> int:
    import qrcode

    from devices.scanner import make_slip

    try:
        text = make_slip(args.kind, args.value, args.key)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(text)
    if args.png:
        qrcode.make(text).save(args.png)
    return 0
