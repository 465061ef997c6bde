"""The course being served: loaded at startup, reloaded when asked, never half-replaced.

A reload reads and renders the whole course, which takes seconds on a large one. With
`background=True`, `check` (run before every request) only starts a reload in a thread
and returns at once; requests keep the current course until the new one has loaded
without errors and is swapped in (one assignment, so a request sees one or the other).
`reload()` stays synchronous for the CLI and the tests.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from markdown_it import MarkdownIt

from cocourse.content.loader import load_course
from cocourse.content.model import Course, Problem
from cocourse.questions.base import QuestionType

log = logging.getLogger("cocourse.content")


class ContentError(RuntimeError):
    """The course has errors; the message lists them one per line as file:line: CODE text."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"the course has {len(problems)} error(s):\n{lines}")


@dataclass(frozen=True)
class Refusal:
    """A reload that was refused: when, what asked for it, and every error it found."""

    at: datetime
    source: str  # "cocourse reload", "file watcher", "an admin" ...
    problems: tuple[Problem, ...]


def content_version(root: str) -> str:
    """A short fingerprint of the content folder: the same files give the same version."""
    digest = hashlib.sha256()
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, root).encode("utf-8", "surrogateescape"))
            try:
                with open(path, "rb") as handle:
                    digest.update(hashlib.sha256(handle.read()).digest())
            except OSError:
                digest.update(b"unreadable")
    return digest.hexdigest()[:12]


class Broadcast(Protocol):
    """How processes on other hosts learn that the content changed (see content_signal)."""

    def latest(self) -> tuple[str, datetime] | None:
        """The current token and when it was set; None when there is none or it cannot be
        read."""

    def announce(self) -> str:
        """Replace the token; the new one."""


class CourseState:
    """Holds the last good course; swaps in a new one only when it loads without errors.

    It also keeps what an admin needs to see: the version being served and when it was
    loaded, and the last refused reload with every error (`status`). These are this
    process's own: every worker loads and reloads for itself.
    """

    def __init__(
        self,
        root: str,
        md: MarkdownIt,
        stamp: Path,
        on_loaded: Callable[[Course], None],
        question_types: Mapping[str, QuestionType] | None = None,
        watch: bool = False,
        interval: float = 1.0,
        background: bool = False,
        broadcast: Broadcast | None = None,
    ) -> None:
        self.root, self.md, self.stamp = root, md, stamp
        self.broadcast = broadcast
        # The token seen last; read at the first check, not here, so that building an app
        # (for a command, before migrations) does not touch the database.
        self._announced: str | None = None
        self._listening = False
        self.question_types = question_types
        self.on_loaded, self.watch, self.interval = on_loaded, watch, interval
        self.background = background
        self._lock = threading.Lock()  # one load at a time
        self._guard = threading.Lock()  # protects _thread
        self._thread: threading.Thread | None = None
        self._next_check = 0.0
        self._seen = self._fingerprint()
        version = content_version(root)
        result = load_course(root, md, question_types)
        if result.course is None:
            raise ContentError(result.errors)
        self.course: Course = result.course
        self.version, self.loaded_at = version, datetime.now(UTC)
        self.refused: Refusal | None = None
        for warning in result.course.warnings:
            log.warning("%s", warning)
        on_loaded(self.course)

    def reload(self, source: str = "cocourse reload") -> tuple[Problem, ...]:
        """Load the course again; on errors keep serving the old one and return the errors.

        `source` says what asked for the reload, for the status an admin sees.
        """
        with self._lock:
            self._seen = self._fingerprint()
            version = content_version(self.root)
            result = load_course(self.root, self.md, self.question_types)
            if result.course is None:
                for problem in result.errors:
                    log.error("reload refused, still serving the last good course: %s", problem)
                self.refused = Refusal(datetime.now(UTC), source, result.errors)
                return result.errors
            course = self.course = result.course
            self.version, self.loaded_at = version, datetime.now(UTC)
            log.info("course reloaded from %s", self.root)
        self.on_loaded(course)
        return ()

    def start_reload(self, source: str = "cocourse reload") -> threading.Thread | None:
        """Start a reload in a background thread; None if one is running already."""
        with self._guard:
            if self._thread is not None and self._thread.is_alive():
                return None
            thread = threading.Thread(
                target=self._reload_logged, args=(source,), name="cocourse-reload"
            )
            thread.daemon = True
            self._thread = thread
            thread.start()
            return thread

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a background reload to finish; False if it is still running."""
        with self._guard:
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _reload_logged(self, source: str) -> None:
        """A background reload: errors are logged, never raised into a request."""
        try:
            self.reload(source)
        except Exception:
            log.exception("reload failed, still serving the last good course")

    def announce(self) -> None:
        """Tell the other processes, here and on other hosts, to reload (after a change this
        process made and reloads itself)."""
        self.stamp.touch()
        if self.broadcast is not None:
            self._announced, self._listening = self.broadcast.announce(), True

    def due(self) -> bool:
        """Whether the next request is the one to `check` for a content change."""
        return time.monotonic() >= self._next_check

    def check(self) -> None:
        """Reload if `cocourse reload` or the studio announced a change (the stamp, or the
        broadcast from another host) or, when watching, a file changed."""
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self.interval
        source = None
        seen = self._fingerprint()
        if seen != self._seen:
            # The stamp is what `cocourse reload` touches; any other change is a file's.
            source = "cocourse reload" if seen[0] != self._seen[0] else "file watcher"
        if self.broadcast is not None and (found := self.broadcast.latest()) is not None:
            token, at = found
            # The first check takes the token as seen, unless it was set after this process
            # loaded the course.
            first, self._listening = not self._listening, True
            if token != self._announced and (not first or at > self.loaded_at):
                source = source or "another server"
            self._announced = token
        if source is None:
            return
        if self.background:
            self.start_reload(source)
        else:
            self.reload(source)

    def _fingerprint(self) -> tuple[float, ...]:
        """What tells a change: the stamp's time and, when watching, the content files' times."""
        try:
            stamp = self.stamp.stat().st_mtime
        except FileNotFoundError:
            stamp = 0.0
        if not self.watch:
            return (stamp,)
        newest, count = 0.0, 0
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                count += 1
                try:  # lstat: a dangling link must not break every request
                    newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
                except OSError:
                    continue
            newest = max(newest, os.lstat(folder).st_mtime)
        return (stamp, newest, float(count))
