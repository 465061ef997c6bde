"""Blueprint: the workshop list, scheduling, signing up and leaving, invitations, the run
sheet, and a guest's personal page; after the start, attendance with check-in by QR code,
participants' feedback, and the harvest of decisions and actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from cocourse.content.workshop_kit import KIND_LABELS, KINDS, Block
from cocourse.db import get_session
from cocourse.extensions import limited
from cocourse.models import Opportunity, User, Workshop, WorkshopSeat, utcnow
from cocourse.plugins import plugin_settings
from cocourse.web.course import course
from cocourse.web.forms import ActionForm
from cocourse.web.roles import login_required
from cocourse.web.security_log import denied
from cocourse.web.urls import external_url
from cocourse.workshops import attendance, feedback, harvest, services
from cocourse.workshops.forms import (
    CancelForm,
    HarvestForm,
    InviteForm,
    ScheduleForm,
    WalkInForm,
    feedback_form,
    field_name,
)

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
        actions=harvest.owned_by(session, current_user.id),
        form=ActionForm(),
    )


def _opportunity_choices() -> list[SelectChoice]:
    rows = get_session().execute(
        select(Opportunity.id, Opportunity.title)
        .where(Opportunity.status.in_(OPEN_OPPORTUNITIES))
        .order_by(Opportunity.title)
    )
    return [SelectChoice(0, _("None")), *(SelectChoice(oid, title) for oid, title in rows)]


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
            flash(_("The workshop is scheduled. Invite people or share its page."), "success")
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
            flash(_("Saved. Everyone with a seat gets the change by email."), "success")
            return redirect(url_for(".workshop_page", workshop_id=workshop.id))
    return render_template(
        "workshops/schedule.html", form=form, kit=course().kit, template=None, workshop=workshop
    )


@bp.get("/workshops/<int:workshop_id>")
@login_required
def workshop_page(workshop_id: int) -> str:
    """A workshop: when, where, the agenda; sign up or leave; for its facilitators, who is
    coming, invitations, and changes; after it, the feedback form for those who came."""
    return _workshop_page(_workshop_or_404(workshop_id))


def _workshop_page(workshop: Workshop, feedback_form: Any = None) -> str:
    """The workshop page, with a feedback form that was just refused when there is one."""
    session, now = get_session(), utcnow()
    manages = services.may_manage(session, workshop, current_user)
    lead = session.get(User, workshop.facilitator_id) if workshop.facilitator_id else None
    seats = services.seats(session, workshop.id)
    seat = services.my_seat(session, workshop.id, current_user.id)
    hosts = services.hosts_of(session, workshop.id)
    return render_template(
        "workshops/workshop.html",
        workshop=workshop,
        when=services.when(workshop),
        label=KIND_LABELS.get(workshop.kind, workshop.kind),
        lead=lead,
        hosts=hosts,
        facilitates=current_user.id in {workshop.facilitator_id, *(h.id for h in hosts)},
        seat=seat,
        confirmed=sum(1 for s in seats if s.status == services.CONFIRMED),
        seats=seats if manages else [],
        manages=manages,
        over=services.ends_at(workshop) <= now,
        invite_form=InviteForm(),
        form=ActionForm(),
        **_followup(workshop, seat, manages, feedback_form),
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
        return str(_("You have a seat. The invitation is in your email, with a calendar entry."))
    return str(
        _(
            "The workshop is full: you are on the waiting list and move up automatically "
            "when a seat frees."
        )
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
        flash(_("You had no place at this workshop."), "error")
        return redirect(url_for(".workshop_page", workshop_id=workshop_id))
    seat_id = seat.id
    return _after(
        workshop_id,
        lambda: services.leave(session, seat_id, utcnow()),
        lambda _seat: _("You gave up your place; anyone waiting moves up."),
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
            _("Invited %(name)s. They get an email with a calendar entry.", name=seat.name)
            if seat.status == services.CONFIRMED
            else _(
                "Invited %(name)s: the workshop is full, so they are on the waiting list.",
                name=seat.name,
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
        lambda gone: _("%(name)s is off the list.", name=gone.name),
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
            flash(_("The workshop is cancelled; everyone signed up is told."), "success")
            return redirect(url_for(".workshop_page", workshop_id=workshop.id))
    count = services.counts(get_session(), [workshop.id])[workshop.id]
    return render_template(
        "workshops/cancel.html", workshop=workshop, form=form, count=count, when=services.when
    )


@bp.get("/workshops/kit")
@login_required
def kit() -> str:
    """The printable workshop kit: each template's run sheet with the hosts' script, the
    handouts and the participants' feedback form."""
    found = course().kit
    return render_template(
        "workshops/kit.html",
        kit=found,
        labels=KIND_LABELS,
        offsets={t.id: _offsets(t.blocks) for t in found.templates},
    )


