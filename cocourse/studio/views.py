"""Blueprint: the course's files edited in the browser, their history, and what content
this server serves and why a reload was refused (admins)."""

from __future__ import annotations

import os

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
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from cocourse import audit
from cocourse.content.loader import lesson_url, module_url
from cocourse.content.model import Course, Lesson, Module, Problem
from cocourse.content.words import say
from cocourse.content.writing import load_with
from cocourse.course_state import CourseState
from cocourse.db import get_session, write
from cocourse.models import Role
from cocourse.questions.base import resolve as question_type
from cocourse.quiz import engine as quizzes
from cocourse.quiz.gift import gift_to_markdown, lesson_file, question_ids, slugify
from cocourse.studio import editing, repository, starters, uploads
from cocourse.studio.editing import Author, NotEditable, Outcome
from cocourse.studio.forms import (
    EditForm,
    GiftForm,
    GiftLessonForm,
    NewLessonForm,
    NewModuleForm,
    UploadForm,
)
from cocourse.studio.repository import GitError
from cocourse.web import security_log
from cocourse.web.forms import ActionForm
from cocourse.web.roles import role_required

bp = Blueprint("studio", __name__, url_prefix="/studio")
admins = role_required(Role.ADMIN)
# The course files and their history: admins and authors.
editors = role_required(Role.ADMIN, Role.AUTHOR)


@bp.get("/status")
@admins
def status() -> str:
    """The content folder, the version served and since when, and the last refused reload."""
    state = current_app.extensions["cocourse.course"]
    course = state.course

    def where(problem: Problem) -> str:
        """file:line, the file relative to the content folder when it is inside it."""
        path = os.path.relpath(problem.path, state.root)
        shown = problem.path if path.startswith("..") else path
        return f"{shown}:{problem.line}"

    return render_template(
        "studio/status.html",
        state=state,
        modules=len(course.modules),
        lessons=sum(len(module.lessons) for module in course.modules),
        warnings=course.warnings,
        where=where,
        action=ActionForm(),
    )


@bp.post("/reload")
@admins
def reload() -> Response:
    """Reload the content now, in this process, and say how it went."""
    if not ActionForm().validate_on_submit():
        abort(400)
    errors = current_app.extensions["cocourse.course"].reload("an admin")
    if errors:
        flash(
            ngettext(
                "Not reloaded: %(num)d error(s), listed below.",
                "Not reloaded: %(num)d error(s), listed below.",
                len(errors),
            ),
            "error",
        )
    else:
        flash(_("Content reloaded."), "success")
    return redirect(url_for("studio.status"))


def _state() -> CourseState:
    state: CourseState = current_app.extensions["cocourse.course"]
    return state


def _where(state: CourseState, problem: Problem) -> str:
    path = os.path.relpath(problem.path, state.root)
    return f"{problem.path if path.startswith('..') else path}:{problem.line}"


def _of_file(state: CourseState, relative: str, problems: list[Problem]) -> list[Problem]:
    target = os.path.join(state.root, relative)
    return [p for p in problems if os.path.normpath(p.path) == os.path.normpath(target)]


def _learner_page(state: CourseState, relative: str) -> str | None:
    """Where a learner sees the file: its lesson or module page."""
    target = os.path.normpath(os.path.join(state.root, relative))
    for module in state.course.modules:
        if os.path.normpath(module.path) == target:
            return module_url(module.slug)
        for lesson in module.lessons:
            if os.path.normpath(lesson.path) == target:
                return lesson_url(module.slug, lesson.slug)
    return None


def _opened(state: CourseState, relative: str) -> tuple[str, str]:
    try:
        return editing.read(state.root, relative)
    except (NotEditable, UnicodeDecodeError):
        abort(404)


def _creation_forms(
    state: CourseState,
    lesson: NewLessonForm | None = None,
    module: NewModuleForm | None = None,
    gift: GiftForm | None = None,
) -> tuple[NewLessonForm, NewModuleForm, GiftForm]:
    # Prefixed: the three forms share a page, and their fields' ids must not repeat.
    lesson = lesson or NewLessonForm(formdata=None, prefix="lesson")
    module = module or NewModuleForm(formdata=None, prefix="module")
    gift = gift or GiftForm(formdata=None, prefix="gift")
    modules = [SelectChoice(m.slug, m.title) for m in state.course.modules]
    lesson.module.choices, gift.module.choices = modules, list(modules)
    module.track.choices = [SelectChoice(t.slug, t.title) for t in state.course.tracks]
    return lesson, module, gift


