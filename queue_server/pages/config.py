"""What the displays say and how they sound: the notice line and the voice settings.

Read once from a TOML file: `HALLQ_DISPLAYS` if set, else `<data dir>/displays.toml` if it
exists, else the defaults below. A bad file is refused with every problem named, like a
bad layout, because a hall screen that silently ignores its settings is worse.

    [notice]
    text = "请携带身份证原件 …"     # the scrolling line at the foot of the hall screen

    [voice]
    mode = "server"          # server: WAVs made by espeak-ng on the server (offline)
                             # browser: the browser's own speech synthesis; off: silent
    chime_only = false       # a chime and the screens, no speech
    template = "请{number}号到{window}"
    recall_template = "请{number}号速到{window}"
    voice = "cmn-latn-pinyin"
    speed = 200              # words a minute: a call clip (chime + speech) is about 4 s
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devices.voice.backends import DEFAULT_SPEED, DEFAULT_VOICE
from devices.voice.phrases import DEFAULT_RECALL_TEMPLATE, DEFAULT_TEMPLATE, check_template
from hallenv import HallqEnv

FILE_NAME = "displays.toml"
VOICE_MODES = ("server", "browser", "off")
DEFAULT_NOTICE = ("请携带本人身份证原件，留意屏幕与语音叫号；过号请到咨询台。"
                  "  Please bring your ID card and watch for your number; "
                  "if you missed it, ask at the information desk.")


class DisplayConfigError(ValueError):
    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class VoiceSettings:
    mode: str = "server"
    chime_only: bool = False
    template: str = DEFAULT_TEMPLATE
    recall_template: str = DEFAULT_RECALL_TEMPLATE
    voice: str = DEFAULT_VOICE
    speed: int = DEFAULT_SPEED


@dataclass(frozen=True)
class DisplayConfig:
    notice: str = DEFAULT_NOTICE
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    source: str = "<defaults>"

    def public(self) -> dict[str, Any]:
        """What every page may read without a token: nothing in it is private."""
        return {"notice": self.notice, "voice": asdict(self.voice)}


def config_path(data_dir: Path) -> Path | None:
    if path := HallqEnv.read().displays:
        return path
    path = data_dir / FILE_NAME
    return path if path.exists() else None


def load_display_config(path: Path | None) -> DisplayConfig:
    if path is None:
        return DisplayConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DisplayConfigError(str(path), [f"无法读取 cannot read: {exc.strerror}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise DisplayConfigError(str(path), [f"TOML 语法错误 syntax: {exc}"]) from None
    return parse_display_config(data, str(path))


def parse_display_config(data: dict[str, Any], source: str = "<memory>") -> DisplayConfig:
    problems: list[str] = []
    for key in set(data) - {"notice", "voice"}:
        problems.append(f"未知的表 unknown table [{key}]")
    notice_t = _table(data, "notice", problems)
    voice_t = _table(data, "voice", problems)
    for key in set(notice_t) - {"text"}:
        problems.append(f"notice.{key}: 未知配置项 unknown option")
    defaults = VoiceSettings()
    for key in set(voice_t) - set(asdict(defaults)):
        problems.append(f"voice.{key}: 未知配置项 unknown option")

    notice = notice_t.get("text", DEFAULT_NOTICE)
    if not isinstance(notice, str):
        problems.append("notice.text: 应为字符串 must be a string")
        notice = DEFAULT_NOTICE
    mode = voice_t.get("mode", defaults.mode)
    if mode not in VOICE_MODES:
        problems.append(f"voice.mode: 应为 {'、'.join(VOICE_MODES)} 之一 must be one of "
                        f"{', '.join(VOICE_MODES)}, not {mode!r}")
    chime_only = voice_t.get("chime_only", defaults.chime_only)
    if not isinstance(chime_only, bool):
        problems.append("voice.chime_only: 应为 true 或 false must be true or false")
    templates = {}
    for key in ("template", "recall_template"):
        value = voice_t.get(key, getattr(defaults, key))
        try:
            templates[key] = check_template(value) if isinstance(value, str) else ""
            if not isinstance(value, str) or not value.strip():
                problems.append(f"voice.{key}: 应为非空字符串 must be a non-empty string")
        except ValueError as exc:
            problems.append(f"voice.{key}: 只能用 {{number}} 和 {{window}} / {exc}")
    voice = voice_t.get("voice", defaults.voice)
    if not isinstance(voice, str) or not voice.strip():
        problems.append("voice.voice: 应为 espeak-ng 语音名 must be an espeak-ng voice name")
    speed = voice_t.get("speed", defaults.speed)
    if isinstance(speed, bool) or not isinstance(speed, int) or not 80 <= speed <= 450:
        problems.append(f"voice.speed: 应为 80–450 must be an integer 80-450, not {speed!r}")
    if problems:
        raise DisplayConfigError(source, sorted(problems))
    return DisplayConfig(
        notice=notice.strip(),
        voice=VoiceSettings(mode=mode, chime_only=chime_only, template=templates["template"],
                            recall_template=templates["recall_template"], voice=voice,
                            speed=speed),
        source=source,
    )


def _table(data: dict[str, Any], name: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        problems.append(f"[{name}] 应为表 must be a table")
        return {}
    return value


def display_config(state: Any) -> DisplayConfig:
    """The app's display config, loaded on first use and kept on `app.state`."""
    config = getattr(state, "display_config", None)
    if config is None:
        config = load_display_config(config_path(state.settings.data_dir))
        state.display_config = config
    return config
