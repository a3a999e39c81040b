"""档案原貌 / 房屋现貌 through the HTTP API, on SQLite and PostgreSQL: the back office
pushes a unit's scanned originals (JPEG, PNG, PDF pages) and its photo; the owner whose
card is on a kiosk's reader sees each page watermarked; every view is audited; every
bad file is refused with its own code and nothing is stored."""

from __future__ import annotations

import hashlib
import io
import zlib
from typing import Any

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from queue_server.archive.images import MAX_PDF_PAGES, MAX_UPLOAD_BYTES
from tests.archive.test_api_archive import STRANGERS_CARD, UNIT
from tests.cases.helpers import CARDS, LI, WANG, ZHANG, register_cards, unit_body
from tests.server.conftest import AppHandle

NEW_FLAT = "430408001002GB00125F00020301"  # ZHANG holds only a pre-notice on it


def png(width: int = 800, height: int = 1100, text: str = "登记簿 page", mode: str = "RGB"
        ) -> bytes:
    im = Image.new(mode, (width, height), "white")
    ImageDraw.Draw(im).text((40, 40), text, fill="black")
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 1200, height: int = 800) -> bytes:
    im = Image.new("RGB", (width, height), (120, 160, 200))
    ImageDraw.Draw(im).rectangle((100, 300, 1100, 700), fill=(180, 140, 90))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


def pdf(pages: int = 3) -> bytes:
    doc = pdfium.PdfDocument.new()
    for _ in range(pages):
        doc.new_page(595, 842)  # A4 in points
    out = io.BytesIO()
    doc.save(out)
    doc.close()
    return out.getvalue()