def _tree(state: CourseState) -> list[tuple[str, list[tuple[str, str]], str | None]]:
    """The course's files in sections, as learners meet them: the course-wide files, then
    each track's modules with their lessons; files the course does not use come last. Each
    section: its heading, its (file, label) rows, and the module's slug for a module."""
    all_files = editing.files(state.root)
    placed: set[str] = set()

    def rel(path: str) -> str:
        return os.path.relpath(path, state.root).replace(os.sep, "/")

    sections: list[tuple[str, list[tuple[str, str]], str | None]] = []
    top = [(f, "") for f in all_files if "/" not in f]
    sections.append((_("The whole course"), top, None))
    placed.update(f for f, _label in top)
    for track in state.course.tracks:
        for module in track.modules:
            rows = [(rel(module.path), _("The module's page"))]
            for lesson in module.lessons:
                label = _("Quiz: %(lesson)s", lesson=lesson.title) if lesson.quiz else lesson.title
                rows.append((rel(lesson.path), label))
            placed.update(r for r, _label in rows)
            heading = _("%(track)s: %(module)s", track=track.title, module=module.title)
            sections.append((heading, rows, module.slug))
    others = [(f, "") for f in all_files if f not in placed]
    if others:
        sections.append((_("Other files"), others, None))
    return sections


def _files_page(
    lesson: NewLessonForm | None = None,
    module: NewModuleForm | None = None,
    outcome: Outcome | None = None,
    status: int = 200,
    gift: GiftForm | None = None,
) -> tuple[str, int]:
    state = _state()
    warnings: dict[str, int] = {}
    for problem in state.course.warnings:
        key = os.path.relpath(problem.path, state.root)
        warnings[key] = warnings.get(key, 0) + 1
    lesson, module, gift = _creation_forms(state, lesson, module, gift)
    page = render_template(
        "studio/files.html",
        sections=_tree(state),
        warnings=warnings,
        tracked=repository.is_repository(state.root),
        lesson_form=lesson,
        module_form=module,
        gift_form=gift,
        outcome=outcome,
        where=lambda p: _where(state, p),
    )
    return page, status


@bp.get("")
@editors
def files() -> tuple[str, int]:
    """Every course file, with its warnings; new lessons and modules."""
    return _files_page()


def _created(
    outcome: Outcome, first: str, lesson: NewLessonForm | None, module: NewModuleForm | None
) -> Response | tuple[str, int]:
    if not outcome.saved:
        return _files_page(lesson, module, outcome, 422 if outcome.errors else 400)
    _saved(first, outcome, "content-created")
    flash(_("Added. Learners see it now; write its text here."), "success")
    return redirect(url_for("studio.edit", relative=first))


@bp.post("/new-lesson")
@editors
def new_lesson() -> Response | tuple[str, int]:
    """A new lesson at the end of a module, from a starter text."""
    state = _state()
    form, _module, _gift = _creation_forms(state, NewLessonForm(prefix="lesson"))
    if not form.validate_on_submit():
        return _files_page(lesson=form, status=400)
    slug = slugify(form.title.data or "")
    if not slug:
        form.title.errors.append(
            _("Use some letters or digits: the lesson's address is made from them.")
        )
        return _files_page(lesson=form, status=400)
    folder = os.path.join(state.root, form.module.data)
    try:
        path = lesson_file(folder, slug)
    except FileExistsError:
        form.title.errors.append(_("The module has a lesson with this name already."))
        return _files_page(lesson=form, status=400)
    relative = os.path.relpath(path, state.root).replace(os.sep, "/")
    if form.kind.data == "quiz":
        text = starters.quiz_lesson(form.title.data, f"{form.module.data}-{slug}"[:90])
    else:
        text = starters.reading_lesson(form.title.data)
    author = Author(current_user.name, current_user.email)
    outcome = editing.create(state, {relative: text}, author, f"Add the lesson {relative}")
    return _created(outcome, relative, form, None)


