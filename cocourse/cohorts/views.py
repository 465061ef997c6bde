"""Blueprint: cohorts and people imports (admins), joining (learners), learners (assessors)."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_in
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from cocourse.accounts import services as accounts
from cocourse.cohorts import due_dates, people
from cocourse.cohorts import services as cohorts
from cocourse.cohorts.forms import (
    AddMemberForm,
    AssessorForm,
    CohortForm,
    DueDateForm,
    JoinCodeForm,
    PeopleFileForm,
)
from cocourse.db import get_session
from cocourse.extensions import limited
from cocourse.learning import progress
from cocourse.models import Cohort, Role, utcnow
from cocourse.web import i18n, pending_join, security_log
from cocourse.web.course import course
from cocourse.web.forms import ActionForm
from cocourse.web.paging import page_count, requested_page
from cocourse.web.roles import login_required, role_required
from cocourse.web.security_log import denied
from cocourse.web.urls import external_url

bp = Blueprint("cohorts", __name__)

PER_PAGE = 50
# What happened to a row of a people file, on the import report.
OUTCOME_NAMES = {
    people.CREATED: _l("created"),
    people.UPDATED: _l("updated"),
    people.UNCHANGED: _l("unchanged"),
    people.REJECTED: _l("rejected"),
}


def _cohort_or_404(cohort_id: int) -> Cohort:
    cohort = cohorts.get_cohort(get_session(), cohort_id)
    if cohort is None:
        abort(404)
    return cohort


def join_link(cohort: Cohort) -> str:
    """The full invite link of a cohort, to copy into an email or a chat."""
    return url_for("cohorts.join_page", code=cohort.join_code, _external=True)


def _checked(form: ActionForm) -> None:
    """Refuse a state-changing POST whose form (and CSRF token) does not validate."""
    if not form.validate_on_submit():
        abort(400)


def _to_cohort(cohort_id: int) -> Response:
    return redirect(url_for("cohorts.cohort", cohort_id=cohort_id))


def _cohort_list_page(form: CohortForm) -> str:
    summaries = cohorts.list_cohorts(get_session())
    return render_template(
        "cohorts/cohorts.html",
        summaries=summaries,
        links={s.cohort.id: join_link(s.cohort) for s in summaries},
        form=form,
    )


@bp.get("/admin/cohorts")
@role_required(Role.ADMIN)
def cohort_list() -> str:
    """Every cohort with its member count, assessors and join link; a form to add one."""
    return _cohort_list_page(CohortForm(formdata=None))


@bp.post("/admin/cohorts")
@role_required(Role.ADMIN)
def create_cohort() -> str | Response:
    """Create a cohort."""
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = cohorts.create_cohort(
                get_session(), form.name.data, form.description.data or ""
            )
        except cohorts.CohortError as exc:
            form.name.errors.append(str(exc))
        else:
            flash(
                _(
                    "Cohort %(name)s created. Share its join link to let people in.",
                    name=cohort.name,
                )
            )
            return _to_cohort(cohort.id)
    return _cohort_list_page(form)


def _staff_choices(form: AssessorForm, leave_out: set[int]) -> AssessorForm:
    """Offer the assessors and admins not assigned yet."""
    form.user_id.choices = [
        SelectChoice(
            person.id,
            f"{person.name} ({person.email}, {cohorts.ROLE_NAMES.get(person.role, person.role)})",
        )
        for person in cohorts.staff(get_session())
        if person.id not in leave_out
    ]
    return form


def _report_link(found: Cohort) -> str | None:
    """The cohort's progress report, if the reports feature is on."""
    if "reports" not in current_app.blueprints:
        return None
    return url_for("reports.cohort_matrix", cohort_id=found.id)


def _due_form(form: DueDateForm) -> DueDateForm:
    """The due date form, offering the course's tracks and modules in two groups."""
    form.target.choices = due_dates.choices(course())
    today = utcnow().date()
    form.due_on.render_kw = {"min": today.isoformat(), "max": due_dates.latest(today).isoformat()}
    return form


def _cohort_page(found: Cohort, edit: CohortForm, due: DueDateForm | None = None) -> str:
    session = get_session()
    today = utcnow().date()
    page = requested_page()
    members, total = cohorts.members(session, found.id, page, PER_PAGE)
    assigned = cohorts.assessors(session, found.id)
    assign = _staff_choices(AssessorForm(formdata=None), {person.id for person in assigned})
    return render_template(
        "cohorts/cohort.html",
        cohort=found,
        link=join_link(found),
        members=members,
        role_names=cohorts.ROLE_NAMES,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        assessors=assigned,
        edit=edit,
        add=AddMemberForm(formdata=None),
        assign=assign,
        action=ActionForm(),
        due_rows=due_dates.rows(course(), due_dates.cohort_due_dates(session, found.id)),
        due=due or _due_form(DueDateForm(formdata=None)),
        today=today,
        report=_report_link(found),
        when_text=due_dates.when_text,
    )


