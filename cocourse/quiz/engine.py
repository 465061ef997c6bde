"""Quiz services: start, submit and review attempts; regrade on request. Each takes a Session.

Attempts are pinned: they store the drawn questions, in the order shown, as JSON snapshots,
so reviews and scores stay what they were when the Markdown changes later.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pluggy
from flask_babel import gettext as _
from sqlalchemy import Select, delete, exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from cocourse.content.model import Course, Lesson, Module
from cocourse.content.quiz import COMPLETES_MODULE, LATE_SAVED, QuizSettings
from cocourse.db import write
from cocourse.learning import activity, module_steps, progress
from cocourse.models import (
    QuizAttempt,
    QuizItemAttempt,
    QuizItemResponse,
    QuizRegrade,
    User,
    utcnow,
)
from cocourse.plugins import Event, fire_events
from cocourse.questions import builtin_types
from cocourse.questions.base import Grade, Question, QuestionType, resolve, shuffled_ids
from cocourse.questions.snapshot import Shown, from_snapshot, new_tokens, shown_of, to_snapshot
from cocourse.quiz.answers import clean_draft, read_all
from cocourse.quiz.draw import choose_questions
from cocourse.reports.item_analysis import AttemptRecord, Response
from cocourse.web.i18n import moment, speaking

# Answers may arrive a little after the deadline (a slow network, a click at the last second).
GRACE = timedelta(seconds=30)


class QuizError(Exception):
    """A quiz request that cannot be carried out; the message says why (in the language of
    the request, English outside one)."""


@dataclass(frozen=True)
class AttemptView:
    """An attempt's questions rebuilt from its snapshot, with the answer order shown."""

    attempt: QuizAttempt
    questions: tuple[tuple[Question, list[str]], ...]
    shown: tuple[Shown, ...] = ()


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
    """The questions of one attempt as snapshots: the pool draw, shuffles and answer order,
    and fresh random values for the form (`Shown`).

    `types` order each question's answers (None: the built-in types alone).
    """
    questions = lesson.questions
    snapshots = []
    for i, order, right_order in arrange(questions, settings, seed, types):
        ids = [answer.id for answer in questions[i].answers]
        snapshots.append(
            to_snapshot(
                questions[i],
                order,
                right_order,
                tokens=new_tokens(ids),
                right_tokens=new_tokens(ids) if right_order else {},
            )
        )
    return snapshots


def arrange(
    questions: Sequence[Question],
    settings: QuizSettings,
    seed: int,
    types: Mapping[str, QuestionType] | None = None,
) -> list[tuple[int, list[str], list[str]]]:
    """Which questions an attempt shows, in order, each with the order of its answers (as
    its type arranges them; `types` None: the built-in types alone) and of their right-hand
    sides (matching; empty for answers without one)."""
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
        order = qtype.answer_order(question, settings.shuffle_options, rng)
        pairs = any(answer.match for answer in question.answers)
        right_order = shuffled_ids(question.answers, rng, right_side=True) if pairs else []
        arranged.append((i, order, right_order))
    return arranged


def pick(questions: Sequence[Question], settings: QuizSettings, rng: random.Random) -> set[int]:
    """Which pool questions an attempt gets: `draw` of them at random, meeting every
    `draw_per_tag` minimum whenever the pool allows it (see cocourse.quiz.draw)."""
    assert settings.draw is not None
    tags = [question.tags for question in questions]
    return set(choose_questions(tags, settings.draw_per_tag, settings.draw, rng))