@bp.post("/new-module")
@editors
def new_module() -> Response | tuple[str, int]:
    """A new module folder at the end of a track, with module.md and a first lesson."""
    state = _state()
    _lesson, form, _gift = _creation_forms(state, module=NewModuleForm(prefix="module"))
    if not form.validate_on_submit():
        return _files_page(module=form, status=400)
    slug = slugify(form.title.data or "")
    if not slug:
        form.title.errors.append(
            _("Use some letters or digits: the module's address is made from them.")
        )
        return _files_page(module=form, status=400)
    if os.path.lexists(os.path.join(state.root, slug)):
        form.title.errors.append(
            _("There is a folder %(folder)s already: choose another title.", folder=slug)
        )
        return _files_page(module=form, status=400)
    track = state.course.track(form.track.data)
    order = max((m.order for m in track.modules), default=0) + 10 if track else 10
    texts = {
        f"{slug}/module.md": starters.module(
            form.title.data, form.track.data, order, form.summary.data, form.minutes.data
        ),
        f"{slug}/01-introduction.md": starters.reading_lesson("Introduction"),
    }
    author = Author(current_user.name, current_user.email)
    outcome = editing.create(state, texts, author, f"Add the module {slug}")
    return _created(outcome, f"{slug}/module.md", None, form)


def _editor(
    state: CourseState,
    relative: str,
    form: EditForm,
    outcome: Outcome | None = None,
    status: int = 200,
) -> tuple[str, int]:
    shown = outcome.problems if outcome and outcome.problems else list(state.course.warnings)
    tracked = repository.is_repository(state.root)
    conflict = None
    if outcome is not None and outcome.conflict is not None:
        original = editing.normalized(form.original.data or "")
        if editing.revision_of(original) != form.revision.data:
            original = form.text.data or ""
        conflict = editing.changes_between(
            original, outcome.conflict, _("as you opened it"), _("as it is now")
        )
        form.revision.data = outcome.revision
        form.original.data = outcome.conflict
    page = render_template(
        "studio/edit.html",
        relative=relative,
        form=form,
        problems=_of_file(state, relative, shown),
        elsewhere=[
            p
            for p in (outcome.errors if outcome else [])
            if p not in _of_file(state, relative, shown)
        ],
        where=lambda p: _where(state, p),
        outcome=outcome,
        conflict=conflict,
        learner_page=_learner_page(state, relative),
        tracked=tracked,
        upload=UploadForm(formdata=None, back=relative) if "/" in relative else None,
        uncommitted=tracked and repository.uncommitted(state.root, relative),
        accepted=uploads.accepted(),
    )
    return page, status


@bp.get("/files/<path:relative>")
@editors
def edit(relative: str) -> tuple[str, int]:
    """The editor: the file's text in a plain textarea, with its lint problems."""
    state = _state()
    text, revision = _opened(state, relative)
    form = EditForm(formdata=None, text=text, revision=revision, original=text)
    return _editor(state, relative, form)


def _saved(relative: str, outcome: Outcome, action: str) -> None:
    """The audit trail and the security log of a save."""
    session = get_session()
    with write(session):
        audit.record(
            session,
            current_user,
            action,
            f"content:{relative}",
            revision=outcome.revision,
            commit=outcome.commit,
        )
    security_log.event(
        "content_saved", user_id=current_user.id, file=relative, commit=outcome.commit
    )


@bp.post("/files/<path:relative>")
@editors
def save(relative: str) -> Response | tuple[str, int]:
    """Save: only when the whole course still loads without errors, and only over the
    revision the author opened."""
    state = _state()
    _opened(state, relative)  # 404 for what is not a course file
    form = EditForm()
    if not form.validate_on_submit():
        return _editor(state, relative, form, status=400)
    message = form.message.data or f"Edit {relative}"
    outcome = editing.save(
        state,
        relative,
        form.text.data or "",
        form.revision.data or "",
        Author(current_user.name, current_user.email),
        message,
    )
    if not outcome.saved:
        status = 409 if outcome.conflict is not None else 422 if outcome.errors else 400
        if outcome.unchanged:
            status = 200
        return _editor(state, relative, form, outcome, status)
    _saved(relative, outcome, "content-saved")
    flash(_("Saved. Learners see the new text now."), "success")
    return redirect(url_for("studio.edit", relative=relative))


