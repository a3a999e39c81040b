"""The pages, their files, the displays' settings and the voice clips, over plain HTTP."""

from __future__ import annotations

import io
import re
import wave
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from queue_server.api.app import create_app
from queue_server.pages.config import DisplayConfigError, parse_display_config
from queue_server.security import issue_token
from queue_server.settings import Settings
from tests.conftest import Clock
from tests.pages.conftest import MINI

PAGES = ["/", "/display/hall", "/display/window/1", "/console/window/1", "/console/guide",
         "/manager"]


def build(tmp_path: Path, clock: Clock, displays: str | None = None) -> TestClient:
    data = tmp_path / "var"
    if displays is not None:
        data.mkdir(parents=True, exist_ok=True)
        (data / "displays.toml").write_text(displays, encoding="utf-8")
    settings = Settings(layout_path=MINI, catalogue_path=None, data_dir=data,
                        db_url=f"sqlite:///{tmp_path / 'hallq.db'}")
    return TestClient(create_app(settings, clock=clock))


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    with build(tmp_path, clock) as c:
        yield c


def auth(client: TestClient, role: str = "display") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(client.app.state.store, role)}"}


def seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as w:
        return w.getnframes() / w.getframerate()


def test_every_page_and_every_file_it_names_is_served(client: TestClient) -> None:
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"
        assert '<html lang="zh-CN">' in r.text
        for ref in re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text):
            f = client.get(ref)
            assert f.status_code == 200, ref
            assert f.headers["content-type"].split(";")[0] in ("text/css", "text/javascript")
    # Modules import each other by relative path: those are served too.
    for name in ("hallq.js", "voice.js"):
        assert client.get(f"/static/{name}").status_code == 200


def test_unknown_windows_and_files_are_404_and_nothing_leaks(client: TestClient) -> None:
    assert client.get("/display/window/99").status_code == 404
    assert "没有 99 号窗口" in client.get("/console/window/99").text
    assert client.get("/display/window/0").status_code == 422
    for path in ("/static/nope.js", "/static/..%2Froutes.py", "/static/%2e%2e/config.py",
                 "/static/../../settings.py", "/static/"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "import" not in r.text


def test_display_settings_are_public_and_default_sensibly(client: TestClient) -> None:
    r = client.get("/display/config.json")
    assert r.status_code == 200
    body = r.json()
    assert "身份证" in body["notice"]
    assert body["voice"]["mode"] == "server" and body["voice"]["chime_only"] is False


def test_voice_clip_is_the_call_said_as_people_expect_and_cached(client: TestClient) -> None:
    assert client.get("/api/v1/voice/call.wav?number=A001&window=5").status_code == 401
    h = auth(client)
    for bad in ("number=A-01&window=5", "number=A001&window=0", "number=&window=3",
                "number=A001&window=x", "number=AAAAAAAAAAAAA&window=1"):
        r = client.get(f"/api/v1/voice/call.wav?{bad}", headers=h)
        assert r.status_code == 422, bad
    # A window the hall does not have: refused as the document's list of windows says.
    missing = client.get("/api/v1/voice/call.wav?number=A001&window=9998", headers=h)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_window"
    assert "没有 9998 号窗口" in missing.json()["error"]["message"]
    r = client.get("/api/v1/voice/call.wav?number=A001&window=5", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.content[:4] == b"RIFF"
    assert unquote(r.headers["x-hallq-text"]) == "请A零零一号到五号窗口"
    assert seconds(r.content) > 3  # chime, pause, then the words
    clips = client.app.state.voice_clips
    again = client.get("/api/v1/voice/call.wav?number=a001&window=5", headers=h)
    assert again.content == r.content and clips.made == 1  # same words: from the cache
    recall = client.get("/api/v1/voice/call.wav?number=A001&window=5&recall=1", headers=h)
    assert unquote(recall.headers["x-hallq-text"]) == "请A零零一号速到五号窗口"
    assert clips.made == 2


def test_templates_and_chime_only_come_from_the_display_settings(tmp_path: Path, clock: Clock
                                                                  ) -> None:
    conf = ('[notice]\ntext = "今日下午停电检修 Maintenance this afternoon"\n'
            '[voice]\nchime_only = true\n')
    with build(tmp_path, clock, conf) as c:
        assert c.get("/display/config.json").json()["notice"].startswith("今日下午停电检修")
        r = c.get("/api/v1/voice/call.wav?number=B017&window=3", headers=auth(c))
        assert r.status_code == 200 and unquote(r.headers["x-hallq-text"]) == ""
        assert 0.5 < seconds(r.content) < 1.2  # the chime alone


def test_a_custom_template_is_used(tmp_path: Path, clock: Clock) -> None:
    conf = '[voice]\ntemplate = "{number}号，请到{window}"\n'
    with build(tmp_path, clock, conf) as c:
        r = c.get("/api/v1/voice/call.wav?number=C120&window=5", headers=auth(c))
        assert unquote(r.headers["x-hallq-text"]) == "C一二零号，请到五号窗口"


def test_a_bad_display_settings_file_stops_the_server_at_start(tmp_path: Path, clock: Clock
                                                               ) -> None:
    with pytest.raises(DisplayConfigError, match="voice.mode"), \
            build(tmp_path, clock, '[voice]\nmode = "loud"\n'):
        pass


@pytest.mark.parametrize(("data", "problem"), [
    ({"voice": {"template": "请{ticket}"}}, "voice.template"),
    ({"voice": {"speed": 1000}}, "voice.speed"),
    ({"voice": {"chime_only": "yes"}}, "voice.chime_only"),
    ({"notice": {"text": 5}}, "notice.text"),
    ({"notice": {"colour": "red"}}, "notice.colour"),
    ({"screens": {}}, "[screens]"),
])
def test_display_settings_problems_are_named(data: dict[str, object], problem: str) -> None:
    with pytest.raises(DisplayConfigError) as exc:
        parse_display_config(data, "displays.toml")
    assert any(problem in p for p in exc.value.problems), exc.value.problems