def start(
    session: Session,
    user_id: int,
    module: Module,
    lesson: Lesson,
    now: datetime | None = None,
    *,
    types: Mapping[str, QuestionType] | None = None,
    grace: timedelta = GRACE,
    pm: pluggy.PluginManager | None = None,
    course: Course | None = None,
) -> QuizAttempt:
    """The learner's open attempt, or a new one if attempts are left.

    An open attempt past its deadline (and `grace`) is closed first, as `close_late` does
    (its events fire through `pm`, when given). `types` arrange a new attempt's answers
    (None: the built-in types alone).
    """
    settings = _settings(lesson)
    now = now or utcnow()
    for _try in range(2):  # a concurrent start can take our number once: then reuse its attempt
        events: list[Event] = []
        try:
            with write(session):
                attempt = _start_locked(
                    session, user_id, module, lesson, settings, now, types, grace, course, events
                )
        except IntegrityError:
            continue
        if pm is not None:
            fire_events(pm, events)
        return attempt
    raise QuizError(_("Another attempt was being started at the same moment; try again."))


def _start_locked(
    session: Session,
    user_id: int,
    module: Module,
    lesson: Lesson,
    settings: QuizSettings,
    now: datetime,
    types: Mapping[str, QuestionType] | None,
    grace: timedelta,
    course: Course | None,
    events: list[Event],
) -> QuizAttempt:
    """Start or resume inside the write transaction (the learner's row is locked); the
    events of an attempt closed on the way are added to `events`."""
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    taken = attempts(session, user_id, settings.id)
    open_attempt = next((a for a in taken if a.submitted_at is None), None)
    if open_attempt is not None:
        if not _past_deadline(open_attempt, now, grace):
            return open_attempt
        _expire(open_attempt, now, types or builtin_types(), settings.late)
        events += _finish(session, open_attempt, course)
    left = attempts_left(settings, taken)
    if left == 0:
        raise QuizError(_("You have used every attempt at this quiz."))
    opens = retake_opens(settings, taken, now)
    if opens is not None:
        when = moment(opens)
        raise QuizError(_("You can take this quiz again from %(when)s UTC.", when=when))
    seed = secrets.randbelow(2**31)
    attempt = QuizAttempt(
        user_id=user_id,
        quiz_id=settings.id,
        module_slug=module.slug,
        lesson_slug=lesson.slug,
        number=len(taken) + 1,
        pass_mark=settings.pass_mark,
        content_hash=lesson.content_hash,
        language=lesson.language,
        seed=seed,
        questions=draw(lesson, settings, seed, types),
        started_at=now,
        deadline=now + timedelta(minutes=settings.time_limit) if settings.time_limit else None,
    )
    session.add(attempt)
    session.flush()
    module_steps.quiz_changed(session, module.slug, settings.id, [user_id], module)
    return attempt


def view(attempt: QuizAttempt) -> AttemptView:
    """The attempt's questions as they were shown."""
    return AttemptView(
        attempt,
        tuple(from_snapshot(data) for data in attempt.questions),
        tuple(shown_of(data) for data in attempt.questions),
    )


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
    draft: Mapping[str, Any] | None = None,
    grace: timedelta = GRACE,
) -> tuple[QuizAttempt, bool]:
    """Grade and store an attempt once; a repeated submission returns the stored result.

    `responses` are by question id, in answer ids. `draft`, the form's field data, is kept
    as the attempt's saved answers. A submission later than the deadline and `grace` is not
    taken: the attempt is closed on its saved answers instead (see `close_late`).

    A passing attempt completes what its quiz completes in `course` (the quiz's lesson, or
    the whole module), in the same transaction, so a pass is never stored without its
    completion (`course` None: grade only). The events (`quiz_graded`, then any completion
    events) fire after the commit, through `plugins.fire`: a plugin that raises is logged
    and the learner never sees it.

    Returns the attempt and whether this call graded it.
    """
    now = now or utcnow()
    with write(session):
        attempt = _locked_attempt(session, attempt_id, user_id)
        if attempt.submitted_at is not None:
            return attempt, False
        if _past_deadline(attempt, now, grace):
            _expire(attempt, now, types, _late_policy(course, attempt))
        else:
            if draft is not None:
                _keep_draft(attempt, draft, now)
            _grade(attempt, responses, types, now)
            record_items(session, attempt, replace=False)  # ungraded until now: no rows yet
        events = _finish(session, attempt, course)
    fire_events(pm, events)
    return attempt, True


