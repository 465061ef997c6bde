"""Blueprint: start a quiz attempt, answer it, see the result."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from cocourse.content.model import Lesson, Module
from cocourse.db import get_session
from cocourse.learning import progress
from cocourse.models import QuizAttempt, utcnow
from cocourse.questions.base import Question, resolve
from cocourse.quiz import display
from cocourse.quiz import engine as quizzes
from cocourse.quiz.answers import Read, read_all, unanswered, widget_of
from cocourse.quiz.forms import attempt_form, field_data
from cocourse.web.course import lesson_href, reader_course
from cocourse.web.extend import plugin_manager
from cocourse.web.forms import ActionForm
from cocourse.web.roles import login_required
from cocourse.web.security_log import denied

bp = Blueprint("quiz", __name__, url_prefix="/quiz")


def _time_ran_out() -> str:
    return str(_("Time ran out: your attempt was graded on the answers saved before the deadline."))


def _types() -> Any:
    return current_app.extensions["cocourse.question_types"]


@bp.app_template_global()
def answer_text(question: Question, response: Any) -> Markup:
    """A stored response in words, as the question's type reads it."""
    return display.answer_text(question, response, _types())


@bp.app_template_global()
def correct_text(question: Question) -> Markup:
    """The question's correct answer in words, as its type reads it."""
    return display.correct_text(question, _types())


def _quiz_or_404(quiz_id: str, asked: str | None = None) -> tuple[Module, Lesson]:
    """The quiz in the reader's language (or the one `asked` for), wherever translated."""
    found = reader_course(asked).quiz(quiz_id)
    if found is None:
        abort(404)
    return found


def _own_attempt_or_404(attempt_id: int) -> QuizAttempt:
    """The learner's own attempt; anyone else's is a 404, as if it did not exist."""
    attempt = get_session().get(QuizAttempt, attempt_id)
    if attempt is None:
        abort(404)
    if attempt.user_id != current_user.id:
        denied("quiz attempt of another person", attempt_id=attempt_id, owner_id=attempt.user_id)
        abort(404)
    return attempt


def _check_open(module: Module) -> None:
    """Quizzes of locked modules cannot be started."""
    session = get_session()
    done = progress.completed(session, current_user.id)
    standing = progress.Standing(
        reader_course(),
        done,
        bypass_locks=current_user.can_bypass_locks,
        attendance=progress.attendance(session, current_user.id, plugin_manager()),
    )
    locked_by = standing.locked_by(module)
    if locked_by:
        abort(
            403, _("This module is locked: complete %(names)s first.", names=", ".join(locked_by))
        )


@bp.get("/<quiz_id>")
def quiz_activity(quiz_id: str) -> Response:
    """A quiz's xAPI activity IRI: the quiz lesson's page."""
    module, lesson = _quiz_or_404(quiz_id)
    return redirect(lesson_href(module.slug, lesson.slug))


