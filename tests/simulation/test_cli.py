"""`hallq simulate` end to end on the mini hall (derived demand, a short run)."""

import json

from hallq.cli import main
from tests.conftest import FIXTURES


def test_simulate_prints_one_json_object_and_draws_the_plot(tmp_path, capsys):
    png = tmp_path / "waiting.png"
    code = main(["simulate", "--layout", str(FIXTURES / "mini.toml"), "--seed", "5", "--json",
                 "--plot", str(png)])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"dedicated", "oldest_eligible", "full_pooling", "own_first"} <= doc["policies"].keys()
    for fig in doc["policies"].values():
        assert {"mean_wait_min", "p90_wait_min", "max_wait_min", "estimate_mae_min"} <= fig.keys()
    assert doc["demand"].startswith("derived")  # mini.toml has no demand file beside it
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulate_table_and_bad_options(capsys):
    assert main(["simulate", "--layout", str(FIXTURES / "mini.toml"), "--policy", "dedicated",
                 "--days", "2"]) == 0
    out = capsys.readouterr().out
    assert "策略 policy" in out and "dedicated" in out and "full_pooling" not in out
    assert main(["simulate", "--layout", str(FIXTURES / "mini.toml"), "--policy", "fifo"]) == 2
    assert main(["simulate", "--layout", str(FIXTURES / "nope.toml")]) == 1
    assert "nope.toml" in capsys.readouterr().err
