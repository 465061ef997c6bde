"""Open Badges 2.0 documents for certificates: hosted Assertions, and signed ones baked
into badge images.

Pure: no Flask, no database. The routes serve each document at the URL that is its ``id``:
the issuer Profile, its public key and revocation list, the BadgeClass of a programme, one
hosted Assertion per certificate, and the badge image. Open Badges 2.0 asks for
``application/ld+json`` (``application/json`` when the client accepts only that), and a
revoked hosted Assertion is answered with ``410 Gone`` and the short body :func:`assertion`
returns for it.

A baked badge (PNG or SVG) carries a *signed* Assertion of the same certificate: the
holder's copy works without our URLs, and a verifier learns from the issuer's revocation
list that it was revoked (a hosted Assertion can only answer 410).

The recipient is never published in clear: the Assertion carries ``sha256$`` and the hex
SHA-256 of the email address followed by a salt, so a backpack that knows the address can
check it and nobody else can read it.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import textwrap
import unicodedata
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from openbadges_bakery import bake  # type: ignore[import-untyped]
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "CONTEXT",
    "MEDIA_TYPE",
    "REVOKED_STATUS",
    "assertion",
    "badge_class",
    "badge_image_png",
    "badge_image_svg",
    "baked",
    "cryptographic_key",
    "identity_hash",
    "issuer_profile",
    "new_salt",
    "revocation_list",
    "signed_assertion",
]

CONTEXT = "https://w3id.org/openbadges/v2"
MEDIA_TYPE = "application/ld+json"
REVOKED_STATUS = 410  # HTTP status for a revoked hosted Assertion


def _url(value: str, what: str) -> str:
    """The value if it is an absolute http or https URL (the only IRIs badge tools follow)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be an absolute http or https URL, got {value!r}")
    return value


def _timestamp(moment: datetime, what: str) -> str:
    """An aware datetime as ISO 8601 in UTC with an explicit offset: 2026-01-31T08:00:00+00:00."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def new_salt() -> str:
    """A fresh random salt for a recipient's identity hash (128 bits, hex)."""
    return secrets.token_hex(16)


