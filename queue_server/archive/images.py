"""档案原貌 / 房屋现貌: the back office's scans of a unit's register originals and its
photo, checked, turned into the images the hall keeps, and watermarked when shown.

Everything pushed is decoded here and stored re-encoded as JPEG, never as sent: what
reaches a kiosk is pixels this module wrote (no EXIF with a GPS position, no PDF with
its scripts), and a file that does not decode is refused before anything is stored.
The safety limits are the libraries' own: Pillow's `Image.MAX_IMAGE_PIXELS` (and its
`DecompressionBombError` beyond twice that), PDFium's page count and its own view of a
document's JavaScript and XFA forms (pypdfium2), and pypdf's parser (with its own limits
on what a stream may inflate to) for the actions a viewer would run: on opening, on a
page, from a link, or from a bookmark. No I/O but the bytes given.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from queue_server.domain.errors import InvalidInput


class _OnUse:
    """A module imported when first used: Pillow and pdfium load on the first image, not
    when the server starts (a kiosk's screen waits for the server's start)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            import importlib
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


pdfium: Any = _OnUse("pypdfium2")
pdfium_c: Any = _OnUse("pypdfium2.raw")
pypdf: Any = _OnUse("pypdf")
pypdf_generic: Any = _OnUse("pypdf.generic")
pypdf_errors: Any = _OnUse("pypdf.errors")
Image: Any = _OnUse("PIL.Image")
ImageDraw: Any = _OnUse("PIL.ImageDraw")
ImageFont: Any = _OnUse("PIL.ImageFont")
ImageOps: Any = _OnUse("PIL.ImageOps")

ORIGINAL = "original"  # a page of the register originals (档案原貌)
PHOTO = "photo"  # the property's photo (房屋现貌)
KINDS = (ORIGINAL, PHOTO)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # one push: a 40-page scan at 300 dpi fits
MAX_PDF_PAGES = 40  # pages of one PDF push
MAX_PAGES = 80  # originals a unit keeps, all pushes together
STORE_MAX_SIDE = 3600  # px: an A4 page at 300 dpi is 2480 × 3508
SHOW_MAX_SIDE = 2400  # px of what a kiosk is sent: sharp at 2× zoom on a 1080p panel
PDF_DPI = 300
JPEG_QUALITY = 85
FORMATS = ("JPEG", "PNG")
FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
         "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
         "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

# PDFium is not thread-safe (pypdfium2's documentation): the API's worker threads take
# turns with it.
_PDFIUM = threading.Lock()


class ImageRefused(InvalidInput):
    """A push refused: nothing of it is stored."""


def _refuse(code: str, zh: str, en: str) -> ImageRefused:
    return ImageRefused(zh, en, code=code)


@dataclass(frozen=True)
class Page:
    """One image as the hall keeps it."""

    data: bytes  # JPEG
    width: int
    height: int
    sha256: str  # of `data`

    @classmethod
    def of(cls, im: Image.Image) -> Page:
        im = _fit(im, STORE_MAX_SIDE)
        data = _jpeg(im)
        return cls(data, im.width, im.height, hashlib.sha256(data).hexdigest())


def _fit(im: Image.Image, side: int) -> Image.Image:
    if max(im.size) > side:
        im = im.copy()
        im.thumbnail((side, side), Image.Resampling.LANCZOS)
    return im


