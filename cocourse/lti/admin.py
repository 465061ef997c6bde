"""Blueprint: registering learning platforms, the tool's keys, course rosters and the
scores waiting for a gradebook (admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from cocourse.db import get_session, write
from cocourse.lti import grades, keys, roster
from cocourse.lti.forms import PlatformForm
from cocourse.models import (
    Cohort,
    CohortMember,
    LtiAccount,
    LtiContext,
    LtiPlatform,
    LtiResourceLink,
    LtiScore,
    Role,
)
from cocourse.web import security_log
from cocourse.web.forms import ActionForm
from cocourse.web.roles import role_required
from cocourse.web.urls import external_url

bp = Blueprint("lti_admin", __name__, url_prefix="/admin/lti")
admins = role_required(Role.ADMIN)
FIELDS = (
    "name",
    "issuer",
    "client_id",
    "auth_login_url",
    "auth_token_url",
    "key_set_url",
    "link_by_email",
)


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _platform_or_404(platform_id: int) -> LtiPlatform:
    found = get_session().get(LtiPlatform, platform_id)
    if found is None:
        abort(404)
    return found


def _page(
    form: PlatformForm, editing: LtiPlatform | None = None, status: int = 200
) -> tuple[str, int]:
    db = get_session()
    platforms = list(db.scalars(select(LtiPlatform).order_by(LtiPlatform.name)))
    contexts = db.execute(
        select(LtiContext, Cohort.name, func.count(CohortMember.id))
        .join(Cohort, Cohort.id == LtiContext.cohort_id)
        .outerjoin(CohortMember, CohortMember.cohort_id == Cohort.id)
        .group_by(LtiContext.id, Cohort.name)
        .order_by(LtiContext.title)
    ).all()
    accounts = dict(
        db.execute(
            select(LtiAccount.platform_id, func.count()).group_by(LtiAccount.platform_id)
        ).all()
    )
    pending = db.scalar(select(func.count()).where(LtiScore.sent_at.is_(None))) or 0
    failing = list(
        db.execute(
            select(LtiScore, LtiResourceLink.title)
            .join(LtiResourceLink, LtiResourceLink.id == LtiScore.link_id)
            .where(LtiScore.sent_at.is_(None), LtiScore.last_error.is_not(None))
            .order_by(LtiScore.changed_at.desc())
            .limit(5)
        ).all()
    )
    page = render_template(
        "lti/admin.html",
        tool={
            _("Login initiation URL"): external_url("lti.login"),
            _("Launch URL, redirection URI and deep linking URL"): external_url("lti.launch"),
            _("Public keyset URL"): external_url("lti.jwks"),
        },
        key=keys.signing_key(db),
        platforms=platforms,
        contexts=contexts,
        accounts=accounts,
        pending=pending,
        failing=failing,
        form=form,
        editing=editing,
        action=ActionForm(),
    )
    return page, status


@bp.get("")
@admins
def platforms() -> tuple[str, int]:
    """The tool's addresses for the platform's admin, and the registered platforms."""
    return _page(PlatformForm())


@bp.get("/platforms/<int:platform_id>")
@admins
def edit(platform_id: int) -> tuple[str, int]:
    """The registration form, filled in with a platform's settings."""
    found = _platform_or_404(platform_id)
    form = PlatformForm(obj=found)
    return _page(form, found)


@bp.post("/platforms", defaults={"platform_id": None})
@bp.post("/platforms/<int:platform_id>")
@admins
def save(platform_id: int | None) -> Response | tuple[str, int]:
    """Register a platform, or change a registration."""
    found = _platform_or_404(platform_id) if platform_id is not None else None
    form = PlatformForm()
    if not form.validate_on_submit():
        return _page(form, found, 400)
    db = get_session()
    deployments = "\n".join(d.strip() for d in form.deployments.data.splitlines() if d.strip())
    try:
        with write(db):
            platform = db.get(LtiPlatform, found.id) if found else LtiPlatform()
            assert platform is not None
            for name in FIELDS:
                setattr(platform, name, getattr(form, name).data)
            platform.deployments = deployments
            db.add(platform)
            db.flush()
            saved_id = platform.id
    except IntegrityError:
        form.client_id.errors.append(_("This issuer and client ID are registered already."))
        return _page(form, found, 400)
    security_log.event(
        "lti_platform_saved", user_id=current_user.id, platform_id=saved_id, created=found is None
    )
    flash(_("Platform saved. Launches from it are accepted now."), "success")
    return redirect(url_for("lti_admin.platforms"))


@bp.post("/platforms/<int:platform_id>/delete")
@admins
def delete(platform_id: int) -> Response:
    """Forget a platform: its launches stop; the accounts and cohorts it made stay."""
    _checked()
    found = _platform_or_404(platform_id)
    db = get_session()
    with write(db):
        db.delete(db.get(LtiPlatform, found.id))
    security_log.event("lti_platform_deleted", user_id=current_user.id, platform_id=platform_id)
    flash(_("Platform removed. Accounts and cohorts made by its launches are kept."), "success")
    return redirect(url_for("lti_admin.platforms"))


@bp.post("/keys/rotate")
@admins
def rotate() -> Response:
    """A new signing key; the old one stays published for a week."""
    _checked()
    fresh = keys.rotate(get_session())
    security_log.event("lti_key_rotated", user_id=current_user.id, kid=fresh.kid)
    flash(_("New key made. Platforms that fetch the keyset pick it up on their own."), "success")
    return redirect(url_for("lti_admin.platforms"))


@bp.post("/contexts/<int:context_id>/sync")
@admins
def sync(context_id: int) -> Response:
    """Read a course's roster from its platform now."""
    _checked()
    db = get_session()
    context = db.get(LtiContext, context_id)
    if context is None:
        abort(404)
    result = roster.sync(db, context)
    if result.error:
        flash(str(result.error), "error")
    else:
        message = _(
            "%(members)s on the roster, %(created)s new account(s), %(removed)s left the cohort.",
            members=result.members,
            created=result.created,
            removed=result.removed,
        )
        if result.skipped:
            skipped = _("Skipped: %(people)s", people="; ".join(result.skipped[:5]))
            message += " " + skipped
        flash(message, "success")
    return redirect(url_for("lti_admin.platforms"))


@bp.post("/scores/send")
@admins
def send_scores() -> Response:
    """Send waiting scores now instead of at the next minute."""
    _checked()
    outcome = grades.send_pending(get_session())
    category = "error" if outcome.failed else "success"
    flash(
        _(
            "%(sent)s score(s) sent, %(failed)s failed.",
            sent=outcome.sent,
            failed=outcome.failed,
        ),
        category,
    )
    return redirect(url_for("lti_admin.platforms"))