@bp.get("/history/<path:relative>")
@editors
def history(relative: str) -> str:
    """The commits that changed a file."""
    state = _state()
    _opened(state, relative)
    tracked = repository.is_repository(state.root)
    changes = repository.history(state.root, relative) if tracked else []
    return render_template(
        "studio/history.html",
        relative=relative,
        changes=changes,
        tracked=tracked,
        action=ActionForm(),
    )


def _revision_or_404(state: CourseState, relative: str, revision: str) -> str:
    try:
        return repository.file_at(state.root, revision, relative)
    except GitError:
        abort(404)


@bp.get("/changes/<revision>/<path:relative>")
@editors
def change(relative: str, revision: str) -> str:
    """What one commit changed in the file."""
    state = _state()
    _opened(state, relative)
    if not repository.is_repository(state.root):
        abort(404)
    after = _revision_or_404(state, relative, revision)
    parent = repository.parent_of(state.root, revision)
    try:
        before = repository.file_at(state.root, parent, relative) if parent else ""
    except GitError:
        before = ""  # the file was added by this commit
    lines = editing.changes_between(
        before,
        after,
        _("before %(revision)s", revision=revision[:10]),
        _("after %(revision)s", revision=revision[:10]),
    )
    return render_template(
        "studio/change.html", relative=relative, revision=revision, lines=lines, action=ActionForm()
    )


@bp.post("/restore/<revision>/<path:relative>")
@editors
def restore(relative: str, revision: str) -> Response | tuple[str, int]:
    """Make the file what it was at a revision, as a new commit (checked like any save)."""
    state = _state()
    current_text, current_revision = _opened(state, relative)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not repository.is_repository(state.root):
        abort(404)
    text = _revision_or_404(state, relative, revision)
    outcome = editing.save(
        state,
        relative,
        text,
        current_revision,
        Author(current_user.name, current_user.email),
        f"Restore {relative} as of {revision[:10]}",
    )
    if not outcome.saved:
        if outcome.error:
            flash(outcome.error, "error")
        form = EditForm(formdata=None, text=text, revision=current_revision, original=current_text)
        return _editor(state, relative, form, outcome, 422 if outcome.errors else 409)
    _saved(relative, outcome, "content-restored")
    flash(_("Restored as of %(revision)s.", revision=revision[:10]), "success")
    return redirect(url_for("studio.edit", relative=relative))


def _lesson_in(course: Course, relative: str) -> tuple[Module, int, Lesson] | None:
    """The module and lesson a file holds in a course (loaded anywhere); for a translation
    (`NAME.nl.md`), the lesson and its module in that language."""
    for module in course.modules:
        for index, lesson in enumerate(module.lessons):
            if os.path.relpath(lesson.path, course.root) == relative:
                return module, index, lesson
            for language, translated in lesson.translations.items():
                if os.path.relpath(translated.path, course.root) == relative:
                    return module.in_language(language), index, translated
    return None


@bp.post("/preview/<path:relative>")
@editors
def preview(relative: str) -> tuple[str, int]:
    """The text as learners would see it, before it is saved: the lesson page, and for the
    author each question with its key and feedback. Nothing is written."""
    state = _state()
    _opened(state, relative)
    form = EditForm()
    if not form.validate_on_submit():
        abort(400)
    text = editing.normalized(form.text.data or "")
    result = load_with(state.root, {relative: text}, state.md, state.question_types)
    found = _lesson_in(result.course, relative) if result.course else None
    if result.course is None or found is None:
        page = render_template(
            "studio/preview.html",
            relative=relative,
            errors=result.errors,
            warnings=_of_file(
                state, relative, [p for p in result.problems if p.severity != "error"]
            ),
            where=lambda p: _where(state, p),
        )
        return page, 200 if not result.errors else 422
    module, index, lesson = found
    types = state.question_types or {}
    keys = [(q, question_type(types, q.type).key_html(q)) for q in lesson.questions]
    quiz = None
    if lesson.quiz is not None:
        quiz = {
            "settings": lesson.quiz,
            "attempts": [],
            "left": quizzes.attempts_left(lesson.quiz, []),
            "open": None,
        }
    lessons = module.lessons
    page = render_template(
        "studio/preview_lesson.html",
        relative=relative,
        module=module,
        track=result.course.track(module.track),
        lesson=lesson,
        position=index + 1,
        previous=lessons[index - 1] if index > 0 else None,
        following=lessons[index + 1] if index + 1 < len(lessons) else None,
        completed=False,
        done=frozenset(),
        quiz=quiz,
        keys=keys,
        warnings=[p for p in result.problems if p.severity != "error"],
        where=lambda p: _where(state, p),
    )
    return page, 200


