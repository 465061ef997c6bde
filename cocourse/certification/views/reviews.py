"""Blueprint: assessors review submitted portfolios against the programme's rubric."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from cocourse import audit
from cocourse.accounts import services as accounts
from cocourse.certification import from_workshop, portfolios, requirements
from cocourse.certification.forms import review_form
from cocourse.certification.links import site_links
from cocourse.db import get_session
from cocourse.models import Portfolio, Role, utcnow
from cocourse.web.course import course
from cocourse.web.roles import role_required
from cocourse.web.security_log import denied

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@bp.get("/")
@role_required(Role.ASSESSOR, Role.ADMIN)
def queue() -> str:
    """Submitted portfolios of the viewer's cohorts (all, for admins), oldest first."""
    rows = portfolios.queue(get_session(), current_user._get_current_object())
    titles = {program.slug: program.title for program in course().programs}
    return render_template("certification/queue.html", rows=rows, titles=titles)


def _portfolio_or_404(portfolio_id: int) -> Portfolio:
    """The portfolio if the viewer may review it; the same 404 for missing and not yours."""
    session = get_session()
    found = session.get(Portfolio, portfolio_id)
    if found is None:
        abort(404)
    if not portfolios.may_review(session, current_user._get_current_object(), found):
        denied("portfolio not open to this reviewer", portfolio_id=portfolio_id)
        abort(404)
    return found


@bp.route("/<int:portfolio_id>", methods=["GET", "POST"])
@role_required(Role.ASSESSOR, Role.ADMIN)
def review(portfolio_id: int) -> str | Response | tuple[str, int]:
    """The whole portfolio, the exam result, the checklist and the rubric form."""
    portfolio = _portfolio_or_404(portfolio_id)
    program = course().program(portfolio.program)
    if program is None:
        abort(404)
    session = get_session()
    form = review_form(program.rubric)
    if form.validate_on_submit():
        pm = current_app.extensions["cocourse.plugins"]
        viewer = current_user._get_current_object()
        try:
            _review, issued = portfolios.decide(
                session,
                pm,
                course(),
                program,
                portfolio.id,
                viewer,
                _decision(form, program.rubric),
                utcnow().date(),
                links=site_links(),
            )
        except LookupError:
            abort(404)
        except portfolios.PortfolioError as exc:  # incomplete, or decided a moment ago
            form.form_errors.append(str(exc))
        else:
            if issued is not None:
                flash(_("Approved. The certificate is issued."))
            else:
                flash(_("Changes requested. The trainee sees your comments."))
            return redirect(url_for("reviews.queue"))
    return _page(program, portfolio, form), 400 if form.is_submitted() else 200


def _decision(form: Any, rubric: Any) -> portfolios.Decision:
    """The decision as the review form holds it (its fields are named by criterion index)."""
    criteria = list(enumerate(rubric.criteria))
    return portfolios.Decision(
        decision=form.decision.data,
        levels={c.id: form[f"level_{i}"].data for i, c in criteria},
        evidence={c.id: form[f"evidence_{i}"].data or "" for i, c in criteria},
        comments=form.comments.data or "",
        independent=bool(form.independent.data),
    )


def _page(program: Any, portfolio: Portfolio, form: Any) -> str:
    session = get_session()
    today = utcnow().date()
    checklist = requirements.checklist(session, course(), program, portfolio, today)
    exam = (
        requirements.exam_standing(session, portfolio.user_id, program.exam)
        if program.exam is not None
        else None
    )
    return render_template(
        "certification/review.html",
        program=program,
        portfolio=portfolio,
        owner=accounts.get_user(session, portfolio.user_id),
        checklist=checklist,
        exam=exam,
        reviews=portfolios.reviews(session, portfolio.id),
        trail=audit.entries(session, subject=f"portfolio:{portfolio.id}", per_page=200)[0],
        form=form,
        labels=portfolios.STATUS_LABELS,
        domain_titles={c.id: c.title for c in program.rubric.criteria},
        attended=from_workshop.attended(
            session, [logged.row.workshop_id for logged in checklist.sessions]
        ),
    )
