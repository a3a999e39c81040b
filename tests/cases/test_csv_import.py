"""The bulk-import CSV: parsing, per-case problems with line numbers (never quoting an ID
number), the API endpoint and the `hallq cases import` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from hallq.cli import main
from queue_server.cases import csv_import
from queue_server.cases.steps import Step
from queue_server.store.tables import case_steps, cases
from tests.cases.helpers import (
    LI,
    PHONE_LI,
    PHONE_ZHANG,
    WANG,
    ZHANG,
    card,
    register_cards,
)
from tests.server.conftest import MINI

AT = "2026-11-20T09:30:00+08:00"
HEADER = ("case_no,version,item,item_name,time_limit_days,accepted_at,applicant_ids,"
          "applicant_names,applicant_phones,applicant_roles,step_seq,step,step_at,step_reason\n")
GOOD = (HEADER
        + f"C-1,1,second_hand_sale,二手房买卖,5,{AT},{ZHANG};{LI},张三丰;李秀英,{PHONE_ZHANG};{PHONE_LI},买方;卖方,1,accepted,{AT},\n"
        + f"C-2,2,mortgage_general,抵押,3,{AT},{WANG},王建国,,,1,accepted,{AT},\n"
        + f"C-1,1,second_hand_sale,二手房买卖,5,{AT},{ZHANG};{LI},张三丰;李秀英,{PHONE_ZHANG};{PHONE_LI},买方;卖方,2,review_1,{AT},\n"
        + f"C-2,2,mortgage_general,抵押,3,{AT},{WANG},王建国,,,2,refused,{AT},材料不全\n")


def test_rows_are_grouped_by_case():
    parsed = csv_import.parse(GOOD)
    assert [(p.line, p.case_no, p.error) for p in parsed] == [(2, "C-1", None), (3, "C-2", None)]
    c1 = parsed[0].case
    assert c1 is not None and [a.role for a in c1.applicants] == ["买方", "卖方"]
    assert [s.step for s in c1.steps] == [Step.ACCEPTED, Step.REVIEW_1]
    assert c1.applicants[1].phone == PHONE_LI and parsed[1].case.applicants[0].phone is None
    assert parsed[1].case.steps[1].reason == "材料不全"


@pytest.mark.parametrize("row, message", [
    (f"C-9,1,x,,5,{AT},{ZHANG},张三丰;李秀英,,,,,,\n", "applicant_names"),
    (f"C-9,one,x,,5,{AT},{ZHANG},张三丰,,,,,,\n", "version"),
    (f"C-9,1,x,,5,2026-11-20 09:30,{ZHANG},张三丰,,,,,,\n", "accepted_at"),
    (f"C-9,1,x,,5,{AT},{ZHANG},张三丰,,,1,flying,{AT},\n", "未知步骤"),
    (f",1,x,,5,{AT},{ZHANG},张三丰,,,,,,\n", "case_no"),
])
def test_a_bad_row_is_named_by_line_and_never_quotes_the_id(row, message):
    (p,) = csv_import.parse(HEADER + row)
    assert p.line == 2 and p.case is None and message in p.error
    assert ZHANG not in p.error


def test_rows_of_one_case_must_agree():
    text = HEADER + f"C-1,1,x,,5,{AT},{ZHANG},张三丰,,,1,accepted,{AT},\n" \
        + f"C-1,2,x,,5,{AT},{ZHANG},张三丰,,,2,review_1,{AT},\n"
    (p,) = csv_import.parse(text)
    assert "不一致" in p.error


def test_missing_columns_and_encodings():
    with pytest.raises(csv_import.CsvError, match="applicant_ids"):
        csv_import.parse("case_no,version,item,accepted_at,applicant_names\n")
    # A misspelt column is refused by name rather than dropped with its data.
    with pytest.raises(csv_import.CsvError, match="未知的列 step_time"):
        csv_import.parse(HEADER.replace("step_at", "step_time"))
    assert csv_import.decode("\ufeffcase_no".encode()) == "case_no"
    assert csv_import.decode("受理号".encode("gb18030")) == "受理号"


def test_the_import_endpoint_pushes_each_case(api):
    c, h = api
    hdr = {**h.headers("registry"), "Content-Type": "text/csv"}
    bad = GOOD + f"C-3,1,x,,5,{AT},430408196203142318,某某,,,1,accepted,{AT},\n"
    r = c.post("/api/v1/cases/import", content=bad.encode(), headers=hdr)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["cases"], report["created"], report["steps_added"]) == (3, 2, 4)
    assert report["errors"] == [{"line": 6, "case_no": "C-3", "code": "invalid_id_number",
                                 "message": report["errors"][0]["message"]}]
    assert "430408196203142318" not in r.text
    again = c.post("/api/v1/cases/import", content=GOOD.encode(), headers=hdr).json()
    assert (again["unchanged"], again["steps_added"], again["errors"]) == (2, 0, [])
    view = c.get("/api/v1/cases/C-2", headers=h.headers("guide")).json()
    assert view["status"] == "refused" and view["refusal_reason"] == "材料不全"
    assert c.post("/api/v1/cases/import", content=b"", headers=hdr).status_code == 422
    nohead = c.post("/api/v1/cases/import", content=b"a,b\n1,2\n", headers=hdr)
    assert nohead.status_code == 422 and nohead.json()["error"]["code"] == "invalid_csv"
    assert c.post("/api/v1/cases/import", content=GOOD.encode(),
                  headers={**h.headers("kiosk"), "Content-Type": "text/csv"}).status_code == 403


def test_the_cli_imports_a_file(db_url: str, tmp_path: Path, capsys, make_app):
    path = tmp_path / "cases.csv"
    path.write_bytes(GOOD.encode("gb18030"))  # as a Chinese back office might export it
    data = tmp_path / "var"
    # The hall's own layout, as the server below runs it: the rows carry its code.
    hall = ["--db", db_url, "--data", str(data), "--layout", str(MINI)]
    assert main(["cases", "import", str(path), *hall]) == 0
    out = capsys.readouterr().out
    assert "created=2" in out and "steps_added=4" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + f"C-4,1,x,,5,{AT},{ZHANG},张三丰,,,1,nope,{AT},\n", encoding="utf-8")
    assert main(["cases", "import", str(bad), *hall]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2:" in err and ZHANG not in err
    # The same data is what the server sees (same secret in the data directory).
    h = make_app()
    engine = h.app.state.store.engine
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(case_steps)).scalar_one() == 4
    from fastapi.testclient import TestClient
    c = TestClient(h.app)
    register_cards(c, h.headers("registry"))
    r = c.post("/api/v1/cases/lookup", json={"case_no": "C-1", "id_number": LI, "card": card(LI)},
               headers=h.headers("kiosk"))
    assert r.status_code == 200 and r.json()["status"] == "review_1"
