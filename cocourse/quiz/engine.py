"""Quiz services: start, submit and review attempts; regrade on request. Each takes a Session.

Attempts are pinned: they store the drawn questions, in the order shown, as JSON snapshots,
so reviews and scores stay what they were when the Markdown changes later.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pluggy
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from cocourse.content.model import Course, Lesson, Module
from cocourse.content.quiz import QuizSettings
from cocourse.db import write
from cocourse.learning import activity, progress
from cocourse.models import QuizAttempt, QuizRegrade, User, utcnow
from cocourse.plugins import Event, fire_events
from cocourse.questions import builtin_types
from cocourse.questions.base import Grade, Question, QuestionType, resolve
from cocourse.questions.snapshot import from_snapshot, to_snapshot
from cocourse.reports.item_analysis import AttemptRecord, Response

# Answers may arrive a little after the deadline (a slow network, a click at the last second).
GRACE = timedelta(seconds=30)


class QuizError(Exception):
    """A quiz request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class AttemptView:
    """An attempt's questions rebuilt from its snapshot, with the answer order shown."""

    attempt: QuizAttempt
    questions: tuple[tuple[Question, list[str]], ...]


def attempts(session: Session, user_id: int, quiz_id: str) -> list[QuizAttempt]:
    """A learner's attempts at a quiz, oldest first (their JSON loads only when used)."""
    rows = session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz_id)
        .order_by(QuizAttempt.number)
        .options(
            defer(QuizAttempt.questions), defer(QuizAttempt.answers), defer(QuizAttempt.results)
        )
    )
    return list(rows)


def recent_results(session: Session, user_id: int, limit: int = 5) -> list[QuizAttempt]:
    """A learner's latest submitted attempts, newest first."""
    rows = session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user_id, QuizAttempt.submitted_at.is_not(None))
        .order_by(QuizAttempt.submitted_at.desc(), QuizAttempt.id.desc())
        .limit(limit)
        .options(
            defer(QuizAttempt.questions), defer(QuizAttempt.answers), defer(QuizAttempt.results)
        )
    )
    return list(rows)


def attempts_left(settings: QuizSettings, taken: list[QuizAttempt]) -> int | None:
    """How many attempts may still be started (None: unlimited)."""
    if settings.attempts is None:
        return None
    return max(0, settings.attempts - len(taken))


def retake_opens(
    settings: QuizSettings, taken: list[QuizAttempt], now: datetime
) -> datetime | None:
    """When a learner who failed may start again, if that is still after `now` (None: now).

    The wait, from `retake_wait_hours`, follows the number of failed attempts; a passed quiz
    never waits.
    """
    waits = settings.retake_wait_hours
    failed = [a for a in taken if a.submitted_at is not None and not a.passed]
    if not waits or not failed or any(a.passed for a in taken):
        return None
    hours = waits[min(len(failed), len(waits)) - 1]
    opens = max(a.submitted_at for a in failed if a.submitted_at) + timedelta(hours=hours)
    return opens if opens > now else None


def review_allowed(settings: QuizSettings, taken: list[QuizAttempt]) -> bool:
    """Whether feedback and correct answers may be shown, by the quiz's review policy."""
    submitted = [a for a in taken if a.submitted_at is not None]
    if settings.review == "immediately":
        return True
    if settings.review == "never":
        return False
    passed = any(a.passed for a in submitted)
    if settings.review == "after-passing":
        return passed
    left = attempts_left(settings, taken)
    return passed or left == 0  # after-last-attempt


def draw(
    lesson: Lesson,
    settings: QuizSettings,
    seed: int,
    types: Mapping[str, QuestionType] | None = None,
) -> list[dict[str, Any]]:
    """The questions of one attempt as snapshots: the pool draw, shuffles and answer order.

    `types` order each question's answers (None: the built-in types alone).
    """
    questions = lesson.questions
    arranged = arrange(questions, settings, seed, types)
    return [to_snapshot(questions[i], order) for i, order in arranged]


