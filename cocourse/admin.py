"""Blueprint: people, roles, cohorts and CSV imports (admins only)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from . import accounts, cohorts, people
from .db import get_session
from .forms import (
    ActionForm,
    AddMemberForm,
    AssessorForm,
    CohortForm,
    PeopleFileForm,
    RoleForm,
)
from .models import Cohort, Role
from .paging import page_count, requested_page

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


def admin_required(view: Any) -> Any:
    """Only admins pass; everyone else gets 403 (anonymous people are sent to log in)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.get("/users")
@admin_required
def users() -> str:
    """Everyone with an account, a page at a time, with a role form each."""
    page = requested_page()
    people, total = accounts.list_users(get_session(), page, PER_PAGE)
    pages = page_count(total, PER_PAGE)
    forms = {person.id: RoleForm(role=person.role, prefix=f"u{person.id}") for person in people}
    return render_template(
        "admin/users.html", people=people, forms=forms, page=page, pages=pages, total=total
    )


@bp.post("/users/<int:user_id>/role")
@admin_required
def set_role(user_id: int) -> Response:
    """Give one person a role."""
    if accounts.get_user(get_session(), user_id) is None:
        abort(404)
    form = RoleForm(prefix=f"u{user_id}")
    if not form.validate_on_submit():
        abort(400, "Choose one of the listed roles and submit the form again.")
    try:
        person = accounts.set_role(get_session(), user_id, Role(form.role.data))
    except accounts.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{person.name} is now {person.role}.")
    return redirect(url_for("admin.users", page=requested_page()))


# Cohorts


def _cohort_or_404(cohort_id: int) -> Cohort:
    cohort = cohorts.get_cohort(get_session(), cohort_id)
    if cohort is None:
        abort(404)
    return cohort


def join_link(cohort: Cohort) -> str:
    """The full invite link of a cohort, to copy into an email or a chat."""
    return url_for("join.join_page", code=cohort.join_code, _external=True)


def _checked(form: ActionForm) -> None:
    """Refuse a state-changing POST whose form (and CSRF token) does not validate."""
    if not form.validate_on_submit():
        abort(400)


def _to_cohort(cohort_id: int) -> Response:
    return redirect(url_for("admin.cohort", cohort_id=cohort_id))


def _cohort_list_page(form: CohortForm) -> str:
    summaries = cohorts.list_cohorts(get_session())
    return render_template(
        "admin/cohorts.html",
        summaries=summaries,
        links={s.cohort.id: join_link(s.cohort) for s in summaries},
        form=form,
    )


@bp.get("/cohorts")
@admin_required
def cohort_list() -> str:
    """Every cohort with its member count, assessors and join link; a form to add one."""
    return _cohort_list_page(CohortForm(formdata=None))


@bp.post("/cohorts")
@admin_required
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
            flash(f"Cohort {cohort.name} created. Share its join link to let people in.")
            return _to_cohort(cohort.id)
    return _cohort_list_page(form)


def _staff_choices(form: AssessorForm, leave_out: set[int]) -> AssessorForm:
    """Offer the assessors and admins not assigned yet."""
    form.user_id.choices = [
        SelectChoice(person.id, f"{person.name} ({person.email}, {person.role})")
        for person in cohorts.staff(get_session())
        if person.id not in leave_out
    ]
    return form


def _cohort_page(found: Cohort, edit: CohortForm) -> str:
    session = get_session()
    page = requested_page()
    members, total = cohorts.members(session, found.id, page, PER_PAGE)
    assigned = cohorts.assessors(session, found.id)
    assign = _staff_choices(AssessorForm(formdata=None), {person.id for person in assigned})
    return render_template(
        "admin/cohort.html",
        cohort=found,
        link=join_link(found),
        members=members,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        assessors=assigned,
        edit=edit,
        add=AddMemberForm(formdata=None),
        assign=assign,
        action=ActionForm(),
    )


@bp.get("/cohorts/<int:cohort_id>")
@admin_required
def cohort(cohort_id: int) -> str:
    """A cohort: its members a page at a time, its assessors, and every change."""
    found = _cohort_or_404(cohort_id)
    return _cohort_page(found, CohortForm(obj=found, formdata=None))


@bp.post("/cohorts/<int:cohort_id>")
@admin_required
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
            flash(f"Cohort {saved.name} saved.")
            return _to_cohort(cohort_id)
    return _cohort_page(found, form)


