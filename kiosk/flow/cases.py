"""办件进度 and 不动产档案: the case number keypad, and looking a case or an archive up."""

from __future__ import annotations

from kiosk import texts
from kiosk.client import Refused
from kiosk.flow.core import FlowCore
from kiosk.state import Applicant, Purpose, Screen, Viewer

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


    # --- 档案原貌 and 房屋现貌 ------------------------------------------------------------

    def open_images(self, unit_no: str, kind: str) -> None:
        """From the property list: the first page of its originals, or its photo."""
        self._touch()
        s = self.state
        if s.screen is not Screen.ARCHIVE:
            return
        prop = next((p for p in s.properties or () if p.unit_no == unit_no), None)
        if prop is None:
            return
        pages = prop.originals if kind == "original" else int(prop.photo)
        if pages < 1:
            return
        self._show_image(unit_no, prop.address, kind, 1, pages)

    def image_page(self, delta: int) -> None:
        self._touch()
        s = self.state
        v = s.viewer
        if s.screen is not Screen.IMAGES or v is None:
            return
        page = v.page + delta
        if 1 <= page <= v.pages and page != v.page:
            self._show_image(v.unit_no, v.address, v.kind, page, v.pages)

    def close_images(self) -> None:
        """Back to the property list; the image leaves memory with the viewer."""
        self._touch()
        if self.state.screen is Screen.IMAGES:
            self._go(Screen.ARCHIVE, viewer=None, notice="")

    def _show_image(self, unit_no: str, address: str, kind: str, page: int,
                    pages: int) -> None:
        applicant = self.state.applicant
        if applicant is None or applicant.id_number is None:
            return
        id_number = applicant.id_number
        data = self._ask(lambda: self.client.archive_image(
            id_number, card=applicant.card, unit_no=unit_no, kind=kind, page=page),
            lambda e: self._message(
                e.code if e.code in texts.MESSAGES else "image_refused", e.message_zh,
                e.message_en))
        if data is None:
            return
        self.counters["archive_images_shown"] += 1
        self._go(Screen.IMAGES, viewer=Viewer(unit_no, address, kind, page, pages, data),
                 busy=False)