def _finish(session: Session, attempt: QuizAttempt, course: Course | None) -> list[Event]:
    """After grading (or closing) an attempt, in the caller's transaction: log it, keep the
    reports' rows, and complete what a pass completes; the events to fire after the commit."""
    activity.record_attempt(session, attempt)
    module = course.module(attempt.module_slug) if course is not None else None
    module_steps.quiz_changed(
        session, attempt.module_slug, attempt.quiz_id, [attempt.user_id], module
    )
    events = [_graded_event(attempt)]
    if attempt.passed and course is not None:
        events += _complete_quiz(session, course, attempt)
    return events


class AttemptClosed(QuizError):
    """Answers came for an attempt that is no longer open (submitted, or its time is up)."""

    def __init__(self, message: str, attempt: QuizAttempt) -> None:
        super().__init__(message)
        self.attempt = attempt


def save_draft(
    session: Session,
    pm: pluggy.PluginManager,
    attempt_id: int,
    user_id: int,
    draft: Mapping[str, Any],
    types: Mapping[str, QuestionType],
    now: datetime | None = None,
    *,
    course: Course | None = None,
    grace: timedelta = GRACE,
) -> datetime:
    """Keep the form's field data as the attempt's saved answers; when they were saved.

    Raises `AttemptClosed` for an attempt already submitted, and for one whose time is up:
    that attempt is closed on the answers saved before (`close_late`), not on these.
    Two tabs saving one attempt: the last save wins.
    """
    now = now or utcnow()
    with write(session):
        attempt = _locked_attempt(session, attempt_id, user_id)
        if attempt.submitted_at is not None:
            raise AttemptClosed(_("This attempt has already been submitted."), attempt)
        if not _past_deadline(attempt, now, grace):
            _keep_draft(attempt, draft, now)
            return now
        _expire(attempt, now, types, _late_policy(course, attempt))
        events = _finish(session, attempt, course)
    fire_events(pm, events)
    raise AttemptClosed(
        _("Time is up: your attempt was graded on the answers saved before the deadline."),
        attempt,
    )


def _locked_attempt(session: Session, attempt_id: int, user_id: int) -> QuizAttempt:
    """The learner's attempt, locked for writing (the learner first, then the attempt: the
    order `start` and completions lock in); LookupError for anyone else's."""
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    attempt = session.get(QuizAttempt, attempt_id, with_for_update=True, populate_existing=True)
    if attempt is None or attempt.user_id != user_id:
        raise LookupError(attempt_id)
    return attempt


def _keep_draft(attempt: QuizAttempt, draft: Mapping[str, Any], now: datetime) -> None:
    attempt.draft = clean_draft(draft)
    attempt.draft_saved_at = now


def _late_policy(course: Course | None, attempt: QuizAttempt) -> str:
    """What happens to an attempt whose time ran out, by its quiz's `late` setting now."""
    found = course.quiz(attempt.quiz_id) if course is not None else None
    if found is None or found[1].quiz is None:
        return LATE_SAVED
    return found[1].quiz.late


def _complete_quiz(session: Session, course: Course, attempt: QuizAttempt) -> list[Event]:
    """Complete what a passed attempt's quiz completes (its lesson, and with `completes:
    module` every lesson of its module without a quiz), in the caller's transaction;
    nothing if the course no longer has the quiz. The completion events to fire."""
    found = course.quiz(attempt.quiz_id)
    if found is None:
        return []
    module, lesson = found
    track = course.track(module.track)
    lessons = [lesson]
    if lesson.quiz is not None and lesson.quiz.completes == COMPLETES_MODULE:
        # Every lesson without a quiz of its own (other quizzes are passed on their own),
        # then the quiz's lesson: its completion is the one that may complete the module.
        lessons = [other for other in module.lessons if other.quiz is None] + [lesson]
    events: list[Event] = []
    for done in lessons:
        events += progress.record_completion(
            session, attempt.user_id, module, done, track=track, now=attempt.submitted_at
        )
    return events


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
        grade = _grade_one(types, question, responses.get(question.id), attempt.language)
        answers[question.id] = grade.response
        results.append(
            {"id": question.id, "score": grade.score, "feedback": list(grade.feedback_html)}
        )
    attempt.answers = answers
    attempt.results = results
    attempt.submitted_at = now
    _total(attempt, shown)


