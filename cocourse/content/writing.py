"""Writing into the content folder without ever leaving half a file behind, and checking a
change to the course before it is written.

A file is written under a temporary name in the same folder, flushed to disk, then linked
(a new file) or renamed (a replaced one) into place in one step: a crash leaves the old file
or the new one, never part of one.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import replace as replace_dc
from pathlib import Path
from typing import Any

from .loader import LoadResult
from .model import Problem
from .words import Text


def load_with(
    root: str | os.PathLike[str],
    changes: Mapping[str, str],
    *tools: Any,
    removed: tuple[str, ...] = (),
) -> LoadResult:
    """The course under `root` as it would load with `changes` (paths relative to `root`,
    and their new text) made and the `removed` files gone, loaded from a copy: `root` is not
    touched. Paths in the problems are those under `root`; the course's rendered text is as
    it would be served. `tools` are `load_course`'s markdown and question types."""
    from .loader import load_course

    source = Path(root)
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / source.name
        shutil.copytree(source, trial, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        for relative in removed:
            (trial / relative).unlink(missing_ok=True)
        for relative, text in changes.items():
            target = trial / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        result = load_course(trial, *tools)
    problems = tuple(
        replace_dc(
            problem,
            path=problem.path.replace(str(trial), str(source), 1),
            message=_moved(problem.message, str(trial), str(source)),
        )
        for problem in result.problems
    )
    return LoadResult(result.course, problems)


def _moved(message: str, old: str, new: str) -> str:
    """`message` naming `new` where it named `old`; a message that can still be said in
    another language (words.Text) stays one, with its values changed."""
    if not isinstance(message, Text):
        return message.replace(old, new)
    values = {key: _moved_value(value, old, new) for key, value in message.params.items()}
    return Text(message.msgid, message.plural, message.num, values)


def _moved_value(value: Any, old: str, new: str) -> Any:
    """A message's value naming `new` where it named `old` (an error, as its text)."""
    if isinstance(value, str):
        return _moved(value, old, new)
    if not isinstance(value, int | float) and old in str(value):
        return str(value).replace(old, new)
    return value


def problems_with(
    root: str | os.PathLike[str], changes: Mapping[str, str], *tools: Any
) -> list[Problem]:
    """Every problem, errors and warnings, that the course would have with `changes` made
    (see `load_with`)."""
    return list(load_with(root, changes, *tools).problems)


def _partial(target: Path, content: str | bytes) -> Path:
    """`content` (text is written as UTF-8) in a new temporary file beside `target`, on disk."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial


def replace(path: str | os.PathLike[str], text: str) -> Path:
    """Replace the file at `path` with `text` (UTF-8) in one step."""
    target = Path(path)
    partial = _partial(target, text)
    try:
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _sync_folder(target.parent)
    return target


def write_new(path: str | os.PathLike[str], text: str | bytes) -> Path:
    """Create `path` with `text` (UTF-8) or bytes in one step; FileExistsError if it exists
    already."""
    target = Path(path)
    partial = _partial(target, text)
    try:
        os.link(partial, target)  # fails if the name is taken: an existing file stays as it is
    finally:
        partial.unlink(missing_ok=True)
    _sync_folder(target.parent)
    return target


def _sync_folder(folder: Path) -> None:
    """Make the new name itself durable (where the platform can)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - folders cannot be opened on some platforms
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