def arrange(
    questions: Sequence[Question],
    settings: QuizSettings,
    seed: int,
    types: Mapping[str, QuestionType] | None = None,
) -> list[tuple[int, list[str]]]:
    """Which questions an attempt shows, in order, each with the order of its answers (as
    its type arranges them; `types` None: the built-in types alone)."""
    types = builtin_types() if types is None else types
    rng = random.Random(seed)  # noqa: S311 - shuffling questions, not security
    picked = list(range(len(questions)))
    if settings.draw is not None:
        chosen = pick(questions, settings, rng)
        picked = [i for i in picked if i in chosen]
    if settings.shuffle_questions:
        rng.shuffle(picked)
    arranged = []
    for i in picked:
        question = questions[i]
        qtype = resolve(types, question.type)
        arranged.append((i, qtype.answer_order(question, settings.shuffle_options, rng)))
    return arranged


def pick(questions: Sequence[Question], settings: QuizSettings, rng: random.Random) -> set[int]:
    """Which pool questions an attempt gets: first enough of each `draw_per_tag` tag, then
    the rest at random from what is left."""
    assert settings.draw is not None
    if not settings.draw_per_tag:
        return set(rng.sample(range(len(questions)), settings.draw))
    chosen: set[int] = set()
    for tag, wanted in settings.draw_per_tag:
        have = sum(1 for i in chosen if tag in questions[i].tags)
        candidates = [i for i, q in enumerate(questions) if tag in q.tags and i not in chosen]
        chosen.update(rng.sample(candidates, min(max(wanted - have, 0), len(candidates))))
    rest = [i for i in range(len(questions)) if i not in chosen]
    chosen.update(rng.sample(rest, min(settings.draw - len(chosen), len(rest))))
    return chosen


def start(
    session: Session,
    user_id: int,
    module: Module,
    lesson: Lesson,
    now: datetime | None = None,
    *,
    types: Mapping[str, QuestionType] | None = None,
) -> QuizAttempt:
    """The learner's open attempt, or a new one if attempts are left.

    `types` arrange a new attempt's answers (None: the built-in types alone).
    """
    settings = _settings(lesson)
    now = now or utcnow()
    for _ in range(2):  # a concurrent start can take our number once: then reuse its attempt
        try:
            with write(session):
                return _start_locked(session, user_id, module, lesson, settings, now, types)
        except IntegrityError:
            continue
    raise QuizError("Another attempt was being started at the same moment; try again.")


def _start_locked(
    session: Session,
    user_id: int,
    module: Module,
    lesson: Lesson,
    settings: QuizSettings,
    now: datetime,
    types: Mapping[str, QuestionType] | None,
) -> QuizAttempt:
    """Start or resume inside the write transaction (the learner's row is locked)."""
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    taken = attempts(session, user_id, settings.id)
    open_attempt = next((a for a in taken if a.submitted_at is None), None)
    if open_attempt is not None:
        if not _past_deadline(open_attempt, now):
            return open_attempt
        _expire(open_attempt, now)
        activity.record_attempt(session, open_attempt)
    left = attempts_left(settings, taken)
    if left == 0:
        raise QuizError("You have used every attempt at this quiz.")
    opens = retake_opens(settings, taken, now)
    if opens is not None:
        raise QuizError(f"You can take this quiz again from {opens:%d %b %Y, %H:%M} UTC.")
    seed = secrets.randbelow(2**31)
    attempt = QuizAttempt(
        user_id=user_id,
        quiz_id=settings.id,
        module_slug=module.slug,
        lesson_slug=lesson.slug,
        number=len(taken) + 1,
        pass_mark=settings.pass_mark,
        content_hash=lesson.content_hash,
        seed=seed,
        questions=draw(lesson, settings, seed, types),
        started_at=now,
        deadline=now + timedelta(minutes=settings.time_limit) if settings.time_limit else None,
    )
    session.add(attempt)
    session.flush()
    return attempt


def view(attempt: QuizAttempt) -> AttemptView:
    """The attempt's questions as they were shown."""
    return AttemptView(attempt, tuple(from_snapshot(data) for data in attempt.questions))


