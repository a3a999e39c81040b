"""办件进度 and 不动产档案: the case number keypad, and looking a case or an archive up."""

from __future__ import annotations

from kiosk import texts
from kiosk.client import Refused
from kiosk.flow.core import FlowCore
from kiosk.state import Applicant, Purpose, Screen

CASE_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-")  # as case numbers are written
CASE_MAX = 40


class CaseLookups(FlowCore):
    """Case progress and the property archive, for the card holder."""

    def case_key(self, char: str) -> None:
        self._touch()
        char = char.upper()
        s = self.state
        if s.screen is Screen.CASE_ENTRY and char in CASE_CHARS and len(s.case_input) < CASE_MAX:
            self._set(case_input=s.case_input + char, notice="")

    def case_delete(self) -> None:
        self._touch()
        if self.state.screen is Screen.CASE_ENTRY:
            self._set(case_input=self.state.case_input[:-1], notice="")

    def case_clear(self) -> None:
        self._touch()
        if self.state.screen is Screen.CASE_ENTRY:
            self._set(case_input="", notice="")

    def case_submit(self) -> None:
        """A typed case number still needs proof of being its applicant: the ID card."""
        self._touch()
        s = self.state
        if s.screen is not Screen.CASE_ENTRY:
            return
        if not s.case_input:
            self._set(notice="case_empty")
        elif not self._reader_ok():
            self._message("reader_down")
        else:
            self._go(Screen.CARD, purpose=Purpose.CASE, notice="")

    def _lookup_case(self, case_no: str, *, id_number: str | None = None,
                     receipt_token: str | None = None,
                     card: dict[str, str | None] | None = None) -> None:
        def refused(e: Refused) -> None:
            # The server gives one answer to "no such case" and "not its applicant", on
            # purpose; a malformed case number is, for the applicant, the same thing.
            if e.code in ("card_not_verified", "card_required"):
                code = e.code
            elif e.code in ("invalid_input", "not_found", "forbidden"):
                code = "case_not_found"
            elif e.code in texts.MESSAGES:
                code = e.code
            else:
                code = "case_not_found" if e.status in (403, 404, 422) else e.code
            self._message(code, e.message_zh, e.message_en)

        case = self._ask(lambda: self.client.case_progress(
            case_no, id_number=id_number, receipt_token=receipt_token, card=card), refused)
        if case is not None:
            self.counters["cases_shown"] += 1
            self._go(Screen.CASE, case=case, busy=False)

    def _lookup_archive(self, applicant: Applicant) -> None:
        id_number = applicant.id_number
        assert id_number is not None
        properties = self._ask(lambda: self.client.archive(id_number, card=applicant.card),
                               lambda e: self._message(
            e.code if e.code in texts.MESSAGES else "archive_refused", e.message_zh,
            e.message_en))
        if properties is None:
            return
        self.counters["archives_shown"] += 1
        self._go(Screen.ARCHIVE, properties=properties, busy=False)