@bp.post("/cohorts/<int:cohort_id>/members")
@admin_required
def add_member(cohort_id: int) -> Response:
    """Put a person who has an account into the cohort, by email."""
    found = _cohort_or_404(cohort_id)
    form = AddMemberForm()
    if not form.validate_on_submit():
        flash("Type the email of a person who has an account.", "error")
        return _to_cohort(cohort_id)
    try:
        person, new = cohorts.add_member_by_email(get_session(), cohort_id, form.email.data)
    except cohorts.CohortError as exc:
        flash(str(exc), "error")
    else:
        if new:
            flash(f"{person.name} is now in {found.name}.")
        else:
            flash(f"{person.name} was already in {found.name}.")
    return _to_cohort(cohort_id)


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/remove")
@admin_required
def remove_member(cohort_id: int, user_id: int) -> Response:
    """Take a person out of the cohort (their account and progress stay)."""
    found = _cohort_or_404(cohort_id)
    _checked(ActionForm())
    person = accounts.get_user(get_session(), user_id)
    if person is None or not cohorts.remove_member(get_session(), cohort_id, user_id):
        abort(404)
    flash(f"{person.name} is no longer in {found.name}.")
    page = requested_page()
    return redirect(url_for("admin.cohort", cohort_id=cohort_id, page=page))


@bp.post("/cohorts/<int:cohort_id>/assessors")
@admin_required
def assign_assessor(cohort_id: int) -> Response:
    """Let an assessor or admin see this cohort's learners."""
    found = _cohort_or_404(cohort_id)
    form = _staff_choices(AssessorForm(), set())
    if not form.validate_on_submit():
        abort(400, "Choose an assessor from the list and submit the form again.")
    try:
        cohorts.assign_assessor(get_session(), cohort_id, form.user_id.data)
    except cohorts.CohortError as exc:
        flash(str(exc), "error")
    else:
        person = accounts.get_user(get_session(), form.user_id.data)
        flash(f"{person.name if person else 'The assessor'} now assesses {found.name}.")
    return _to_cohort(cohort_id)


@bp.post("/cohorts/<int:cohort_id>/assessors/<int:user_id>/remove")
@admin_required
def unassign_assessor(cohort_id: int, user_id: int) -> Response:
    """Stop an assessor seeing this cohort's learners."""
    found = _cohort_or_404(cohort_id)
    _checked(ActionForm())
    person = accounts.get_user(get_session(), user_id)
    if person is None or not cohorts.unassign_assessor(get_session(), cohort_id, user_id):
        abort(404)
    flash(f"{person.name} no longer assesses {found.name}.")
    return _to_cohort(cohort_id)


@bp.post("/cohorts/<int:cohort_id>/code")
@admin_required
def regenerate_code(cohort_id: int) -> Response:
    """Give the cohort a new join code; the old link stops working."""
    _cohort_or_404(cohort_id)
    _checked(ActionForm())
    found = cohorts.regenerate_code(get_session(), cohort_id)
    flash(f"{found.name} has a new join link; the old one no longer works.")
    return _to_cohort(cohort_id)


@bp.route("/cohorts/<int:cohort_id>/delete", methods=["GET", "POST"])
@admin_required
def delete_cohort(cohort_id: int) -> str | Response:
    """Ask for confirmation, then delete the cohort (never the accounts in it)."""
    found = _cohort_or_404(cohort_id)
    form = ActionForm()
    if request.method == "POST":
        _checked(form)
        name = found.name
        cohorts.delete_cohort(get_session(), cohort_id)
        flash(f"Cohort {name} deleted. The people in it keep their accounts.")
        return redirect(url_for("admin.cohort_list"))
    _, total = cohorts.members(get_session(), cohort_id, 1, 1)
    return render_template("admin/cohort_delete.html", cohort=found, total=total, form=form)


# Adding people from a CSV file


@bp.route("/people/import", methods=["GET", "POST"])
@admin_required
def import_people() -> str:
    """Upload a CSV file of people; the page then reports on every row."""
    form = PeopleFileForm()
    report = None
    if form.validate_on_submit():
        data = form.file.data.read(people.MAX_BYTES + 1)
        try:
            report = people.import_csv(get_session(), data)
        except people.PeopleFileError as exc:
            form.file.errors.append(str(exc))
    return render_template(
        "admin/cohorts_import.html",
        form=form,
        report=report,
        max_rows=people.MAX_ROWS,
        max_kb=people.MAX_BYTES // 1024,
    )