def _grade_one(
    types: Mapping[str, QuestionType], question: Question, response: Any, language: str | None
) -> Grade:
    """Grade one answer, its feedback written in the attempt's `language`; a question whose
    type plugin is gone scores 0 instead of failing."""
    with speaking(language):
        qtype = types.get(question.type)
        if qtype is None:
            note = _("This question could not be graded: its type is not installed.")
            return Grade(0.0, (f"<p>{note}</p>",))
        return qtype.grade(question, response)


def _total(
    attempt: QuizAttempt, shown: tuple[tuple[Question, list[str]], ...] | None = None
) -> None:
    """Points earned and available, percent and pass/fail from the per-question results."""
    scores = {result["id"]: result["score"] for result in attempt.results or []}
    questions = [question for question, _order in shown or view(attempt).questions]
    attempt.score, attempt.max_score, attempt.percent = totals(questions, scores)
    attempt.passed = attempt.percent >= attempt.pass_mark


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


def _past_deadline(attempt: QuizAttempt, now: datetime, grace: timedelta = GRACE) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + grace


def _expire(
    attempt: QuizAttempt, now: datetime, types: Mapping[str, QuestionType], late: str
) -> None:
    """Close an attempt whose time ran out (`expired`).

    By default (`late: grade-saved`) it is graded on the answers saved before the deadline,
    as if they had been submitted; with `late: zero` it scores 0 and keeps no answers.
    """
    attempt.expired = True
    if late == LATE_SAVED:
        read = read_all(attempt.draft or {}, view(attempt), types)
        _grade(attempt, {qid: found.response for qid, found in read.items()}, types, now)
        return
    attempt.submitted_at = now
    attempt.answers = {}
    attempt.results = []
    attempt.score = 0.0
    attempt.max_score = sum(q.points for q, _order in view(attempt).questions if q.scored)
    attempt.percent = 0.0
    attempt.passed = False


def close_late(
    session: Session,
    pm: pluggy.PluginManager,
    attempt_id: int,
    user_id: int,
    types: Mapping[str, QuestionType],
    now: datetime | None = None,
    *,
    course: Course | None = None,
    grace: timedelta = GRACE,
) -> bool:
    """Close the attempt if its time is up (graded on its saved answers, or 0 with `late:
    zero`, completing what a pass completes in `course`, and firing the events as `submit`
    does); whether it was closed now. For pages that find an open attempt past its time."""
    now = now or utcnow()
    with write(session):
        attempt = _locked_attempt(session, attempt_id, user_id)
        if attempt.submitted_at is not None or not _past_deadline(attempt, now, grace):
            return False
        _expire(attempt, now, types, _late_policy(course, attempt))
        events = _finish(session, attempt, course)
    fire_events(pm, events)
    return True


def _settings(lesson: Lesson) -> QuizSettings:
    if lesson.quiz is None:
        raise QuizError(_("This lesson has no quiz."))
    return lesson.quiz


@dataclass(frozen=True)
class Change:
    """One regraded answer."""

    attempt_id: int
    user_id: int
    question_id: str
    old_score: float | None
    new_score: float | None


