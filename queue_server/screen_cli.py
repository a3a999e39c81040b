"""`hallq screen`: start a hall screen as it must run, Chromium in kiosk mode with sound.

Browsers refuse sound until someone taps the page, so after every reload (a power cut, an
update, a crash) a hall screen stood silent until somebody noticed (issue 15: 50 calls
skipped). Chromium's `--autoplay-policy=no-user-gesture-required` lets the page play at
once; `--kiosk` makes it full screen with no way out but the keyboard. The command prints
the command line (to put in the screen PC's autostart), or with `--launch` runs it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from hallenv import HallqEnv

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Sound without a tap; full screen; no "restore pages?" or first-run bubbles over the calls.
KIOSK_FLAGS = (
    "--autoplay-policy=no-user-gesture-required",
    "--kiosk",
    "--noerrdialogs",
    "--disable-session-crashed-bubble",
    "--no-first-run",
    "--disable-translate",
    "--check-for-update-interval=31536000",
)


class ScreenArgsError(ValueError):
    pass


def screen_url(server: str, token: str, zone: str = "", name: str = "") -> str:
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ScreenArgsError(f"服务器地址应为 http(s)://主机:端口 / --server must be "
                              f"http(s)://host:port, not {server!r}")
    if not token.strip():
        raise ScreenArgsError("需要显示屏令牌（hallq token issue display）/ a display token "
                              "is needed (hallq token issue display)")
    query = {"token": token}
    if zone:
        query["zone"] = zone
    if name:
        query["screen"] = name
    return f"{server.rstrip('/')}/display/hall?{urlencode(query)}"


def chromium_args(url: str, profile: str | None = None) -> list[str]:
    """The flags after the browser's path. A profile of its own keeps the screen's settings
    apart from anyone's browsing on the same PC."""
    args = list(KIOSK_FLAGS)
    if profile:
        args.append(f"--user-data-dir={profile}")
    return [*args, url]


def find_browser() -> str | None:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    return None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "screen",
        help="启动大厅叫号屏（全屏、自动开启语音）/ start a hall screen (kiosk mode, sound on)",
        description="Print (or with --launch run) the Chromium command for a hall screen: "
        "full screen, and allowed to play sound without anyone tapping it.",
    )
    p.add_argument("--server", required=True, help="the hall server, e.g. http://10.0.0.5:8000")
    p.add_argument("--token", default=None,
                   help="a display token (default: $HALLQ_DISPLAY_TOKEN)")
    p.add_argument("--zone", default="", help="a zone with own_screen = true: only its calls")
    p.add_argument("--name", default="", help="the screen's name on the guide console")
    p.add_argument("--browser", help="Chromium's path (default: found on PATH)")
    p.add_argument("--profile", default=str(Path.home() / ".config" / "hallq-screen"),
                   help="the browser profile directory for the screen")
    p.add_argument("--launch", action="store_true", help="run the browser instead of printing")
    p.set_defaults(func=_screen)


def _screen(args: argparse.Namespace) -> int:
    try:
        token = args.token if args.token is not None else HallqEnv.read().display_token
        url = screen_url(args.server, token, args.zone, args.name)
    except ScreenArgsError as exc:
        print(exc, file=sys.stderr)
        return 2
    browser = args.browser or find_browser()
    if browser is None:
        print("找不到 Chromium（apt-get install chromium）/ Chromium not found "
              "(apt-get install chromium)", file=sys.stderr)
        return 1
    cmd = [browser, *chromium_args(url, args.profile)]
    if not args.launch:
        print(shlex.join(cmd))
        return 0
    os.execv(browser, cmd)  # the screen PC's autostart runs this and nothing else
    return 0  # not reached