def _offsets(blocks: Sequence[Block]) -> list[str]:
    """Each block's start from the beginning of the session, as h:mm."""
    out, minutes = [], 0
    for block in blocks:
        out.append(f"{minutes // 60}:{minutes % 60:02d}")
        minutes += block.minutes
    return out


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
    # The hosts' script for the blocks still as the template has them (a renamed or new
    # block has none).
    template = course().kit.template(workshop.template)
    scripts = {b.title: b.script_html for b in template.blocks} if template else {}
    return render_template(
        "workshops/run_sheet.html",
        scripts=scripts,
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
    seat = services.seat_by_token(get_session(), token)
    if seat is None:
        abort(404)
    return _guest_page(seat, token)


def _guest_page(seat: WorkshopSeat, token: str, feedback_form: Any = None) -> str:
    """A guest's page, with a feedback form that was just refused when there is one."""
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
        **_followup(workshop, seat, False, feedback_form),
    )


def _guest_action(token: str, change: Callable[[int], Any], done: str) -> Response:
    """A change a guest makes from their personal page (the token is their key)."""
    session = get_session()
    seat = services.seat_by_token(session, token)
    if seat is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        change(seat.id)
    except services.WorkshopError as exc:
        flash(str(exc), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".guest_page", token=token))


@bp.post("/w/<token>/leave")
@limited("30 per minute")
def guest_leave(token: str) -> Response:
    """A guest gives up their place."""
    return _guest_action(
        token,
        lambda seat_id: services.leave(get_session(), seat_id, utcnow()),
        _("You gave up your place. Thank you for letting us know."),
    )


# After the start: attendance, check-in, feedback and the harvest


def _followup(
    workshop: Workshop, seat: WorkshopSeat | None, manages: bool, form: Any
) -> dict[str, Any]:
    """What the workshop page and a guest's page show about attendance and feedback."""
    now = utcnow()
    questions = course().kit.feedback
    why_not = feedback.may_answer(workshop, seat, now)
    answering = not why_not and bool(questions)
    return {
        "attendance_open": attendance.is_open(workshop, now),
        "attended": seat is not None and seat.attended_at is not None,
        "feedback_open": feedback.is_open(workshop, now),
        "feedback_why_not": why_not,
        "feedback_form": (form or feedback_form(questions)) if answering else None,
        "questions": questions,
        "field_name": field_name,
        "harvest_open": manages and harvest.is_open(workshop, now),
    }


def _check_in_url(workshop_id: int) -> str:
    code = attendance.check_in_code(workshop_id)
    return external_url(".check_in", workshop_id=workshop_id, code=code)


def _attendance_page(workshop: Workshop, walk_in_form: WalkInForm | None = None) -> str:
    session, now = get_session(), utcnow()
    opens, closes = attendance.window(workshop)
    url = _check_in_url(workshop.id)
    people = attendance.attendance_list(session, workshop.id)
    return render_template(
        "workshops/attendance.html",
        workshop=workshop,
        when=services.when(workshop),
        open=attendance.is_open(workshop, now),
        early=now < opens,
        opens=opens.astimezone(services.zone(workshop.timezone)),
        closes=closes.astimezone(services.zone(workshop.timezone)),
        seats=people,
        present=sum(1 for s in people if s.attended_at is not None),
        check_in_url=url,
        qr=attendance.qr_svg(url),
        walk_in_form=walk_in_form or WalkInForm(),
        form=ActionForm(),
    )


@bp.get("/workshops/<int:workshop_id>/attendance")
@login_required
def attendance_page(workshop_id: int) -> str:
    """For facilitators on the day: who came (ticks), the check-in QR code, walk-ins."""
    return _attendance_page(_managed_or_404(workshop_id))


def _ids(name: str) -> set[int]:
    """Seat ids from a list of form values (anything else is ignored)."""
    return {int(v) for v in request.form.getlist(name) if v.isdigit() and len(v) < 12}