def pdf_with_javascript() -> bytes:
    """A one-page PDF whose document names tree holds a JavaScript action, written out
    by hand (no library writes one on purpose), offsets counted for the xref."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 4 0 R >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Names [(hello) 5 0 R] >>",
        b"<< /S /JavaScript /JS (app.alert('hi');) >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def action(kind: str, **entries: Any) -> DictionaryObject:
    d = DictionaryObject({NameObject("/Type"): NameObject("/Action"),
                          NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        d[NameObject(f"/{key}")] = TextStringObject(value)
    return d


def pdf_acting(where: str, act: DictionaryObject, pages: int = 2) -> bytes:
    """A plain PDF of blank A4 pages written by pypdf, with `act` put where a viewer runs
    it: the catalog's /OpenAction or /AA, the last page's /AA, or a link on it."""
    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(595, 842)
    ref = w._add_object(act)
    page = w.pages[-1]
    if where == "open":
        w.root_object[NameObject("/OpenAction")] = ref
    elif where == "document_aa":  # /WC: before the document closes
        w.root_object[NameObject("/AA")] = DictionaryObject({NameObject("/WC"): ref})
    elif where == "page_aa":  # /O: when the page is shown
        page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): ref})
    elif where == "link":
        link = DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (50, 50, 300, 100)]),
            NameObject("/A"): ref})
        page[NameObject("/Annots")] = ArrayObject([w._add_object(link)])
    else:
        raise AssertionError(where)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A 1-bit PNG of width × height pixels, a few kilobytes on the wire: its rows are
    written by hand, compressed, so the test never holds the decoded image either."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    row = b"\0" + b"\0" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    raw = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    head = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", raw)
            + chunk(b"IEND", b""))


@pytest.fixture
def hall(api: tuple[TestClient, AppHandle]):
    c, h = api
    reg = h.headers("registry")
    register_cards(c, reg)
    assert c.put(f"/api/v1/units/{UNIT}", json=unit_body(), headers=reg).status_code == 201
    flat = unit_body(holders=[{"id_number": LI, "name": "李秀英"}],
                     prenotices=[{"kind": "预购商品房", "date": "2026-01-05",
                                  "holders": [{"id_number": ZHANG, "name": "张三丰"}]}],
                     mortgages=[])
    assert c.put(f"/api/v1/units/{NEW_FLAT}", json=flat, headers=reg).status_code == 201
    return c, h, reg


def push(c: TestClient, reg: dict[str, str], data: bytes, ctype: str, what: str = "originals",
         unit: str = UNIT, **params: Any):
    return c.put(f"/api/v1/units/{unit}/{what}", content=data, params=params,
                 headers={**reg, "Content-Type": ctype})


def view(c: TestClient, kiosk: dict[str, str], kind: str = "original", page: int = 1,
         who: str = ZHANG, unit: str = UNIT, card: dict[str, Any] | None = None):
    body = {"id_number": who, "card": card if card is not None else CARDS.get(who),
            "unit_no": unit, "kind": kind, "page": page}
    return c.post("/api/v1/archive/image", json=body, headers=kiosk)


def stored_rows(h: AppHandle) -> int:
    with h.app.state.store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM unit_images")).scalar_one()


def audit(c: TestClient, h: AppHandle) -> list[dict[str, Any]]:
    r = c.get("/api/v1/archive/audit", params={"unit_no": UNIT}, headers=h.headers("admin"))
    assert r.status_code == 200, r.text
    return [row for row in r.json() if row["query"] == "image"]


def test_pdf_pages_then_a_jpeg_page_appended_and_the_photo(hall):
    c, h, reg = hall
    data = pdf(3)
    r = push(c, reg, data, "application/pdf")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["result"] == "stored" and body["pages"] == 3
    # Rendered at 300 dpi: an A4 page is 2480 × 3508 (PDFium rounds up one pixel).
    assert {(i["width"], i["height"]) for i in body["images"]} == {(2480, 3509)}
    assert body["images"][0]["source_sha256"] == hashlib.sha256(data).hexdigest()
    # The same file again changes nothing; a scanner's single page goes after them.
    assert push(c, reg, data, "application/pdf").json()["result"] == "unchanged"
    r = push(c, reg, png(), "image/png", append="true")
    assert r.status_code == 200 and r.json()["pages"] == 4
    assert push(c, reg, jpeg(), "image/jpeg", "photo").json()["pages"] == 1
    index = c.get(f"/api/v1/units/{UNIT}/images", headers=reg).json()
    assert [i["page"] for i in index["originals"]] == [1, 2, 3, 4]
    assert index["photo"]["width"] == 1200
    # Hashes are of what is kept: a client can check each against what it is sent.
    with h.app.state.store.engine.connect() as conn:
        blob = conn.execute(sa.text("SELECT data FROM unit_images WHERE kind='photo'")
                            ).scalar_one()
    assert hashlib.sha256(blob).hexdigest() == index["photo"]["sha256"]
    # A new PDF replaces the whole set: no page of the old one stays behind.
    assert push(c, reg, pdf(2), "application/pdf").json()["pages"] == 2
    assert len(c.get(f"/api/v1/units/{UNIT}/images", headers=reg).json()["originals"]) == 2


def test_the_owner_sees_watermarked_pages_and_every_view_is_audited(hall):
    c, h, reg = hall
    push(c, reg, pdf(2), "application/pdf")
    push(c, reg, jpeg(), "image/jpeg", "photo")
    kiosk = h.kiosk()
    found = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": CARDS[ZHANG]},
                   headers=kiosk).json()
    mine = next(u for u in found["units"] if u["unit_no"] == UNIT)
    assert mine["images"] == {"originals": 2, "photo": True}
    r = view(c, kiosk, page=2)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["cache-control"] == "no-store"
    with Image.open(io.BytesIO(r.content)) as shown:
        assert shown.format == "JPEG" and max(shown.size) == 2400  # scaled for the screen
        shown = shown.convert("RGB")
        # A blank page comes back marked: red watermark pixels, a band at its foot.
        reds = sum(1 for px in shown.resize((240, 340)).get_flattened_data()
                   if px[0] > 150 and px[1] < 140 and px[2] < 140)
        assert reds > 200
    photo = view(c, kiosk, "photo")
    assert photo.status_code == 200
    # Twice the same page: two entries, each naming the image, the kiosk and the person.
    view(c, kiosk, page=2)
    rows = audit(c, h)
    assert [(r["image"], r["outcome"]) for r in rows] == [
        ("original:2", "shown"), ("photo", "shown"), ("original:2", "shown")]
    assert all(r["role"] == "kiosk" and r["subject_masked"] for r in rows)


def test_no_image_without_proof_or_for_someone_else(hall):
    c, h, reg = hall
    push(c, reg, pdf(1), "application/pdf")
    push(c, reg, pdf(1), "application/pdf", unit=NEW_FLAT)
    kiosk = h.kiosk()
    r = view(c, kiosk, card={})  # no card read
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = c.post("/api/v1/archive/image", json={"id_number": ZHANG, "unit_no": UNIT,
                                               "kind": "original"}, headers=kiosk)
    assert r.status_code == 422 and r.json()["error"]["code"] == "card_required"
    assert view(c, kiosk, card=STRANGERS_CARD).json()["error"]["code"] == "card_not_verified"
    # WANG's own card, but not his unit; ZHANG on a unit where he holds only a pre-notice.
    assert view(c, kiosk, who=WANG).status_code == 404
    assert view(c, kiosk, unit=NEW_FLAT).status_code == 404
    assert view(c, kiosk, page=9).status_code == 404  # no such page
    # Staff, the back office and displays get no image either: only the owner at a kiosk.
    for role in ("guide", "registry", "admin", "display"):
        assert view(c, h.headers(role)).status_code == 403
    outcomes = [(r["outcome"], r["image"]) for r in audit(c, h)]
    assert outcomes == [("card_refused", "original:1"), ("card_refused", "original:1"),
                        ("none", "original:1"), ("none", "original:9")]
    # The co-owner's card shows it: LI holds UNIT with ZHANG.
    assert view(c, kiosk, who=LI).status_code == 200


def test_images_at_one_kiosk_are_rate_limited(hall):
    c, h, reg = hall
    push(c, reg, png(200, 200), "image/png")
    kiosk = h.kiosk()
    limiter = h.app.state.records.limiter
    rate = limiter.rates["image"]
    for _ in range(rate.count):
        assert view(c, kiosk).status_code == 200
    r = view(c, kiosk)
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in r.headers
    assert audit(c, h)[-1]["outcome"] == "rate_limited"


# --- bad files: each refused with its own code, nothing stored ---------------------------

def refused(c: TestClient, h: AppHandle, r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code
    zh, _, en = err["message"].partition(" / ")
    assert zh and en, err["message"]  # Chinese first, then English
    assert stored_rows(h) == 0


def test_refused_not_an_image(hall):
    c, h, reg = hall
    refused(c, h, push(c, reg, b"hello, this is text", "image/jpeg"), 422, "not_an_image")
    refused(c, h, push(c, reg, b"", "image/png"), 422, "not_an_image")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    refused(c, h, push(c, reg, gif.getvalue(), "image/png"), 422, "not_an_image")
    cut = jpeg()[:2000]  # a JPEG cut short in transfer
    refused(c, h, push(c, reg, cut, "image/jpeg"), 422, "not_an_image")


def test_refused_too_large(hall):
    c, h, reg = hall
    big = b"\xff\xd8" + b"\0" * (MAX_UPLOAD_BYTES + 10)
    refused(c, h, push(c, reg, big, "image/jpeg"), 413, "image_too_large")
    # Other routes keep the small limit.
    r = c.put(f"/api/v1/units/{UNIT}", content=b"{" + b" " * 70_000 + b"}",
              headers={**reg, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_refused_decompression_bomb(hall):
    c, h, reg = hall
    limit = Image.MAX_IMAGE_PIXELS
    assert limit
    # Over Pillow's warning limit: refused before a pixel is decoded.
    side = int(limit ** 0.5) + 100
    small_on_the_wire = bomb_png(side, side)
    assert len(small_on_the_wire) < 200_000
    refused(c, h, push(c, reg, small_on_the_wire, "image/png"), 422, "decompression_bomb")
    # Over twice it: Pillow's own DecompressionBombError, the same refusal.
    side = int((2 * limit) ** 0.5) + 100
    refused(c, h, push(c, reg, bomb_png(side, side), "image/png"), 422,
            "decompression_bomb")


def test_refused_pdf_with_javascript(hall):
    c, h, reg = hall
    data = pdf_with_javascript()
    with pdfium.PdfDocument(data) as doc:  # a PDF PDFium itself opens: only its script is wrong
        assert len(doc) == 1
    refused(c, h, push(c, reg, data, "application/pdf"), 422, "pdf_has_scripts")


JS = "app.alert('hi');"


@pytest.mark.parametrize("where,act", [
    ("open", action("/JavaScript", JS=JS)),
    ("document_aa", action("/JavaScript", JS=JS)),
    ("page_aa", action("/JavaScript", JS=JS)),
    ("link", action("/JavaScript", JS=JS)),
    ("link", action("/Launch", F="cmd.exe")),
    # Second in a chain: a harmless GoTo first, the script in its /Next.
    ("open", DictionaryObject({**action("/GoTo", D="p1"),
                               NameObject("/Next"): action("/JavaScript", JS=JS)})),
    ("page_aa", action("/SubmitForm", F="http://example.invalid/")),
    ("document_aa", action("/ImportData", F="data.fdf")),
], ids=["open-js", "document-aa-js", "page-aa-js", "link-js", "link-launch", "open-next-js",
        "page-aa-submit", "document-aa-import"])
def test_refused_pdf_with_actions_that_run(hall, where, act):
    c, h, reg = hall
    data = pdf_acting(where, act)
    # PDFium opens it and counts no document JavaScript: only pypdf's reading finds it.
    with pdfium.PdfDocument(data) as doc:
        assert len(doc) == 2
        assert pdfium.raw.FPDFDoc_GetJavaScriptActionCount(doc) == 0
    refused(c, h, push(c, reg, data, "application/pdf"), 422, "pdf_has_scripts")


def test_pdf_with_harmless_actions_is_kept(hall):
    """A scan with a link to a page and an /OpenAction that is a destination (what a
    scanner's software writes) is stored: only actions that run something are refused."""
    c, h, reg = hall
    w = PdfWriter()
    for _ in range(3):
        w.add_blank_page(595, 842)
    w.root_object[NameObject("/OpenAction")] = ArrayObject(
        [w.pages[0].indirect_reference, NameObject("/Fit")])
    w.pages[2][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): w._add_object(action("/GoTo", D="p1"))})
    out = io.BytesIO()
    w.write(out)
    r = push(c, reg, out.getvalue(), "application/pdf")
    assert r.status_code == 200, r.text
    assert r.json()["pages"] == 3


