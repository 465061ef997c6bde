"""Course-wide checks (tracks, prerequisites, ordering) and the `cocourse lint` entry point."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .draw_rules import Cover, SearchTooLarge, expand_minimums, is_group
from .model import Problem
from .words import Text, _, ngettext

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
            message = _(
                "unknown track %(track)r (tracks.yml declares: %(tracks)s)",
                track=track,
                tracks=", ".join(sorted(track_names)),
            )
            problems.append(Problem(shown, fm.line("track"), "C112", message))
        order = fm.data.get("order")
        if isinstance(order, int) and isinstance(track, str):
            other = seen_orders.setdefault((track, order), slug)
            if other != slug:
                message = _(
                    "order %(order)d is also used by module %(module)r in track %(track)r",
                    order=order,
                    module=other,
                    track=track,
                )
                problems.append(Problem(shown, fm.line("order"), "W201", message, "warning"))
        module_edges[slug] = _names(fm.data.get("prerequisites"))
        for name in module_edges[slug]:
            if name not in drafts:
                message = _("prerequisite %(name)r is not a module", name=name)
                problems.append(Problem(shown, fm.line("prerequisites"), "C120", message))
    for slug, path in _cycles(module_edges):
        fm, shown = drafts[slug].header.fm, drafts[slug].header.shown
        message = _("prerequisites form a cycle: %(cycle)s", cycle=" -> ".join(path))
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
                message = _("prerequisite %(name)r is not a track", name=name)
                problems.append(Problem(path, line, "C120", message))
        if slug not in used:
            message = _("track %(track)r has no modules", track=slug)
            problems.append(Problem(path, line, "W202", message, "warning"))
    for slug, cycle in _cycles(edges):
        path, line = lines[slug]
        message = _("track prerequisites form a cycle: %(cycle)s", cycle=" -> ".join(cycle))
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
                    message = _(
                        "question id %(id)r is already used at %(where)s",
                        id=question.id,
                        where=first,
                    )
                    problems.append(Problem(question.path, question.line, "C162", message))
            if lesson.quiz is None:
                continue
            quiz = lesson.quiz
            first = quiz_ids.setdefault(quiz.id, lesson.path)
            if first != lesson.path:
                message = _("quiz id %(id)r is already used in %(path)s", id=quiz.id, path=first)
                problems.append(Problem(lesson.path, 1, "C163", message))
            if lesson.path in broken:
                continue
            _check_quiz_draw(lesson.path, quiz.draw, lesson.questions, problems)
            _check_draw_rules(lesson.path, quiz, lesson.questions, problems)
            scored = [q for q in lesson.questions if q.scored]
            if quiz.pass_mark > 0 and not scored:
                message = _(
                    "quiz %(id)r has no scored question, so its pass mark cannot be reached",
                    id=quiz.id,
                )
                problems.append(Problem(lesson.path, 1, "C167", message))


def _check_quiz_draw(
    path: str, draw: int | None, questions: tuple[Any, ...], problems: list[Problem]
) -> None:
    """A pool cannot draw more questions than it has."""
    if not questions:
        message = _("the quiz has no questions: add ```quiz fences")
        problems.append(Problem(path, 1, "C166", message))
    elif draw is not None and draw > len(questions):
        message = _(
            "the quiz draws %(draw)d questions but has only %(have)d",
            draw=draw,
            have=len(questions),
        )
        problems.append(Problem(path, 1, "C166", message))


def _check_draw_rules(
    path: str, quiz: QuizSettings, questions: tuple[Question, ...], problems: list[Problem]
) -> None:
    """Every `draw_per_tag` group matches a tag, every tag has enough questions, and one
    draw can meet all the minimums at once (C166)."""
    tags = {tag for question in questions for tag in question.tags}
    for key, _count in quiz.draw_per_tag:
        if is_group(key) and not any(tag.startswith(key[:-1]) for tag in tags):
            message = _(
                "draw_per_tag group %(group)r matches no tag of the quiz's questions", group=key
            )
            problems.append(Problem(path, 1, "C166", message))
    minimums = expand_minimums(quiz.draw_per_tag, tags)
    short = False
    for tag, wanted in minimums:
        have = sum(1 for q in questions if tag in q.tags)
        if have < wanted:
            short = True
            problems.append(Problem(path, 1, "C166", _too_few(tag, wanted, have, quiz)))
    draw = quiz.draw
    if short or not minimums or draw is None or draw > len(questions):
        return  # reported above, or no rules to meet together
    together = _together_problem(quiz, minimums, questions, draw)
    if together:
        problems.append(Problem(path, 1, "C166", together))


def _group_of(tag: str, quiz: QuizSettings) -> str | None:
    """The group a tag's minimum comes from ('domain:*'), or None for a tag named plainly."""
    plain = dict(quiz.draw_per_tag)
    if tag in plain:
        return None
    return max(
        (key for key in plain if is_group(key) and tag.startswith(key[:-1])), key=plain.__getitem__
    )