@bp.get("/admin/cohorts/<int:cohort_id>")
@role_required(Role.ADMIN)
def cohort(cohort_id: int) -> str:
    """A cohort: its members a page at a time, its assessors, and every change."""
    found = _cohort_or_404(cohort_id)
    return _cohort_page(found, CohortForm(obj=found, formdata=None))


@bp.post("/admin/cohorts/<int:cohort_id>")
@role_required(Role.ADMIN)
def edit_cohort(cohort_id: int) -> str | Response:
    """Rename a cohort or change its description."""
    found = _cohort_or_404(cohort_id)
    form = CohortForm()
    if form.validate_on_submit():
        try:
            saved = cohorts.update_cohort(
                get_session(), cohort_id, form.name.data, form.description.data or ""
            )
        except cohorts.CohortError as exc:
            form.name.errors.append(str(exc))
        else:
            flash(_("Cohort %(name)s saved.", name=saved.name))
            return _to_cohort(cohort_id)
    return _cohort_page(found, form)


@bp.post("/admin/cohorts/<int:cohort_id>/members")
@role_required(Role.ADMIN)
def add_member(cohort_id: int) -> Response:
    """Put a person who has an account into the cohort, by email."""
    found = _cohort_or_404(cohort_id)
    form = AddMemberForm()
    if not form.validate_on_submit():
        flash(_("Type the email of a person who has an account."), "error")
        return _to_cohort(cohort_id)
    try:
        person, new = cohorts.add_member_by_email(get_session(), cohort_id, form.email.data)
    except cohorts.CohortError as exc:
        flash(str(exc), "error")
    else:
        if new:
            flash(_("%(person)s is now in %(cohort)s.", person=person.name, cohort=found.name))
        else:
            flash(_("%(person)s was already in %(cohort)s.", person=person.name, cohort=found.name))
    return _to_cohort(cohort_id)


@bp.post("/admin/cohorts/<int:cohort_id>/members/<int:user_id>/remove")
@role_required(Role.ADMIN)
def remove_member(cohort_id: int, user_id: int) -> Response:
    """Take a person out of the cohort (their account and progress stay)."""
    found = _cohort_or_404(cohort_id)
    _checked(ActionForm())
    person = accounts.get_user(get_session(), user_id)
    if person is None or not cohorts.remove_member(get_session(), cohort_id, user_id):
        abort(404)
    flash(_("%(person)s is no longer in %(cohort)s.", person=person.name, cohort=found.name))
    page = requested_page()
    return redirect(url_for("cohorts.cohort", cohort_id=cohort_id, page=page))


@bp.post("/admin/cohorts/<int:cohort_id>/due-dates")
@role_required(Role.ADMIN)
def set_due_date(cohort_id: int) -> str | Response:
    """Set, or change, the date by which the cohort should finish a track or module."""
    found = _cohort_or_404(cohort_id)
    form = _due_form(DueDateForm())
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _cohort_page(found, CohortForm(obj=found, formdata=None), form)
    try:
        day = due_dates.parse_date(form.due_on.data)
        saved, before = due_dates.set_due_date(
            get_session(), course(), cohort_id, form.target.data or "", day, utcnow().date()
        )
    except due_dates.DueDateError as exc:
        (form.due_on if exc.field == "due_on" else form.target).errors.append(str(exc))
        return _cohort_page(found, CohortForm(obj=found, formdata=None), form)
    title = due_dates.rows(course(), [saved])[0].title
    when = i18n.day(saved.due_on)
    if before is None:
        flash(
            _(
                "%(cohort)s should finish %(title)s by %(date)s.",
                cohort=found.name,
                title=title,
                date=when,
            )
        )
    elif before == saved.due_on:
        flash(
            _(
                "%(cohort)s already had %(date)s as the due date of %(title)s.",
                cohort=found.name,
                date=when,
                title=title,
            )
        )
    else:
        flash(
            _(
                "The due date of %(title)s moved from %(before)s to %(date)s.",
                title=title,
                before=i18n.day(before),
                date=when,
            )
        )
    return _to_cohort(cohort_id)


@bp.post("/admin/cohorts/<int:cohort_id>/due-dates/<int:due_id>/remove")
@role_required(Role.ADMIN)
def remove_due_date(cohort_id: int, due_id: int) -> Response:
    """Remove one of the cohort's due dates (reminders for it stop)."""
    _cohort_or_404(cohort_id)
    _checked(ActionForm())
    removed = due_dates.remove_due_date(get_session(), cohort_id, due_id)
    if removed is None:
        abort(404)
    title = due_dates.rows(course(), [removed])[0].title
    flash(_("The due date of %(title)s is removed.", title=title))
    return _to_cohort(cohort_id)


