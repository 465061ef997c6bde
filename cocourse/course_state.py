"""The course being served: loaded at startup, reloaded on request, never half-replaced."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

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


class CourseState:
    """Holds the last good course; swaps in a new one only when it loads without errors."""

    def __init__(
        self,
        root: str,
        md: MarkdownIt,
        stamp: Path,
        on_loaded: Callable[[Course], None],
        question_types: Mapping[str, QuestionType] | None = None,
        watch: bool = False,
        interval: float = 1.0,
    ) -> None:
        self.root, self.md, self.stamp = root, md, stamp
        self.question_types = question_types
        self.on_loaded, self.watch, self.interval = on_loaded, watch, interval
        self._lock = threading.Lock()
        self._next_check = 0.0
        self._seen = self._fingerprint()
        result = load_course(root, md, question_types)
        if result.course is None:
            raise ContentError(result.errors)
        self.course: Course = result.course
        for warning in result.course.warnings:
            log.warning("%s", warning)
        on_loaded(self.course)

    def reload(self) -> tuple[Problem, ...]:
        """Load the course again; on errors keep serving the old one and return the errors."""
        with self._lock:
            self._seen = self._fingerprint()
            result = load_course(self.root, self.md, self.question_types)
            if result.course is None:
                for problem in result.errors:
                    log.error("reload refused, still serving the last good course: %s", problem)
                return result.errors
            self.course = result.course
            log.info("course reloaded from %s", self.root)
        self.on_loaded(self.course)
        return ()

    def check(self) -> None:
        """Reload if `cocourse reload` touched the stamp or (when watching) a file changed."""
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self.interval
        if self._fingerprint() != self._seen:
            self.reload()

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
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
            newest = max(newest, os.stat(folder).st_mtime)
        return (stamp, newest, float(count))
