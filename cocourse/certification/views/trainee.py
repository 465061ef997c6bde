"""Blueprint: trainees enrol, keep their practicum log, submit, and renew."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from cocourse.certification import (
    attachments,
    certificates,
    from_workshop,
    portfolios,
    requirements,
)
from cocourse.certification.forms import practicum_session_form, reflection_texts, statement_form
from cocourse.certification.links import site_links
from cocourse.cohorts import services as cohorts
from cocourse.content.program import Program
from cocourse.db import get_session
from cocourse.models import Portfolio, PracticumSession, utcnow
from cocourse.plugins import enabled
from cocourse.web.course import course
from cocourse.web.extend import plugin_manager
from cocourse.web.forms import ActionForm
from cocourse.web.ids import query_int
from cocourse.web.roles import login_required
from cocourse.web.security_log import denied

bp = Blueprint("certification", __name__, url_prefix="/certification")


def _program_or_404(slug: str) -> Program:
    found = course().program(slug)
    if found is None:
        abort(404)
    return found


def attachment_store() -> attachments.Store:
    """Where practicum attachments are kept (`ATTACHMENT_STORAGE`): the database, or a
    folder inside the instance folder that is never served as it is."""
    if current_app.config["ATTACHMENT_STORAGE"] == "database":
        return attachments.DatabaseStore(current_app.extensions["cocourse.engine"])
    return attachments.FolderStore(Path(current_app.instance_path) / "uploads" / "practicum")


def _open_or_404(program: Program) -> Portfolio:
    found = portfolios.open_portfolio(get_session(), current_user.id, program.slug)
    if found is None:
        abort(404)
    return found


@bp.get("/")
@login_required
def programs() -> str:
    """Every certification programme and where the viewer stands in it."""
    found = portfolios.standings(get_session(), current_user.id, course().programs, utcnow().date())
    return render_template("certification/programs.html", standings=found, labels=portfolios.LABELS)


@bp.get("/<slug>")
@login_required
def program_page(slug: str) -> str:
    """The checklist, the practicum log and the review history of the viewer's portfolio."""
    program = _program_or_404(slug)
    session = get_session()
    today = utcnow().date()
    portfolio = portfolios.open_portfolio(session, current_user.id, program.slug)
    held = certificates.current(session, current_user.id, program.slug)
    context: dict[str, Any] = {
        "program": program,
        "portfolio": portfolio,
        "certificate": held,
        "certificate_status": certificates.status(held, program, today) if held else None,
        "history": certificates.history(session, current_user.id, program.slug),
        "labels": portfolios.LABELS,
        "action": ActionForm(),
        "today": today,
        "titles": _titles(program),
    }
    if portfolio is not None:
        context["checklist"] = requirements.checklist(session, course(), program, portfolio, today)
        context["reviews"] = portfolios.reviews(session, portfolio.id)
        context["editable"] = portfolio.status in portfolios.EDITABLE
        context["workshops"] = _unlogged_workshops(portfolio.id)
    else:
        context["blockers"] = requirements.enrolment_blockers(
            session, course(), program, current_user.id
        )
        context["renewal_opens"] = (
            requirements.renewal_opens(held, program)
            if held is not None and program.renewal is not None
            else None
        )
    return render_template("certification/program.html", **context)


def _unlogged_workshops(portfolio_id: int) -> list[Any]:
    """Workshops the viewer facilitated that are not in this portfolio's log yet."""
    if not enabled(plugin_manager(), "workshops"):
        return []
    db = get_session()
    done = from_workshop.logged(db, portfolio_id)
    held = from_workshop.facilitated(db, current_user.id, utcnow())
    return [w for w in held if w.id not in done]


def _titles(program: Program) -> dict[str, str]:
    """Titles for the modules, exam and domains a programme names by slug, id or tag."""
    current = course()
    titles = {c.id: c.title for c in program.rubric.criteria}
    for slug in program.required_modules:
        module = current.module(slug)
        titles[slug] = module.title if module else slug
    if program.exam is not None:
        found = current.quiz(program.exam.quiz)
        titles[program.exam.quiz] = found[1].title if found else program.exam.quiz
    return titles


def _back(program: Program) -> Response:
    return redirect(url_for("certification.program_page", slug=program.slug))


@bp.post("/<slug>/enrol")
@login_required
def enrol(slug: str) -> Response:
    """Start a portfolio for a first certificate."""
    program = _program_or_404(slug)
    if ActionForm().validate_on_submit():
        try:
            portfolios.enrol(
                get_session(),
                course(),
                program,
                current_user._get_current_object(),
                utcnow().date(),
            )
        except portfolios.PortfolioError as exc:
            flash(str(exc), "error")
        else:
            flash(
                _(
                    "You are enrolled in %(programme)s. Log your practicum sessions here.",
                    programme=program.title,
                )
            )
    return _back(program)


