"""The bulk-import CSV: one row per step, the case's columns repeated on each of its rows.

    case_no,version,item,accepted_at,applicant_ids,applicant_names,step_seq,step,step_at
    2026-000123,3,second_hand_sale,2026-11-20T09:12:00+08:00,11010519491231002X,张三,1,accepted,2026-11-20T09:12:00+08:00

Several applicants go in one cell each, separated by `;` and in the same order in
`applicant_ids`, `applicant_names`, `applicant_phones`, `applicant_roles`. A case with
no step yet has one row with the step columns empty. Files come UTF-8 (with or
without the BOM Excel writes) or GB18030, as Chinese back-office exports often do.
Problems are reported per case with the line number; they never quote an ID number.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from queue_server.cases.model import ApplicantIn, CaseIn, StepIn
from queue_server.cases.steps import parse_step
from queue_server.domain.errors import InvalidInput
from queue_server.domain.inputs import check_text

REQUIRED = ("case_no", "version", "item", "accepted_at", "applicant_ids", "applicant_names")
OPTIONAL = ("item_name", "hall", "time_limit_days", "due_date", "receipt_code",
            "applicant_phones", "applicant_roles", "applicant_wechat", "step_seq", "step",
            "step_at", "step_note", "step_reason", "ticket")
HEADER_COLUMNS = ("version", "item", "item_name", "hall", "accepted_at", "time_limit_days",
                  "due_date", "receipt_code", "applicant_ids", "applicant_names",
                  "applicant_phones", "applicant_roles", "applicant_wechat")


class CsvError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Parsed:
    line: int  # the case's first row
    case_no: str
    case: CaseIn | None
    error: str | None


def decode(data: bytes) -> str:
    """UTF-8, else GB18030 (what Excel in a Chinese office saves); text either way holds no
    control characters."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise InvalidInput("文件须为 UTF-8 或 GB18030 编码",
                               "the file must be UTF-8 or GB18030") from None
    return check_text(text, "文件 / the file")


def _when(value: str, what: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{what} 不是有效时间 / {what} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise ValueError(f"{what} 须带时区，如 +08:00 / {what} needs an offset such as +08:00")
    return at


def _int(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ValueError(f"{what} 应为整数 / {what} must be an integer") from None


def _split(value: str | None, n: int, what: str) -> list[str]:
    parts = [p.strip() for p in (value or "").split(";")] if value else []
    if not parts:
        return [""] * n
    if len(parts) != n:
        raise ValueError(f"{what} 的个数与申请人数不符 / {what} has {len(parts)} entries for "
                         f"{n} applicants")
    return parts


def _cell(row: dict[str, str], column: str) -> str:
    return (row.get(column) or "").strip()  # a short row leaves its last cells None


def _case(case_no: str, rows: list[dict[str, str]]) -> CaseIn:
    first = rows[0]
    for r in rows[1:]:
        if any(_cell(r, c) != _cell(first, c) for c in HEADER_COLUMNS):
            raise ValueError("同一案件各行的案件信息不一致 / the case's columns differ between its rows")
    ids = [p.strip() for p in _cell(first, "applicant_ids").split(";") if p.strip()]
    names = _split(_cell(first, "applicant_names"), len(ids), "applicant_names")
    phones = _split(first.get("applicant_phones"), len(ids), "applicant_phones")
    roles = _split(first.get("applicant_roles"), len(ids), "applicant_roles")
    wechat = _split(first.get("applicant_wechat"), len(ids), "applicant_wechat")
    applicants = tuple(ApplicantIn(i, n, p or None, w or None, r)
                       for i, n, p, w, r in zip(ids, names, phones, wechat, roles, strict=True))
    steps = []
    for r in rows:
        if not _cell(r, "step"):
            continue
        step = parse_step(_cell(r, "step"))
        if step is None:
            raise ValueError(f"未知步骤 {_cell(r, 'step')[:20]} / unknown step")
        steps.append(StepIn(_int(_cell(r, "step_seq"), "step_seq"), step,
                            _when(_cell(r, "step_at"), "step_at"),
                            _cell(r, "step_note")[:200], _cell(r, "step_reason")[:400]))
    limit = _cell(first, "time_limit_days")
    due = _cell(first, "due_date")
    try:
        due_day = date.fromisoformat(due) if due else None
    except ValueError:
        raise ValueError("due_date 应为 YYYY-MM-DD / due_date must be YYYY-MM-DD") from None
    return CaseIn(case_no=case_no, version=_int(_cell(first, "version"), "version"),
                  item=_cell(first, "item"), accepted_at=_when(_cell(first, "accepted_at"),
                                                               "accepted_at"),
                  applicants=applicants, steps=tuple(steps), item_name=_cell(first, "item_name"),
                  hall=_cell(first, "hall"),
                  time_limit_days=_int(limit, "time_limit_days") if limit else None,
                  due_date=due_day, receipt_code=_cell(first, "receipt_code") or None,
                  ticket=_cell(first, "ticket") or None)


def parse(text: str) -> list[Parsed]:
    """Rows grouped by case, in the order cases first appear. Raises CsvError when the
    file as a whole is unusable (no header, a required column missing)."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise CsvError(1, "文件为空 / the file is empty")
    fields = [f.strip() for f in reader.fieldnames]
    reader.fieldnames = fields
    missing = [c for c in REQUIRED if c not in fields]
    if missing:
        raise CsvError(1, f"缺少列 {', '.join(missing)} / missing columns: {', '.join(missing)}")
    # A misspelt column would otherwise be dropped without a word, and its data with it.
    unknown = [c for c in fields if c not in REQUIRED and c not in OPTIONAL]
    if unknown:
        raise CsvError(1, f"未知的列 {', '.join(unknown)} / unknown columns: {', '.join(unknown)}")
    groups: dict[str, tuple[int, list[dict[str, str]]]] = {}
    for row in reader:
        case_no = _cell(row, "case_no")
        line = reader.line_num
        if not case_no:
            groups.setdefault(f"\0{line}", (line, []))
            continue
        groups.setdefault(case_no, (line, []))[1].append(row)
    out = []
    for case_no, (line, rows) in groups.items():
        if case_no.startswith("\0"):
            out.append(Parsed(line, "", None, "缺少受理号 / case_no is empty"))
            continue
        try:
            out.append(Parsed(line, case_no, _case(case_no, rows), None))
        except (ValueError, KeyError) as exc:
            out.append(Parsed(line, case_no, None, str(exc)))
    return out
