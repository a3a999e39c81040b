"""`hallq devices read-id` / `simulate-idcard`: the contract cases as real subprocesses of
the installed `hallq`; the remaining cases in-process through the same register()/func
path (each `hallq` start costs seconds of other packages' imports)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from devices.idcard import cli
from devices.idcard.demo import DEMO_CARDS
from devices.idcard.identity import contract_dict
from devices.idcard.simulator import Fault, SamSimulator

_HALLQ = Path(sys.executable).with_name("hallq")
HALLQ = [str(_HALLQ)] if _HALLQ.exists() else [sys.executable, "-m", "hallq"]
KEYS = ["name", "sex", "nation", "birth_date", "address", "id_number", "authority"]
KEYS += ["valid_from", "valid_to"]


def hallq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HALLQ, "devices", *args], capture_output=True, text=True, timeout=60, check=False
    )


def in_process(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_failure(code: int, out: str, err: str, fragment: str) -> None:
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], err


# --- as subprocesses ------------------------------------------------------------------


def test_read_id_json_subprocess(sim: SamSimulator) -> None:
    result = hallq("read-id", "--port", sim.port, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == KEYS
    assert data == {
        "name": "张伟",
        "sex": "男",
        "nation": "汉",
        "birth_date": "1985-06-15",
        "address": "北京市朝阳区建国路88号院3号楼2单元501室",
        "id_number": "110105198506151236",
        "authority": "北京市公安局朝阳分局",
        "valid_from": "2016-03-01",
        "valid_to": "2036-03-01",
    }


def test_no_card_subprocess(sim: SamSimulator) -> None:
    sim.lift()
    result = hallq("read-id", "--port", sim.port, "--json", "--timeout", "0")
    _assert_one_line_failure(result.returncode, result.stdout, result.stderr, "未检测到身份证")


def test_simulate_idcard_for_a_technician(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "ttySIM"
    proc = subprocess.Popen(
        [*HALLQ, "devices", "simulate-idcard", "--card", "elder", "--link", str(link)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    try:
        port = proc.stdout.readline().strip()
        assert port == str(link)
        proc.stderr.readline()  # the banner
        code, out, _ = in_process(capsys, "read-id", "--port", port, "--json")
        assert code == 0 and json.loads(out) == contract_dict(DEMO_CARDS["elder"])

        proc.stdin.write("lift\n")
        proc.stdin.flush()
        assert proc.stderr.readline().strip() == "ok"
        result = in_process(capsys, "read-id", "--port", port, "--timeout", "0")
        _assert_one_line_failure(*result, "未检测到")

        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not link.exists()


# --- in-process -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["elder", "foreigner", "young"])
def test_read_id_json(sim: SamSimulator, capsys: pytest.CaptureFixture[str], name: str) -> None:
    sim.lay(DEMO_CARDS[name])
    code, out, _ = in_process(capsys, "read-id", "--port", sim.port, "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == KEYS and data == contract_dict(DEMO_CARDS[name])
    if name == "elder":
        assert data["valid_to"] is None  # 长期


def test_read_id_human_output(sim: SamSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    sim.lay(DEMO_CARDS["elder"])
    code, out, _ = in_process(capsys, "read-id", "--port", sim.port)
    assert code == 0
    assert "姓名: 王秀英" in out and "有效期止: 长期" in out


def test_missing_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = in_process(capsys, "read-id", "--port", str(tmp_path / "ttyNONE"), "--json")
    _assert_one_line_failure(*result, "无法打开串口")


def test_frame_error(sim: SamSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    sim.inject(Fault.CORRUPT_CHECKSUM, times=None)
    _assert_one_line_failure(*in_process(capsys, "read-id", "--port", sim.port), "校验和错误")


def test_silent_reader(sim: SamSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    sim.inject(Fault.SILENT, times=None)
    _assert_one_line_failure(*in_process(capsys, "read-id", "--port", sim.port), "读卡器无应答")


def test_pyserial_url_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = in_process(capsys, "read-id", "--port", "hallqsim://idcard?card=li", "--json")
    assert code == 0 and json.loads(out)["name"] == "李娜"