def _jpeg(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def source_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pages_of(data: bytes, kind: str) -> list[Page]:
    """The pages of one push (a JPEG, a PNG, or a PDF), or ImageRefused."""
    if kind not in KINDS:
        raise InvalidInput("影像类别应为 original 或 photo", "kind must be original or photo")
    if not data:
        raise _refuse("not_an_image", "内容为空，不是图片", "the body is empty: not an image")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse("image_too_large", f"文件过大（上限 {MAX_UPLOAD_BYTES // 2**20} MB）",
                      f"the file is over {MAX_UPLOAD_BYTES // 2**20} MB")
    pages = _pdf_pages(data) if data.startswith(b"%PDF-") else [_image_page(data)]
    if kind == PHOTO and len(pages) != 1:
        raise _refuse("too_many_pages", "房屋照片只能是一张图片",
                      "the property's photo is one image, not several pages")
    return pages


def _image_page(data: bytes) -> Page:
    try:
        # Only the formats a scanner or camera gives; Pillow checks the pixel count
        # against MAX_IMAGE_PIXELS when it opens, before decoding anything.
        with Image.open(io.BytesIO(data), formats=FORMATS) as im:
            _check_pixels(im.width, im.height)
            im.load()
            frame = ImageOps.exif_transpose(im)  # a phone photo stands as it was taken
            return Page.of(_plain(frame))
    except Image.DecompressionBombError:
        raise _bomb() from None
    except ImageRefused:
        raise
    except (Image.UnidentifiedImageError, OSError, ValueError, SyntaxError):
        # Not a JPEG or PNG, or one that is broken or cut short.
        raise _refuse("not_an_image", "不是可识别的 JPEG、PNG 图片或 PDF 文件",
                      "not a readable JPEG, PNG or PDF file") from None


def _check_pixels(width: int, height: int) -> None:
    """Pillow warns past MAX_IMAGE_PIXELS and raises past twice it; the hall refuses
    at the warning already: no scan or photo needs that many pixels."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and width * height > limit:
        raise _bomb()


def _bomb() -> ImageRefused:
    limit = Image.MAX_IMAGE_PIXELS or 0
    return _refuse("decompression_bomb",
                   f"图片像素过多（上限约 {limit // 1_000_000} 百万像素），可能是解压炸弹",
                   f"the image has too many pixels (limit about {limit // 1_000_000} "
                   "megapixels): a possible decompression bomb")


def _plain(im: Image.Image) -> Image.Image:
    """Greyscale scans stay greyscale; everything else becomes RGB (CMYK, palette,
    transparency on white)."""
    if im.mode in ("1", "L", "I;16", "I"):
        return im.convert("L")
    if im.mode in ("RGBA", "LA", "P", "PA"):
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return im.convert("RGB")


def _pdf_pages(data: bytes) -> list[Page]:
    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            encrypted = "password" in str(exc).lower()
            raise _refuse("invalid_pdf",
                          "PDF 有密码保护，无法读取" if encrypted else "PDF 文件已损坏或无法读取",
                          "the PDF is password-protected" if encrypted
                          else "the PDF is damaged or unreadable") from None
        try:
            # PDFium's own view of what would run: document JavaScript, and XFA forms
            # (whose scripts PDFium only runs with its XFA module). A scan has neither.
            scripts = pdfium_c.FPDFDoc_GetJavaScriptActionCount(pdf)
            form = pdfium_c.FPDF_GetFormType(pdf)
            if scripts != 0 or form in (pdfium_c.FORMTYPE_XFA_FULL,
                                        pdfium_c.FORMTYPE_XFA_FOREGROUND):
                raise _refuse("pdf_has_scripts", "PDF 含有脚本（JavaScript）或动态表单，不予接收",
                              "the PDF contains scripts (JavaScript) or a dynamic form")
            count = len(pdf)
            if count == 0:
                raise _refuse("invalid_pdf", "PDF 没有页面", "the PDF has no pages")
            if count > MAX_PDF_PAGES:
                raise _refuse("too_many_pages",
                              f"PDF 页数过多（{count} 页，上限 {MAX_PDF_PAGES} 页）",
                              f"the PDF has {count} pages; at most {MAX_PDF_PAGES}")
            _refuse_actions(data)
            return [Page.of(_render(pdf[i])) for i in range(count)]
        except pdfium.PdfiumError:
            raise _refuse("invalid_pdf", "PDF 页面无法渲染", "a PDF page cannot be rendered"
                          ) from None
        finally:
            pdf.close()


# Actions that run code, start a program, or send or read data outside the document. A
# scan has none; GoTo and URI links (a viewer asks before it opens a web address) stay.
ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData"})
MAX_ACTIONS = 10_000  # actions (through /Next chains), or bookmarks, followed in one PDF


def _refuse_actions(data: bytes) -> None:
    """Refuses a PDF that would run something: PDFium counts only the JavaScript in the
    document's names tree, not the actions of /OpenAction, of /AA (additional actions:
    on open, close, print, a page shown), of a link or a bookmark clicked. pypdf reads
    them."""
    scripts = _refuse("pdf_has_scripts", "PDF 含有脚本（JavaScript）或自动执行的动作，不予接收",
                      "the PDF contains scripts (JavaScript) or actions that run by themselves")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _refuse("invalid_pdf", "PDF 有密码保护，无法读取",
                          "the PDF is password-protected")
        root = reader.trailer["/Root"].get_object()
        seen: set[int] = set()
        if _any_active(root.get("/OpenAction"), seen) or _any_trigger(root.get("/AA"), seen):
            raise scripts
        names = root.get("/Names")
        names = names.get_object() if names is not None else None
        # A names tree of JavaScript is there only to run: any entry at all is refused.
        if isinstance(names, pypdf_generic.DictionaryObject) and "/JavaScript" in names:
            raise scripts
        if "/Outlines" in root and _any_bookmark(root.raw_get("/Outlines"), seen):
            raise scripts
        for page in reader.pages:
            if _any_trigger(page.get("/AA"), seen):
                raise scripts
            annots = page.get("/Annots")
            annots = annots.get_object() if annots is not None else None
            if not isinstance(annots, pypdf_generic.ArrayObject):
                continue
            for ref in annots:
                annot = ref.get_object()
                if not isinstance(annot, pypdf_generic.DictionaryObject):
                    continue
                if _any_active(annot.get("/A"), seen) or _any_trigger(annot.get("/AA"), seen):
                    raise scripts
    except ImageRefused:
        raise
    except (pypdf_errors.PyPdfError, KeyError, ValueError, TypeError, AttributeError,
            RecursionError):
        # What pypdf cannot read, the hall cannot vouch for.
        raise _refuse("invalid_pdf", "PDF 文件结构无法读取", "the PDF's structure is unreadable"
                      ) from None


def _any_trigger(aa: Any, seen: set[int]) -> bool:
    """An additional-actions dictionary: trigger name → action."""
    aa = aa.get_object() if aa is not None else None
    if not isinstance(aa, pypdf_generic.DictionaryObject):
        return False
    return any(_any_active(action, seen) for action in aa.values())


def _any_bookmark(outlines: Any, seen: set[int]) -> bool:
    """The outline (bookmarks): a bookmark's /A runs when a clerk clicks it, at any depth
    of the /First and /Next tree. A /Dest only goes to a page. A tree that points back
    at itself is walked once per item, and one larger than any scan's is refused."""
    todo = [outlines]
    items: set[int] = set()
    while todo:
        if len(items) > MAX_ACTIONS:
            return True
        item = todo.pop()
        if item is None:
            continue
        if isinstance(item, pypdf_generic.IndirectObject):
            key = (item.idnum << 16) | item.generation
            if key in items:
                continue
            items.add(key)
        item = item.get_object()
        if not isinstance(item, pypdf_generic.DictionaryObject):
            continue
        if _any_active(item.get("/A"), seen):
            return True
        # Kept by reference, not resolved: the reference is what the loop check knows.
        todo.extend(item.raw_get(k) for k in ("/First", "/Next") if k in item)
    return False


