"""Certificate PDFs, QR codes, Open Badges documents and the badge image."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pypdfium2
import pytest
import segno
import zxingcpp
from defusedxml import ElementTree as ET
from PIL import Image
from pypdf import PdfReader

from cocourse.certification import document as cd
from cocourse.certification import fonts as cf
from cocourse.certification import open_badges as ob

URL = "https://learn.example.org/verify/4kJx9QeT2mN7bVz1LpRs8w"
FACTS = cd.CertificateFacts(
    holder_name="Ada Lovelace",
    program_title="Certified Facilitator",
    issued_on=date(2026, 1, 31),
    expires_on=date(2028, 1, 31),
    verification_url=URL,
    code="4kJx9QeT2mN7bVz1LpRs8w",
    issuer_name="cocourse",
)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def fonts() -> None:
    """The certificate fonts; missing fonts fail under CI=true (CI installs them), else skip."""
    wanted = (cf.TEXT_REGULAR, cf.TEXT_BOLD, cf.EMOJI)
    missing = [f.package for f in wanted if cf.named_face(f, ()) is None]
    if missing:
        message = f"certificate fonts missing: apt-get install {' '.join(sorted(set(missing)))}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def text_of(pdf: bytes) -> str:
    """The text of the only page, as a PDF reader extracts it."""
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def decode_qr(image: Image.Image) -> list[str]:
    """Every QR code zxing-cpp reads in the image."""
    return [found.text for found in zxingcpp.read_barcodes(image)]


# --- the PDF -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain_pdf(fonts) -> bytes:
    """The certificate of FACTS, drawn once for the tests that only read it."""
    return cd.certificate_pdf(FACTS)


def test_pdf_text_has_every_fact(plain_pdf):
    text = text_of(plain_pdf)
    for expected in (
        "Ada Lovelace",
        "Certified Facilitator",
        "Issued on 31 January 2026",
        "Valid until 31 January 2028",
        URL,
        "Verification code: 4kJx9QeT2mN7bVz1LpRs8w",
    ):
        assert expected in text


@pytest.mark.parametrize(
    "name",
    ["ليلى حداد", "דנה לוי", "Ana 🌱 Silva", "<b>Eve</b> & Co"],
    ids=["arabic", "hebrew", "emoji", "markup"],
)
def test_pdf_text_has_the_holders_name_as_written(fonts, name):
    assert name in text_of(cd.certificate_pdf(replace(FACTS, holder_name=name)))


def test_pdf_is_a4_landscape_with_metadata_and_links_only_to_verification(plain_pdf):
    reader = PdfReader(io.BytesIO(plain_pdf))
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    assert reader.metadata is not None
    assert reader.metadata.title == "Certificate: Certified Facilitator, Ada Lovelace"
    assert reader.metadata.author == "cocourse"
    uris = {annot.get_object()["/A"]["/URI"] for annot in page["/Annots"]}
    assert uris == {URL}
    assert "/JavaScript" not in str(reader.trailer["/Root"])


def test_pdf_qr_code_decodes_to_the_verification_url(plain_pdf):
    document = pypdfium2.PdfDocument(plain_pdf)
    try:
        image = document[0].render(scale=2).to_pil()
    finally:
        document.close()
    assert decode_qr(image) == [URL]


def test_pdf_is_the_same_for_the_same_facts(plain_pdf):
    assert cd.certificate_pdf(FACTS) == plain_pdf


def test_pdf_without_expiry_and_a_name_with_line_breaks_and_controls(fonts):
    facts = replace(FACTS, expires_on=None, holder_name=" Ada\n\tLove\x00lace ")
    text = text_of(cd.certificate_pdf(facts))
    assert "Ada Lovelace" in text
    assert "Valid until" not in text
    assert "Issued on 31 January 2026" in text


def test_pdf_wraps_a_very_long_name(fonts):
    name = " ".join(["Maximiliana Wilhelmina Fitzgerald-Ramírez"] * 3)
    text = text_of(cd.certificate_pdf(replace(FACTS, holder_name=name)))
    assert " ".join(text.split()).count("Fitzgerald-Ramírez") == 3


def test_pdf_refuses_a_character_no_font_has(fonts):
    with pytest.raises(cd.CertificateFontError, match="U\\+0378"):
        cd.certificate_pdf(replace(FACTS, holder_name="Ada \u0378"))


def test_missing_text_font_names_the_package(monkeypatch):
    monkeypatch.setattr(cf, "named_face", lambda font, dirs: None)
    with pytest.raises(cd.CertificateFontError, match="fonts-dejavu-core"):
        cd.certificate_pdf(FACTS)


def test_font_dirs_are_searched_before_fontconfig(fonts, tmp_path):
    system = cf.named_face(cf.TEXT_REGULAR, ())
    assert system is not None
    (tmp_path / "DejaVuSans.ttf").symlink_to(system.path)
    found = cf.named_face(cf.TEXT_REGULAR, (tmp_path,))
    assert found == cf.Face(tmp_path / "DejaVuSans.ttf")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "/verify/abc", "https://x.example/a b"])
def test_only_absolute_web_urls_are_accepted(url):
    with pytest.raises(ValueError, match="verification URL"):
        cd.qr_svg(url)
    with pytest.raises(ValueError, match="verification URL"):
        cd.certificate_pdf(replace(FACTS, verification_url=url))


# --- the QR code as SVG ----------------------------------------------------------------------


def svg_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules of segno's inline SVG, read back from its path of horizontal runs."""
    path = ET.fromstring(svg).find(".//path[@stroke]")
    assert path is not None
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, numbers in re.findall(r"([Mmh])([-\d. ]+)", path.attrib["d"]):
        values = [float(v) for v in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            dark.update((int(x) + i, int(y)) for i in range(int(values[0])))
            x += values[0]
    return dark


def test_qr_svg_decodes_to_the_url():
    svg = cd.qr_svg(URL)
    side = int(ET.fromstring(svg).attrib["width"]) // 4  # the default scale
    image = Image.new("L", (side, side), 255)
    for module in svg_modules(svg):
        image.putpixel(module, 0)
    assert decode_qr(image.resize((side * 8, side * 8), Image.Resampling.NEAREST)) == [URL]


def test_qr_svg_matches_segnos_matrix():
    matrix = segno.make_qr(URL, error="m").matrix
    expected = {(x + 4, y + 4) for y, row in enumerate(matrix) for x, v in enumerate(row) if v}
    assert svg_modules(cd.qr_svg(URL)) == expected


def test_qr_svg_is_plain_drawing():
    svg = cd.qr_svg(URL + "?a=<b>&c='d'")
    root = ET.fromstring(svg)  # well-formed XML
    tags = {element.tag for element in root.iter()}
    assert tags <= {"svg", "title", "g", "path"}
    attributes = {name for element in root.iter() for name in element.attrib}
    assert not any(name.startswith("on") or "href" in name for name in attributes)
    assert "learn.example.org" not in svg and "script" not in svg.lower()


# --- Open Badges 2.0 -------------------------------------------------------------------------

SITE = "https://learn.example.org"
ISSUED = datetime(2026, 1, 31, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def test_issuer_profile():
    profile = ob.issuer_profile(
        issuer_id_url=f"{SITE}/badges/issuer", name="cocourse", url=SITE, email="team@example.org"
    )
    assert profile == {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Profile",
        "id": f"{SITE}/badges/issuer",
        "name": "cocourse",
        "url": SITE,
        "email": "team@example.org",
    }
    no_email = ob.issuer_profile(issuer_id_url=f"{SITE}/i", name="c", url=SITE, email=None)
    assert "email" not in no_email


def test_badge_class():
    badge = ob.badge_class(
        badge_id_url=f"{SITE}/badges/facilitator",
        issuer_id_url=f"{SITE}/badges/issuer",
        name="Certified Facilitator",
        description="Facilitates co-creation workshops on their own.",
        image_url=f"{SITE}/badges/facilitator.svg",
        criteria_url=f"{SITE}/modules/certification",
    )
    assert badge["@context"] == "https://w3id.org/openbadges/v2"
    assert badge["type"] == "BadgeClass"
    assert badge["issuer"] == f"{SITE}/badges/issuer"
    assert badge["image"] == f"{SITE}/badges/facilitator.svg"
    assert badge["criteria"] == {"id": f"{SITE}/modules/certification"}
    assert {"id", "name", "description"} <= badge.keys()


def test_assertion_hashes_the_recipient_and_uses_hosted_verification():
    document = ob.assertion(
        assertion_id_url=f"{SITE}/badges/assertions/abc",
        badge_id_url=f"{SITE}/badges/facilitator",
        recipient_email="ada@example.org",
        salt="s4lt",
        issued_on=ISSUED,
        expires=ISSUED + timedelta(days=730),
        revoked=False,
    )
    expected = "sha256$" + hashlib.sha256(b"ada@example.orgs4lt").hexdigest()
    assert document == {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": f"{SITE}/badges/assertions/abc",
        "recipient": {"type": "email", "hashed": True, "salt": "s4lt", "identity": expected},
        "badge": f"{SITE}/badges/facilitator",
        "verification": {"type": "hosted"},
        "issuedOn": "2026-01-31T08:30:00+00:00",
        "expires": "2028-01-31T08:30:00+00:00",
    }
    assert "ada@example.org" not in json.dumps(document)


def test_revoked_assertion_is_reduced_to_id_and_revoked():
    common = dict(
        assertion_id_url=f"{SITE}/badges/assertions/abc",
        badge_id_url=f"{SITE}/badges/facilitator",
        recipient_email="ada@example.org",
        salt="s4lt",
        issued_on=ISSUED,
        expires=None,
        revoked=True,
    )
    gone = ob.assertion(**common)
    assert gone == {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": f"{SITE}/badges/assertions/abc",
        "revoked": True,
    }
    with_reason = ob.assertion(**common, revocation_reason="Issued in error")
    assert with_reason["revocationReason"] == "Issued in error"
    assert ob.REVOKED_STATUS == 410


def test_assertion_without_expiry_and_with_a_fresh_salt():
    salt = ob.new_salt()
    assert len(salt) == 32 and salt != ob.new_salt()
    document = ob.assertion(
        assertion_id_url=f"{SITE}/a/1",
        badge_id_url=f"{SITE}/b/1",
        recipient_email="ada@example.org",
        salt=salt,
        issued_on=datetime(2026, 1, 31, tzinfo=UTC),
        expires=None,
        revoked=False,
    )
    assert "expires" not in document and "revoked" not in document and "evidence" not in document
    assert document["issuedOn"] == "2026-01-31T00:00:00+00:00"
    identity = hashlib.sha256(f"ada@example.org{salt}".encode()).hexdigest()
    assert document["recipient"]["identity"] == f"sha256${identity}"


def test_assertion_links_the_evidence_page():
    document = ob.assertion(
        assertion_id_url=f"{SITE}/a/1",
        badge_id_url=f"{SITE}/b/1",
        recipient_email="ada@example.org",
        salt="s",
        issued_on=ISSUED,
        expires=None,
        revoked=False,
        evidence_url=URL,
    )
    assert document["evidence"] == URL


def test_assertion_refuses_naive_datetimes_and_non_web_ids():
    arguments = dict(
        assertion_id_url=f"{SITE}/a/1",
        badge_id_url=f"{SITE}/b/1",
        recipient_email="ada@example.org",
        salt="s",
        issued_on=datetime(2026, 1, 31),
        expires=None,
        revoked=False,
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        ob.assertion(**arguments)
    arguments.update(issued_on=ISSUED, assertion_id_url="urn:uuid:1234")
    with pytest.raises(ValueError, match="assertion_id_url"):
        ob.assertion(**arguments)


@pytest.mark.parametrize(
    "title",
    [
        "Certified Facilitator",
        "<script>alert(1)</script> & \"Co\" 'x'",
        "ميسّر معتمد في الإبداع المشترك",
        "A very long programme title about co-creation and self-organisation in organisations",
        "bad\x00xml\ufffe",
    ],
)
def test_badge_image_is_safe_svg_with_the_title(title):
    svg = ob.badge_image_svg(title)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.attrib["viewBox"] == "0 0 400 400"
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags <= {"svg", "title", "path", "circle", "text", "tspan"}
    attributes = {name for element in root.iter() for name in element.attrib}
    assert not any(name.startswith("on") or "href" in name for name in attributes)
    shown = " ".join("".join(root.find(f"{SVG}text").itertext()).split())  # type: ignore[union-attr]
    words = title.replace("\x00", " ").replace("\ufffe", " ").split()
    if len(title) < 60:
        assert shown.replace(" ", "") == "".join(words)
    else:
        assert shown.endswith("…") and shown.startswith("A very long")
