"""Blueprint: the catalog, module and lesson pages, completion, and module files."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user, login_required

from . import activity, portfolios, progress, quizzes
from .accounts import has_admin
from .content.loader import ASSET_TYPES, lesson_url, module_url
from .content.markdown import pygments_css
from .content.model import Course, Lesson, Module
from .db import get_session
from .forms import ActionForm
from .models import utcnow

bp = Blueprint("learn", __name__)


def course() -> Course:
    """The course currently being served."""
    return current_app.extensions["cocourse.course"].course  # type: ignore[no-any-return]


@bp.app_template_global()
def lesson_href(module_slug: str, lesson_slug: str) -> str:
    """A lesson's URL; the same paths the content's own links use, without url_for's cost."""
    return request.script_root + lesson_url(module_slug, lesson_slug)


@bp.app_template_global()
def module_href(module_slug: str) -> str:
    """A module page's URL (see lesson_href)."""
    return request.script_root + module_url(module_slug)


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _standing() -> progress.Standing:
    """The learner's completed lessons and module statuses (one query)."""
    done = progress.completed(get_session(), _user_id())
    bypass = current_user.is_authenticated and current_user.can_bypass_locks
    return progress.Standing(course(), done, bypass_locks=bypass)


def _module_or_404(slug: str) -> Module:
    module = course().module(slug)
    if module is None:
        abort(404)
    return module


def _lesson_or_404(module: Module, slug: str) -> tuple[int, Lesson]:
    index = module.lesson_index(slug)
    if index is None:
        abort(404)
    return index, module.lessons[index]


@bp.get("/")
def catalog() -> str:
    """Tracks in order with their modules, progress and locks."""
    standing = _standing()
    needs_admin = not current_app.extensions.get("cocourse.has_admin")
    if needs_admin and has_admin(get_session()):
        current_app.extensions["cocourse.has_admin"] = True
        needs_admin = False
    return render_template(
        "learn/catalog.html",
        course=course(),
        status=standing.statuses(),
        needs_admin=needs_admin,
        next_step=standing.next_step(course().modules) if _user_id() else None,
    )


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    """The learner's progress: each track, where to continue, recent quiz results."""
    standing = _standing()
    session = get_session()
    tracks = progress.track_progress(standing, progress.completion_dates(session, current_user.id))
    results = quizzes.recent_results(session, current_user.id)
    quiz_lessons = {a.quiz_id: course().quiz(a.quiz_id) for a in results}
    return render_template(
        "learn/dashboard.html",
        tracks=tracks,
        next_step=standing.next_step(course().modules),
        results=results,
        quiz_lessons=quiz_lessons,
        standings=portfolios.standings(
            session, current_user.id, course().programs, utcnow().date()
        ),
        labels=portfolios.LABELS,
    )


@bp.get("/modules/<slug>")
def module_page(slug: str) -> str:
    """A module's introduction and lessons."""
    module = _module_or_404(slug)
    standing = _standing()
    return render_template(
        "learn/module.html",
        module=module,
        track=course().track(module.track),
        status=standing.status(module),
        done=standing.done.get(slug, frozenset()),
        next_lesson=progress.next_lesson(module, standing.done),
    )


@bp.get("/modules/<slug>/<lesson_slug>")
@login_required
def lesson_page(slug: str, lesson_slug: str) -> str | tuple[str, int]:
    """One lesson, with its table of contents, previous/next and 'mark complete'."""
    module = _module_or_404(slug)
    index, lesson = _lesson_or_404(module, lesson_slug)
    standing = _standing()
    status = standing.status(module)
    if status.locked_by:
        return render_template("learn/locked.html", module=module, status=status), 403
    done = standing.done.get(slug, frozenset())
    lessons = module.lessons
    quiz = None
    if lesson.quiz is not None:
        taken = quizzes.attempts(get_session(), current_user.id, lesson.quiz.id)
        quiz = {
            "settings": lesson.quiz,
            "attempts": taken,
            "left": quizzes.attempts_left(lesson.quiz, taken),
            "open": next((a for a in taken if a.submitted_at is None), None),
        }
    activity.record_view(get_session(), current_user.id, module.slug, lesson.slug)
    return render_template(
        "learn/lesson.html",
        module=module,
        track=course().track(module.track),
        lesson=lesson,
        position=index + 1,
        previous=lessons[index - 1] if index > 0 else None,
        following=lessons[index + 1] if index + 1 < len(lessons) else None,
        completed=lesson.slug in done,
        done=done,
        quiz=quiz,
    )


@bp.post("/modules/<slug>/<lesson_slug>/complete")
@login_required
def complete(slug: str, lesson_slug: str) -> Response:
    """Mark a lesson complete and go on to the next one."""
    module = _module_or_404(slug)
    index, lesson = _lesson_or_404(module, lesson_slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    if lesson.quiz is not None:
        abort(403, "This lesson is complete once you pass its quiz.")
    locked_by = _standing().locked_by(module)
    if locked_by:
        abort(403, f"This module is locked: complete {', '.join(locked_by)} first.")
    hook = current_app.extensions["cocourse.plugins"].hook
    track = course().track(module.track)
    progress.complete_lesson(get_session(), hook, current_user.id, module, lesson, track=track)
    if index + 1 < len(module.lessons):
        following = module.lessons[index + 1]
        return redirect(url_for("learn.lesson_page", slug=slug, lesson_slug=following.slug))
    flash(f"You finished the last lesson of “{module.title}”.")
    return redirect(url_for("learn.module_page", slug=slug))


@bp.get("/modules/<slug>/files/<path:filename>")
def module_file(slug: str, filename: str) -> Response:
    """A file from inside a module folder (images, PDFs); nothing outside it, no Markdown."""
    _module_or_404(slug)
    if Path(filename).suffix.lower() not in ASSET_TYPES or "/." in f"/{filename}":
        abort(404)
    folder = Path(course().root) / slug
    response = send_from_directory(folder, filename, max_age=3600)
    # An SVG opened on its own must not run scripts.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    return response


@cache
def _code_css() -> str:
    return pygments_css()


@bp.get("/assets/code.css")
def code_css() -> Response:
    """The stylesheet for highlighted code."""
    return Response(_code_css(), mimetype="text/css", headers={"Cache-Control": "max-age=86400"})