def pdf_bookmarked(act: DictionaryObject | None, depth: int = 1, loop: bool = False) -> bytes:
    """Two blank pages and a chain of bookmarks `depth` deep, each under the one before:
    the deepest runs `act` when clicked, the others only go to page 1 (/Dest). With
    `loop`, the deepest also names the top one as its child and as its next sibling."""
    w = PdfWriter()
    for _ in range(2):
        w.add_blank_page(595, 842)
    to_page_1 = ArrayObject([w.pages[0].indirect_reference, NameObject("/Fit")])
    marks = []
    for n in range(depth):
        mark = w.add_outline_item(title=f"第 {n + 1} 级 / level {n + 1}", page_number=None,
                                  parent=marks[-1] if marks else None)
        mark.get_object()[NameObject("/Dest")] = to_page_1
        marks.append(mark)
    deepest = marks[-1].get_object()
    if act is not None:
        del deepest["/Dest"]
        deepest[NameObject("/A")] = w._add_object(act)
    if loop:
        deepest[NameObject("/First")] = marks[0]
        deepest[NameObject("/Last")] = marks[0]
        deepest[NameObject("/Next")] = marks[0]
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


@pytest.mark.parametrize("act,depth", [
    (action("/JavaScript", JS=JS), 1),
    (action("/Launch", F="cmd.exe"), 3),  # two levels under the top bookmark
], ids=["bookmark-js", "nested-bookmark-launch"])
def test_refused_pdf_whose_bookmark_runs_something(hall, act, depth):
    """A clerk who clicks a bookmark in the stored scan must not start a script or a
    program: such a PDF is refused like one with a script on a link."""
    c, h, reg = hall
    data = pdf_bookmarked(act, depth)
    with pdfium.PdfDocument(data) as doc:  # PDFium opens it and counts no JavaScript
        assert len(doc) == 2
        assert pdfium.raw.FPDFDoc_GetJavaScriptActionCount(doc) == 0
    refused(c, h, push(c, reg, data, "application/pdf"), 422, "pdf_has_scripts")


