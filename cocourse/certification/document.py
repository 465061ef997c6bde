"""Certificate documents: the PDF a holder downloads and the QR code that links to verification.

Pure: no Flask, no database. The certification routes pass the facts as plain values and send
the bytes or the markup on; they still escape any text they put into HTML themselves.

The PDF is drawn with fpdf2 and its text shaped by HarfBuzz (uharfbuzz), so Arabic letters
join, Arabic and Hebrew run right to left, and emoji with skin tones or flags combine. Fonts
come from the system: DejaVu Sans (Debian's ``fonts-dejavu-core``) for the text, Noto Color
Emoji (``fonts-noto-color-emoji``) for emoji, and for any other character whatever installed
font fontconfig (``fc-match``) finds for it. Folders given as ``font_dirs`` are searched
first. A character that no font has raises :class:`CertificateFontError`: better no PDF
than a certificate with a hole in the holder's name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from urllib.parse import urlsplit

import segno
from flask import has_request_context
from flask_babel import format_date
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.drawing import PaintedPath
from fpdf.fonts import TTFFont

from cocourse.certification.fonts import CertificateFontError, FontSet, font_set

__all__ = [
    "CertificateFacts",
    "CertificateFontError",
    "certificate_pdf",
    "qr_svg",
]


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate says. The holder's name is untrusted text and is only ever drawn."""

    holder_name: str
    program_title: str
    issued_on: date
    expires_on: date | None
    verification_url: str
    code: str
    issuer_name: str


# --- QR code ---------------------------------------------------------------------------------

QR_TITLE = "QR code linking to the certificate's verification page"


def _checked_url(url: str) -> str:
    """The URL itself if it is absolute http or https; a QR code must never carry anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("the verification URL must be an absolute http or https URL")
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
        raise ValueError("the verification URL must not contain spaces or control characters")
    return url


def _qr(url: str) -> segno.QRCode:
    """A QR code (never a Micro QR) for the URL, with medium or better error correction."""
    return segno.make_qr(_checked_url(url), error="m", boost_error=True)


def qr_svg(url: str, *, scale: int = 4) -> str:
    """Inline SVG markup of a QR code for the URL, safe to put into a page as it is.

    The markup holds only ``svg``, ``title`` and ``path`` elements with fixed attributes and
    numbers; the URL is encoded in the drawing, never written out as text.
    """
    return _qr(url).svg_inline(
        scale=scale,
        border=4,
        dark="#000",
        light="#fff",
        title=QR_TITLE,
        svgclass="cocourse-qr",
        lineclass=None,
    )


# --- the PDF -------------------------------------------------------------------------------------

_PAGE_W = 297.0  # A4 landscape, millimetres
_PAGE_H = 210.0
_TEXT_X = 30.0
_TEXT_W = _PAGE_W - 2 * _TEXT_X
_QR_SIZE = 36.0
_QR_X = _PAGE_W - 22.0 - _QR_SIZE
_QR_Y = _PAGE_H - 30.0 - _QR_SIZE
_INK = (31, 42, 48)
_SOFT = (76, 90, 97)
_ACCENT = (31, 111, 100)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_FAMILY = "certtext"
_FALLBACK = "certfallback"


def _clean(text: str) -> str:
    """Text on one line: runs of whitespace become one space, control characters go."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch.isspace())
    return " ".join(kept.split())


def _long_date(day: date) -> str:
    """A date as 31 January 2026, whatever the server's locale."""
    if has_request_context():
        # In the reader's language: 31 January 2026, 31 januari 2026, 31 janvier 2026.
        return str(format_date(day, "d MMMM y"))
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class _Lines:
    """Every piece of text on the certificate, cleaned."""

    issuer: str
    holder: str
    program: str
    issued: str
    expires: str
    verify: str
    code: str

    @classmethod
    def of(cls, facts: CertificateFacts) -> _Lines:
        """The wording for the facts."""
        expires = (
            _("Valid until %(date)s", date=_long_date(facts.expires_on)) if facts.expires_on else ""
        )
        return cls(
            issuer=_clean(facts.issuer_name),
            holder=_clean(facts.holder_name),
            program=_clean(facts.program_title),
            issued=_("Issued on %(date)s", date=_long_date(facts.issued_on)),
            expires=expires,
            verify=_("Check that this certificate is valid at %(url)s", url=facts.verification_url),
            code=_("Verification code: %(code)s", code=_clean(facts.code)),
        )

    def all_text(self) -> str:
        """Everything that will be drawn, for choosing fonts."""
        fixed = " ".join(
            (_("Certificate"), _("This certifies that"), _("has completed"), _("Scan to verify"))
        )
        return " ".join((fixed, *astuple(self)))


def certificate_pdf(facts: CertificateFacts, *, font_dirs: Sequence[str | Path] = ()) -> bytes:
    """The certificate as an A4 landscape PDF, with a QR code linking to its verification page.

    ``font_dirs`` are folders searched for fonts before fontconfig (``CERTIFICATE_FONT_DIRS``).
    Raises :class:`CertificateFontError` when a font is missing, ``ValueError`` when the
    verification URL is not an absolute http or https URL. The same facts give the same bytes.
    """
    _checked_url(facts.verification_url)
    lines = _Lines.of(facts)
    fonts = font_set(lines.all_text(), tuple(Path(d) for d in font_dirs))
    pdf = _new_document(facts, lines, fonts)
    try:
        _draw_frame(pdf)
        _draw_body(pdf, lines)
        _draw_footer(pdf, lines, facts.verification_url)
        _draw_qr(pdf, facts.verification_url)
        return bytes(pdf.output())
    finally:
        # fpdf2 reads fonts lazily and leaves colour fonts open after output.
        for font in pdf.fonts.values():
            if isinstance(font, TTFFont):
                font.close()


