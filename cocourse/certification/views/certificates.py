"""Blueprint: public verification, the holder's certificate (HTML and PDF), Open Badges."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from joserfc.jwk import RSAKey
from werkzeug.wrappers import Response

from cocourse.certification import badge_signing, certificates, fonts, open_badges
from cocourse.certification import document as certificate_document
from cocourse.content import languages
from cocourse.content.program import Program
from cocourse.db import get_session
from cocourse.extensions import limited
from cocourse.models import Certificate, User, utcnow
from cocourse.web.course import course
from cocourse.web.i18n import current_language, speaking
from cocourse.web.roles import login_required
from cocourse.web.security_log import denied
from cocourse.web.urls import external_url

bp = Blueprint("certificates", __name__)
PDF_UNAVAILABLE = _l(
    "The PDF of this certificate cannot be drawn on this server (a font is missing). "
    "Print the certificate page instead, and tell your administrator."
)


def _verify_limit() -> str:
    return str(current_app.config["VERIFY_RATE_LIMIT"])


# Badge documents and verification links are named by PUBLIC_URL when it is set.
_external = external_url


@bp.get("/verify/<code>")
@limited(_verify_limit)
def verify(code: str) -> tuple[str, int] | str:
    """Holder, programme, dates and status; nothing else. Unknown codes: one uniform 404."""
    certificate = certificates.by_code(get_session(), code)
    if certificate is None:
        return render_template("certification/verify_unknown.html"), 404
    program = course().program(certificate.program)
    state = certificates.status(certificate, program, utcnow().date())
    return render_template(
        "certification/verify.html",
        certificate=certificate,
        program_title=program.title_in(current_language()) if program else certificate.program,
        status=state,
        label=certificates.LABELS[state],
    )


def _own_or_404(certificate_id: int) -> Certificate:
    """The certificate, for its holder and admins; 404 for everyone else."""
    found = get_session().get(Certificate, certificate_id)
    if found is None:
        abort(404)
    if found.user_id != current_user.id and not current_user.is_admin:
        denied("certificate of another person", certificate_id=certificate_id)
        abort(404)
    return found


def _holders_language(certificate: Certificate) -> str | None:
    """A certificate is written in its holder's language (their setting), whoever views it."""
    holder = get_session().get(User, certificate.user_id)
    return holder.language if holder is not None else None


def _facts(certificate: Certificate) -> certificate_document.CertificateFacts:
    """What the certificate says, in the current language (see `_holders_language`)."""
    program = course().program(certificate.program)
    return certificate_document.CertificateFacts(
        holder_name=certificate.holder_name,
        program_title=program.title_in(current_language()) if program else certificate.program,
        issued_on=certificate.valid_from,
        expires_on=certificate.expires_on,
        verification_url=_external("certificates.verify", code=certificate.code),
        code=certificate.code,
        issuer_name=current_app.config["ISSUER_NAME"],
    )


@bp.get("/certificates/<int:certificate_id>")
@login_required
def certificate_page(certificate_id: int) -> str:
    """The print-friendly certificate with its QR code, in the holder's language."""
    certificate = _own_or_404(certificate_id)
    state = certificates.status(certificate, course().program(certificate.program), utcnow().date())
    with speaking(_holders_language(certificate)):
        facts = _facts(certificate)
        return render_template(
            "certification/certificate.html",
            certificate=certificate,
            facts=facts,
            qr=certificate_document.qr_svg(facts.verification_url),
            status=state,
            label=certificates.LABELS[state],
        )


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_pdf(certificate_id: int) -> Response:
    """The certificate as a PDF, with the QR code linking to its verification page, in the
    holder's language."""
    certificate = _own_or_404(certificate_id)
    name = f"certificate-{certificate.program}-{certificate.valid_from.isoformat()}.pdf"
    try:
        with speaking(_holders_language(certificate)):
            document = certificate_document.certificate_pdf(
                _facts(certificate), font_dirs=current_app.config["CERTIFICATE_FONT_DIRS"]
            )
    except certificate_document.CertificateFontError as exc:
        # A server without the fonts for this name: say so, and point to the print page.
        current_app.logger.error("certificate PDF not drawn: %s", exc)
        abort(503, description=str(PDF_UNAVAILABLE))
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _json(
    data: dict[str, Any], status: int = 200, media_type: str = "application/json"
) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        status=status,
        mimetype=media_type,
        headers={"Access-Control-Allow-Origin": "*"},
    )


def _badge_json(data: dict[str, Any], status: int = 200) -> Response:
    return _json(data, status, open_badges.MEDIA_TYPE)


@bp.get("/badges/issuer.json")
def badge_issuer() -> Response:
    """The Open Badges issuer profile of this installation."""
    return _badge_json(
        open_badges.issuer_profile(
            issuer_id_url=_external("certificates.badge_issuer"),
            name=current_app.config["ISSUER_NAME"],
            url=_external("learning.catalog"),
            email=current_app.config.get("ISSUER_EMAIL") or None,
            public_key_url=_external("certificates.badge_key"),
            revocation_list_url=_external("certificates.badge_revocations"),
        )
    )


def _signing_key() -> RSAKey:
    return badge_signing.signing_key(current_app.config["BADGE_SIGNING_KEY_FILE"])


@bp.get("/badges/key.json")
def badge_key() -> Response:
    """The public key that signs the badges baked into images."""
    return _badge_json(
        open_badges.cryptographic_key(
            key_id_url=_external("certificates.badge_key"),
            owner_url=_external("certificates.badge_issuer"),
            public_key_pem=badge_signing.public_pem(_signing_key()),
        )
    )


