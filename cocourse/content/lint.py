"""Course-wide checks (tracks, prerequisites, ordering) and the `cocourse lint` entry point."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .draw_rules import Cover, SearchTooLarge, expand_minimums, is_group
from .model import Problem

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

    from ..questions.base import Question, QuestionType
    from .loader import _ModuleDraft
    from .model import Module
    from .quiz import QuizSettings


def lint_path(
    root: str | os.PathLike[str],
    md: MarkdownIt | None = None,
    question_types: Mapping[str, QuestionType] | None = None,
) -> list[Problem]:
    """Every problem in the content under `root`, errors and warnings, sorted by file and line."""
    from .loader import load_course

    return list(load_course(root, md, question_types).problems)


def check_graph(
    tracks: list[dict[str, Any]], drafts: Mapping[str, _ModuleDraft], problems: list[Problem]
) -> None:
    """Check that tracks exist, prerequisites exist and form no cycle, and orders are unique."""
    track_names = {t["slug"] for t in tracks}
    module_edges: dict[str, tuple[str, ...]] = {}
    seen_orders: dict[tuple[str, int], str] = {}
    for slug, draft in drafts.items():
        fm, shown = draft.header.fm, draft.header.shown
        track = fm.data.get("track")
        if isinstance(track, str) and track_names and track not in track_names:
            message = (
                f"unknown track {track!r} (tracks.yml declares: {', '.join(sorted(track_names))})"
            )
            problems.append(Problem(shown, fm.line("track"), "C112", message))
        order = fm.data.get("order")
        if isinstance(order, int) and isinstance(track, str):
            other = seen_orders.setdefault((track, order), slug)
            if other != slug:
                message = f"order {order} is also used by module {other!r} in track {track!r}"
                problems.append(Problem(shown, fm.line("order"), "W201", message, "warning"))
        module_edges[slug] = _names(fm.data.get("prerequisites"))
        for name in module_edges[slug]:
            if name not in drafts:
                message = f"prerequisite {name!r} is not a module"
                problems.append(Problem(shown, fm.line("prerequisites"), "C120", message))
    for slug, path in _cycles(module_edges):
        fm, shown = drafts[slug].header.fm, drafts[slug].header.shown
        message = f"prerequisites form a cycle: {' -> '.join(path)}"
        problems.append(Problem(shown, fm.line("prerequisites"), "C121", message))
    _check_tracks(tracks, drafts, problems)


def _check_tracks(
    tracks: list[dict[str, Any]], drafts: Mapping[str, _ModuleDraft], problems: list[Problem]
) -> None:
    """Track prerequisites must name tracks, form no cycle, and each track needs modules."""
    names = {t["slug"] for t in tracks}
    edges = {t["slug"]: _names(t.get("prerequisites")) for t in tracks}
    lines = {t["slug"]: (t["path"], t["line"]) for t in tracks}
    used = {d.header.fm.data.get("track") for d in drafts.values()}
    for slug, needs in edges.items():
        path, line = lines[slug]
        for name in needs:
            if name not in names:
                problems.append(
                    Problem(path, line, "C120", f"prerequisite {name!r} is not a track")
                )
        if slug not in used:
            problems.append(
                Problem(path, line, "W202", f"track {slug!r} has no modules", "warning")
            )
    for slug, cycle in _cycles(edges):
        path, line = lines[slug]
        message = f"track prerequisites form a cycle: {' -> '.join(cycle)}"
        problems.append(Problem(path, line, "C121", message))


def _names(value: Any) -> tuple[str, ...]:
    """The names in a (validated or not) prerequisites value."""
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _cycles(edges: Mapping[str, tuple[str, ...]]) -> list[tuple[str, list[str]]]:
    """Each cycle once, as (a node on it, the path around it)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    found: list[tuple[str, list[str]]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        here = [*path, node]
        for nxt in edges.get(node, ()):
            if nxt not in edges:
                continue
            if state.get(nxt) == 1:
                found.append((node, [*here[here.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, here)
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    return found


def check_quizzes(modules: list[Module], problems: list[Problem]) -> None:
    """Quiz and question ids are unique in the course; pools and pass marks are possible."""
    quiz_ids: dict[str, str] = {}
    question_ids: dict[str, str] = {}
    # A question that failed to build is reported already; "no questions" would only repeat it.
    broken = {p.path for p in problems if p.severity == "error"}
    for module in modules:
        for lesson in module.lessons:
            for question in lesson.questions:
                first = question_ids.setdefault(question.id, f"{question.path}:{question.line}")
                if first != f"{question.path}:{question.line}":
                    message = f"question id {question.id!r} is already used at {first}"
                    problems.append(Problem(question.path, question.line, "C162", message))
            if lesson.quiz is None:
                continue
            quiz = lesson.quiz
            first = quiz_ids.setdefault(quiz.id, lesson.path)
            if first != lesson.path:
                message = f"quiz id {quiz.id!r} is already used in {first}"
                problems.append(Problem(lesson.path, 1, "C163", message))
            if lesson.path in broken:
                continue
            _check_quiz_draw(lesson.path, quiz.draw, lesson.questions, problems)
            _check_draw_rules(lesson.path, quiz, lesson.questions, problems)
            scored = [q for q in lesson.questions if q.scored]
            if quiz.pass_mark > 0 and not scored:
                message = (
                    f"quiz {quiz.id!r} has no scored question, so its pass mark cannot be reached"
                )
                problems.append(Problem(lesson.path, 1, "C167", message))


def _check_quiz_draw(
    path: str, draw: int | None, questions: tuple[Any, ...], problems: list[Problem]
) -> None:
    """A pool cannot draw more questions than it has."""
    if not questions:
        problems.append(Problem(path, 1, "C166", "the quiz has no questions: add ```quiz fences"))
    elif draw is not None and draw > len(questions):
        message = f"the quiz draws {draw} questions but has only {len(questions)}"
        problems.append(Problem(path, 1, "C166", message))


def _check_draw_rules(
    path: str, quiz: QuizSettings, questions: tuple[Question, ...], problems: list[Problem]
) -> None:
    """Every `draw_per_tag` group matches a tag, every tag has enough questions, and one
    draw can meet all the minimums at once (C166)."""
    tags = {tag for question in questions for tag in question.tags}
    for key, _ in quiz.draw_per_tag:
        if is_group(key) and not any(tag.startswith(key[:-1]) for tag in tags):
            message = f"draw_per_tag group {key!r} matches no tag of the quiz's questions"
            problems.append(Problem(path, 1, "C166", message))
    minimums = expand_minimums(quiz.draw_per_tag, tags)
    short = False
    for tag, wanted in minimums:
        have = sum(1 for q in questions if tag in q.tags)
        if have < wanted:
            short = True
            message = (
                f"draw_per_tag needs {wanted} question(s) tagged {tag!r}{_from(tag, quiz)}; "
                f"the quiz has {have}"
            )
            problems.append(Problem(path, 1, "C166", message))
    draw = quiz.draw
    if short or not minimums or draw is None or draw > len(questions):
        return  # reported above, or no rules to meet together
    together = _together_problem(quiz, minimums, questions, draw)
    if together:
        problems.append(Problem(path, 1, "C166", together))


def _from(tag: str, quiz: QuizSettings) -> str:
    """Where a tag's minimum comes from: " (from 'domain:*')" for a group, "" for a tag."""
    plain = dict(quiz.draw_per_tag)
    if tag in plain:
        return ""
    group = max(
        (key for key in plain if is_group(key) and tag.startswith(key[:-1])), key=plain.__getitem__
    )
    return f" (from {group!r})"


def _together_problem(
    quiz: QuizSettings,
    minimums: tuple[tuple[str, int], ...],
    questions: tuple[Question, ...],
    draw: int,
) -> str | None:
    """Why no draw of `draw` questions meets every minimum at once, or None if one can."""
    cover = Cover(minimums, [q.tags for q in questions])
    pool = cover.groups()
    try:
        if cover.fits(cover.needs, pool, draw):
            return None
    except SearchTooLarge:
        return (
            f"draw_per_tag is too intricate to check against {len(questions)} questions "
            "(the search gave up): use fewer minimums, or tags that overlap less"
        )
    culprits = []
    for i, (tag, wanted) in enumerate(minimums):
        others = [0 if j == i else n for j, n in enumerate(cover.needs)]
        try:
            if cover.fits(others, pool, draw):
                culprits.append(f"{tag!r}{_from(tag, quiz)} ({wanted})")
        except SearchTooLarge:
            continue
    try:
        fewest = cover.fewest(cover.needs, pool)
        needed = f"meeting every minimum at once takes {fewest} questions"
    except SearchTooLarge:
        needed = "meeting every minimum at once takes more questions"
    if len(culprits) == 1:
        blame = f"dropping the minimum for {culprits[0]} would make it fit"
    elif culprits:
        blame = f"dropping any one of the minimums for {', '.join(culprits)} would make it fit"
    else:
        blame = "no one minimum is to blame: lower several, or tag questions that meet several"
    return f"draw_per_tag cannot be met in a draw of {draw}: {needed}; {blame}"
