"""Blueprint: catalog, module and lesson pages, completion, module files, activity log."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from cocourse.accounts.services import has_admin
from cocourse.content import languages
from cocourse.content.loader import ASSET_TYPES, lesson_url, module_url
from cocourse.content.markdown import pygments_css
from cocourse.content.model import Course, Lesson, Module
from cocourse.db import get_session
from cocourse.learning import activity, progress
from cocourse.models import ActivityEvent, Role
from cocourse.quiz import engine as quizzes
from cocourse.web import csv_export, page_cache
from cocourse.web.course import course, reader_course
from cocourse.web.extend import plugin_manager
from cocourse.web.files import send_safe_file
from cocourse.web.forms import ActionForm
from cocourse.web.paging import requested_page
from cocourse.web.roles import login_required, role_required
from cocourse.web.urls import site_root

bp = Blueprint("learning", __name__)


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _standing() -> progress.Standing:
    """The learner's completed lessons and module statuses (one query; the workshops they
    attended are looked up only if a track requiring one is consulted)."""
    session, user_id = get_session(), _user_id()
    done = progress.completed(session, user_id)
    bypass = current_user.is_authenticated and current_user.can_bypass_locks
    attended = progress.attendance(session, user_id, plugin_manager())
    return progress.Standing(reader_course(), done, bypass_locks=bypass, attendance=attended)


def _module_or_404(slug: str, asked: str | None = None) -> Module:
    module = reader_course(asked).module(slug)
    if module is None:
        abort(404)
    return module


def _lesson_or_404(module: Module, slug: str) -> tuple[int, Lesson]:
    index = module.lesson_index(slug)
    if index is None:
        abort(404)
    return index, module.lessons[index]


@bp.get("/tracks/<slug>")
def track_activity(slug: str) -> BaseResponse:
    """A track's xAPI activity IRI: the track on the catalog."""
    if reader_course().track(slug) is None:
        abort(404)
    return redirect(url_for("learning.catalog", _anchor=f"track-{slug}"))


@bp.app_template_global()
def event_words(verb: str, object_type: str) -> str:
    """What an activity event did, in the page's language ("Viewed lesson")."""
    return activity.event_words(verb, object_type)


@bp.get("/")
def catalog() -> str:
    """Tracks in order with their modules, progress and locks."""
    page_cache.offer()
    standing = _standing()
    needs_admin = not current_app.extensions.get("cocourse.has_admin")
    if needs_admin and has_admin(get_session()):
        current_app.extensions["cocourse.has_admin"] = True
        needs_admin = False
    return render_template(
        "learning/catalog.html",
        course=reader_course(),
        status=standing.statuses(),
        needs_admin=needs_admin,
        next_step=standing.next_step(reader_course().modules) if _user_id() else None,
    )


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    """The learner's progress: each track, where to continue, recent quiz results."""
    page_cache.offer()
    standing = _standing()
    session = get_session()
    tracks = progress.track_progress(standing, progress.completion_dates(session, current_user.id))
    results = quizzes.recent_results(session, current_user.id)
    quiz_lessons = {a.quiz_id: reader_course().quiz(a.quiz_id) for a in results}
    return render_template(
        "learning/dashboard.html",
        tracks=tracks,
        next_step=standing.next_step(reader_course().modules),
        results=results,
        quiz_lessons=quiz_lessons,
    )


@bp.get("/modules/<slug>")
def module_page(slug: str) -> str:
    """A module's introduction and lessons."""
    module = _module_or_404(slug)
    page_cache.offer()
    standing = _standing()
    opened: frozenset[str] = frozenset()
    if current_user.is_authenticated:
        opened = activity.opened_lessons(get_session(), current_user.id, slug)
    return render_template(
        "learning/module.html",
        module=module,
        track=reader_course().track(module.track),
        status=standing.status(module),
        done=standing.done.get(slug, frozenset()),
        opened=opened,
        next_lesson=progress.next_lesson(module, standing.done),
    )


@bp.get("/modules/<slug>/<lesson_slug>")
@login_required
def lesson_page(slug: str, lesson_slug: str) -> str | tuple[str, int]:
    """One lesson, with its table of contents, previous/next and 'mark complete'; in the
    reader's language where translated, or in the one they picked for it (?lang=)."""
    asked = request.args.get("lang")
    module = _module_or_404(slug, asked)
    index, lesson = _lesson_or_404(module, lesson_slug)
    original = course().module(slug).lessons[index]  # type: ignore[union-attr]
    standing = _standing()
    status = standing.status(module)
    if status.locked_by:
        return render_template("learning/locked.html", module=module, status=status), 403
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
    if quiz is None or quiz["open"] is None:  # an attempt under way changes by the minute
        page_cache.offer()
    activity.record_view(get_session(), current_user.id, module, lesson.slug)
    return render_template(
        "learning/lesson.html",
        module=module,
        track=reader_course().track(module.track),
        lesson=lesson,
        position=index + 1,
        previous=lessons[index - 1] if index > 0 else None,
        following=lessons[index + 1] if index + 1 < len(lessons) else None,
        completed=lesson.slug in done,
        done=done,
        quiz=quiz,
        written_in=lesson.language or languages.ORIGINAL,
        versions=[languages.ORIGINAL, *sorted(original.translations)],
        asked=asked,
    )