@bp.post("/<slug>/renew")
@login_required
def renew(slug: str) -> Response:
    """Start a renewal portfolio for the current certificate."""
    program = _program_or_404(slug)
    if ActionForm().validate_on_submit():
        try:
            portfolios.start_renewal(
                get_session(), program, current_user._get_current_object(), utcnow().date()
            )
        except portfolios.PortfolioError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Renewal started. Log your sessions and write your renewal reflection."))
    return _back(program)


@bp.post("/<slug>/submit")
@login_required
def submit(slug: str) -> Response:
    """Send the portfolio for review; the server re-checks the whole checklist first."""
    program = _program_or_404(slug)
    portfolio = _open_or_404(program)
    if ActionForm().validate_on_submit():
        try:
            portfolios.submit(
                get_session(),
                course(),
                program,
                portfolio.id,
                current_user._get_current_object(),
                utcnow().date(),
                links=site_links(),
                declared=request.form.get("declared") == "yes",
            )
        except portfolios.PortfolioError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Submitted. An assessor will review your portfolio."))
    return _back(program)


def _prompts(program: Program, portfolio: Portfolio) -> tuple[Any, ...]:
    """Reflection prompts for each session: a renewal asks for one reflection overall."""
    return program.practicum.prompts if portfolio.kind == requirements.CERTIFICATION else ()


@bp.post("/<slug>/withdraw")
@login_required
def withdraw(slug: str) -> Response:
    """Take the submitted portfolio back to change it (before an assessor decides)."""
    program = _program_or_404(slug)
    portfolio = _open_or_404(program)
    if ActionForm().validate_on_submit():
        try:
            portfolios.withdraw(get_session(), portfolio.id, current_user._get_current_object())
        except portfolios.PortfolioError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Withdrawn. Change what you need and submit again."))
    return _back(program)


def _values(form: Any, prompts: tuple[Any, ...]) -> portfolios.SessionValues:
    return portfolios.SessionValues(
        held_on=form.held_on.data,
        minutes=form.minutes.data,
        participants=form.participants.data,
        role=form.role.data,
        stakeholder_groups=form.stakeholder_groups.data or "",
        beyond_team=bool(form.beyond_team.data),
        co_facilitators=form.co_facilitators.data or "",
        purpose=form.purpose.data or "",
        methods=form.methods.data or "",
        harvest=form.harvest.data or "",
        feedback=form.feedback.data or "",
        reflection=reflection_texts(form, prompts),
    )


def _stored_upload(form: Any) -> attachments.Stored | None:
    """Check and store the uploaded file, if any; raises AttachmentError."""
    upload = form.attachment.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data = upload.read(current_app.config["PRACTICUM_ATTACHMENT_MAX_BYTES"] + 1)
    checked = attachments.check(
        upload.filename, data, current_app.config["PRACTICUM_ATTACHMENT_MAX_BYTES"]
    )
    key = attachment_store().put(data)
    return attachments.Stored(checked.name, key, checked.media_type, len(data))


def _record(workshop_id: int | None) -> from_workshop.WorkshopFacts | None:
    """The facts of a workshop the viewer facilitated (None when it is not theirs, has not
    taken place, or the workshops feature is off)."""
    if workshop_id is None or not enabled(plugin_manager(), "workshops"):
        return None
    db = get_session()
    workshop = from_workshop.may_log(db, workshop_id, current_user.id, utcnow())
    if workshop is None:
        return None
    return from_workshop.facts(db, workshop, current_user.id, course().kit.feedback)


def _session_form_page(
    program: Program,
    portfolio: Portfolio,
    row: PracticumSession | None,
    record: from_workshop.WorkshopFacts | None = None,
) -> str | Response | tuple[str, int]:
    prompts = _prompts(program, portfolio)
    form = practicum_session_form(prompts, obj=row or record)
    if row is not None and not form.is_submitted():
        for index, prompt in enumerate(prompts):
            form[f"reflection_{index}"].data = (row.reflection or {}).get(prompt.id, "")
    if portfolio.status not in portfolios.EDITABLE:
        flash(_("This portfolio is under review or decided; it cannot be changed."), "error")
        return _back(program)
    if form.validate_on_submit():
        try:
            stored = _stored_upload(form)
        except attachments.AttachmentError as exc:
            form.attachment.errors = [str(exc)]
        else:
            return _save(program, portfolio, row, form, stored, record)
    return _render_session_form(program, form, row, 400 if form.is_submitted() else 200, record)


def _render_session_form(
    program: Program,
    form: Any,
    row: PracticumSession | None,
    status: int,
    record: from_workshop.WorkshopFacts | None = None,
) -> tuple[str, int]:
    page = render_template(
        "certification/session_form.html",
        program=program,
        form=form,
        row=row,
        record=record,
        allowed=attachments.allowed(),
        max_kb=current_app.config["PRACTICUM_ATTACHMENT_MAX_BYTES"] // 1024,
    )
    return page, status


