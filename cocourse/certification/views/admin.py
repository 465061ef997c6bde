"""Blueprint: admins list, export and revoke certificates, and read the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from cocourse import audit
from cocourse.certification import certificates
from cocourse.certification.forms import RevokeForm
from cocourse.db import get_session
from cocourse.models import Role, utcnow
from cocourse.web import csv_export
from cocourse.web.course import course
from cocourse.web.paging import page_count, requested_page
from cocourse.web.roles import role_required

bp = Blueprint("certificate_admin", __name__, url_prefix="/admin")
PER_PAGE = 50
CSV_COLUMNS = (
    "certificate_id",
    "name",
    "email",
    "program",
    "status",
    "valid_from",
    "expires_on",
    "issued_at",
    "renewed",
    "revoked_at",
    "verification_code",
)


def _filters() -> dict[str, Any]:
    program = request.args.get("program") or None
    wanted = request.args.get("status") or None
    return {
        "program": program if program and course().program(program) else None,
        "wanted": wanted if wanted in certificates.STATUSES else None,
        "query": (request.args.get("q") or "").strip()[:200],
    }


@bp.get("/certificates")
@role_required(Role.ADMIN)
def certificate_list() -> str:
    """Every certificate, newest first, filtered by programme, status and name or email."""
    filters = _filters()
    page = requested_page()
    rows, total = certificates.listing(
        get_session(),
        course(),
        today=utcnow().date(),
        page=page,
        per_page=PER_PAGE,
        **filters,
    )
    return render_template(
        "certification/admin_list.html",
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        filters=filters,
        programs=course().programs,
        titles={program.slug: program.title for program in course().programs},
        statuses=certificates.LABELS,
        form=RevokeForm(),
    )


@bp.get("/certificates.csv")
@role_required(Role.ADMIN)
def certificate_csv() -> Response:
    """The filtered list as CSV, streamed (columns documented in docs/operations.md)."""
    filters = _filters()
    found = certificates.every(get_session(), course(), today=utcnow().date(), **filters)
    rows = (
        (
            item.certificate.id,
            item.holder.name,
            item.holder.email,
            item.certificate.program,
            item.status,
            item.certificate.valid_from.isoformat(),
            item.certificate.expires_on.isoformat(),
            item.certificate.issued_at.isoformat(timespec="seconds"),
            "yes" if item.certificate.superseded_at else "no",
            _timestamp(item.certificate.revoked_at),
            item.certificate.code,
        )
        for item in found
    )
    return csv_export.download(CSV_COLUMNS, rows, "certificates.csv", get_session())


def _timestamp(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


@bp.post("/certificates/<int:certificate_id>/revoke")
@role_required(Role.ADMIN)
def revoke(certificate_id: int) -> Any:
    """Revoke a certificate; the verification page then says revoked (not why)."""
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for revoking the certificate."), "error")
    else:
        try:
            certificates.revoke(
                get_session(), certificate_id, current_user._get_current_object(), form.reason.data
            )
        except LookupError:
            abort(404)
        except certificates.CertificateError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Certificate revoked."))
    return redirect(url_for("certificate_admin.certificate_list"))


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_trail() -> str:
    """Every certification decision and change: who, when, what."""
    page = requested_page()
    subject = (request.args.get("subject") or "").strip()[:60] or None
    rows, total = audit.entries(get_session(), subject=subject, page=page, per_page=PER_PAGE)
    return render_template(
        "certification/audit.html",
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        subject=subject,
    )