@bp.post("/modules/<slug>/<lesson_slug>/complete")
@login_required
def complete(slug: str, lesson_slug: str) -> BaseResponse:
    """Mark a lesson complete and go on to the next one."""
    module = _module_or_404(slug)
    index, lesson = _lesson_or_404(module, lesson_slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    if lesson.quiz is not None:
        abort(403, _("This lesson is complete once you pass its quiz."))
    locked_by = _standing().locked_by(module)
    if locked_by:
        abort(
            403, _("This module is locked: complete %(names)s first.", names=", ".join(locked_by))
        )
    pm = current_app.extensions["cocourse.plugins"]
    track = reader_course().track(module.track)
    progress.complete_lesson(get_session(), pm, current_user.id, module, lesson, track=track)
    if index + 1 < len(module.lessons):
        following = module.lessons[index + 1]
        return redirect(url_for("learning.lesson_page", slug=slug, lesson_slug=following.slug))
    flash(_("You finished the last lesson of “%(module)s”.", module=module.title))
    return redirect(url_for("learning.module_page", slug=slug))


@bp.get("/modules/<slug>/files/<path:filename>")
def module_file(slug: str, filename: str) -> Response:
    """A file from inside a module folder (images, PDFs); nothing outside it, no Markdown."""
    _module_or_404(slug)
    if Path(filename).suffix.lower() not in ASSET_TYPES or "/." in f"/{filename}":
        abort(404)
    response = send_safe_file(Path(course().root) / slug, filename, max_age=3600)
    if response is None:  # missing, a link, a hard link, not a plain file, outside the folder
        abort(404)
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


PER_PAGE = 50
CSV_COLUMNS = (
    "occurred_at",
    "verb",
    "object_type",
    "object_id",
    "object_title",
    "score",
    "passed",
)
# Personal data: never kept by browsers or proxies.
PRIVATE = {"Cache-Control": "no-store"}


@bp.get("/activity")
@login_required
def activity_log() -> str:
    """The learner's own events, newest first, a page at a time."""
    page = requested_page()
    events, more = activity.recent(get_session(), current_user.id, page, PER_PAGE)
    rows = [(event, *_describe(reader_course(), event)) for event in events]
    return render_template("learning/activity_log.html", rows=rows, page=page, more=more)


def _describe(current: Course, event: ActivityEvent) -> tuple[str, str | None]:
    """An event's object title (its id if the course no longer has it) and page, if any."""
    found = activity.title(current, event.object_type, event.object_id)
    if found is None:
        return event.object_id, None
    if event.object_type == activity.LESSON:
        module_slug, _slash, lesson_slug = event.object_id.partition("/")
        return found, request.script_root + lesson_url(module_slug, lesson_slug)
    if event.object_type == activity.MODULE:
        return found, request.script_root + module_url(event.object_id)
    return found, None


@bp.get("/activity.csv")
@login_required
def activity_csv() -> Response:
    """The learner's own events as CSV, oldest first (columns in docs/operations.md)."""
    rows = activity.learner_events(get_session(), current_user.id)
    current = reader_course()

    def lines() -> Iterator[str]:
        yield csv_export.start() + csv_export.lines([CSV_COLUMNS])
        chunk = []
        try:
            for row in rows:
                chunk.append(_csv_row(current, row))
                if len(chunk) == activity.CHUNK:
                    yield csv_export.lines(chunk)
                    chunk = []
        finally:
            get_session().rollback()  # end the read transaction with the last row
        if chunk:
            yield csv_export.lines(chunk)

    headers = {"Content-Disposition": 'attachment; filename="activity.csv"', **PRIVATE}
    return Response(stream_with_context(lines()), mimetype="text/csv", headers=headers)


def _csv_row(current: Course, row: Any) -> tuple[Any, ...]:
    """One event: occurred_at, verb, object type, id and title, score and passed."""
    result = row.result or {}
    score = result.get("score")
    passed = result.get("passed")
    return (
        activity.iso(row.occurred_at),
        row.verb,
        row.object_type,
        row.object_id,
        activity.title(current, row.object_type, row.object_id) or "",
        "" if score is None else f"{score:g}",
        "" if passed is None else ("true" if passed else "false"),
    )


def _statement_lines(rows: list[Any], current: Course, base_url: str) -> str:
    """The stored statements of some events, one a line (built and stored if missing)."""
    texts = activity.stored_statements(get_session(), rows, current, base_url)
    return "".join(text + "\n" for text in texts)


@bp.get("/admin/activity.jsonl")
@role_required(Role.ADMIN)
def activity_export() -> Response:
    """Every event as an xAPI 1.0.3 statement, one JSON object a line; `?since=` filters."""
    since = None
    text = request.args.get("since", "")
    if text.strip():
        try:
            since = activity.parse_since(text)
        except ValueError as exc:
            abort(400, str(exc))
    rows = activity.all_events(get_session(), since)
    current, base_url = course(), site_root()

    def lines() -> Iterator[str]:
        chunk: list[Any] = []
        try:
            for row in rows:
                chunk.append(row)
                if len(chunk) == activity.CHUNK:
                    yield _statement_lines(chunk, current, base_url)
                    chunk = []
            if chunk:
                yield _statement_lines(chunk, current, base_url)
        finally:
            get_session().rollback()  # end the read transaction with the last row

    headers = {"Content-Disposition": 'attachment; filename="activity.jsonl"', **PRIVATE}
    return Response(stream_with_context(lines()), mimetype="application/jsonl", headers=headers)