@bp.get("/badges/revocations.json")
def badge_revocations() -> Response:
    """The issuer's revocation list: every revoked certificate's signed badge."""
    codes = certificates.revoked_codes(get_session())
    return _badge_json(
        open_badges.revocation_list(
            list_id_url=_external("certificates.badge_revocations"),
            issuer_id_url=_external("certificates.badge_issuer"),
            revoked_assertion_urls=[
                _external("certificates.badge_assertion", code=code) for code in codes
            ],
        )
    )


def _program_or_404(slug: str, language: str | None) -> Program:
    """The programme, asked for in its original language (None) or in one it is translated
    into; anything else is not found (a BadgeClass must be written in the language it says)."""
    program = course().program(slug)
    if program is None or (language is not None and language not in program.translations):
        abort(404)
    return program


def _badge_url(endpoint: str, slug: str, language: str | None) -> str:
    """A programme's badge document (`badge_class`, `badge_image`): the original's URL, or
    the one of its translation into `language`."""
    if language is None:
        return _external(f"certificates.{endpoint}", slug=slug)
    return _external(f"certificates.{endpoint}_in", slug=slug, language=language)


def _badge_language(program: Program | None, holder: User | None) -> str | None:
    """Which BadgeClass a holder's badge points to: the one in their language when the
    programme is translated into it, else the original (None)."""
    language = holder.language if holder is not None else None
    return language if program is not None and language in program.translations else None


@bp.get("/badges/programs/<slug>.json")
@bp.get("/badges/programs/<slug>/<language>.json", endpoint="badge_class_in")
def badge_class(slug: str, language: str | None = None) -> Response:
    """The Open Badges BadgeClass of a programme, in its original language or a translation;
    each names the others as `related`."""
    program = _program_or_404(slug, language)
    versions = {languages.ORIGINAL: None, **{code: code for code in program.translations}}
    written_in = language or languages.ORIGINAL
    return _badge_json(
        open_badges.badge_class(
            badge_id_url=_badge_url("badge_class", slug, language),
            issuer_id_url=_external("certificates.badge_issuer"),
            name=program.title_in(language),
            description=program.summary_in(language),
            image_url=_badge_url("badge_image", slug, language),
            criteria_url=_external("certification.program_page", slug=slug),
            language=written_in,
            related={
                code: _badge_url("badge_class", slug, version)
                for code, version in versions.items()
                if code != written_in
            },
        )
    )


@bp.get("/badges/programs/<slug>.svg")
@bp.get("/badges/programs/<slug>/<language>.svg", endpoint="badge_image_in")
def badge_image(slug: str, language: str | None = None) -> Response:
    """The badge image of a programme, its name in the BadgeClass's language."""
    program = _program_or_404(slug, language)
    svg = open_badges.badge_image_svg(program.title_in(language))
    return Response(svg, mimetype="image/svg+xml")


def _assertion(certificate: Certificate) -> dict[str, Any]:
    holder = get_session().get(User, certificate.user_id)
    assert holder is not None  # certificates are deleted with their holder
    code = certificate.code
    language = _badge_language(course().program(certificate.program), holder)
    return open_badges.assertion(
        assertion_id_url=_external("certificates.badge_assertion", code=code),
        badge_id_url=_badge_url("badge_class", certificate.program, language),
        recipient_email=holder.email,
        salt=certificate.badge_salt,
        issued_on=certificate.issued_at,
        expires=_end_of(certificate),
        revoked=certificate.revoked_at is not None,
        evidence_url=_external("certificates.verify", code=code),
    )


@bp.get("/badges/assertions/<code>.json")
@limited(_verify_limit)
def badge_assertion(code: str) -> Response:
    """The hosted Open Badges assertion of a certificate (revoked ones say so)."""
    certificate = certificates.by_code(get_session(), code)
    if certificate is None:
        return _json({"error": "not found"}, 404)
    revoked = certificate.revoked_at is not None
    return _badge_json(_assertion(certificate), open_badges.REVOKED_STATUS if revoked else 200)


@bp.get("/badges/assertions/<code>.<any(png, svg):kind>")
@limited(_verify_limit)
def baked_badge(code: str, kind: str) -> Response:
    """The badge image with the certificate's signed Assertion baked into it.

    Revoked certificates get no new image; a copy baked before is reported as revoked by
    verifiers, through the revocation list.
    """
    certificate = certificates.by_code(get_session(), code)
    if certificate is None:
        abort(404)
    if certificate.revoked_at is not None:
        abort(410, description=_("This certificate was revoked: its badge is no longer issued."))
    program = course().program(certificate.program)
    holder = get_session().get(User, certificate.user_id)
    title = program.title_in(_badge_language(program, holder)) if program else certificate.program
    signed = badge_signing.sign(
        open_badges.signed_assertion(
            _assertion(certificate), key_id_url=_external("certificates.badge_key")
        ),
        _signing_key(),
    )
    if kind == "svg":
        image = open_badges.badge_image_svg(title).encode("utf-8")
    else:
        image = open_badges.badge_image_png(title, _badge_font())
    name = f"badge-{certificate.program}-{certificate.valid_from.isoformat()}.{kind}"
    return Response(
        open_badges.baked(image, kind, signed),
        mimetype="image/svg+xml" if kind == "svg" else "image/png",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _badge_font() -> Path | None:
    dirs = tuple(Path(folder) for folder in current_app.config["CERTIFICATE_FONT_DIRS"])
    face = fonts.named_face(fonts.TEXT_BOLD, dirs)
    return face.path if face else None


def _end_of(certificate: Certificate) -> datetime:
    """The expiry as a timestamp: the start of the expiry day, in UTC."""
    return datetime.combine(certificate.expires_on, time.min, tzinfo=UTC)


@bp.get("/verify")
def verify_form() -> Response | str:
    """Type a verification code (for a certificate read on paper)."""
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("certificates.verify", code=code))
    return render_template("certification/verify_form.html")