@bp.post("/upload/<module>")
@editors
def upload(module: str) -> Response:
    """Add an image or PDF to a module folder, then go back to the file being edited with
    the Markdown that shows it."""
    state = _state()
    form = UploadForm()
    back = form.back.data or ""
    try:
        editing.resolve(state.root, back)
    except NotEditable:
        back = ""
    if not back.startswith(f"{module}/"):
        abort(404)
    if not form.validate_on_submit():
        flash(
            " ".join(str(e) for e in form.file.errors) or _("The form expired: try again."),
            "error",
        )
        return redirect(url_for("studio.edit", relative=back))
    with form.file.data.stream as stream:  # a large upload is a temporary file: closed here
        data = stream.read(uploads.MAX_BYTES + 1)
    try:
        outcome = editing.add_file(
            state,
            module,
            form.file.data.filename or "",
            data,
            Author(current_user.name, current_user.email),
        )
    except NotEditable:
        abort(404)
    if not outcome.saved:
        flash(outcome.error or _("The file was not added."), "error")
        return redirect(url_for("studio.edit", relative=back))
    stored = outcome.stored or ""
    _saved(f"{module}/{stored}", outcome, "content-file-added")
    if stored.endswith(".pdf"):
        shown = "[{}]({})".format(_("The document"), stored)
    else:
        shown = "![{}]({})".format(_("Say what the image shows"), stored)
    flash(
        _("Added %(file)s. Paste this where it belongs: %(markdown)s", file=stored, markdown=shown),
        "success",
    )
    return redirect(url_for("studio.edit", relative=back))


@bp.get("/order/<module>")
@editors
def lesson_order(module: str) -> str:
    """A module's lessons in order, each with buttons to move it up or down."""
    state = _state()
    try:
        files = editing.lesson_files(state, module)
    except NotEditable:
        abort(404)
    found = state.course.module(module)
    assert found is not None
    return render_template(
        "studio/order.html",
        module=found,
        rows=list(zip(files, found.lessons, strict=True)),
        action=ActionForm(),
    )


@bp.post("/order/<module>")
@editors
def move_lesson(module: str) -> Response:
    """Move one lesson a place up or down (its file is renumbered; its address stays)."""
    state = _state()
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        order = editing.lesson_files(state, module)
    except NotEditable:
        abort(404)
    moving, direction = request.form.get("lesson", ""), request.form.get("direction", "")
    if moving not in order or direction not in ("up", "down"):
        abort(400)
    index = order.index(moving)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
    outcome = editing.reorder(state, module, order, Author(current_user.name, current_user.email))
    if outcome.saved:
        _saved(f"{module}/", outcome, "content-reordered")
        flash(_("Moved. Learners see the new order now; their progress is kept."), "success")
    else:
        flash(outcome.error or _("Nothing moved."), "error")
    return redirect(url_for("studio.lesson_order", module=module))