def submit(
    session: Session,
    pm: pluggy.PluginManager,
    attempt_id: int,
    user_id: int,
    responses: Mapping[str, Any],
    types: Mapping[str, QuestionType],
    now: datetime | None = None,
    *,
    course: Course | None = None,
) -> tuple[QuizAttempt, bool]:
    """Grade and store an attempt once; a repeated submission returns the stored result.

    A passing attempt completes the quiz's lesson in `course` in the same transaction, so a
    pass is never stored without its completion (`course` None: grade only). The events
    (`quiz_graded`, then any completion events) fire after the commit, through
    `plugins.fire`: a plugin that raises is logged and the learner never sees it.

    Returns the attempt and whether this call graded it.
    """
    now = now or utcnow()
    with write(session):
        # The learner first, then the attempt: the order `start` and completions lock in.
        session.execute(select(User.id).where(User.id == user_id).with_for_update())
        attempt = session.get(QuizAttempt, attempt_id, with_for_update=True, populate_existing=True)
        if attempt is None or attempt.user_id != user_id:
            raise LookupError(attempt_id)
        if attempt.submitted_at is not None:
            return attempt, False
        if _past_deadline(attempt, now):
            _expire(attempt, now)
        else:
            _grade(attempt, responses, types, now)
        activity.record_attempt(session, attempt)
        events = [_graded_event(attempt)]
        if attempt.passed and course is not None:
            events += _complete_quiz_lesson(session, course, attempt)
    fire_events(pm, events)
    return attempt, True


def _complete_quiz_lesson(session: Session, course: Course, attempt: QuizAttempt) -> list[Event]:
    """Complete the lesson holding a passed attempt's quiz, in the caller's transaction
    (nothing if the course no longer has the quiz); the completion events to fire."""
    found = course.quiz(attempt.quiz_id)
    if found is None:
        return []
    module, lesson = found
    track = course.track(module.track)
    return progress.record_completion(session, attempt.user_id, module, lesson, track=track)


def _graded_event(attempt: QuizAttempt) -> Event:
    """The `quiz_graded` event of a freshly graded attempt."""
    return Event(
        "quiz_graded",
        {
            "user_id": attempt.user_id,
            "quiz_id": attempt.quiz_id,
            "attempt_id": attempt.id,
            "score": attempt.percent or 0.0,
            "passed": bool(attempt.passed),
        },
    )


def _grade(
    attempt: QuizAttempt,
    responses: Mapping[str, Any],
    types: Mapping[str, QuestionType],
    now: datetime,
) -> None:
    """Score every question of the attempt and store answers, scores and feedback."""
    results = []
    answers = {}
    shown = view(attempt).questions
    for question, _order in shown:
        grade = _grade_one(types, question, responses.get(question.id))
        answers[question.id] = grade.response
        results.append(
            {"id": question.id, "score": grade.score, "feedback": list(grade.feedback_html)}
        )
    attempt.answers = answers
    attempt.results = results
    attempt.submitted_at = now
    _total(attempt, shown)


def _grade_one(types: Mapping[str, QuestionType], question: Question, response: Any) -> Grade:
    """Grade one answer; a question whose type plugin is gone scores 0 instead of failing."""
    qtype = types.get(question.type)
    if qtype is None:
        return Grade(0.0, ("<p>This question could not be graded: its type is not installed.</p>",))
    return qtype.grade(question, response)


def _total(
    attempt: QuizAttempt, shown: tuple[tuple[Question, list[str]], ...] | None = None
) -> None:
    """Points earned and available, percent and pass/fail from the per-question results."""
    scores = {result["id"]: result["score"] for result in attempt.results or []}
    questions = [question for question, _order in shown or view(attempt).questions]
    attempt.score, attempt.max_score, attempt.percent = totals(questions, scores)
    attempt.passed = not attempt.expired and attempt.percent >= attempt.pass_mark


def totals(
    questions: Iterable[Question], scores: Mapping[str, float | None]
) -> tuple[float, float, float]:
    """Points earned, points available and the percentage, over the scored questions."""
    earned = available = 0.0
    for question in questions:
        if question.scored:
            available += question.points
            earned += (scores.get(question.id) or 0.0) * question.points
    return earned, available, round(100 * earned / available, 2) if available else 0.0