def _any_active(action: Any, seen: set[int]) -> bool:
    """An action, the actions its /Next chain runs after it, or an array of them. An
    /OpenAction that is a destination (an array naming a page) runs nothing."""
    todo = [action]
    while todo:
        if len(seen) > MAX_ACTIONS:
            return True  # a chain this long is no scan's
        item = todo.pop()
        if item is None:
            continue
        if isinstance(item, pypdf_generic.IndirectObject):
            key = (item.idnum << 16) | item.generation
            if key in seen:
                continue  # a /Next loop: each action once
            seen.add(key)
        item = item.get_object()
        if isinstance(item, pypdf_generic.ArrayObject):
            todo.extend(x for x in item if isinstance(
                x, pypdf_generic.IndirectObject | pypdf_generic.DictionaryObject))
        elif isinstance(item, pypdf_generic.DictionaryObject):
            # A /JS entry is a script whatever /S names (a Rendition action carries one).
            if item.get("/S") in ACTIVE_ACTIONS or "/JS" in item:
                return True
            todo.append(item.get("/Next"))
    return False


def _render(page: pdfium.PdfPage) -> Image.Image:
    """A page at 300 dpi, or smaller where the page is large: the longest side at most
    STORE_MAX_SIDE, so a page declared a mile wide renders no more pixels than A4."""
    try:
        width, height = page.get_size()  # points, 1/72 inch
        longest = max(width, height, 1.0)
        scale = min(PDF_DPI / 72, STORE_MAX_SIDE / longest)
        bitmap = page.render(scale=scale, may_draw_forms=False)
        return bitmap.to_pil().convert("RGB")
    finally:
        page.close()


# --- shown at a kiosk ------------------------------------------------------------------

@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def watermark_text(at: datetime, kiosk: str, name_masked: str) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S}  {kiosk}  {name_masked}  仅供本人查看 for the owner only"


def watermarked(stored: bytes, text: str) -> bytes:
    """The stored image, scaled for the screen, with `text` across it diagonally (faint,
    repeated: a photograph of any part of the screen carries it) and in a band at the
    foot (plain: read at a glance)."""
    with Image.open(io.BytesIO(stored), formats=("JPEG",)) as im:
        im.load()
        base = _fit(im.convert("RGB"), SHOW_MAX_SIDE)
    w, h = base.size
    size = max(14, min(w, h) // 30)
    font = _font(size)
    # Rows of the text on a square as wide as the diagonal, turned 30°, the middle cut.
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    side = int((w * w + h * h) ** 0.5) + 1
    canvas = Image.new("L", (side, side), 0)
    line_w = int(probe.textlength(text, font=font)) + size * 4
    stamp = Image.new("L", (line_w, int(size * 1.4)), 0)
    ImageDraw.Draw(stamp).text((0, 0), text, fill=80, font=font)
    for row, y in enumerate(range(0, side, size * 5)):
        for x in range(-(row % 2) * line_w // 2, side, line_w):
            canvas.paste(stamp, (x, y))
    canvas = canvas.rotate(30, resample=Image.Resampling.BILINEAR)
    left, top = (side - w) // 2, (side - h) // 2
    mask = canvas.crop((left, top, left + w, top + h))
    base.paste(Image.new("RGB", (w, h), (200, 30, 30)), (0, 0), mask)
    # The band: as large as fits the width.
    band_size = size
    while band_size > 12 and probe.textlength(text, font=_font(band_size)) > w - band_size:
        band_size -= 2
    band_font = _font(band_size)
    band_h = int(band_size * 1.8)
    draw = ImageDraw.Draw(base)
    draw.rectangle((0, h - band_h, w, h), fill=(255, 255, 255))
    draw.text((band_size // 2, h - band_h + band_size // 3), text, fill=(160, 0, 0),
              font=band_font)
    return _jpeg(base)