def _save(
    program: Program,
    portfolio: Portfolio,
    row: PracticumSession | None,
    form: Any,
    stored: attachments.Stored | None,
    record: from_workshop.WorkshopFacts | None,
) -> str | Response | tuple[str, int]:
    try:
        _saved, replaced = portfolios.save_session(
            get_session(),
            program,
            portfolio.id,
            current_user._get_current_object(),
            _values(form, _prompts(program, portfolio)),
            utcnow().date(),
            session_id=row.id if row else None,
            attachment=stored,
            record=record,
        )
    except LookupError:
        attachment_store().discard(stored.key if stored else None)
        abort(404)
    except portfolios.PortfolioError as exc:
        attachment_store().discard(stored.key if stored else None)
        form.form_errors.append(str(exc))
        return _render_session_form(program, form, row, 400, record)
    attachment_store().discard(replaced)
    flash(_("Session saved."))
    return _back(program)


@bp.route("/<slug>/sessions/new", methods=["GET", "POST"])
@login_required
def new_session(slug: str) -> str | Response | tuple[str, int]:
    """Log a session in the open portfolio; `?workshop=<id>` starts from the record of a
    workshop the trainee facilitated."""
    program = _program_or_404(slug)
    portfolio = _open_or_404(program)
    workshop_id = query_int("workshop", 0) or None
    record = _record(workshop_id)
    if workshop_id is not None and record is None:
        denied("workshop not facilitated by the trainee", workshop_id=workshop_id)
        abort(404)
    return _session_form_page(program, portfolio, None, record)


def _own_row(portfolio: Portfolio, session_id: int) -> PracticumSession:
    row = get_session().get(PracticumSession, session_id)
    if row is None:
        abort(404)
    if row.portfolio_id != portfolio.id:
        denied("practicum session of another portfolio", practicum_session_id=session_id)
        abort(404)
    return row


@bp.route("/<slug>/sessions/<int:session_id>", methods=["GET", "POST"])
@login_required
def edit_session(slug: str, session_id: int) -> str | Response | tuple[str, int]:
    """Change a logged session (only the owner's, only before submission)."""
    program = _program_or_404(slug)
    portfolio = _open_or_404(program)
    row = _own_row(portfolio, session_id)
    return _session_form_page(program, portfolio, row, _record(row.workshop_id))


@bp.post("/<slug>/sessions/<int:session_id>/delete")
@login_required
def delete_session(slug: str, session_id: int) -> Response:
    """Remove a logged session and its attachment."""
    program = _program_or_404(slug)
    portfolio = _open_or_404(program)
    if ActionForm().validate_on_submit():
        try:
            key = portfolios.delete_session(
                get_session(), portfolio.id, current_user._get_current_object(), session_id
            )
        except LookupError:
            abort(404)
        except portfolios.PortfolioError as exc:
            flash(str(exc), "error")
        else:
            attachment_store().discard(key)
            flash(_("Session deleted."))
    return _back(program)


@bp.route("/<slug>/statement", methods=["GET", "POST"])
@login_required
def statement(slug: str) -> str | Response | tuple[str, int]:
    """The renewal reflection on the validity period."""
    program = _program_or_404(slug)
    portfolio = _open_or_404(program)
    if program.renewal is None or portfolio.kind != requirements.RENEWAL:
        abort(404)
    prompts = program.renewal.prompts
    form = statement_form(prompts)
    if not form.is_submitted():
        form.development_hours.data = portfolio.development_hours
        for index, prompt in enumerate(prompts):
            form[f"reflection_{index}"].data = (portfolio.statement or {}).get(prompt.id, "")
    elif form.validate():
        try:
            portfolios.save_statement(
                get_session(),
                program,
                portfolio.id,
                current_user._get_current_object(),
                reflection_texts(form, prompts),
                form.development_hours.data,
            )
        except portfolios.PortfolioError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Renewal reflection saved."))
            return _back(program)
    page = render_template(
        "certification/statement.html", program=program, form=form, rule=program.renewal
    )
    return page, 400 if form.is_submitted() else 200


@bp.get("/attachments/<int:session_id>")
@login_required
def attachment(session_id: int) -> Response:
    """A practicum attachment, for its owner, their assessors and admins only."""
    session = get_session()
    row = session.get(PracticumSession, session_id)
    portfolio = session.get(Portfolio, row.portfolio_id) if row else None
    if row is None or portfolio is None or row.attachment_key is None:
        abort(404)
    if portfolio.user_id != current_user.id and not cohorts.can_view_learner(
        session, current_user._get_current_object(), portfolio.user_id
    ):
        denied("practicum attachment of another person", practicum_session_id=session_id)
        abort(404)
    data = attachment_store().read(row.attachment_key)
    if data is None:
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype=row.attachment_type,
        as_attachment=True,
        download_name=row.attachment_name or "attachment",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