@bp.post("/admin/cohorts/<int:cohort_id>/assessors")
@role_required(Role.ADMIN)
def assign_assessor(cohort_id: int) -> Response:
    """Let an assessor or admin see this cohort's learners."""
    found = _cohort_or_404(cohort_id)
    form = _staff_choices(AssessorForm(), set())
    if not form.validate_on_submit():
        abort(400, _("Choose an assessor from the list and submit the form again."))
    try:
        cohorts.assign_assessor(get_session(), cohort_id, form.user_id.data)
    except cohorts.CohortError as exc:
        flash(str(exc), "error")
    else:
        person = accounts.get_user(get_session(), form.user_id.data)
        if person is None:
            flash(_("The assessor now assesses %(cohort)s.", cohort=found.name))
        else:
            flash(_("%(person)s now assesses %(cohort)s.", person=person.name, cohort=found.name))
    return _to_cohort(cohort_id)


@bp.post("/admin/cohorts/<int:cohort_id>/assessors/<int:user_id>/remove")
@role_required(Role.ADMIN)
def unassign_assessor(cohort_id: int, user_id: int) -> Response:
    """Stop an assessor seeing this cohort's learners."""
    found = _cohort_or_404(cohort_id)
    _checked(ActionForm())
    person = accounts.get_user(get_session(), user_id)
    if person is None or not cohorts.unassign_assessor(get_session(), cohort_id, user_id):
        abort(404)
    flash(_("%(person)s no longer assesses %(cohort)s.", person=person.name, cohort=found.name))
    return _to_cohort(cohort_id)


@bp.post("/admin/cohorts/<int:cohort_id>/code")
@role_required(Role.ADMIN)
def regenerate_code(cohort_id: int) -> Response:
    """Give the cohort a new join code; the old link stops working."""
    _cohort_or_404(cohort_id)
    _checked(ActionForm())
    found = cohorts.regenerate_code(get_session(), cohort_id)
    flash(_("%(name)s has a new join link; the old one no longer works.", name=found.name))
    return _to_cohort(cohort_id)