@bp.post("/workshops/<int:workshop_id>/attendance")
@login_required
def record_attendance(workshop_id: int) -> Response:
    """Save the facilitator's ticks."""
    workshop = _managed_or_404(workshop_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    session, back = get_session(), url_for(".attendance_page", workshop_id=workshop.id)
    try:
        marked, unmarked = attendance.record(
            session, workshop.id, current_user, _ids("present"), _ids("shown"), utcnow()
        )
    except services.WorkshopError as exc:
        flash(str(exc), "error")
    except LookupError:
        abort(404)
    else:
        flash(
            _(
                "Attendance saved: %(marked)s marked present, %(unmarked)s unmarked.",
                marked=marked,
                unmarked=unmarked,
            ),
            "success",
        )
    return redirect(back)


@bp.post("/workshops/<int:workshop_id>/attendance/walk-in")
@login_required
def walk_in(workshop_id: int) -> str | Response:
    """Add someone who came without a place, marked present."""
    workshop = _managed_or_404(workshop_id)
    form = WalkInForm()
    if not form.validate_on_submit():
        return _attendance_page(workshop, form)
    try:
        seat = attendance.walk_in(
            get_session(),
            workshop.id,
            current_user,
            form.name.data or "",
            form.email.data or "",
            utcnow(),
        )
    except services.WorkshopError as exc:
        flash(str(exc), "error")
        return _attendance_page(workshop, form)
    except LookupError:
        abort(404)
    flash(_("%(name)s is marked present.", name=seat.name), "success")
    return redirect(url_for(".attendance_page", workshop_id=workshop.id))


def _code_or_404(workshop_id: int, code: str) -> Workshop:
    workshop = _workshop_or_404(workshop_id)
    if not attendance.code_matches(workshop.id, code):
        denied("wrong-check-in-code", workshop_id=workshop_id)
        abort(404)
    return workshop


@bp.get("/workshops/<int:workshop_id>/check-in/<code>")
@limited("30 per minute")
def check_in(workshop_id: int, code: str) -> str:
    """The page the room's QR code opens: a button to check in (GET changes nothing)."""
    workshop = _code_or_404(workshop_id, code)
    seat = None
    if current_user.is_authenticated:
        seat = services.my_seat(get_session(), workshop.id, current_user.id)
    return render_template(
        "workshops/check_in.html",
        workshop=workshop,
        when=services.when(workshop),
        open=attendance.is_open(workshop, utcnow()),
        seat=seat,
        code=code,
        form=ActionForm(),
    )


@bp.post("/workshops/<int:workshop_id>/check-in/<code>")
@limited("30 per minute")
@login_required
def check_in_post(workshop_id: int, code: str) -> Response:
    """Check oneself in with the room's code."""
    workshop = _code_or_404(workshop_id, code)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        attendance.check_in(get_session(), workshop.id, current_user, utcnow())
    except services.WorkshopError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".check_in", workshop_id=workshop.id, code=code))
    flash(_("You are checked in. Welcome!"), "success")
    return redirect(url_for(".workshop_page", workshop_id=workshop.id))


@bp.post("/w/<token>/check-in")
@limited("30 per minute")
def guest_check_in(token: str) -> Response:
    """A guest says "I am here"."""
    return _guest_action(
        token,
        lambda seat_id: attendance.guest_check_in(get_session(), seat_id, utcnow()),
        _("You are checked in. Welcome!"),
    )


def _answer(seat: WorkshopSeat) -> tuple[Any, str | None]:
    """Store the posted feedback for a seat: (the refused form, None) or (None, message)."""
    questions = course().kit.feedback
    form = feedback_form(questions)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Some answers cannot be stored; see the questions marked below."), "error")
        return form, None
    raw = {q.id: str(form[field_name(q)].data or "") for q in questions}
    try:
        feedback.answer(get_session(), seat.id, questions, raw, utcnow())
    except feedback.FeedbackError as exc:
        for question_id, problem in exc.problems.items():
            form["q-" + question_id].errors = [problem]
        flash(_("Some answers need attention; see the questions marked below."), "error")
        return form, None
    except services.WorkshopError as exc:
        return None, str(exc)
    return None, ""