def regrade(
    session: Session,
    lesson: Lesson,
    types: Mapping[str, QuestionType],
    module: Module | None = None,
) -> list[Change]:
    """Rescore stored answers of questions whose source changed since the attempt.

    Each change is recorded (QuizRegrade) and the attempt's totals are recomputed; the
    attempt's snapshot keeps the wording the learner saw. The reports' rows of the learners
    whose attempts changed follow, brought up to date for `module` (the quiz's module) when
    given, else by the reports.
    """
    settings = _settings(lesson)
    # Each attempt against the questions in the language it was taken in.
    current = {
        language: {question.id: question for question in version.questions}
        for language, version in [(None, lesson), *lesson.translations.items()]
    }
    changes: list[Change] = []
    with write(session):
        rows = session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.quiz_id == settings.id, QuizAttempt.submitted_at.is_not(None))
            .order_by(QuizAttempt.id)
            .with_for_update()
        )
        changed: dict[str, set[int]] = {}  # learners by the module of their attempts
        for attempt in rows:
            questions = current.get(attempt.language, current[None])
            found = _regrade_attempt(session, attempt, questions, types)
            if found:
                changed.setdefault(attempt.module_slug, set()).add(attempt.user_id)
            changes += found
        for module_slug, learners in sorted(changed.items()):
            ids = sorted(learners)
            module_steps.lock(session, ids)
            here = module if module is not None and module.slug == module_slug else None
            module_steps.quiz_changed(session, module_slug, settings.id, ids, here)
    return changes


def _regrade_attempt(
    session: Session,
    attempt: QuizAttempt,
    current: Mapping[str, Question],
    types: Mapping[str, QuestionType],
) -> list[Change]:
    """Regrade one attempt against the current questions (one closed at 0 keeps its 0)."""
    if not attempt.results:
        return []
    changes = []
    results = [dict(result) for result in attempt.results or []]
    for result, (taken, _order) in zip(results, view(attempt).questions, strict=True):
        now = current.get(taken.id)
        if now is None or now.source_hash == taken.source_hash or now.type != taken.type:
            continue
        grade = _grade_one(types, now, (attempt.answers or {}).get(taken.id), attempt.language)
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
        if not attempt.expired:  # item analysis follows the new scores
            record_items(session, attempt)
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


# -- the item-analysis rows: what `reports.item_store` aggregates in SQL ---------------------

ITEM_BATCH = 500  # attempts read and written at a time when filling rows


