"""A real `hallq` server on a real port (restartable on the same port and database), and
one headless Chromium for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from queue_server.api.app import create_app
from queue_server.security import issue_token
from queue_server.settings import Settings
from tests.conftest import FIXTURES, REPO, Clock
from tests.server.conftest import LiveServer, free_port

MINI = FIXTURES / "mini.toml"
HENGYANG = REPO / "layouts" / "hengyang.toml"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# A browser that refuses sound until the page is touched, as a screen PC without `hallq
# screen` does. Headless Chromium does not always hold to its autoplay flag (a context
# sometimes starts running a moment later), so the refusal is pinned: until a press on the
# page the context reads suspended and resume() is refused; after one, it is real. A press,
# not navigator.userActivation: Playwright's evaluate() itself counts as a user gesture.
REFUSES_SOUND = """(() => {
  const Real = window.AudioContext;
  let touched = false;
  window.addEventListener('pointerdown', () => { touched = true; }, true);
  window.AudioContext = class extends Real {
    get state() { return touched ? super.state : 'suspended'; }
    resume() {
      return touched ? super.resume()
        : Promise.reject(new DOMException('not allowed', 'NotAllowedError'));
    }
  };
})()"""


class HallServer:
    """`hallq serve` in a thread. `restart()` stops it and starts a new app on the same
    port and database, as a power cut and reboot of the server would."""

    def __init__(self, tmp_path: Path, clock: Clock, layout: Path = MINI) -> None:
        self.clock = clock
        self.settings = Settings(layout_path=layout, catalogue_path=None,
                                 data_dir=tmp_path / "var",
                                 db_url=f"sqlite:///{tmp_path / 'hallq.db'}")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._tokens: dict[tuple[str, int | None], str] = {}
        self.live: LiveServer | None = None
        self.client = httpx.Client(timeout=10)  # keep-alive: set-up traffic stays quick

    def start(self) -> HallServer:
        self.app = create_app(self.settings, clock=self.clock)
        self.live = LiveServer(self.app, self.port).start()
        return self

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.app.state.store.engine.dispose()
            self.live = None
            self.client.close()
            self.client = httpx.Client(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def token(self, role: str, window: int | None = None) -> str:
        key = (role, window)
        if key not in self._tokens:
            self._tokens[key] = issue_token(self.app.state.store, role, window)
        return self._tokens[key]

    def call(self, method: str, path: str, role: str = "guide", window: int | None = None,
             **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(role, window)}"}
        return self.client.request(method, f"{self.url}/api/v1{path}", headers=headers, **kwargs)

    def ok(self, method: str, path: str, role: str = "guide", window: int | None = None,
           **kwargs: Any) -> Any:
        r = self.call(method, path, role, window, **kwargs)
        assert r.status_code < 300, r.text
        return r.json()

    def issue(self, business: str, **body: Any) -> dict[str, Any]:
        return self.ok("POST", "/tickets", role="kiosk", json={"business": business, **body})

    def window(self, n: int) -> dict[str, Any]:
        return self.ok("GET", f"/windows/{n}")

    def kiosk_report(self, name: str, report: dict[str, Any]) -> None:
        """A kiosk's health report, sent with that kiosk's own token as `hallq kiosk` does."""
        key = (f"kiosk:{name}", None)
        if key not in self._tokens:
            self._tokens[key] = issue_token(self.app.state.store, "kiosk", name=name)
        r = self.client.post(f"{self.url}/api/v1/kiosks/{name}/health", json=report,
                             headers={"Authorization": f"Bearer {self._tokens[key]}"})
        assert r.status_code == 204, r.text


@pytest.fixture
def hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    server = HallServer(tmp_path, clock).start()
    yield server
    server.stop()


@pytest.fixture
def voice_hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    """The small hall with the fastest speech espeak-ng allows: real clips, short tests."""
    data = tmp_path / "var"
    data.mkdir()
    (data / "displays.toml").write_text("[voice]\nspeed = 450\n", encoding="utf-8")
    server = HallServer(tmp_path, clock).start()
    yield server
    server.stop()


def busy_hall(hall: HallServer) -> None:
    """A morning's worth of traffic in the Hengyang hall: most front windows serving."""
    codes = [b["code"] for b in hall.ok("GET", "/businesses")]
    for i in range(150):
        hall.issue(codes[(i * 7) % len(codes)])
    front = [w["number"] for w in hall.ok("GET", "/windows") if w["kind"] == "front"]
    for n in front[:40]:
        hall.ok("POST", f"/windows/{n}/call-next")
    hall.ok("POST", "/windows/9/pause")
    hall.ok("POST", "/windows/64/close")