def _new_document(facts: CertificateFacts, lines: _Lines, fonts: FontSet) -> FPDF:
    """An empty landscape page with the fonts loaded, shaping on and the metadata set."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(_TEXT_X, 20.0, _TEXT_X)
    pdf.c_margin = 0
    pdf.add_font(_FAMILY, "", fonts.regular.path, collection_font_number=fonts.regular.index)
    pdf.add_font(_FAMILY, "B", fonts.bold.path, collection_font_number=fonts.bold.index)
    names = []
    for number, face in enumerate(fonts.fallbacks):
        name = f"{_FALLBACK}{number}"
        pdf.add_font(name, "", face.path, collection_font_number=face.index)
        names.append(name)
    pdf.set_fallback_fonts(names, exact_match=False)
    pdf.set_text_shaping(use_shaping_engine=True)
    pdf.set_lang("en")
    pdf.set_title(f"Certificate: {lines.program}, {lines.holder}")
    pdf.set_author(lines.issuer)
    pdf.set_subject(lines.program)
    pdf.set_creator("cocourse")
    pdf.set_creation_date(datetime.combine(facts.issued_on, time(), UTC))
    pdf.add_page()
    return pdf


def _draw_frame(pdf: FPDF) -> None:
    """A double border in the accent colour."""
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(9, 9, _PAGE_W - 18, _PAGE_H - 18)
    pdf.set_line_width(0.3)
    pdf.rect(12.5, 12.5, _PAGE_W - 25, _PAGE_H - 25)


def _fit(pdf: FPDF, text: str, style: str, largest: float, smallest: float) -> None:
    """Select the largest font size, down to ``smallest``, at which the text fits one line."""
    size = largest
    pdf.set_font(_FAMILY, style, size)
    while size > smallest and pdf.get_string_width(text) > _TEXT_W:
        size -= 1
        pdf.set_font_size(size)


def _centred(pdf: FPDF, text: str, height: float) -> None:
    """A centred paragraph across the text width, wrapping if it must, then move below it."""
    pdf.set_x(_TEXT_X)
    pdf.multi_cell(_TEXT_W, height, text, align="C", new_x="LMARGIN", new_y="NEXT")


def _draw_body(pdf: FPDF, lines: _Lines) -> None:
    """Issuer, title, holder and programme, centred from the top down."""
    pdf.set_y(30)
    pdf.set_text_color(*_ACCENT)
    _fit(pdf, lines.issuer, "B", 14, 9)
    _centred(pdf, lines.issuer, 7)
    pdf.ln(3)
    pdf.set_font(_FAMILY, "B", 36)
    _centred(pdf, _("Certificate"), 16)
    pdf.ln(9)
    pdf.set_text_color(*_SOFT)
    pdf.set_font(_FAMILY, "", 14)
    _centred(pdf, _("This certifies that"), 8)
    pdf.ln(3)
    pdf.set_text_color(*_INK)
    _fit(pdf, lines.holder, "B", 30, 16)
    _centred(pdf, lines.holder, pdf.font_size * 1.25)
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(_PAGE_W / 2 - 60, pdf.get_y() + 2, _PAGE_W / 2 + 60, pdf.get_y() + 2)
    pdf.ln(7)
    pdf.set_text_color(*_SOFT)
    pdf.set_font(_FAMILY, "", 14)
    _centred(pdf, _("has completed"), 8)
    pdf.ln(2)
    pdf.set_text_color(*_INK)
    _fit(pdf, lines.program, "B", 22, 13)
    _centred(pdf, lines.program, pdf.font_size * 1.3)


def _draw_footer(pdf: FPDF, lines: _Lines, url: str) -> None:
    """Dates on the left above the small print; the small print links to the verification page."""
    width = _QR_X - _TEXT_X - 10
    pdf.set_text_color(*_INK)
    pdf.set_font(_FAMILY, "", 12)
    pdf.set_xy(_TEXT_X, _QR_Y + 2)
    for text in (lines.issued, lines.expires):
        if text:
            pdf.cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_SOFT)
    pdf.set_font(_FAMILY, "", 8)
    pdf.set_xy(_TEXT_X, _QR_Y + _QR_SIZE - 8)
    pdf.multi_cell(width, 4, lines.verify, link=url, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(width, 4, lines.code, new_x="LMARGIN", new_y="NEXT")


def _draw_qr(pdf: FPDF, url: str) -> None:
    """The QR code as one filled vector path, a link over it, and a caption under it."""
    qr = _qr(url)
    border = 2
    side = qr.symbol_size(scale=1, border=border)[0]
    module = _QR_SIZE / side
    with pdf.new_path() as path:
        path.style.fill_color = "#000000"
        path.style.stroke_color = None
        for row_number, row in enumerate(qr.matrix_iter(scale=1, border=border)):
            _add_row(path, row, _QR_X, _QR_Y + row_number * module, module)
    pdf.link(_QR_X, _QR_Y, _QR_SIZE, _QR_SIZE, url)
    pdf.set_text_color(*_SOFT)
    pdf.set_font(_FAMILY, "", 8)
    pdf.set_xy(_QR_X, _QR_Y + _QR_SIZE + 1)
    pdf.cell(_QR_SIZE, 4, _("Scan to verify"), align="C")


def _add_row(path: PaintedPath, row: Iterable[int], x: float, y: float, module: float) -> None:
    """One rectangle per run of dark modules in a row of the QR matrix."""
    start = None
    cells = [*row, 0]
    for column, dark in enumerate(cells):
        if dark and start is None:
            start = column
        elif not dark and start is not None:
            path.rectangle(x + start * module, y, (column - start) * module, module)
            start = None