def item_rows(
    attempt_id: int,
    quiz_id: str,
    user_id: int,
    percent: float | None,
    answers: Mapping[str, Any] | None,
    results: Sequence[Mapping[str, Any]] | None,
    versions: Mapping[str, tuple[str, str]],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The QuizItemAttempt row and QuizItemResponse rows of one graded attempt, with exactly
    the items `item_records` gives it. `versions`: question id -> (source hash, type)."""
    items: dict[tuple[str, str], tuple[float, Any, str]] = {}
    for result in results or []:
        if result["score"] is not None:
            version, kind = versions[result["id"]]
            answer = (answers or {}).get(result["id"])
            items[(result["id"], version)] = (result["score"], answer, kind)
    keys = sorted(items)
    items_total = 0.0
    for key in keys:  # summed in the order item analysis sums an attempt's scores
        items_total += items[key][0]
    item_set = hashlib.sha256(json.dumps(keys).encode()).hexdigest()
    shared = {"attempt_id": attempt_id, "quiz_id": quiz_id, "user_id": user_id}
    shared |= {"percent": percent or 0.0, "item_set": item_set}
    attempt = {**shared, "items_total": items_total}
    responses = [
        {
            **shared,
            "question_id": question_id,
            "version": version,
            "type": kind,
            "score": score,
            "answer": json.dumps(answer),
        }
        for (question_id, version), (score, answer, kind) in items.items()
    ]
    return attempt, responses


def record_items(session: Session, attempt: QuizAttempt, replace: bool = True) -> None:
    """(Re)write the item-analysis rows of a graded attempt, in the caller's transaction:
    grading and regrades call it, so the rows follow every score change. `replace=False`
    is for an attempt graded for the first time, which has none to delete."""
    if replace:
        session.execute(delete(QuizItemAttempt).where(QuizItemAttempt.attempt_id == attempt.id))
        session.execute(delete(QuizItemResponse).where(QuizItemResponse.attempt_id == attempt.id))
    versions = {q["id"]: (q["source_hash"], q["type"]) for q in attempt.questions or []}
    row, responses = item_rows(
        attempt.id,
        attempt.quiz_id,
        attempt.user_id,
        attempt.percent,
        attempt.answers,
        attempt.results,
        versions,
    )
    session.execute(insert(QuizItemAttempt), [row])
    if responses:
        session.execute(insert(QuizItemResponse), responses)


def fill_item_rows(session: Session, quiz_id: str) -> int:
    """Write the item-analysis rows of the quiz's graded attempts that have none (attempts
    stored in bulk, such as synthetic data); how many. Cheap when there are none."""
    graded = (
        QuizAttempt.quiz_id == quiz_id,
        QuizAttempt.submitted_at.is_not(None),
        QuizAttempt.expired.is_(False),
    )
    # Two counts from covering indexes; the attempts are looked up only when they differ.
    have = select(func.count()).select_from(QuizAttempt).where(*graded).scalar_subquery()
    kept = select(func.count()).where(QuizItemAttempt.quiz_id == quiz_id).scalar_subquery()
    if session.scalar(select(have - kept)) == 0:
        return 0
    missing = select(QuizAttempt.id).where(
        *graded, ~exists().where(QuizItemAttempt.attempt_id == QuizAttempt.id)
    )
    ids = list(session.scalars(missing.order_by(QuizAttempt.id)))
    if not ids:
        return 0
    try:
        with write(session):
            versions: dict[tuple[str, str], tuple[str, str]] = {}
            for start in range(0, len(ids), ITEM_BATCH):
                _fill_batch(session, ids[start : start + ITEM_BATCH], versions)
    except IntegrityError:  # another request filled some of them first: theirs stand
        session.rollback()
    return len(ids)


def _fill_batch(
    session: Session, ids: list[int], versions: dict[tuple[str, str], tuple[str, str]]
) -> None:
    """Rows for these attempts; snapshots read once per lesson version, as `item_records`."""
    rows = session.execute(
        select(
            QuizAttempt.id,
            QuizAttempt.quiz_id,
            QuizAttempt.user_id,
            QuizAttempt.content_hash,
            QuizAttempt.percent,
            QuizAttempt.answers,
            QuizAttempt.results,
        )
        .where(QuizAttempt.id.in_(ids))
        .order_by(QuizAttempt.id)
    ).all()
    attempts, responses = [], []
    for attempt_id, quiz_id, user_id, content_hash, percent, answers, results in rows:
        if any((content_hash, r["id"]) not in versions for r in results or []):
            questions = session.scalar(
                select(QuizAttempt.questions).where(QuizAttempt.id == attempt_id)
            )
            for q in questions or []:
                versions[(content_hash, q["id"])] = (q["source_hash"], q["type"])
        mine = _VersionsOf(versions, content_hash)
        row, scored = item_rows(attempt_id, quiz_id, user_id, percent, answers, results, mine)
        attempts.append(row)
        responses += scored
    if attempts:
        session.execute(insert(QuizItemAttempt), attempts)
    if responses:
        session.execute(insert(QuizItemResponse), responses)


class _VersionsOf(Mapping[str, tuple[str, str]]):
    """The (lesson version, question id) cache seen as question id -> (version, type)."""

    def __init__(self, versions: Mapping[tuple[str, str], tuple[str, str]], lesson: str) -> None:
        self.versions, self.lesson = versions, lesson

    def __getitem__(self, question_id: str) -> tuple[str, str]:
        return self.versions[(self.lesson, question_id)]

    def __iter__(self) -> Iterator[str]:
        return (qid for lesson, qid in self.versions if lesson == self.lesson)

    def __len__(self) -> int:
        return sum(1 for _ in self)