def _past_deadline(attempt: QuizAttempt, now: datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + GRACE


def _expire(attempt: QuizAttempt, now: datetime) -> None:
    """Close an attempt whose time ran out: nothing was submitted in time, so it scores 0."""
    attempt.expired = True
    attempt.submitted_at = now
    attempt.answers = {}
    attempt.results = []
    attempt.score = 0.0
    attempt.max_score = sum(q.points for q, _ in view(attempt).questions if q.scored)
    attempt.percent = 0.0
    attempt.passed = False


def _settings(lesson: Lesson) -> QuizSettings:
    if lesson.quiz is None:
        raise QuizError("This lesson has no quiz.")
    return lesson.quiz


@dataclass(frozen=True)
class Change:
    """One regraded answer."""

    attempt_id: int
    user_id: int
    question_id: str
    old_score: float | None
    new_score: float | None


def regrade(session: Session, lesson: Lesson, types: Mapping[str, QuestionType]) -> list[Change]:
    """Rescore stored answers of questions whose source changed since the attempt.

    Each change is recorded (QuizRegrade) and the attempt's totals are recomputed; the
    attempt's snapshot keeps the wording the learner saw.
    """
    settings = _settings(lesson)
    current = {question.id: question for question in lesson.questions}
    changes: list[Change] = []
    with write(session):
        rows = session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.quiz_id == settings.id, QuizAttempt.submitted_at.is_not(None))
            .order_by(QuizAttempt.id)
            .with_for_update()
        )
        for attempt in rows:
            changes += _regrade_attempt(session, attempt, current, types)
    return changes


def _regrade_attempt(
    session: Session,
    attempt: QuizAttempt,
    current: Mapping[str, Question],
    types: Mapping[str, QuestionType],
) -> list[Change]:
    """Regrade one attempt against the current questions."""
    if attempt.expired:
        return []
    changes = []
    results = [dict(result) for result in attempt.results or []]
    for result, (taken, _order) in zip(results, view(attempt).questions, strict=True):
        now = current.get(taken.id)
        if now is None or now.source_hash == taken.source_hash or now.type != taken.type:
            continue
        grade = _grade_one(types, now, (attempt.answers or {}).get(taken.id))
        if grade.score == result["score"]:
            continue
        session.add(
            QuizRegrade(
                attempt_id=attempt.id,
                question_id=taken.id,
                old_score=result["score"],
                new_score=grade.score,
                old_hash=taken.source_hash,
                new_hash=now.source_hash,
            )
        )
        changes.append(Change(attempt.id, attempt.user_id, taken.id, result["score"], grade.score))
        result["score"] = grade.score
    if changes:
        attempt.results = results
        _total(attempt)
    return changes


def item_records(
    session: Session, quiz_id: str, learners: Select[Any] | None = None
) -> Iterator[AttemptRecord]:
    """Every graded attempt at a quiz as an item-analysis record, streamed in batches.

    `learners`, a query of user ids (such as a cohort's members), keeps only their attempts.

    The question snapshots are most of an attempt's bytes and decoding them took most of the
    time, while only each question's version and type are needed. Those follow from the lesson
    version (the content hash covers every question fence), so the snapshot is read once per
    lesson version, and again only for questions not seen yet (a pool draws different ones).
    """
    query = select(
        QuizAttempt.id,
        QuizAttempt.content_hash,
        QuizAttempt.percent,
        QuizAttempt.answers,
        QuizAttempt.results,
    ).where(
        QuizAttempt.quiz_id == quiz_id,
        QuizAttempt.submitted_at.is_not(None),
        QuizAttempt.expired.is_(False),
    )
    if learners is not None:
        query = query.where(QuizAttempt.user_id.in_(learners))
    rows = session.execute(query.order_by(QuizAttempt.id).execution_options(yield_per=500))
    # (lesson version, question id) -> (question version, question type)
    versions: dict[tuple[str, str], tuple[str, str]] = {}
    for attempt_id, content_hash, percent, answers, results in rows:
        if any((content_hash, r["id"]) not in versions for r in results or []):
            questions = session.scalar(
                select(QuizAttempt.questions).where(QuizAttempt.id == attempt_id)
            )
            for q in questions or []:
                versions[(content_hash, q["id"])] = (q["source_hash"], q["type"])
        items = {}
        for result in results or []:
            if result["score"] is not None:
                version, kind = versions[(content_hash, result["id"])]
                answer = (answers or {}).get(result["id"])
                items[(result["id"], version)] = Response(result["score"], answer, kind)
        yield AttemptRecord((percent or 0.0) / 100, items)
