"""Blueprint: the workshop list, scheduling, signing up and leaving, invitations, the run
sheet, and a guest's personal page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

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
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from cocourse.content.workshop_kit import KIND_LABELS, KINDS
from cocourse.db import get_session
from cocourse.extensions import limited
from cocourse.models import Opportunity, User, Workshop, WorkshopSeat, utcnow
from cocourse.plugins import plugin_settings
from cocourse.web.course import course
from cocourse.web.forms import ActionForm
from cocourse.web.roles import login_required
from cocourse.web.security_log import denied
from cocourse.workshops import services
from cocourse.workshops.forms import CancelForm, InviteForm, ScheduleForm

bp = Blueprint("workshops", __name__)
OPEN_OPPORTUNITIES = ("open", "planned", "workshop")
T = TypeVar("T")


def _workshop_or_404(workshop_id: int) -> Workshop:
    found = get_session().get(Workshop, workshop_id)
    if found is None:
        abort(404)
    return found


def _managed_or_404(workshop_id: int) -> Workshop:
    """A workshop the viewer facilitates (or any, for admins); 404 otherwise."""
    workshop = _workshop_or_404(workshop_id)
    if not services.may_manage(get_session(), workshop, current_user):
        denied("not-workshop-facilitator", workshop_id=workshop_id)
        abort(404)
    return workshop


@bp.get("/workshops")
@login_required
def workshop_list() -> str:
    """Upcoming workshops, the viewer's own places, and what they facilitate."""
    session, now = get_session(), utcnow()
    upcoming = services.upcoming(session, now)
    return render_template(
        "workshops/list.html",
        upcoming=upcoming,
        counts=services.counts(session, [w.id for w in upcoming]),
        mine=services.mine(session, current_user.id, now),
        led=services.led_by(session, current_user.id)[:20],
        may_schedule=services.may_facilitate(session, current_user, now.date()),
        labels=KIND_LABELS,
        when=services.when,
    )


def _opportunity_choices() -> list[SelectChoice]:
    rows = get_session().execute(
        select(Opportunity.id, Opportunity.title)
        .where(Opportunity.status.in_(OPEN_OPPORTUNITIES))
        .order_by(Opportunity.title)
    )
    return [SelectChoice(0, "None"), *(SelectChoice(oid, title) for oid, title in rows)]


def _plan(form: ScheduleForm) -> services.Plan:
    """The form's values as a plan (raises WorkshopError for a malformed agenda)."""
    hosts = tuple(part for part in (form.hosts.data or "").split(",") if part.strip())
    return services.Plan(
        kind=form.kind.data,
        title=form.title.data or "",
        purpose=form.purpose.data or "",
        day=form.day.data,
        start=form.start.data,
        minutes=int(form.minutes.data),
        timezone=form.timezone.data or "",
        place=form.place.data or "",
        video_url=form.video_url.data or "",
        capacity=int(form.capacity.data),
        agenda=services.parse_agenda(form.agenda.data or ""),
        template=form.template.data or "",
        opportunity_id=form.opportunity.data or None,
        hosts=hosts,
    )


def _schedule_form(**values: Any) -> ScheduleForm:
    form = ScheduleForm(**values)
    form.opportunity.choices = _opportunity_choices()
    return form


@bp.route("/workshops/new", methods=["GET", "POST"])
@login_required
def schedule() -> str | Response:
    """Schedule a workshop, starting from the kind's template in the workshop kit."""
    session, now = get_session(), utcnow()
    if not services.may_facilitate(session, current_user, now.date()):
        denied("not-a-facilitator")
        abort(403)
    kit = course().kit
    kind = request.args.get("kind", "tasting")
    kind = kind if kind in KINDS else "tasting"
    template = kit.template(request.args.get("template", "")) or kit.default_for(kind)
    form = _schedule_form(
        kind=template.kind if template else kind,
        minutes=template.minutes if template else 90,
        agenda=services.agenda_text(template.blocks) if template else "",
        template=template.id if template else "",
        timezone=plugin_settings(current_app, "workshops")["timezone"],
        capacity=16,
        opportunity=request.args.get("opportunity", 0, type=int),
    )
    if form.validate_on_submit():
        try:
            workshop = services.schedule(session, current_user, _plan(form), now)
        except services.WorkshopError as exc:
            flash(str(exc), "error")
        else:
            flash("The workshop is scheduled. Invite people or share its page.", "success")
            return redirect(url_for(".workshop_page", workshop_id=workshop.id))
    return render_template(
        "workshops/schedule.html", form=form, kit=kit, template=template, workshop=None
    )


