"""Editing course files from the browser. The Markdown and YAML files in the content folder
stay the single source: a save writes the file only when the whole course still loads
without errors, commits it to the content folder's git repository when there is one, and
reloads the course in every server process.

Safety: a path is accepted only when it names an existing Markdown or YAML file of the
course, with no part that starts with a dot (so nothing in `.git`), no symbolic link on the
way and nothing outside the content folder. Two people saving one file: the second save is
refused (its text kept) when the file changed since it was opened, judged by the file's
revision (a hash of its bytes). Saves on one host take turns under a file lock.
"""

from __future__ import annotations

import difflib
import fcntl
import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from cocourse.content.loader import ORDER_PREFIX
from cocourse.content.model import Problem
from cocourse.content.relinking import relinked
from cocourse.content.writing import load_with, replace, write_new
from cocourse.course_state import CourseState
from cocourse.studio import repository, uploads
from cocourse.studio.repository import GitError

EDITABLE = (".md", ".yml", ".yaml")
MAX_BYTES = 512 * 1024


class NotEditable(Exception):
    """The path is not a course file the studio may edit."""


@dataclass(frozen=True)
class Author:
    """Who saves: the name and email that go into the commit."""

    name: str
    email: str


@dataclass
class Outcome:
    """What a save did. `saved` is the only case in which anything changed."""

    saved: bool = False
    problems: list[Problem] = field(default_factory=list)  # errors stop a save; warnings do not
    conflict: str | None = None  # the file as it is now, when it changed since it was opened
    error: str | None = None  # git refused, or the text is too big
    revision: str | None = None  # the file's revision after the save
    commit: str | None = None  # the git commit that holds it
    stored: str | None = None  # an added file's path inside its module folder
    unchanged: bool = False  # the text was the file's text already: nothing to save

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def revision_of(text: str) -> str:
    """A file's revision: the start of the SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def resolve(root: str | os.PathLike[str], relative: str) -> Path:
    """The file `relative` names inside the content folder; NotEditable otherwise."""
    parts = relative.split("/")
    if (
        not relative
        or "\\" in relative
        or "\x00" in relative
        or any(not part or part.startswith(".") for part in parts)
        or not relative.endswith(EDITABLE)
    ):
        raise NotEditable(relative)
    base = Path(root)
    current = base
    for part in parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            raise NotEditable(relative) from None
        if stat.S_ISLNK(mode):
            raise NotEditable(relative)
    if not stat.S_ISREG(mode):
        raise NotEditable(relative)
    if not current.resolve().is_relative_to(base.resolve()):
        raise NotEditable(relative)
    return current


def read(root: str | os.PathLike[str], relative: str) -> tuple[str, str]:
    """A course file's text and revision."""
    text = resolve(root, relative).read_text(encoding="utf-8")
    return text, revision_of(text)


def files(root: str | os.PathLike[str]) -> list[str]:
    """Every editable course file, as paths relative to the content folder, sorted (the
    folder's own files first, then each module folder's)."""
    base = Path(root)
    found = []
    for folder, dirs, names in os.walk(base):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(folder, d))
        )
        for name in sorted(names):
            path = Path(folder) / name
            if name.startswith(".") or not name.endswith(EDITABLE) or path.is_symlink():
                continue
            found.append(path.relative_to(base).as_posix())
    return sorted(found, key=lambda p: (p.count("/"), p))


