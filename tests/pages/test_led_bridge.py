"""`hallq led-bridge` against a real server and the LED bus simulator on a pty: boards follow
the windows, each with its own address and vendor frame, and are re-sent after a restart."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.led import LedBusSimulator
from devices.led import from_config as led_from_config
from devices.led.frames import AaBbFrame, StxFrame
from hallq.cli import main as hallq_main
from queue_server.led_bridge import (
    BridgeConfigError,
    BridgeTexts,
    LedBridge,
    events_url,
    load_bridge_config,
)
from tests.conftest import REPO
from tests.pages.conftest import HallServer

IDLE = "欢迎光临"


def window(status: str = "open", current: dict[str, str] | None = None) -> dict[str, object]:
    return {"number": 12, "status": status, "current": current}


def test_each_window_state_has_its_text() -> None:
    texts = BridgeTexts()
    assert texts.for_window(window()) == IDLE
    assert texts.for_window(window(current={"number": "A001", "status": "called"})) == "请A001号"
    assert texts.for_window(window(current={"number": "A001", "status": "serving"})) == "A001办理中"
    assert texts.for_window(window("paused", {"number": "A001", "status": "serving"})) == "暂停服务"
    assert texts.for_window(window("closed")) == "暂停服务"
    custom = BridgeTexts(called="{number}请到{window}号")
    assert custom.for_window(window(current={"number": "B007", "status": "called"})) == "B007请到12号"
    with pytest.raises(BridgeConfigError):
        BridgeTexts(called="{ticket}")


def test_events_url_keeps_the_path_and_quotes_the_token() -> None:
    assert events_url("http://10.0.0.5:8000", "hq_a+b") == "ws://10.0.0.5:8000/api/v1/events?token=hq_a%2Bb"
    assert events_url("https://hall.example/q/", "t").startswith("wss://hall.example/q/api/v1/events")


def test_bad_configs_are_refused_with_the_reason(tmp_path: Path) -> None:
    cfg = tmp_path / "led.toml"
    cfg.write_text('[bridge]\ncalled = "{nmber}"\n[led]\ndriver = "sim"\n', encoding="utf-8")
    with pytest.raises(BridgeConfigError, match="number"):
        load_bridge_config(cfg)
    cfg.write_text('[bridge]\nserver = "http://x"\n', encoding="utf-8")
    with pytest.raises(BridgeConfigError, match=r"\[led\]"):
        load_bridge_config(cfg)
    cfg.write_text('[bridge]\ncolour = "red"\n[led]\ndriver = "sim"\n', encoding="utf-8")
    with pytest.raises(BridgeConfigError, match="colour"):
        load_bridge_config(cfg)
    # The command says so and exits 2, as it does without a token.
    assert hallq_main(["led-bridge", "--config", str(cfg)]) == 2
    cfg.write_text('[led]\ndriver = "sim"\n', encoding="utf-8")
    env_token = os.environ.pop("HALLQ_TOKEN", None)
    try:
        assert hallq_main(["led-bridge", "--config", str(cfg)]) == 2
    finally:
        if env_token is not None:
            os.environ["HALLQ_TOKEN"] = env_token


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[LedBusSimulator]:
    sim = LedBusSimulator([AaBbFrame(), StxFrame()], link=tmp_path / "ttyLED").start()
    yield sim
    sim.close()


LED_TABLE = {"frame_gap": 0, "boards": [
    {"window": 1, "address": 1},
    {"window": 2, "address": 2},
    {"window": 3, "address": 7, "frame": "stx", "checksum": "xor8", "encoding": "gb18030"},
]}


class Running:
    """The bridge on its own event loop in a thread, as the command runs it."""

    def __init__(self, bridge: LedBridge) -> None:
        self.bridge = bridge
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.loop.run_until_complete(self.bridge.run(self.stop))
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    def __enter__(self) -> Running:
        self.bridge.writer.start()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=10)
        self.bridge.close()
        assert self.error is None, self.error


def test_boards_follow_the_windows_and_are_resent_after_a_server_restart(
        hall: HallServer, bus: LedBusSimulator) -> None:
    boards = led_from_config({"driver": "serial", "port": bus.port, **LED_TABLE})
    bridge = LedBridge(boards, hall.url, hall.token("display"))
    try:
        with Running(bridge):
            assert bus.wait_until(lambda s: s.shown == {1: IDLE, 2: IDLE, 7: IDLE})
            a = hall.issue("transfer")
            hall.ok("POST", "/windows/1/call-next", role="window", window=1)
            assert bus.wait_until(lambda s: s.shown.get(1) == f"请{a['number']}号")
            hall.ok("POST", f"/tickets/{a['id']}/start", role="window", window=1)
            hall.ok("POST", "/windows/3/pause", role="window", window=3)  # the stx board
            hall.ok("POST", "/windows/6/open")  # no board: ignored
            assert bus.wait_until(lambda s: s.shown == {1: f"{a['number']}办理中", 2: IDLE,
                                                        7: "暂停服务"})
            assert bus.rejected == 0 and bus.noise == 0

            # The server restarts: every board is sent again, the hall's state unchanged.
            sent = len(bus.history)
            hall.restart()
            assert bus.wait_until(lambda s: len(s.history) >= sent + 3, timeout=15)
            assert sorted(bus.history[sent:sent + 3]) == sorted(
                [(1, f"{a['number']}办理中"), (2, IDLE), (7, "暂停服务")])
            assert bridge.connects == 2
            # And it follows the new server.
            hall.ok("POST", f"/tickets/{a['id']}/complete", role="window", window=1)
            assert bus.wait_until(lambda s: s.shown.get(1) == IDLE)
    finally:
        boards.close()


def test_the_command_runs_until_sigterm(hall: HallServer, bus: LedBusSimulator, tmp_path: Path
                                        ) -> None:
    token_file = tmp_path / "led.token"
    token_file.write_text(hall.token("display") + "\n", encoding="utf-8")
    cfg = tmp_path / "led.toml"
    cfg.write_text(f'[bridge]\nserver = "{hall.url}"\ntoken_file = "led.token"\nidle = "请稍候"\n'
                   f'[led]\ndriver = "serial"\nport = "{bus.port}"\nframe_gap = 0\n'
                   '[[led.boards]]\nwindow = 2\naddress = 5\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "HALLQ_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "hallq", "led-bridge", "--config", str(cfg)],
                            cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert bus.wait_until(lambda s: s.shown.get(5) == "请稍候", timeout=20)
        b = hall.issue("mortgage")
        hall.ok("POST", "/windows/2/call-next", role="window", window=2)
        assert bus.wait_until(lambda s: s.shown.get(5) == f"请{b['number']}号")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def test_a_refused_connection_is_logged_with_the_servers_reason(
        bus: LedBusSimulator, caplog: pytest.LogCaptureFixture) -> None:
    """Whatever answers the bridge's connection with a refusal (here a 409 conflict, as a
    proxy in front of a second server might pass on), the log says what it said."""
    body = json.dumps({"error": {"code": "conflict", "message": (
        "本大厅的数据已由另一个服务器使用 / this hall's data is in use by another server")}},
        ensure_ascii=False).encode()
    answer = (b"HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n"
              b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
              + body)

    async def scenario() -> None:
        async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(refuse, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        boards = led_from_config({"driver": "serial", "port": bus.port, **LED_TABLE})
        bridge = LedBridge(boards, f"http://127.0.0.1:{port}", "hq_x")
        bridge.writer.start()
        stop = asyncio.Event()
        task = asyncio.create_task(bridge.run(stop))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while not any("409" in r.getMessage() for r in caplog.records):
            assert loop.time() < deadline, "the refusal was never logged"
            await asyncio.sleep(0.05)
        stop.set()
        await task
        bridge.close()
        boards.close()
        server.close()
        await server.wait_closed()

    failures: list[BaseException] = []

    def run() -> None:  # on a thread of its own: the browser tests keep a loop on this one
        try:
            asyncio.run(scenario())
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    with caplog.at_level(logging.WARNING, logger="hallq.led_bridge"):
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=60)
    assert not thread.is_alive() and not failures, failures
    line = next(r.getMessage() for r in caplog.records if "409" in r.getMessage())
    assert line.startswith("LED 桥：服务器答复 409：本大厅的数据已由另一个服务器使用 (conflict)")
    assert "this hall's data is in use by another server (conflict); reconnecting" in line