@bp.route("/admin/cohorts/<int:cohort_id>/delete", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def delete_cohort(cohort_id: int) -> str | Response:
    """Ask for confirmation, then delete the cohort (never the accounts in it)."""
    found = _cohort_or_404(cohort_id)
    form = ActionForm()
    if request.method == "POST":
        _checked(form)
        name = found.name
        cohorts.delete_cohort(get_session(), cohort_id)
        flash(_("Cohort %(name)s deleted. The people in it keep their accounts.", name=name))
        return redirect(url_for("cohorts.cohort_list"))
    _first, total = cohorts.members(get_session(), cohort_id, 1, 1)
    return render_template("cohorts/cohort_delete.html", cohort=found, total=total, form=form)


# Adding people from a CSV file


@bp.route("/admin/people/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def import_people() -> str:
    """Upload a CSV file of people; the page then reports on every row."""
    form = PeopleFileForm()
    report = None
    if form.validate_on_submit():
        data = form.file.data.read(people.MAX_BYTES + 1)
        try:
            invite = invitation_link if form.invite.data else None
            report = people.import_csv(get_session(), data, invite, current_user.name)
        except people.PeopleFileError as exc:
            form.file.errors.append(str(exc))
    return render_template(
        "cohorts/cohorts_import.html",
        form=form,
        report=report,
        invited=bool(report and form.invite.data),
        outcome_names=OUTCOME_NAMES,
        max_rows=people.MAX_ROWS,
        max_kb=people.MAX_BYTES // 1024,
    )


def invitation_link(token: str) -> str:
    """The invitation link of a token (the accounts feature serves it)."""
    return external_url("accounts_recovery.accept", token=token)


def _joined(cohort: Cohort, new: bool) -> Response:
    if new:
        flash(_("You joined %(name)s.", name=cohort.name))
    else:
        flash(_("You are already in %(name)s.", name=cohort.name))
    return redirect(url_for("learning.catalog"))


def _join_limit() -> str:
    return str(current_app.config["JOIN_RATE_LIMIT"])


def _join_throttled(_limit: object) -> None:
    """Flask-Limiter's on_breach: note the 429 in the security log."""
    security_log.event("join_throttled", level=logging.WARNING, endpoint=request.endpoint)


def _refused(typed: str) -> None:
    """A code that opens no cohort: logged (its length only, never the code itself)."""
    security_log.event(
        "join_code_refused", level=logging.WARNING, endpoint=request.endpoint, length=len(typed)
    )


def _unknown(form: JoinCodeForm, message: str | None = None) -> tuple[str, int]:
    form.code.errors = [message or cohorts.unknown_code()]
    return render_template("cohorts/join.html", cohort=None, form=form, action=None), 404


# Both join routes count together against one limit per client address: every request that
# names a code is a guess, whether typed into /join or put into a /join/<code> address.
_JOIN_SCOPE = "join"


@bp.route("/join", methods=["GET", "POST"])
@limited(_join_limit, scope=_JOIN_SCOPE, methods=["POST"], on_breach=_join_throttled)
@login_required
def join_form() -> str | Response:
    """Type or paste a join code (or the whole link) to join its cohort."""
    form = JoinCodeForm()
    if form.validate_on_submit():
        try:
            cohort, new = cohorts.join_by_code(get_session(), current_user.id, form.code.data)
        except cohorts.CohortError as exc:
            _refused(form.code.data)
            form.code.errors.append(str(exc))
        else:
            return _joined(cohort, new)
    return render_template("cohorts/join.html", cohort=None, form=form, action=None)


@bp.route("/join/<code>", methods=["GET", "POST"])
@limited(_join_limit, scope=_JOIN_SCOPE, on_breach=_join_throttled)
def join_page(code: str) -> str | Response | tuple[str, int]:
    """An invite link: the cohort's name and a Join button (POST, with a CSRF token).

    Without a login, a good code waits in the signed session while the person logs in or
    signs up, and they are put in the cohort right after (`_join_after_login`)."""
    session = get_session()
    cohort = cohorts.find_by_code(session, code)
    form = JoinCodeForm(formdata=None)
    if cohort is None:
        _refused(code)
        return _unknown(form)
    if not current_user.is_authenticated:
        pending_join.hold(cohort.join_code)  # the login and sign-up pages say so
        return redirect(url_for("accounts.login"))
    action = ActionForm()
    if action.validate_on_submit():
        try:
            joined, new = cohorts.join_by_code(session, current_user.id, code)
        except cohorts.CohortError as exc:  # deleted or given a new code a moment ago
            return _unknown(form, str(exc))
        return _joined(joined, new)
    member = cohorts.is_member(session, cohort.id, current_user.id)
    return render_template(
        "cohorts/join.html", cohort=cohort, member=member, form=form, action=action
    )


@bp.post("/join/not-now")
def forget_join() -> Response:
    """Drop a join link waiting for a login (the person changed their mind)."""
    if ActionForm().validate_on_submit():
        pending_join.drop()
        flash(_("You will not join a cohort when you log in."))
    return redirect(url_for("accounts.login"))


def _join_after_login(_app: Any, user: Any = None, **_extra: Any) -> None:
    """Flask-Login's `user_logged_in` signal: put the person in the cohort whose join link
    they opened before logging in or signing up, then forget the link."""
    code = pending_join.held()
    pending_join.drop()
    if code is None or user is None:
        return
    try:
        cohort, new = cohorts.join_by_code(get_session(), user.id, code)
    except cohorts.CohortError:
        flash(
            _(
                "The join link you opened no longer works: its cohort has a new link or is "
                "gone. Ask for the current one."
            ),
            "error",
        )
        return
    security_log.event("cohort_joined", user_id=user.id, cohort_id=cohort.id, after_login=True)
    if new:
        flash(_("You joined %(name)s.", name=cohort.name))
    else:
        flash(_("You are already in %(name)s.", name=cohort.name))


@bp.record_once
def _listen_for_logins(state: Any) -> None:
    user_logged_in.connect(_join_after_login, state.app, weak=False)


@bp.get("/assessor/learners")
@role_required(Role.ASSESSOR, Role.ADMIN)
def learners() -> str:
    """The learners of the viewer's cohorts (everyone, for admins), a page at a time."""
    viewer = current_user._get_current_object()
    page = requested_page()
    rows, total = cohorts.list_learners(get_session(), viewer, page, PER_PAGE)
    return render_template(
        "cohorts/learners.html",
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
    )


@bp.get("/assessor/learners/<int:user_id>")
@role_required(Role.ASSESSOR, Role.ADMIN)
def learner(user_id: int) -> str:
    """One learner's module statuses; 404 for anyone outside the viewer's cohorts."""
    session = get_session()
    viewer = current_user._get_current_object()
    # The same answer for "no such person" and "not yours to see": ids reveal nothing.
    if not cohorts.can_view_learner(session, viewer, user_id):
        denied("learner outside the viewer's cohorts", learner_id=user_id)
        abort(404)
    person = accounts.get_user(session, user_id)
    if person is None:
        abort(404)
    current = course()
    standing = progress.Standing(current, progress.completed(session, person.id))
    return render_template(
        "cohorts/learner.html",
        person=person,
        course=current,
        status=standing.statuses(),
        cohorts=cohorts.cohort_names(session, viewer, [person.id]).get(person.id, ()),
    )
