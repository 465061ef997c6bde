"""Blueprint: start a quiz attempt, answer it, see the result."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
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
from cocourse.quiz.forms import attempt_form, responses, widget_of
from cocourse.web.course import course, lesson_href
from cocourse.web.forms import ActionForm
from cocourse.web.roles import login_required
from cocourse.web.security_log import denied

bp = Blueprint("quiz", __name__, url_prefix="/quiz")


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


def _quiz_or_404(quiz_id: str) -> tuple[Module, Lesson]:
    found = course().quiz(quiz_id)
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
    done = progress.completed(get_session(), current_user.id)
    standing = progress.Standing(course(), done, bypass_locks=current_user.can_bypass_locks)
    locked_by = standing.locked_by(module)
    if locked_by:
        abort(403, f"This module is locked: complete {', '.join(locked_by)} first.")


@bp.post("/<quiz_id>/start")
@login_required
def start(quiz_id: str) -> Response:
    """Start an attempt (or go back to the open one)."""
    module, lesson = _quiz_or_404(quiz_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    _check_open(module)
    try:
        attempt = quizzes.start(get_session(), current_user.id, module, lesson, types=_types())
    except quizzes.QuizError as exc:
        flash(str(exc), "error")
        return redirect(lesson_href(module.slug, lesson.slug))
    return redirect(url_for("quiz.attempt_page", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt_page(attempt_id: int) -> str | Response:
    """The attempt's questions, as drawn for it."""
    attempt = _own_attempt_or_404(attempt_id)
    if attempt.submitted_at is not None:
        return redirect(url_for("quiz.result", attempt_id=attempt.id))
    view = quizzes.view(attempt)
    return _attempt_page(attempt, view, attempt_form(view.questions, _types()), {})


def _attempt_page(
    attempt: QuizAttempt, view: quizzes.AttemptView, form: Any, missing: dict[str, str]
) -> str:
    """The form of an open attempt, with messages for answers that need more.

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
        missing=missing,
        **_context(attempt),
    )


@bp.post("/attempts/<int:attempt_id>")
@login_required
def submit(attempt_id: int) -> Response | tuple[str, int]:
    """Grade the attempt once; a repeated or replayed submission shows the stored result."""
    attempt = _own_attempt_or_404(attempt_id)
    view = quizzes.view(attempt)
    types = _types()
    form = attempt_form(view.questions, types)
    if not form.validate_on_submit():
        abort(400)
    answers = responses(form, view.questions)
    missing = _incomplete(view, answers, types) if attempt.submitted_at is None else {}
    if missing:
        return _attempt_page(attempt, view, form, missing), 422
    pm = current_app.extensions["cocourse.plugins"]
    quizzes.submit(get_session(), pm, attempt.id, current_user.id, answers, types, course=course())
    return redirect(url_for("quiz.result", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int) -> str | Response:
    """Score, pass or fail, attempts left, and feedback as the review policy allows."""
    attempt = _own_attempt_or_404(attempt_id)
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


def _incomplete(view: quizzes.AttemptView, answers: dict[str, Any], types: Any) -> dict[str, str]:
    """Messages for answers their type will not accept yet (such as a text that is too short)."""
    found = {}
    for question, _order in view.questions:
        message = resolve(types, question.type).incomplete(question, answers.get(question.id))
        if message:
            found[question.id] = message
    return found


def _context(attempt: QuizAttempt) -> dict[str, Any]:
    """The module and lesson holding the attempt's quiz now (None if it was removed)."""
    module, lesson = course().quiz(attempt.quiz_id) or (None, None)
    return {"module": module, "lesson": lesson}
