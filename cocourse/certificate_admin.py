"""Blueprint: admins list, export and revoke certificates, and read the audit trail."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from . import audit, certificates
from .admin import admin_required
from .db import get_session
from .forms import RevokeForm
from .learn import course
from .models import utcnow

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
@admin_required
def certificate_list() -> str:
    """Every certificate, newest first, filtered by programme, status and name or email."""
    filters = _filters()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
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
        pages=max(1, -(-total // PER_PAGE)),
        filters=filters,
        programs=course().programs,
        statuses=certificates.LABELS,
        form=RevokeForm(),
    )


@bp.get("/certificates.csv")
@admin_required
def certificate_csv() -> Response:
    """The filtered list as CSV, streamed (columns documented in docs/operations.md)."""
    filters = _filters()
    session = get_session()

    def rows() -> Iterator[str]:
        yield _line(CSV_COLUMNS)
        try:
            found = certificates.every(session, course(), today=utcnow().date(), **filters)
            for item in found:
                cert = item.certificate
                yield _line(
                    (
                        cert.id,
                        item.holder.name,
                        item.holder.email,
                        cert.program,
                        item.status,
                        cert.valid_from.isoformat(),
                        cert.expires_on.isoformat(),
                        cert.issued_at.isoformat(timespec="seconds"),
                        "yes" if cert.superseded_at else "no",
                        cert.revoked_at.isoformat(timespec="seconds") if cert.revoked_at else "",
                        cert.code,
                    )
                )
        finally:
            session.rollback()  # end the read transaction with the last row

    headers = {"Content-Disposition": 'attachment; filename="certificates.csv"'}
    return Response(stream_with_context(rows()), mimetype="text/csv", headers=headers)


def _line(values: tuple[Any, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


@bp.post("/certificates/<int:certificate_id>/revoke")
@admin_required
def revoke(certificate_id: int) -> Any:
    """Revoke a certificate; the verification page then says revoked (not why)."""
    form = RevokeForm()
    if not form.validate_on_submit():
        flash("Give the reason for revoking the certificate.", "error")
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
            flash("Certificate revoked.")
    return redirect(url_for("certificate_admin.certificate_list"))


@bp.get("/audit")
@admin_required
def audit_trail() -> str:
    """Every certification decision and change: who, when, what."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    subject = (request.args.get("subject") or "").strip()[:60] or None
    rows, total = audit.entries(get_session(), subject=subject, page=page, per_page=PER_PAGE)
    return render_template(
        "certification/audit.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        subject=subject,
    )