@bp.post("/workshops/<int:workshop_id>/feedback")
@login_required
def give_feedback(workshop_id: int) -> str | Response:
    """Answer the feedback form after attending."""
    workshop = _workshop_or_404(workshop_id)
    seat = services.my_seat(get_session(), workshop.id, current_user.id)
    if seat is None:
        flash(_("Only people who attended the workshop can give feedback."), "error")
        return redirect(url_for(".workshop_page", workshop_id=workshop.id))
    refused, problem = _answer(seat)
    if refused is not None:
        return _workshop_page(workshop, refused)
    if problem:
        flash(problem, "error")
    else:
        flash(_("Thank you for your feedback!"), "success")
    return redirect(url_for(".workshop_page", workshop_id=workshop.id))


@bp.post("/w/<token>/feedback")
@limited("30 per minute")
def guest_feedback(token: str) -> str | Response:
    """A guest answers the feedback form."""
    seat = services.seat_by_token(get_session(), token)
    if seat is None:
        abort(404)
    refused, problem = _answer(seat)
    if refused is not None:
        return _guest_page(seat, token, refused)
    if problem:
        flash(problem, "error")
    else:
        flash(_("Thank you for your feedback!"), "success")
    return redirect(url_for(".guest_page", token=token))


@bp.get("/workshops/<int:workshop_id>/feedback/summary")
@login_required
def feedback_summary(workshop_id: int) -> str:
    """For facilitators: the feedback in numbers, and answers in words without names."""
    workshop = _managed_or_404(workshop_id)
    questions = course().kit.feedback
    return render_template(
        "workshops/feedback_summary.html",
        workshop=workshop,
        when=services.when(workshop),
        summary=feedback.summary(get_session(), workshop.id, questions),
        open=feedback.is_open(workshop, utcnow()),
        over=services.ends_at(workshop) <= utcnow(),
    )


def _harvest_page(workshop: Workshop, form: HarvestForm | None = None) -> str:
    return render_template(
        "workshops/harvest.html",
        workshop=workshop,
        when=services.when(workshop),
        open=harvest.is_open(workshop, utcnow()),
        items=harvest.of_workshop(get_session(), workshop.id),
        opportunity=(
            get_session().get(Opportunity, workshop.opportunity_id)
            if workshop.opportunity_id
            else None
        ),
        harvest_form=form or HarvestForm(),
        form=ActionForm(),
        kinds=harvest.KINDS,
    )


@bp.route("/workshops/<int:workshop_id>/harvest", methods=["GET", "POST"])
@login_required
def harvest_page(workshop_id: int) -> str | Response:
    """For facilitators: the decisions and actions of the workshop, and a form to add one."""
    workshop = _managed_or_404(workshop_id)
    form = HarvestForm()
    if not form.validate_on_submit():
        return _harvest_page(workshop, form)
    entry = harvest.Entry(
        kind=form.kind.data,
        text=form.text.data or "",
        owner_email=form.owner_email.data or "",
        owner_name=form.owner_name.data or "",
        due_on=form.due_on.data,
    )
    try:
        harvest.record(get_session(), workshop.id, current_user, entry, utcnow())
    except services.WorkshopError as exc:
        flash(str(exc), "error")
        return _harvest_page(workshop, form)
    except LookupError:
        abort(404)
    recorded = _("Decision recorded.") if entry.kind == harvest.DECISION else _("Action recorded.")
    flash(recorded, "success")
    return redirect(url_for(".harvest_page", workshop_id=workshop.id))


@bp.post("/workshops/<int:workshop_id>/harvest/<int:action_id>/remove")
@login_required
def remove_action(workshop_id: int, action_id: int) -> Response:
    """Take an item out of the harvest."""
    workshop = _managed_or_404(workshop_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        harvest.remove(get_session(), action_id, workshop.id, current_user)
    except LookupError:
        abort(404)
    flash(_("Removed from the harvest."), "success")
    return redirect(url_for(".harvest_page", workshop_id=workshop.id))


@bp.post("/workshops/actions/<int:action_id>/done")
@login_required
def action_done(action_id: int) -> Response:
    """The owner marks an action done."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action = harvest.mark_done(get_session(), action_id, current_user, utcnow())
    except LookupError:
        abort(404)
    flash(_("Done: %(text)s", text=action.text[:80]), "success")
    back = request.form.get("back", "")
    if back == "harvest":
        return redirect(url_for(".harvest_page", workshop_id=action.workshop_id))
    return redirect(url_for(".workshop_list") + "#your-actions")