def _too_few(tag: str, wanted: int, have: int, quiz: QuizSettings) -> Text:
    """C166: fewer questions carry `tag` than its minimum asks for."""
    group = _group_of(tag, quiz)
    if group is None:
        # Translators: the English keeps "question(s)" in both forms; write yours as usual.
        return ngettext(
            "draw_per_tag needs %(num)d question(s) tagged %(tag)r; the quiz has %(have)d",
            "draw_per_tag needs %(num)d question(s) tagged %(tag)r; the quiz has %(have)d",
            wanted,
            tag=tag,
            have=have,
        )
    # Translators: the English keeps "question(s)" in both forms; write yours as usual.
    return ngettext(
        "draw_per_tag needs %(num)d question(s) tagged %(tag)r (from %(group)r); "
        "the quiz has %(have)d",
        "draw_per_tag needs %(num)d question(s) tagged %(tag)r (from %(group)r); "
        "the quiz has %(have)d",
        wanted,
        tag=tag,
        group=group,
        have=have,
    )


def _minimum(tag: str, wanted: int, quiz: QuizSettings) -> str:
    """One minimum as a culprit is named: "'c' (2)", or "'domain:b' (from 'domain:*') (1)"."""
    group = _group_of(tag, quiz)
    if group is None:
        return f"{tag!r} ({wanted})"
    return _("%(tag)r (from %(group)r) (%(num)d)", tag=tag, group=group, num=wanted)


def _listed(items: list[str]) -> str:
    """Items in a list, as "a, b, c" (translated items stay translatable)."""
    listed = items[0]
    for item in items[1:]:
        # Translators: one more item added to a list of draw_per_tag minimums.
        listed = _("%(list)s, %(item)s", list=listed, item=item)
    return listed


def _together_problem(
    quiz: QuizSettings,
    minimums: tuple[tuple[str, int], ...],
    questions: tuple[Question, ...],
    draw: int,
) -> Text | None:
    """Why no draw of `draw` questions meets every minimum at once, or None if one can."""
    cover = Cover(minimums, [q.tags for q in questions])
    pool = cover.groups()
    try:
        if cover.fits(cover.needs, pool, draw):
            return None
    except SearchTooLarge:
        return _(
            "draw_per_tag is too intricate to check against %(num)d questions "
            "(the search gave up): use fewer minimums, or tags that overlap less",
            num=len(questions),
        )
    culprits = []
    for i, (tag, wanted) in enumerate(minimums):
        others = [0 if j == i else n for j, n in enumerate(cover.needs)]
        try:
            if cover.fits(others, pool, draw):
                culprits.append(_minimum(tag, wanted, quiz))
        except SearchTooLarge:
            continue
    try:
        fewest = cover.fewest(cover.needs, pool)
        needed = _("meeting every minimum at once takes %(num)s questions", num=fewest)
    except SearchTooLarge:
        needed = _("meeting every minimum at once takes more questions")
    if len(culprits) == 1:
        blame = _("dropping the minimum for %(minimum)s would make it fit", minimum=culprits[0])
    elif culprits:
        blame = _(
            "dropping any one of the minimums for %(minimums)s would make it fit",
            minimums=_listed(culprits),
        )
    else:
        blame = _("no one minimum is to blame: lower several, or tag questions that meet several")
    # Translators: %(needed)s and %(blame)s are the two clauses above ("meeting every
    # minimum at once takes ...", "dropping the minimum for ... would make it fit").
    return _(
        "draw_per_tag cannot be met in a draw of %(draw)d: %(needed)s; %(blame)s",
        draw=draw,
        needed=needed,
        blame=blame,
    )