@bp.post("/import-gift")
@editors
def import_gift() -> tuple[str, int]:
    """A GIFT file turned into a quiz lesson, shown with its warnings and the course's check
    before anything is added; the author can still change the text."""
    state = _state()
    _lesson, _module, form = _creation_forms(state, gift=GiftForm(prefix="gift"))
    if not form.validate_on_submit():
        return _files_page(gift=form, status=400)
    upload = form.file.data
    with upload.stream as stream:
        data = stream.read(editing.MAX_BYTES + 1)
    name = upload.filename or "imported.gift"
    stem = name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    problem = None
    if len(data) > editing.MAX_BYTES:
        problem = _("The file is larger than %(size)d KB.", size=editing.MAX_BYTES // 1024)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problem = _("The file is not UTF-8 text: save it as UTF-8 and try again.")
    if problem:
        form.file.errors.append(problem)
        return _files_page(gift=form, status=400)
    slug = slugify(stem) or "imported-quiz"
    try:
        relative_path = lesson_file(os.path.join(state.root, form.module.data), slug)
        markdown, warnings = gift_to_markdown(
            text,
            quiz_id=f"{form.module.data}-{slug}"[:90],
            title=stem.replace("-", " ").replace("_", " ").strip().capitalize() or "Imported quiz",
            reserved_ids=question_ids(state.root),
        )
    except (FileExistsError, ValueError) as exc:
        form.file.errors.append(str(exc))
        return _files_page(gift=form, status=400)
    relative = os.path.relpath(relative_path, state.root).replace(os.sep, "/")
    return _gift_preview(state, relative, markdown, [str(w) for w in warnings])


def _gift_preview(
    state: CourseState, relative: str, markdown: str, warnings: list[str], status: int = 200
) -> tuple[str, int]:
    loaded = load_with(state.root, {relative: markdown}, state.md, state.question_types)
    form = GiftLessonForm(formdata=None, relative=relative, text=markdown)
    page = render_template(
        "studio/gift.html",
        relative=relative,
        form=form,
        warnings=warnings,
        problems=[
            p
            for p in loaded.problems
            if p.severity == "error" or os.path.relpath(p.path, state.root) == relative
        ],
        where=lambda p: _where(state, p),
    )
    return page, status


@bp.post("/import-gift/add")
@editors
def add_gift_lesson() -> Response | tuple[str, int]:
    """Add the quiz lesson a GIFT file became (checked and committed like any new file)."""
    state = _state()
    form = GiftLessonForm()
    relative = form.relative.data or ""
    module, _slash, name = relative.partition("/")
    if (
        not form.validate_on_submit()
        or "/" in name
        or "\\" in name
        or name.startswith(".")
        or not name.endswith(".md")
        or state.course.module(module) is None
    ):
        abort(400)
    text = editing.normalized(form.text.data or "")
    outcome = editing.create(
        state,
        {relative: text},
        Author(current_user.name, current_user.email),
        f"Import the quiz {relative}",
    )
    if not outcome.saved:
        page, _status = _gift_preview(
            state, relative, text, [outcome.error] if outcome.error else []
        )
        return page, 422 if outcome.errors else 400
    _saved(relative, outcome, "content-created")
    flash(_("Quiz lesson added. Learners see it now."), "success")
    return redirect(url_for("studio.edit", relative=relative))


@bp.post("/check/<path:relative>")
@editors
def check(relative: str) -> Response:
    """The course checked with a text, as JSON, for the editor's live check (nothing is
    written; the request carries the CSRF token in a header)."""
    state = _state()
    _opened(state, relative)
    text = editing.normalized(request.form.get("text", ""))
    if len(text.encode("utf-8")) > editing.MAX_BYTES:
        abort(413)
    loaded = load_with(state.root, {relative: text}, state.md, state.question_types)
    shown = [
        p
        for p in loaded.problems
        if p.severity == "error" or os.path.relpath(p.path, state.root) == relative
    ]
    found = _lesson_in(loaded.course, relative) if loaded.course else None
    preview = render_template("studio/_live_preview.html", lesson=found[2]) if found else None
    errors = len(loaded.errors)
    if not shown:
        summary = _("Checked as you type: no problems.")
    elif errors:
        summary = ngettext(
            "Checked as you type: %(num)d error. Saving is refused until it is fixed.",
            "Checked as you type: %(num)d errors. Saving is refused until they are fixed.",
            errors,
        )
    else:
        summary = _("Checked as you type: warnings only; you can save.")
    return jsonify(
        errors=errors,
        summary=summary,
        preview=preview,
        problems=[
            {
                "where": _where(state, p),
                "code": p.code,
                "message": say(p.message),
                "severity": p.severity,
            }
            for p in shown
        ],
    )
