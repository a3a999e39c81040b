"""The `hallq` commands as an operator runs them: real subprocesses."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devices.scanner import SlipKind, make_slip
from devices.scanner.slip import DEMO_KEY
from tests.conftest import FIXTURES, REPO
from tests.server.conftest import free_port

HALLQ = [sys.executable, "-m", "hallq"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HALLQ, *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, **(env or {})}, timeout=60)


def test_layout_check_valid_and_invalid(tmp_path: Path):
    ok = run("layout", "check", str(REPO / "layouts" / "hengyang.toml"))
    assert ok.returncode == 0 and "布局有效" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text((FIXTURES / "mini.toml").read_text(encoding="utf-8")
                   .replace('businesses = ["tax"]', 'businesses = ["nosuch"]'), encoding="utf-8")
    out = run("layout", "check", str(bad))
    assert out.returncode == 1
    lines = out.stdout.strip().splitlines()
    assert all(re.match(rf"^{re.escape(str(bad))}:\d+: ", line) for line in lines)
    assert any("unknown business 'nosuch'" in line for line in lines)


def test_serve_refuses_an_invalid_layout(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[hall]\nname = 1\n", encoding="utf-8")
    out = run("serve", "--layout", str(bad), "--data", str(tmp_path / "var"),
              "--port", str(free_port()))
    assert out.returncode == 1
    assert "布局无效" in out.stderr and f"{bad}:2:" in out.stderr


def test_serve_refuses_a_slip_key_too_short_to_be_safe(tmp_path: Path):
    out = run("serve", "--data", str(tmp_path / "var"), "--port", str(free_port()),
              env={"HALLQ_SLIP_KEY": "short"})
    assert out.returncode == 1
    assert "HALLQ_SLIP_KEY" in out.stderr and "至少 16 字节" in out.stderr
    assert "the server did not start" in out.stderr


def test_token_issue_prints_one_token_and_checks_the_role(tmp_path: Path):
    data = ["--data", str(tmp_path / "var")]
    out = run("token", "issue", "--role", "window", "--window", "3", *data)
    assert out.returncode == 0 and re.fullmatch(r"hq_[\w-]{40,}\n", out.stdout)
    assert run("token", "issue", "--role", "window", *data).returncode == 2
    assert run("token", "issue", "--role", "boss", *data).returncode == 2
    listing = run("token", "list", *data).stdout
    assert "window window 3" in listing and "hq_" not in listing  # never the token itself


def test_serve_demo_prints_links_that_work(tmp_path: Path):
    port = free_port()
    proc = subprocess.Popen([*HALLQ, "serve", "--demo", "--port", str(port),
                             "--data", str(tmp_path / "var")], cwd=REPO,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any("admin token" in line for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
            lines.append(proc.stderr.readline())
        hall_link = next(line for line in lines if "/display/hall?token=" in line)
        token = hall_link.split("token=")[1].strip()
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                r = httpx.get(f"{base}/api/v1/windows", headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        else:
            raise AssertionError("the demo server never answered on its port")
        assert r.status_code == 200 and len(r.json()) == 96
        # Without HALLQ_SLIP_KEY the demo checks slips with the demo key, which the kiosk's
        # demo button signs with.
        kiosk = next(line for line in lines if "--token" in line).split("--token")[1].strip()
        slip = make_slip(SlipKind.CASE, "BDC1", DEMO_KEY)
        r = httpx.post(f"{base}/api/v1/slips/check", json={"text": slip},
                       headers={"Authorization": f"Bearer {kiosk}"})
        assert r.status_code == 200 and r.json() == {"kind": "case", "value": "BDC1"}
        # The pad link opens window 1's pad, and the demo register has numbers to sign in.
        pad = next(line for line in lines if "/pad/window/" in line).split("token=")[1].strip()
        me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {pad}"}).json()
        assert (me["role"], me["window"]) == ("pad", 1)
        assert any("1001 张伟" in line for line in lines)
        # The demo hall books out of the box: the phone page's link, and slots to book.
        assert any(f"{base}/m/book" in line for line in lines)
        biz = httpx.get(f"{base}/api/v1/booking/businesses").json()["businesses"]
        assert {"second_hand", "mortgage", "pre_notice"} <= {b["code"] for b in biz}
        assert httpx.get(f"{base}/m/book").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # A second demo start revokes the first set: old links stop working.
    from queue_server.security import authenticate
    from queue_server.store.db import make_engine, migrate
    from queue_server.store.repository import Store
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'hallq.db'}")
    migrate(engine)  # bound to the hall the server recorded
    store = Store(engine)
    from queue_server.cli import demo_links
    from queue_server.domain.layout import load_layout
    demo_links(store, "http://x", load_layout(REPO / "layouts" / "hengyang.toml"))
    assert authenticate(store, token) is None