@bp.post("/<quiz_id>/start")
@login_required
def start(quiz_id: str) -> Response:
    """Start an attempt (or go back to the open one), in the language of the lesson page it
    was started from: its questions are kept with the attempt."""
    module, lesson = _quiz_or_404(quiz_id, request.form.get("lang"))
    if not ActionForm().validate_on_submit():
        abort(400)
    _check_open(module)
    try:
        attempt = quizzes.start(
            get_session(),
            current_user.id,
            module,
            lesson,
            types=_types(),
            pm=plugin_manager(),
            **_deadline_rules(),
        )
    except quizzes.QuizError as exc:
        flash(str(exc), "error")
        return redirect(lesson_href(module.slug, lesson.slug))
    return redirect(url_for("quiz.attempt_page", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt_page(attempt_id: int) -> str | Response:
    """The attempt's questions, as drawn for it, with the answers saved so far."""
    attempt = _own_attempt_or_404(attempt_id)
    if attempt.submitted_at is None and _close_if_late(attempt):
        flash(_time_ran_out())
    if attempt.submitted_at is not None:
        return redirect(url_for("quiz.result", attempt_id=attempt.id))
    view = quizzes.view(attempt)
    form = attempt_form(view, _types(), draft=attempt.draft or None)
    return _attempt_page(attempt, view, form)


def _attempt_page(
    attempt: QuizAttempt,
    view: quizzes.AttemptView,
    form: Any,
    missing: dict[str, str] | None = None,
    skipped: list[tuple[int, str]] | None = None,
) -> str:
    """The form of an open attempt, with messages for answers that need more (`missing`)
    or, before a final submit, the questions left unanswered or half answered (`skipped`).

    Each question shows its type's own template, or else the markup of its standard widget.
    """
    shown = [resolve(_types(), question.type) for question, _order in view.questions]
    return render_template(
        "quiz/attempt.html",
        attempt=attempt,
        view=view,
        form=form,
        widget_names=[widget_of(qtype) for qtype in shown],
        widget_templates=[qtype.template for qtype in shown],
        missing=missing or {},
        skipped=skipped or [],
        **_context(attempt),
    )


@bp.post("/attempts/<int:attempt_id>")
@login_required
def submit(attempt_id: int) -> Response | str | tuple[str, int]:
    """Grade the attempt once, keeping the answers as its draft; a repeated or replayed
    submission shows the stored result.

    `action`: "submit" first lists unanswered questions (the learner may go on with
    "confirm"); "timeup" (the countdown ran out) grades whatever was sent. Answers a type
    cannot grade (too short a reflection, not a number) are sent back in every case but
    "timeup".
    """
    attempt = _own_attempt_or_404(attempt_id)
    if attempt.submitted_at is not None:
        return redirect(url_for("quiz.result", attempt_id=attempt.id))
    view = quizzes.view(attempt)
    types = _types()
    form = attempt_form(view, types)
    if not form.validate_on_submit():
        abort(400)
    draft = field_data(form, view)
    found = read_all(draft, view, types)
    action = request.form.get("action", "submit")
    if action != "timeup":
        # Sent back to the learner: the answers are saved first, so none is lost.
        missing = _needs_more(view, found, types)
        skipped = _to_review(view, found) if action != "confirm" else []
        if missing or skipped:
            try:
                quizzes.save_draft(
                    get_session(),
                    plugin_manager(),
                    attempt.id,
                    current_user.id,
                    draft,
                    types,
                    **_deadline_rules(),
                )
            except quizzes.AttemptClosed as closed:
                flash(str(closed))
                return redirect(url_for("quiz.result", attempt_id=attempt.id))
            if missing:
                return _attempt_page(attempt, view, form, missing=missing), 422
            return _attempt_page(attempt, view, form, skipped=skipped)
    # Graded now, the draft kept in the same transaction (or, past the deadline, the attempt
    # closed on what was saved in time).
    graded_attempt, graded = quizzes.submit(
        get_session(),
        plugin_manager(),
        attempt.id,
        current_user.id,
        {qid: read.response for qid, read in found.items()},
        types,
        draft=draft,
        **_deadline_rules(),
    )
    if graded and graded_attempt.expired:
        flash(_time_ran_out())
    return redirect(url_for("quiz.result", attempt_id=attempt.id))


@bp.post("/attempts/<int:attempt_id>/save")
@login_required
def save(attempt_id: int) -> Response | tuple[Response, int]:
    """Keep the answers as they are, without submitting: the page's Save button (a redirect
    back) and its autosave script (JSON: when they were saved, or why not)."""
    attempt = _own_attempt_or_404(attempt_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    result = url_for("quiz.result", attempt_id=attempt.id)
    if attempt.submitted_at is not None:
        return _closed(_("This attempt has already been submitted."), result, wants_json)
    view = quizzes.view(attempt)
    types = _types()
    form = attempt_form(view, types)
    if not form.validate_on_submit():
        abort(400)
    try:
        saved_at = quizzes.save_draft(
            get_session(),
            plugin_manager(),
            attempt.id,
            current_user.id,
            field_data(form, view),
            types,
            **_deadline_rules(),
        )
    except quizzes.AttemptClosed as closed:
        return _closed(str(closed), result, wants_json)
    if wants_json:
        return jsonify(saved_at=saved_at.isoformat())
    flash(
        _(
            "Your answers are saved (%(time)s UTC). Submit them when you are ready.",
            time=saved_at.strftime("%H:%M"),
        )
    )
    return redirect(url_for("quiz.attempt_page", attempt_id=attempt.id))


def _closed(message: str, result: str, wants_json: bool) -> Response | tuple[Response, int]:
    """The answer to a save for an attempt that is no longer open."""
    if wants_json:
        return jsonify(error=message, result=result), 409
    flash(message)
    return redirect(result)


def _deadline_rules() -> dict[str, Any]:
    """The course (for the quiz's `late` and `completes` settings) and the grace period."""
    grace = timedelta(seconds=float(current_app.config["QUIZ_GRACE_SECONDS"]))
    return {"course": reader_course(), "grace": grace}


def _close_if_late(attempt: QuizAttempt) -> bool:
    """Close an open attempt whose time is up; whether it was closed now."""
    return quizzes.close_late(
        get_session(), plugin_manager(), attempt.id, current_user.id, _types(), **_deadline_rules()
    )


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int) -> str | Response:
    """Score, pass or fail, attempts left, and feedback as the review policy allows."""
    attempt = _own_attempt_or_404(attempt_id)
    if attempt.submitted_at is None and _close_if_late(attempt):
        flash(_time_ran_out())
    if attempt.submitted_at is None:
        return redirect(url_for("quiz.attempt_page", attempt_id=attempt.id))
    context = _context(attempt)
    lesson = context["lesson"]
    taken = quizzes.attempts(get_session(), current_user.id, attempt.quiz_id)
    settings = lesson.quiz if lesson is not None else None
    return render_template(
        "quiz/result.html",
        attempt=attempt,
        view=quizzes.view(attempt),
        results={r["id"]: r for r in attempt.results or []},
        review=settings is not None and quizzes.review_allowed(settings, taken),
        left=quizzes.attempts_left(settings, taken) if settings else 0,
        retake_opens=quizzes.retake_opens(settings, taken, utcnow()) if settings else None,
        policy=settings.review if settings else "never",
        form=ActionForm(),
        **context,
    )


def _needs_more(view: quizzes.AttemptView, found: dict[str, Read], types: Any) -> dict[str, str]:
    """Messages for answers that cannot be graded as they are, from their types (a
    reflection too short, a number that is not one)."""
    messages = {}
    for question, _order in view.questions:
        message = resolve(types, question.type).incomplete(question, found[question.id].response)
        if message:
            messages[question.id] = message
    return messages


def _to_review(view: quizzes.AttemptView, found: dict[str, Read]) -> list[tuple[int, str]]:
    """The questions to point out before the final submit, by number: those without an
    answer, and those the form found half answered (an ordering with positions missing)."""
    listed = []
    for number, (question, _order) in enumerate(view.questions, start=1):
        read = found[question.id]
        if read.note:
            listed.append((number, read.note))
        elif unanswered(read.response):
            listed.append((number, _("no answer yet")))
    return listed


def _context(attempt: QuizAttempt) -> dict[str, Any]:
    """The module and lesson holding the attempt's quiz now (None if it was removed)."""
    module, lesson = reader_course().quiz(attempt.quiz_id) or (None, None)
    return {"module": module, "lesson": lesson}
