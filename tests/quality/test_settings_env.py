"""Every HALLQ_* variable is one field of hallenv.HallqEnv and one row of the README table.

The names are taken from the code itself, so a variable added anywhere without a field
and a row fails here; and only hallenv may read one from the environment, so a new
parser cannot grow beside it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hallenv import EnvError, HallqEnv, env_name
from queue_server.settings import Settings
from tests.conftest import REPO

CODE_DIRS = ("queue_server", "kiosk", "devices", "hallq", "hallenv", "hallrules", "bench")
PRODUCT_DIRS = ("queue_server", "kiosk", "devices", "hallq")
NAME = re.compile(r"HALLQ_[A-Z0-9_]*[A-Z0-9]")
ENV_USE = re.compile(r"\benviron\b|\bgetenv\b")
# The kiosk sets Kivy's own variables before Kivy is imported: a write, and not ours.
KIVY_DEFAULT = re.compile(r"""os\.environ\.setdefault\("KIVY_[A-Z_]+", """)


def _sources(dirs: tuple[str, ...]) -> list[Path]:
    return [p for d in dirs for p in sorted((REPO / d).rglob("*.py"))]


def _names_in_code() -> set[str]:
    return {n for p in _sources(CODE_DIRS) for n in NAME.findall(p.read_text("utf-8"))}


def _readme_rows() -> set[str]:
    text = (REPO / "README.md").read_text("utf-8")
    section = text.split("## Configuration · 配置", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(HALLQ_[A-Z0-9_]+)` \|", section, flags=re.MULTILINE))


def test_every_variable_in_the_code_is_a_settings_field_and_a_readme_row():
    fields = {env_name(f) for f in HallqEnv.model_fields}
    found = _names_in_code()
    assert len(found) > 10  # the scan sees the code (messages and docstrings name them)
    assert found - fields == set(), "HALLQ_* read in the code but not in hallenv.HallqEnv"
    rows = _readme_rows()
    assert fields - rows == set(), "hallenv fields missing from the README configuration table"
    assert rows - fields == set(), "README rows for variables nothing reads"


def test_only_hallenv_reads_the_environment():
    readers = [f"{p.relative_to(REPO)}:{i}: {line.strip()}" for p in _sources(PRODUCT_DIRS)
               for i, line in enumerate(p.read_text("utf-8").splitlines(), 1)
               if ENV_USE.search(line) and not KIVY_DEFAULT.search(line)]
    assert readers == []


def test_values_reach_the_server_settings_and_empty_counts_as_unset():
    s = Settings.from_env({"HALLQ_WS_MAX_BACKLOG": "2048", "HALLQ_PUBLIC_URL": "https://h.example/",
                           "HALLQ_LOG_LEVEL": "debug", "HALLQ_DB": ""})
    assert (s.ws_max_backlog, s.public_url, s.log_level) == (2048, "https://h.example", "DEBUG")
    assert s.database_url.startswith("sqlite:///")
    # A command-line option still wins over the variable.
    assert Settings.from_env({"HALLQ_DATA": "/x"}, data_dir=Path("/y")).data_dir == Path("/y")
    served = Settings.from_env({"HALLQ_PORT": "8080", "HALLQ_HOST": "0.0.0.0"})
    assert (served.host, served.port) == ("0.0.0.0", 8080)
    assert Settings.from_env({"HALLQ_PORT": "8080"}, port=9000).port == 9000
    assert Settings.from_env({}).port == 8000


def test_an_option_not_given_leaves_the_variable_in_force(tmp_path: Path):
    """`hallq token issue` and `hallq serve` pass every option, None when not given: that
    must not put the default back over HALLQ_DATA or HALLQ_LAYOUT (it did)."""
    env = {"HALLQ_DATA": str(tmp_path / "var"), "HALLQ_LAYOUT": str(tmp_path / "h.toml")}
    s = Settings.from_env(env, layout_path=None, data_dir=None, db_url=None, port=None)
    assert (s.data_dir, s.layout_path) == (tmp_path / "var", tmp_path / "h.toml")
    given = Settings.from_env(env, data_dir=tmp_path / "other")
    assert given.data_dir == tmp_path / "other"  # an option given still wins
    out = subprocess.run([sys.executable, "-m", "hallq", "token", "issue", "--role", "display"],
                         env={**os.environ, **env, "HALLQ_LAYOUT": str(REPO / "layouts" /
                                                                        "hengyang.toml")},
                         cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "var" / "hallq.db").exists() and not (tmp_path / "var" / "var").exists()


@pytest.mark.parametrize(("name", "value", "words"), [
    ("HALLQ_SMS_TIMEOUT", "ten", "应为数字 / must be a number"),
    ("HALLQ_WS_MAX_BACKLOG", "-5", "应为不小于 1 的整数"),
    ("HALLQ_KIOSK_TICKET_MINUTES", "2000", "不能大于 1440 / must be at most 1440"),
    ("HALLQ_LOOKUP_RATE_ID", "ten/minute", "限额格式应为 次数/秒数 / a rate is COUNT/SECONDS"),
    ("HALLQ_HOLIDAYS", "2026-13-01", "应为逗号分隔的日期"),
    ("HALLQ_LOG_FORMAT", "xml", "应为 text、json / must be one of text, json"),
    ("HALLQ_SMS_DEDUPES", "maybe", "应为 true/false"),
    ("HALLQ_PORT", "70000", "不能大于 65535 / must be at most 65535"),
])
def test_a_bad_value_names_its_variable_chinese_first(name: str, value: str, words: str):
    with pytest.raises(EnvError) as caught:
        HallqEnv.read({name: value})
    (line,) = caught.value.problems
    assert line.startswith(f"{name} ") and words in line and repr(value) in line


def test_every_bad_variable_is_named_at_once():
    with pytest.raises(EnvError) as caught:
        HallqEnv.read({"HALLQ_SMS_TIMEOUT": "x", "HALLQ_CASE_WARN_DAYS": "two"})
    assert sorted(p.split()[0] for p in caught.value.problems) == [
        "HALLQ_CASE_WARN_DAYS", "HALLQ_SMS_TIMEOUT"]


def test_serve_with_a_bad_variable_exits_1_naming_it_without_a_traceback(tmp_path: Path):
    env = {**os.environ, "HALLQ_DATA": str(tmp_path), "HALLQ_IDLE_TIMEOUT": "soon",
           "HALLQ_NOTIFY_PLACES": "0"}
    proc = subprocess.run([sys.executable, "-m", "hallq", "serve", "--port", "1"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "HALLQ_IDLE_TIMEOUT 应为数字 / must be a number, not 'soon'" in proc.stderr
    assert "HALLQ_NOTIFY_PLACES 不能小于 1" in proc.stderr
    assert not (tmp_path / "hallq.db").exists()  # refused before anything was written