@bp.route("/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@login_required
def edit(workshop_id: int) -> str | Response:
    """Change a workshop; everyone with a seat gets the change in their calendar."""
    session = get_session()
    workshop = _managed_or_404(workshop_id)
    plan = services.plan_of(session, workshop)
    form = _schedule_form(
        kind=plan.kind,
        title=plan.title,
        purpose=plan.purpose,
        day=plan.day,
        start=plan.start,
        minutes=plan.minutes,
        timezone=plan.timezone,
        place=plan.place,
        video_url=plan.video_url,
        capacity=plan.capacity,
        agenda=services.agenda_text(plan.agenda),
        template=plan.template,
        opportunity=plan.opportunity_id or 0,
        hosts=", ".join(plan.hosts),
    )
    if form.validate_on_submit():
        try:
            services.update(session, workshop.id, current_user, _plan(form), utcnow())
        except services.WorkshopError as exc:
            flash(str(exc), "error")
        except LookupError:
            abort(404)
        else:
            flash("Saved. Everyone with a seat gets the change by email.", "success")
            return redirect(url_for(".workshop_page", workshop_id=workshop.id))
    return render_template(
        "workshops/schedule.html", form=form, kit=course().kit, template=None, workshop=workshop
    )


@bp.get("/workshops/<int:workshop_id>")
@login_required
def workshop_page(workshop_id: int) -> str:
    """A workshop: when, where, the agenda; sign up or leave; for its facilitators, who is
    coming, invitations, and changes."""
    session = get_session()
    workshop = _workshop_or_404(workshop_id)
    manages = services.may_manage(session, workshop, current_user)
    lead = session.get(User, workshop.facilitator_id) if workshop.facilitator_id else None
    seats = services.seats(session, workshop.id)
    return render_template(
        "workshops/workshop.html",
        workshop=workshop,
        when=services.when(workshop),
        label=KIND_LABELS.get(workshop.kind, workshop.kind),
        lead=lead,
        hosts=services.hosts_of(session, workshop.id),
        seat=services.my_seat(session, workshop.id, current_user.id),
        confirmed=sum(1 for s in seats if s.status == services.CONFIRMED),
        seats=seats if manages else [],
        manages=manages,
        over=services.ends_at(workshop) <= utcnow(),
        invite_form=InviteForm(),
        form=ActionForm(),
    )


def _after(workshop_id: int, change: Callable[[], T], done: Callable[[T], str]) -> Response:
    """Run a change and come back to the workshop page, saying what happened."""
    try:
        result = change()
    except services.WorkshopError as exc:
        flash(str(exc), "error")
    except LookupError:
        abort(404)
    else:
        flash(done(result), "success")
    return redirect(url_for(".workshop_page", workshop_id=workshop_id))


@bp.post("/workshops/<int:workshop_id>/sign-up")
@login_required
def sign_up(workshop_id: int) -> Response:
    """Take a seat, or a place on the waiting list."""
    _workshop_or_404(workshop_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    return _after(
        workshop_id,
        lambda: services.sign_up(session, workshop_id, current_user, utcnow()),
        _signed_up,
    )


def _signed_up(seat: WorkshopSeat) -> str:
    if seat.status == services.CONFIRMED:
        return "You have a seat. The invitation is in your email, with a calendar entry."
    return (
        "The workshop is full: you are on the waiting list and move up automatically "
        "when a seat frees."
    )


@bp.post("/workshops/<int:workshop_id>/leave")
@login_required
def leave(workshop_id: int) -> Response:
    """Give up one's own seat or waiting place."""
    _workshop_or_404(workshop_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    seat = services.my_seat(session, workshop_id, current_user.id)
    if seat is None:
        flash("You had no place at this workshop.", "error")
        return redirect(url_for(".workshop_page", workshop_id=workshop_id))
    seat_id = seat.id
    return _after(
        workshop_id,
        lambda: services.leave(session, seat_id, utcnow()),
        lambda _seat: "You gave up your place; anyone waiting moves up.",
    )


@bp.post("/workshops/<int:workshop_id>/invite")
@login_required
def invite(workshop_id: int) -> Response:
    """Invite a colleague or a guest by email."""
    workshop = _managed_or_404(workshop_id)
    form = InviteForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for(".workshop_page", workshop_id=workshop.id))
    session = get_session()
    email, name = form.email.data or "", form.name.data or ""
    return _after(
        workshop.id,
        lambda: services.invite(session, workshop.id, current_user, name, email, utcnow()),
        lambda seat: (
            f"Invited {seat.name}"
            + (
                ". They get an email with a calendar entry."
                if seat.status == services.CONFIRMED
                else ": the workshop is full, so they are on the waiting list."
            )
        ),
    )


@bp.post("/workshops/<int:workshop_id>/seats/<int:seat_id>/remove")
@login_required
def remove_seat(workshop_id: int, seat_id: int) -> Response:
    """A facilitator takes someone off the list (they are told)."""
    workshop = _managed_or_404(workshop_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    seat = next((s for s in services.seats(session, workshop.id) if s.id == seat_id), None)
    if seat is None:
        abort(404)
    return _after(
        workshop.id,
        lambda: services.leave(session, seat_id, utcnow()),
        lambda gone: f"{gone.name} is off the list.",
    )


@bp.route("/workshops/<int:workshop_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(workshop_id: int) -> str | Response:
    """Cancel a workshop, after saying why."""
    workshop = _managed_or_404(workshop_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel(get_session(), workshop.id, current_user, form.reason.data, utcnow())
        except services.WorkshopError as exc:
            flash(str(exc), "error")
        except LookupError:
            abort(404)
        else:
            flash("The workshop is cancelled; everyone signed up is told.", "success")
            return redirect(url_for(".workshop_page", workshop_id=workshop.id))
    count = services.counts(get_session(), [workshop.id])[workshop.id]
    return render_template(
        "workshops/cancel.html", workshop=workshop, form=form, count=count, when=services.when
    )


@bp.get("/workshops/<int:workshop_id>/run-sheet")
@login_required
def run_sheet(workshop_id: int) -> str:
    """The printable run sheet: the agenda with clock times, and the sign-in list."""
    session = get_session()
    workshop = _managed_or_404(workshop_id)
    start = services.local_start(workshop)
    times, clock = [], start
    for block in workshop.agenda:
        times.append((clock, block))
        clock += timedelta(minutes=int(block["minutes"]))
    confirmed = [s for s in services.seats(session, workshop.id) if s.status == "confirmed"]
    return render_template(
        "workshops/run_sheet.html",
        workshop=workshop,
        when=services.when(workshop),
        times=times,
        end=clock,
        seats=sorted(confirmed, key=lambda s: s.name.lower()),
        kit=course().kit,
    )


@bp.get("/w/<token>")
@limited("30 per minute")
def guest_page(token: str) -> str:
    """A guest's own page, from the link in their invitation: the workshop, and a button to
    give up their place."""
    session = get_session()
    seat = services.seat_by_token(session, token)
    if seat is None:
        abort(404)
    workshop = _workshop_or_404(seat.workshop_id)
    return render_template(
        "workshops/guest.html",
        workshop=workshop,
        seat=seat,
        when=services.when(workshop),
        label=KIND_LABELS.get(workshop.kind, workshop.kind),
        over=services.ends_at(workshop) <= utcnow(),
        form=ActionForm(),
        token=token,
    )


@bp.post("/w/<token>/leave")
@limited("30 per minute")
def guest_leave(token: str) -> Response:
    """A guest gives up their place."""
    session = get_session()
    seat = services.seat_by_token(session, token)
    if seat is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.leave(session, seat.id, utcnow())
    except services.WorkshopError as exc:
        flash(str(exc), "error")
    else:
        flash("You gave up your place. Thank you for letting us know.", "success")
    return redirect(url_for(".guest_page", token=token))