def normalized(text: str) -> str:
    """Text as it is stored: Unix line ends (browsers send CR LF from a textarea), ending in
    one line end."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip("\n") + "\n" if text.strip() else ""


def changes_between(old: str, new: str, old_name: str, new_name: str) -> list[str]:
    """A unified diff, line by line."""
    return list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=3
        )
    )


@contextmanager
def _turn(state: CourseState) -> Iterator[None]:
    """One save at a time on this host (every worker shares the instance folder)."""
    lock = state.stamp.with_name("studio.lock")
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save(
    state: CourseState,
    relative: str,
    text: str,
    opened_revision: str,
    author: Author,
    message: str,
) -> Outcome:
    """Save a course file: see the module's description. Nothing changes unless
    `Outcome.saved`; then the course being served is the new one."""
    root = state.root
    path = resolve(root, relative)
    text = normalized(text)
    if len(text.encode("utf-8")) > MAX_BYTES:
        return Outcome(
            error=_(
                "The text is longer than %(size)d KB: split the lesson.", size=MAX_BYTES // 1024
            )
        )
    with _turn(state):
        current = path.read_text(encoding="utf-8")
        if revision_of(current) != opened_revision:
            return Outcome(conflict=current, revision=revision_of(current))
        if current == text:
            return Outcome(
                revision=opened_revision,
                error=_("Nothing changed: there is nothing to save."),
                unchanged=True,
            )
        outcome = _apply(state, {relative: (current, text)}, author, message)
        if not outcome.saved:
            return outcome
    state.reload("the studio")
    return outcome


def create(state: CourseState, texts: dict[str, str], author: Author, message: str) -> Outcome:
    """Add new course files (a lesson, or a module folder with its first lesson), checked and
    committed like a save; refused when one of them exists already."""
    root = Path(state.root)
    with _turn(state):
        for relative in texts:
            if (root / relative).exists() or (root / relative).is_symlink():
                return Outcome(
                    error=_("%(file)s exists already: choose another name.", file=relative)
                )
        outcome = _apply(
            state, {r: (None, normalized(t)) for r, t in texts.items()}, author, message
        )
        if not outcome.saved:
            return outcome
    state.reload("the studio")
    return outcome


def add_file(
    state: CourseState, module: str, filename: str, data: bytes, author: Author
) -> Outcome:
    """Store an uploaded file in a module's `images` folder (under a free name), committed
    like a save; `Outcome.error` says why a file was refused, `Outcome.stored` is where it
    went inside the module folder."""
    folder = Path(state.root) / module
    if module.startswith(".") or "/" in module or not (folder / "module.md").is_file():
        raise NotEditable(module)
    try:
        name = uploads.checked_name(filename, data)
    except uploads.UploadRefused as refused:
        return Outcome(error=str(refused))
    target = folder / uploads.FOLDER
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        images = f"{module}/{uploads.FOLDER}"
        return Outcome(error=_("%(folder)s is not a folder: files cannot go there.", folder=images))
    with _turn(state):
        stem, _dot, ext = name.rpartition(".")
        candidate, number = name, 2
        while (target / candidate).exists():
            candidate, number = f"{stem}-{number}.{ext}", number + 1
        relative = f"{module}/{uploads.FOLDER}/{candidate}"
        tracked = repository.is_repository(state.root)
        try:
            if tracked:
                repository.check_writable(state.root)
            target.mkdir(exist_ok=True)
            write_new(Path(state.root) / relative, data)
            commit = None
            if tracked:
                commit = repository.commit(
                    state.root, [relative], f"Add {relative}", author.name, author.email
                )
        except (GitError, OSError) as exc:
            _undo(Path(state.root), {relative: None})
            return Outcome(error=_("The file could not be added: %(reason)s", reason=exc))
        state.announce()
    state.reload("the studio")
    return Outcome(saved=True, commit=commit, stored=f"{uploads.FOLDER}/{candidate}")


def _apply(
    state: CourseState,
    changes: dict[str, tuple[str | None, str]],
    author: Author,
    message: str,
    removed: dict[str, str] | None = None,
) -> Outcome:
    """Check the course with `changes` ({path: (old text or None for a new file, new text)})
    made and the `removed` files ({path: their text}) gone, then write them, commit them and
    signal the other processes; on any failure the files are put back as they were. The
    caller holds the turn (`_turn`)."""
    root = state.root
    removed = removed or {}
    new_texts = {relative: text for relative, (_old, text) in changes.items()}
    loaded = load_with(root, new_texts, state.md, state.question_types, removed=tuple(removed))
    outcome = Outcome(problems=list(loaded.problems))
    if outcome.errors:
        return outcome
    tracked = repository.is_repository(root)
    try:
        if tracked:
            repository.check_writable(root)
    except GitError as exc:
        outcome.error = str(exc)
        return outcome
    done: list[str] = []
    gone: list[str] = []
    try:
        for relative, (old, text) in changes.items():
            path = Path(root) / relative
            if old is None:
                path.parent.mkdir(exist_ok=True)
                write_new(path, text)
            else:
                replace(path, text)
            done.append(relative)
        for relative in removed:
            (Path(root) / relative).unlink()
            gone.append(relative)
        if tracked:
            paths = list(changes) + list(removed)
            outcome.commit = repository.commit(root, paths, message, author.name, author.email)
    except (GitError, OSError) as exc:
        for relative in gone:
            write_new(Path(root) / relative, removed[relative])
        _undo(Path(root), {r: changes[r][0] for r in done})
        if isinstance(exc, GitError):
            outcome.error = _(
                "The change could not be committed, so nothing was saved: %(reason)s", reason=exc
            )
        else:
            outcome.error = _(
                "The change could not be written, so nothing was saved: %(reason)s", reason=exc
            )
        return outcome
    outcome.saved = True
    if len(changes) == 1:
        outcome.revision = revision_of(next(iter(new_texts.values())))
    state.announce()  # the other server processes reload within a second
    return outcome


def _undo(root: Path, previous: dict[str, str | None]) -> None:
    """Put written files back: the old text, or no file (and no folder left empty)."""
    for relative, old in previous.items():
        path = root / relative
        if old is None:
            path.unlink(missing_ok=True)
            if path.parent != root and not any(path.parent.iterdir()):
                path.parent.rmdir()
        else:
            replace(path, old)


def lesson_files(state: CourseState, module: str) -> list[str]:
    """A module's lesson files in their order (the course's own reading of the folder)."""
    found = state.course.module(module)
    if found is None:
        raise NotEditable(module)
    return [
        os.path.relpath(lesson.path, state.root).replace(os.sep, "/") for lesson in found.lessons
    ]


def reorder(state: CourseState, module: str, order: list[str], author: Author) -> Outcome:
    """Give a module's lesson files the number prefixes of `order` (their slugs, and so
    everyone's progress, stay the same), with every link to them in the course rewritten,
    as one checked commit."""
    current = lesson_files(state, module)
    if sorted(order) != sorted(current):
        return Outcome(error=_("The lessons changed meanwhile: reload the page and try again."))
    width = max(2, len(str(len(order))))
    renames = {}
    for number, relative in enumerate(order, 1):
        folder, _slash, name = relative.rpartition("/")
        new = f"{folder}/{number:0{width}d}-{ORDER_PREFIX.sub('', name)}"
        if new != relative:
            renames[relative] = new
    if not renames:
        return Outcome(error=_("That is the order already."))
    root = Path(state.root)
    with _turn(state):
        changes: dict[str, tuple[str | None, str]] = {}
        removed: dict[str, str] = {}
        for relative in files(root):
            if not relative.endswith(".md"):
                continue
            text = (root / relative).read_text(encoding="utf-8")
            linked = relinked(text, relative, renames)
            if relative in renames:
                removed[relative] = text
                changes[renames[relative]] = (None, linked)
            elif linked != text:
                changes[relative] = (text, linked)
        clash = [new for new in renames.values() if new not in renames and (root / new).exists()]
        if clash:
            return Outcome(error=_("%(file)s exists already: rename it first.", file=clash[0]))
        outcome = _apply(state, changes, author, f"Reorder the lessons of {module}", removed)
        if not outcome.saved:
            return outcome
    state.reload("the studio")
    return outcome