def test_pdf_with_bookmarks_to_pages_is_kept(hall):
    """Bookmarks that only go to a page (what a scanner's software writes) are kept."""
    c, h, reg = hall
    r = push(c, reg, pdf_bookmarked(None, depth=2), "application/pdf")
    assert r.status_code == 200, r.text
    assert r.json()["pages"] == 2


@pytest.mark.timeout(60)  # a walk that follows the loop would never answer
@pytest.mark.parametrize("act", [None, action("/JavaScript", JS=JS)], ids=["plain", "js"])
def test_pdf_with_a_looping_outline_is_answered(hall, act):
    """An outline whose bookmark names its own ancestor as child and sibling: the push
    is answered (no hang), and a script in it is still found."""
    c, h, reg = hall
    r = push(c, reg, pdf_bookmarked(act, depth=3, loop=True), "application/pdf")
    if act is None:
        assert r.status_code == 200, r.text
    else:
        refused(c, h, r, 422, "pdf_has_scripts")


def test_refused_pdf_with_too_many_pages(hall):
    c, h, reg = hall
    refused(c, h, push(c, reg, pdf(MAX_PDF_PAGES + 1), "application/pdf"), 422,
            "too_many_pages")


def test_refused_broken_pdf_and_a_photo_of_several_pages(hall):
    c, h, reg = hall
    refused(c, h, push(c, reg, b"%PDF-1.7\nnothing here", "application/pdf"), 422,
            "invalid_pdf")
    refused(c, h, push(c, reg, pdf(2), "application/pdf", "photo"), 422, "too_many_pages")


def test_images_need_the_unit_and_the_registry(hall):
    c, h, reg = hall
    r = push(c, reg, png(), "image/png", unit="NO-SUCH-UNIT")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    for role in ("kiosk", "guide", "admin"):
        assert push(c, h.headers(role), png(), "image/png").status_code == 403
    assert stored_rows(h) == 0
