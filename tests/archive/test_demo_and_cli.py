"""The demo data set (deterministic, realistic, looked up like real data) and the
`hallq units import` and `hallq cases demo` commands."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hallq.cli import main
from queue_server.cases import demo
from queue_server.cases.steps import Step
from queue_server.domain.identity import normalise_id_number
from queue_server.store.tables import cases, units
from tests.cases.helpers import ZHANG, card, dump_database, register_cards, unit_body
from tests.server.conftest import MINI

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


def test_the_demo_set_is_deterministic_and_plausible():
    a = demo.generate(units=400, cases=300, seed=7, now=NOW, tz=TZ)
    b = demo.generate(units=400, cases=300, seed=7, now=NOW, tz=TZ)
    assert a.units == b.units and a.cases == b.cases
    assert len({u.unit_no for u in a.units}) == 400 and len({c.case_no for c in a.cases}) == 300
    for p in a.people[:50]:
        assert normalise_id_number(p.id_number) == p.id_number  # valid check digits
    uses = Counter(u.use for u in a.units)
    assert uses.most_common(1)[0][0] == "住宅"
    assert 0.3 < sum(bool(u.mortgages) for u in a.units) / 400 < 0.6
    current = Counter(max(c.steps, key=lambda s: s.seq).step for c in a.cases)
    assert current[Step.COLLECTED] > 0 and current[Step.REVIEW_1] + current[Step.REVIEW_2] > 0
    assert all(c.accepted_at <= NOW for c in a.cases)


def test_the_demo_loads_and_is_looked_up_like_real_data(make_app):
    h = make_app()
    data = demo.generate(units=300, cases=200, seed=3, now=h.clock(), tz=TZ)
    engine = h.app.state.store.engine
    demo.load(engine, data, key=h.app.state.hall.secret, now=h.clock(), tz=TZ)
    c = TestClient(h.app)
    owner = data.units[0].holders[0]
    found = c.post("/api/v1/archive/lookup", json={"id_number": owner.id_number,
                                                    "card": demo.card_json(owner.id_number)},
                   headers=h.headers("kiosk")).json()
    assert data.units[0].unit_no in [u["unit_no"] for u in found["units"]]
    case = data.cases[0]
    r = c.post("/api/v1/cases/lookup", json={"case_no": case.case_no,
                                              "id_number": case.applicants[0].id_number,
                                              "card": demo.card_json(
                                                  case.applicants[0].id_number)},
               headers=h.headers("kiosk"))
    assert r.status_code == 200
    assert r.json()["status"] == max(case.steps, key=lambda s: s.seq).step.value
    overdue = c.get("/api/v1/cases/overdue", headers=h.headers("guide")).json()
    assert overdue["overdue"] > 0  # some cases stall in review, as in life
    dump = dump_database(engine)
    assert all(p.id_number not in dump and p.name not in dump for p in data.people[:200])


def test_units_import_from_the_command_line(db_url: str, tmp_path: Path, capsys, make_app):
    path = tmp_path / "units.jsonl"
    lines = [json.dumps({"unit_no": "U-1", **unit_body()}, ensure_ascii=False),
             json.dumps({"unit_no": "U-2", **unit_body(holders=[{"id_number": "1", "name": "某"}])},
                        ensure_ascii=False)]
    path.write_text("\n".join(lines), encoding="utf-8")
    # The hall's own layout, as make_app runs it: the rows carry its code.
    args = ["--db", db_url, "--data", str(tmp_path / "var"), "--layout", str(MINI)]
    assert main(["units", "import", str(path), *args]) == 1  # line 2 is bad
    captured = capsys.readouterr()
    assert "created=1" in captured.out and f"{path}:2:" in captured.err
    h = make_app()
    c = TestClient(h.app)
    register_cards(c, h.headers("registry"))
    found = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": card(ZHANG)},
                   headers=h.headers("kiosk")).json()
    assert [u["unit_no"] for u in found["units"]] == ["U-1"]


def test_the_demo_command_fills_an_empty_database_once(db_url: str, tmp_path: Path, capsys,
                                                       make_app):
    # The hall's own layout, as make_app runs it: the rows carry its code.
    args = ["--db", db_url, "--data", str(tmp_path / "var"), "--layout", str(MINI)]
    assert main(["cases", "demo", "--units", "120", "--cases", "80", "--seed", "5", *args]) == 0
    out = capsys.readouterr().out
    assert "120 units, 80 cases" in out and "invented ID" in out
    assert main(["cases", "demo", "--units", "10", "--cases", "10", *args]) == 1
    engine = make_app().app.state.store.engine
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(units)).scalar_one() == 120
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 80