@pytest.fixture(scope="session")
def hengyang(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HallServer]:
    """The 96-window hall, busy, shared by the tests that look at a whole hall (it takes
    a while to fill). They touch different windows: see each test."""
    from datetime import UTC, datetime

    server = HallServer(tmp_path_factory.mktemp("hengyang"),
                        Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC)), HENGYANG).start()
    busy_hall(server)
    yield server
    server.stop()




def launch_chromium(browser_type: Any, flags: tuple[str, ...] | list[str] = ()) -> Any:
    """A headless Chromium, the suite's flags plus these (a screen PC's, say)."""
    # --kiosk only makes a headed window full screen; headless, every other flag counts.
    return browser_type.launch(executable_path=CHROMIUM, headless=True,
                               args=[*CHROMIUM_ARGS, *(f for f in flags if f != "--kiosk")])


@pytest.fixture
def pages_dir(artifacts: Path) -> Path:
    out = artifacts / "pages"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """open_page(url, width, height): a fresh context per page; page errors fail the test.

    Pages ask for reduced motion (which they honour: no flashing, no scrolling): two CPU
    cores rendering 4K animations in software would slow every test, and screenshots
    show the resting picture instead of a random frame of a flash.
    """
    contexts: list[Any] = []
    errors: list[str] = []

    def opener(url: str, width: int = 1920, height: int = 1080) -> Any:
        ctx = browser.new_context(viewport={"width": width, "height": height},
                                  reduced_motion="reduce")
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        return page

    yield opener
    for ctx in contexts:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def wait_live(page: Any, connects: int = 1) -> None:
    page.wait_for_function(
        f"window.hallqLive && window.hallqLive.status === 'live' && window.hallqLive.connects >= {connects}",
        timeout=10_000)


# --- the screenshot check -------------------------------------------------------------------
# Every text's lines must lie inside the box of the element whose own text it is: a name
# cut by its box, a number spilling out of its tile or a label pushed off a button are what
# a person notices first. Not caught yet: a span's text cut by the block around it (the
# guide's window tiles cut their service letters on purpose; checking those needs a rule
# for what may be cut). Horizontally to the pixel; vertically with a quarter of the font
# size, since a glyph's box is taller than a tight line-height and that is not a spill.
OVERFLOWING_TEXT = """() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
    if (!own.length) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible' || el.closest('[hidden]')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const slack = parseFloat(cs.fontSize) / 4;
    for (const t of own) {
      const range = document.createRange();
      range.selectNodeContents(t);
      const spill = [...range.getClientRects()].some(tr => tr.width > 0 && (
        tr.left < r.left - 1 || tr.right > r.right + 1 ||
        tr.top < r.top - slack || tr.bottom > r.bottom + slack));
      if (spill) { out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
                            `${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}: ` +
                            t.textContent.trim().slice(0, 40)); break; }
    }
  }
  return out;
}"""
MIN_COLOURS = 16  # a page of text antialiased has hundreds; a blank or failed one a few


def checked_screenshot(page: Any, path: Path, *, full_page: bool = False) -> None:
    """Save the screenshot a person opens later, and fail now on what a glance would see:
    a blank page (no text, or a picture of almost one colour) or text spilling out of its
    box."""
    import io

    from PIL import Image

    png = page.screenshot(path=str(path), full_page=full_page)
    assert page.evaluate("document.body.innerText.trim().length") > 0, f"{path.name}: no text"
    with Image.open(io.BytesIO(png)) as img:
        colours = img.convert("RGB").getcolors(maxcolors=MIN_COLOURS)
    assert colours is None, f"{path.name}: blank, {len(colours or [])} colours"
    assert page.evaluate(OVERFLOWING_TEXT) == [], f"{path.name}: text outside its box"