def identity_hash(email: str, salt: str) -> str:
    """The hashed identity of an email recipient: ``sha256$`` and hex SHA-256 of email + salt.

    The address is hashed exactly as given; pass it as the account stores it.
    """
    digest = hashlib.sha256((email + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def issuer_profile(
    *,
    issuer_id_url: str,
    name: str,
    url: str,
    email: str | None,
    description: str | None = None,
    image_url: str | None = None,
    public_key_url: str | None = None,
    revocation_list_url: str | None = None,
) -> dict[str, Any]:
    """The issuer's Profile, with the key that signs its badges and its revocation list.

    Open Badges 2.0 requires ``email`` of an issuer; it is left out only when None is given,
    which some validators reject, so configure a contact address.
    """
    profile: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Profile",
        "id": _url(issuer_id_url, "issuer_id_url"),
        "name": name,
        "url": _url(url, "url"),
    }
    if email:
        profile["email"] = email
    if description:
        profile["description"] = description
    if image_url:
        profile["image"] = _url(image_url, "image_url")
    if public_key_url:
        profile["publicKey"] = _url(public_key_url, "public_key_url")
    if revocation_list_url:
        profile["revocationList"] = _url(revocation_list_url, "revocation_list_url")
    return profile


def cryptographic_key(*, key_id_url: str, owner_url: str, public_key_pem: str) -> dict[str, Any]:
    """The public key that signs the issuer's badges, owned by the issuer Profile."""
    return {
        "@context": CONTEXT,
        "type": "CryptographicKey",
        "id": _url(key_id_url, "key_id_url"),
        "owner": _url(owner_url, "owner_url"),
        "publicKeyPem": public_key_pem,
    }


def signed_assertion_id(assertion_id_url: str) -> str:
    """The id of the signed twin of a hosted Assertion: a URN derived from its URL."""
    return uuid.uuid5(uuid.NAMESPACE_URL, _url(assertion_id_url, "assertion_id_url")).urn


def revocation_list(
    *, list_id_url: str, issuer_id_url: str, revoked_assertion_urls: list[str]
) -> dict[str, Any]:
    """The issuer's RevocationList: both Assertions of every revoked certificate.

    A revoked certificate is listed by its signed Assertion's id and by its hosted
    Assertion's URL. Reasons stay private (the issuer's records keep them), so the list only
    says that a badge was revoked. (Two entries per certificate also keep the list a list
    after JSON-LD compaction, which turns a list of one into a single value that the
    reference verifier then fails to read.)
    """
    entries = []
    for url in sorted(revoked_assertion_urls):
        entries += [{"id": signed_assertion_id(url)}, {"id": _url(url, "assertion URL")}]
    return {
        "@context": CONTEXT,
        "type": "RevocationList",
        "id": _url(list_id_url, "list_id_url"),
        "issuer": _url(issuer_id_url, "issuer_id_url"),
        "revokedAssertions": entries,
    }


def badge_class(
    *,
    badge_id_url: str,
    issuer_id_url: str,
    name: str,
    description: str,
    image_url: str,
    criteria_url: str,
    criteria_narrative: str | None = None,
    tags: tuple[str, ...] = (),
    language: str | None = None,
    related: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The BadgeClass of a programme: what the badge means and how it is earned.

    A programme translated into other languages has one BadgeClass per language: each says
    its ``@language`` (a BCP 47 code) and lists the others in ``related`` (language: URL),
    as Open Badges 2.0 describes versions of a badge in other languages.
    """
    criteria: dict[str, str] = {"id": _url(criteria_url, "criteria_url")}
    if criteria_narrative:
        criteria["narrative"] = criteria_narrative
    badge: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": _url(badge_id_url, "badge_id_url"),
        "name": name,
        "description": description,
        "image": _url(image_url, "image_url"),
        "criteria": criteria,
        "issuer": _url(issuer_id_url, "issuer_id_url"),
    }
    if tags:
        badge["tags"] = list(tags)
    if language:
        badge["@language"] = language
    if related:
        badge["related"] = [
            {"type": "BadgeClass", "id": _url(url, "related URL"), "@language": code}
            for code, url in sorted(related.items())
        ]
    return badge


def assertion(
    *,
    assertion_id_url: str,
    badge_id_url: str,
    recipient_email: str,
    salt: str,
    issued_on: datetime,
    expires: datetime | None,
    revoked: bool,
    revocation_reason: str | None = None,
    evidence_url: str | None = None,
    narrative: str | None = None,
) -> dict[str, Any]:
    """The hosted Assertion of one certificate, to be served at ``assertion_id_url``.

    Hosted verification needs no URL besides the Assertion's own ``id``. ``evidence_url``, if
    given, becomes the Assertion's ``evidence``, a page a backpack links to (the certificate's
    public verification page, say). A revoked Assertion is reduced to what the specification
    requires of it (``id`` and ``revoked: true``, with ``revocationReason`` only if one is
    given, since it is public) and should be served with :data:`REVOKED_STATUS`. Datetimes
    must be timezone-aware.
    """
    assertion_id = _url(assertion_id_url, "assertion_id_url")
    if revoked:
        gone: dict[str, Any] = {
            "@context": CONTEXT,
            "type": "Assertion",
            "id": assertion_id,
            "revoked": True,
        }
        if revocation_reason:
            gone["revocationReason"] = revocation_reason
        return gone
    if not salt:
        raise ValueError("salt must not be empty")
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion_id,
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": salt,
            "identity": identity_hash(recipient_email, salt),
        },
        "badge": _url(badge_id_url, "badge_id_url"),
        "verification": {"type": "hosted"},
        "issuedOn": _timestamp(issued_on, "issued_on"),
    }
    if expires is not None:
        document["expires"] = _timestamp(expires, "expires")
    if evidence_url:
        document["evidence"] = _url(evidence_url, "evidence_url")
    if narrative:
        document["narrative"] = narrative
    return document


def signed_assertion(hosted: dict[str, Any], *, key_id_url: str) -> dict[str, Any]:
    """The signed twin of a (not revoked) hosted Assertion, to sign and bake into an image.

    Same recipient, badge, dates and evidence; its id is a URN (see
    :func:`signed_assertion_id`) and its verification names the signing key.
    """
    if hosted.get("revoked"):
        raise ValueError("a revoked Assertion is not signed again")
    document = dict(hosted)
    document["id"] = signed_assertion_id(hosted["id"])
    document["verification"] = {"type": "SignedBadge", "creator": _url(key_id_url, "key_id_url")}
    return document


def baked(image: bytes, kind: str, signed: str) -> bytes:
    """A badge image (``png`` or ``svg``) with a signed Assertion (a JWS) baked into it."""
    if kind not in ("png", "svg"):
        raise ValueError(f"badges are baked into PNG or SVG images, not {kind!r}")
    source = io.BytesIO(image)
    source.name = f"badge.{kind}"  # openbadges-bakery tells the formats apart by content
    target = io.BytesIO()
    bake(source, signed, target)
    return target.getvalue()


# --- the badge image ---------------------------------------------------------------------------

_ACCENT = "#1f6f64"
_ACCENT_SOFT = "#e3f1ee"
_INK = "#1f2a30"
_FONTS = "DejaVu Sans, Noto Sans, Arial, sans-serif"


def _xml_char(ch: str) -> bool:
    """Whether XML 1.0 allows the character in text (controls and lone surrogates it does not)."""
    code = ord(ch)
    return (
        code >= 0x20 and not 0xD800 <= code <= 0xDFFF and code not in (0xFFFE, 0xFFFF)
    ) and unicodedata.category(ch) != "Cc"


def _title_lines(title: str) -> tuple[list[str], int]:
    """The title wrapped for the medallion, at most three lines, and the font size to use."""
    clean = " ".join("".join(c if _xml_char(c) else " " for c in title).split())
    for size, width in ((34, 12), (28, 15), (23, 19), (19, 23)):
        lines = textwrap.wrap(clean, width, break_long_words=False) or [""]
        if len(lines) <= 3 and all(len(line) <= width for line in lines):
            return lines, size
    lines = textwrap.wrap(clean, 23, break_long_words=True)
    if len(lines) <= 3:
        return lines, 19
    return [*lines[:2], lines[2][:22] + "…"], 19


def badge_image_svg(title: str) -> str:
    """A 400 by 400 SVG badge with the title on a medallion, for a BadgeClass ``image``.

    The title is escaped as XML text; the image has no scripts, links or external resources.
    """
    lines, size = _title_lines(title)
    step = size * 1.2
    first = 200 - step * (len(lines) - 1) / 2 + size * 0.35
    texts = "".join(
        f'<tspan x="200" y="{first + number * step:.1f}">{escape(line)}</tspan>'
        for number, line in enumerate(lines)
    )
    label = escape(" ".join(lines), {'"': "&quot;"})
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" '
        f'viewBox="0 0 400 400" role="img" aria-label="{label}">'
        f"<title>{escape(' '.join(lines))}</title>"
        f'<path d="M120 300 L95 390 L140 365 L165 395 L185 310 Z" fill="{_ACCENT}"/>'
        f'<path d="M280 300 L305 390 L260 365 L235 395 L215 310 Z" fill="{_ACCENT}"/>'
        f'<circle cx="200" cy="200" r="170" fill="{_ACCENT}"/>'
        f'<circle cx="200" cy="200" r="150" fill="{_ACCENT_SOFT}"/>'
        f'<circle cx="200" cy="200" r="140" fill="none" stroke="{_ACCENT}" stroke-width="3"/>'
        f'<text text-anchor="middle" font-family="{_FONTS}" font-size="{size}" '
        f'font-weight="bold" fill="{_INK}">{texts}</text>'
        "</svg>"
    )


def badge_image_png(title: str, font: Path | None) -> bytes:
    """The badge of :func:`badge_image_svg` as a 400 by 400 PNG (for baking).

    `font` draws the title (DejaVu Sans Bold, as certificates use); without one the
    medallion has no title, which the Assertion and the BadgeClass still name.
    """
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon([(120, 300), (95, 390), (140, 365), (165, 395), (185, 310)], fill=_ACCENT)
    draw.polygon([(280, 300), (305, 390), (260, 365), (235, 395), (215, 310)], fill=_ACCENT)
    draw.ellipse((30, 30, 370, 370), fill=_ACCENT)
    draw.ellipse((50, 50, 350, 350), fill=_ACCENT_SOFT)
    draw.ellipse((60, 60, 340, 340), outline=_ACCENT, width=3)
    if font is not None:
        lines, size = _title_lines(title)
        face = ImageFont.truetype(str(font), size)
        step = size * 1.2
        top = 200 - step * len(lines) / 2
        for number, line in enumerate(lines):
            draw.text((200, top + number * step), line, font=face, fill=_INK, anchor="mt")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
