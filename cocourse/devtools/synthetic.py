"""Synthetic data for benchmarks and demos: learners, cohorts, progress, quiz attempts and
(through `synthetic_certification`) portfolios and certificates.

`generate()` takes a Session and the loaded Course and fills the database with learners who
work through the course in order and drop off along the way, cohorts with members and
assessors, lesson completions, graded quiz attempts and the activity events that go with them.
The rows are the ones the services write: attempts carry the snapshot `quizzes.draw` makes,
the answers, per-question results and totals `quizzes.submit` stores, and the events are
those of `activity.record_completion` and `activity.record_attempt`. Answers depend on a
simulated ability, so item statistics look like real ones. Everything goes in with bulk
INSERTs, a write transaction per batch of learners, which also writes the batch's module
steps for the reports (`module_steps.fill`). The same seed gives the same people,
answers and scores; times count back from `now`, and join codes come from `secrets`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cocourse.accounts.services import hash_password
from cocourse.cohorts.people import unusable_password
from cocourse.cohorts.services import new_join_code
from cocourse.content.model import Course, Lesson, Module, Track
from cocourse.db import write
from cocourse.devtools.synthetic_certification import certify
from cocourse.learning import activity, module_steps
from cocourse.learning.progress import Standing
from cocourse.models import (
    ActivityEvent,
    Cohort,
    CohortAssessor,
    CohortMember,
    LessonCompletion,
    QuizAttempt,
    Role,
    User,
    Workshop,
    WorkshopSeat,
    utcnow,
)
from cocourse.questions.base import Question, QuestionType, resolve
from cocourse.questions.snapshot import to_snapshot
from cocourse.quiz.engine import arrange, totals

BATCH = 500  # learners simulated and inserted at a time, so memory stays flat
START = 0.93  # share of learners who open the first lesson at all
LESSON_GOES_ON = 0.995  # chance to go on to the next lesson of a module
MODULE_GOES_ON = 0.95  # chance to start the next module of the same track
TRACK_GOES_ON = (0.25, 0.6)  # chance to start the 2nd, 3rd ... track after finishing one
RETAKE = 0.92  # chance to try a failed quiz again (if attempts are left)
LEARNING = 0.8  # ability gained at a quiz by each failed attempt at it (feedback teaches)
OPTIONAL_TAKEN = 0.4  # chance to do an optional lesson
SECOND_COHORT = 0.15  # share of learners in a second cohort
BIG_COHORT = 0.45  # share of learners whose first cohort is the first (organization-wide) one
ASSESSED = 2 / 3  # share of cohorts with an assessor
COHORT_NAMES = (
    "Head office",
    "Customer service",
    "Finance",
    "IT services",
    "Facilities",
    "Human resources",
    "Sales north",
    "Sales south",
    "Logistics",
    "Legal",
    "Procurement",
    "Communications",
    "Research",
    "Client site Harbour",
    "Client site Riverside",
    "Spring intake",
    "Summer intake",
    "Autumn intake",
    "Team leads",
    "Facilitator pool",
)
FIRST_NAMES = (
    "Ada",
    "Amara",
    "Ben",
    "Carla",
    "Chen",
    "Dara",
    "Elif",
    "Emil",
    "Fatima",
    "Femke",
    "Gustavo",
    "Hana",
    "Ines",
    "Ivan",
    "Jonas",
    "Kai",
    "Lena",
    "Luca",
    "Maya",
    "Mehmet",
    "Nadia",
    "Noor",
    "Oskar",
    "Paula",
    "Priya",
    "Rafael",
    "Sanne",
    "Sofia",
    "Tariq",
    "Ugo",
    "Vera",
    "Wim",
    "Yara",
    "Youssef",
    "Zoë",
    "Anouk",
    "Bram",
    "Daan",
    "Eva",
    "Lotte",
)
LAST_NAMES = (
    "Achterberg",
    "Bakker",
    "Brouwer",
    "Costa",
    "de Vries",
    "Dijkstra",
    "Ekström",
    "El Amrani",
    "Fischer",
    "García",
    "Hendriks",
    "Ivanova",
    "Jansen",
    "Kaya",
    "Kowalski",
    "Lambert",
    "Meijer",
    "Mulder",
    "Nguyen",
    "Novak",
    "Okafor",
    "Peeters",
    "Rossi",
    "Sato",
    "Smit",
    "Tan",
    "van Dam",
    "Visser",
    "Wagner",
    "Yilmaz",
)


class SyntheticError(Exception):
    """Synthetic data cannot be generated here; the message says why."""


@dataclass(frozen=True)
class Options:
    """How much to generate, from which seed, and the password the accounts get."""

    learners: int = 10_000
    cohorts: int = 20
    seed: int = 1
    password: str | None = None  # None: nobody can log in as a synthetic account
    force: bool = False  # add to a database that already has accounts
    now: datetime | None = None  # the latest possible timestamp (default: now)


@dataclass
class Summary:
    """What was generated."""

    learners: int = 0
    assessors: int = 0
    cohorts: int = 0
    memberships: int = 0
    completions: int = 0
    attempts: int = 0
    events: int = 0
    attempts_by_quiz: dict[str, int] = field(default_factory=dict)
    portfolios: int = 0
    certificates: int = 0
    workshops: int = 0


def domain(seed: int) -> str:
    """The email domain of a seed's synthetic accounts (reserved, so nobody gets mail)."""
    return f"seed{seed}.example.org"


def generate(
    session: Session,
    course: Course,
    types: Mapping[str, QuestionType],
    options: Options,
) -> Summary:
    """Fill the database with synthetic people and progress, BATCH learners a transaction.

    Refuses (SyntheticError) when the database already has accounts, unless `options.force`,
    and always when it already holds this seed's accounts. A run that fails part-way keeps
    the batches written so far; their emails end in `@` + `domain(seed)`.
    """
    if options.learners < 1 or options.cohorts < 1:
        raise SyntheticError("Generate at least one learner and one cohort.")
    now = options.now or utcnow().replace(microsecond=0)
    quizzes = {
        lesson.quiz.id: SimulatedQuiz(module, lesson, types, options.seed)
        for module in course.modules
        for lesson in module.lessons
        if lesson.quiz is not None
    }
    # One hash for everyone: hashing thousands of passwords would take minutes.
    password_hash = hash_password(options.password) if options.password else unusable_password()
    summary = Summary()
    with write(session):
        _check_empty(session, options)
        cohort_ids = _cohorts(session, options, now, summary)
        summary.assessors = _assessors(session, options, password_hash, now, cohort_ids)
    people = random.Random(f"{options.seed}/people")  # noqa: S311 - not security
    learners = _learners(options, people)
    for start in range(0, options.learners, BATCH):
        batch = learners[start : start + BATCH]
        journeys = [
            _Journey(course, quizzes, options.seed, index, ability).run()
            for index, _name, ability in batch
        ]
        # A transaction per batch: on SQLite one huge transaction takes half as long again
        # (its write-ahead log grows to the size of the database before it is copied back).
        with write(session):
            ids = _insert_batch(session, batch, journeys, password_hash, now, cohort_ids, summary)
            module_steps.fill(session, course, ids)  # the reports' rows, as the services keep
    with write(session):
        summary.workshops = _workshops_attended(session, course, domain(options.seed), now)
    with write(session):
        found = certify(session, course, domain(options.seed), options.seed, now)
    summary.portfolios, summary.certificates = found.portfolios, found.certificates
    return summary


def _workshops_attended(session: Session, course: Course, where: str, now: datetime) -> int:
    """For each track that requires a workshop (tracks.yml `requires_workshop`), the workshops
    its synthetic finishers attended: one a month, led by the first synthetic assessor, the
    day before the first of that month's finishers completed the track. How many."""
    lead = session.scalar(
        select(User.id).where(User.email.like(f"assessor-%@{where}")).order_by(User.id)
    )
    made = 0
    for track in course.tracks:
        if not track.requires_workshop or lead is None:
            continue
        finished = session.execute(
            select(ActivityEvent.user_id, ActivityEvent.occurred_at, User.name)
            .join(User, User.id == ActivityEvent.user_id)
            .where(
                ActivityEvent.verb == activity.COMPLETED,
                ActivityEvent.object_type == activity.TRACK,
                ActivityEvent.object_id == track.slug,
                User.email.like(f"%@{where}"),
            )
            .order_by(ActivityEvent.occurred_at)
        ).all()
        by_month: dict[str, list[tuple[int, datetime, str]]] = {}
        for user_id, at, name in finished:
            by_month.setdefault(at.strftime("%Y-%m"), []).append((user_id, at, name))
        for month, people in sorted(by_month.items()):
            start = min(people[0][1] - timedelta(days=1), now - timedelta(days=1))
            workshop = Workshop(
                kind=track.requires_workshop,
                title=f"{track.title} workshop, {month}",
                purpose="Try the practices together on one real question.",
                starts_at=start,
                duration_minutes=95,
                timezone="UTC",
                place="Main meeting room",
                capacity=max(len(people), 1),
                facilitator_id=lead,
                status="scheduled",
                agenda=[{"title": "The standard template", "minutes": 95}],
                created_at=start - timedelta(days=14),
                updated_at=start - timedelta(days=14),
            )
            session.add(workshop)
            session.flush()
            session.execute(
                insert(WorkshopSeat),
                [
                    {
                        "workshop_id": workshop.id,
                        "user_id": user_id,
                        "name": name,
                        "status": "confirmed",
                        "created_at": start - timedelta(days=7),
                        "attended_at": start,
                    }
                    for user_id, name in dict((u, n) for u, _at, n in people).items()
                ],
            )
            made += 1
    return made


def _check_empty(session: Session, options: Options) -> None:
    """Refuse a database with accounts (unless forced) and one with this seed's accounts."""
    accounts = session.scalar(select(func.count(User.id))) or 0
    if accounts and not options.force:
        raise SyntheticError(
            f"The database already has {accounts} account(s). Synthetic data is meant for an "
            "empty database (benchmarks, demos); use --force to add it anyway."
        )
    taken = session.scalar(
        select(User.id).where(User.email.like(f"%@{domain(options.seed)}")).limit(1)
    )
    if taken is not None:
        raise SyntheticError(
            f"The database already has the synthetic accounts of seed {options.seed} "
            f"(@{domain(options.seed)}); choose another --seed."
        )


def _learners(options: Options, rng: random.Random) -> list[tuple[int, str, float]]:
    """Each learner's number, name and ability (standard normal)."""
    return [
        (i, f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", rng.gauss(0.0, 1.0))
        for i in range(options.learners)
    ]


def _cohorts(session: Session, options: Options, now: datetime, summary: Summary) -> list[int]:
    """Insert the cohorts; their ids in order. Names taken already get the seed added."""
    names = [
        COHORT_NAMES[i % len(COHORT_NAMES)]
        + (f" {i // len(COHORT_NAMES) + 1}" if i >= len(COHORT_NAMES) else "")
        for i in range(options.cohorts)
    ]
    lowered = [name.lower() for name in names]
    if session.scalar(select(Cohort.id).where(func.lower(Cohort.name).in_(lowered)).limit(1)):
        names = [f"{name} (seed {options.seed})" for name in names]
    rows = [
        {
            "name": name,
            "description": f"Synthetic cohort (seed {options.seed})",
            "join_code": new_join_code(),
            "created_at": now - timedelta(days=400),
        }
        for name in names
    ]
    ids = list(
        session.scalars(insert(Cohort).returning(Cohort.id, sort_by_parameter_order=True), rows)
    )
    summary.cohorts = len(ids)
    return ids


def _assessors(
    session: Session,
    options: Options,
    password_hash: str,
    now: datetime,
    cohort_ids: Sequence[int],
) -> int:
    """Insert the assessors and assign one to about two thirds of the cohorts; how many."""
    count = max(1, round(len(cohort_ids) / 4))
    rows = [
        {
            "email": f"assessor-{k + 1:02d}@{domain(options.seed)}",
            "name": f"Assessor {k + 1}",
            "password_hash": password_hash,
            "role": Role.ASSESSOR.value,
            "created_at": now - timedelta(days=400),
        }
        for k in range(count)
    ]
    ids = list(session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows))
    assigned = [
        {"cohort_id": cohort_id, "user_id": ids[i % count]}
        for i, cohort_id in enumerate(cohort_ids)
        if i % 3 < round(3 * ASSESSED)
    ]
    session.execute(insert(CohortAssessor), assigned)
    return count


def _cohort_weights(count: int) -> list[float]:
    """The first cohort takes BIG_COHORT of the learners; the rest share the others unevenly."""
    if count == 1:
        return [1.0]
    rest = [1.6 - 1.2 * i / max(1, count - 2) for i in range(count - 1)]
    scale = (1 - BIG_COHORT) / sum(rest)
    return [BIG_COHORT, *(w * scale for w in rest)]


def _insert_batch(
    session: Session,
    batch: Sequence[tuple[int, str, float]],
    journeys: Sequence[_Journey],
    password_hash: str,
    now: datetime,
    cohort_ids: Sequence[int],
    summary: Summary,
) -> list[int]:
    """Insert a batch of learners with their memberships, completions, attempts and events;
    their ids."""
    seed = journeys[0].seed
    bases = [journey.base(now) for journey in journeys]
    users = [
        {
            "email": f"learner-{index + 1:05d}@{domain(seed)}",
            "name": name,
            "password_hash": password_hash,
            "role": Role.LEARNER.value,
            "created_at": base,
        }
        for (index, name, _ability), base in zip(batch, bases, strict=True)
    ]
    ids = list(
        session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), users)
    )
    weights = _cohort_weights(len(cohort_ids))
    members: list[dict[str, Any]] = []
    completions: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    plain: list[dict[str, Any]] = []  # events without a result: the column stays NULL
    with_result: list[dict[str, Any]] = []
    for user_id, journey, base in zip(ids, journeys, bases, strict=True):
        rng = journey.rng
        first = rng.choices(range(len(cohort_ids)), weights)[0]
        chosen = [first]
        if len(cohort_ids) > 1 and rng.random() < SECOND_COHORT:
            chosen.append(rng.choice([i for i in range(len(cohort_ids)) if i != first]))
        for k, i in enumerate(chosen):
            joined = base + timedelta(minutes=1 + 60 * 24 * 7 * k)
            members.append({"cohort_id": cohort_ids[i], "user_id": user_id, "joined_at": joined})
        completions += journey.rows(journey.completions, user_id, base, ("completed_at",))
        attempts += journey.rows(
            journey.attempts, user_id, base, ("started_at", "deadline", "submitted_at")
        )
        for event in journey.rows(journey.events, user_id, base, ("occurred_at",)):
            (with_result if "result" in event else plain).append(event)
    for model, rows in (
        (CohortMember, members),
        (LessonCompletion, completions),
        (QuizAttempt, attempts),
        (ActivityEvent, plain),
        (ActivityEvent, with_result),
    ):
        if rows:
            session.execute(insert(model), rows)
    summary.learners += len(ids)
    summary.memberships += len(members)
    summary.completions += len(completions)
    summary.attempts += len(attempts)
    summary.events += len(plain) + len(with_result)
    for row in attempts:
        summary.attempts_by_quiz[row["quiz_id"]] = (
            summary.attempts_by_quiz.get(row["quiz_id"], 0) + 1
        )
    return ids


# -- quizzes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Taken:
    """One simulated attempt: what was drawn, what the learner answered, what it scored."""

    seed: int
    questions: list[dict[str, Any]]  # snapshots, as quizzes.draw makes them
    responses: dict[str, Any]  # as submitted (what quizzes.submit takes)
    answers: dict[str, Any]  # as stored (each type's normalized response)
    results: list[dict[str, Any]]
    score: float
    max_score: float
    percent: float
    passed: bool


class SimulatedQuiz:
    """A quiz lesson with an item-response model: each question has a difficulty and a
    discrimination, so stronger learners answer more questions right."""

    def __init__(
        self, module: Module, lesson: Lesson, types: Mapping[str, QuestionType], seed: int
    ) -> None:
        if lesson.quiz is None:
            raise SyntheticError(f"{module.slug}/{lesson.slug} has no quiz")
        self.module, self.lesson, self.settings, self.types = module, lesson, lesson.quiz, types
        self.questions = lesson.questions
        missing = sorted({q.type for q in self.questions} - set(types))
        if missing:
            raise SyntheticError(f"question type(s) not installed: {', '.join(missing)}")
        self._types = {name: resolve(types, name) for name in {q.type for q in self.questions}}
        # Snapshots without the answer order, made once: to_snapshot is the slow part of a draw.
        self._snapshots = [to_snapshot(q, []) for q in self.questions]
        # Per question: slope, difficulty, guessing floor, and how tempting each wrong option is.
        self._params: dict[str, tuple[float, float, float, dict[str, float]]] = {}
        for q in self.questions:
            rng = random.Random(f"{seed}/question/{self.settings.id}/{q.id}")  # noqa: S311
            weights = {a.id: rng.uniform(0.2, 1.0) for a in q.answers if not a.correct}
            # Questions that can be guessed: a floor of half the chance of a blind guess.
            floor = 0.5 * self._types[q.type].guess_chance(q)
            self._params[q.id] = (rng.uniform(0.5, 1.3), rng.uniform(-2.0, 0.5), floor, weights)

    def draw(self, seed: int) -> list[tuple[Question, dict[str, Any]]]:
        """The questions and snapshots of an attempt with this seed, as `quizzes.draw` makes
        them, from snapshots made once (a test checks that the two agree)."""
        return [
            (self.questions[i], {**self._snapshots[i], "order": order, "right_order": right})
            for i, order, right in arrange(self.questions, self.settings, seed, self.types)
        ]

    def take(self, ability: float, rng: random.Random) -> Taken:
        """An attempt by a learner of this ability, graded by the question types."""
        seed = rng.randrange(2**31)
        drawn = self.draw(seed)
        responses, answers, results = {}, {}, []
        scores: dict[str, float | None] = {}
        for question, _snapshot in drawn:
            slope, difficulty, floor, weights = self._params[question.id]
            logistic = 1 / (1 + math.exp(-1.7 * slope * (ability - difficulty)))
            right = rng.random() < floor + (1 - floor) * logistic
            qtype = self._types[question.type]
            response = qtype.simulate(question, right, rng, weights)
            grade = qtype.grade(question, response)
            responses[question.id] = response
            answers[question.id] = grade.response
            scores[question.id] = grade.score
            results.append(
                {"id": question.id, "score": grade.score, "feedback": list(grade.feedback_html)}
            )
        earned, available, percent = totals([question for question, _ in drawn], scores)
        return Taken(
            seed=seed,
            questions=[snapshot for _question, snapshot in drawn],
            responses=responses,
            answers=answers,
            results=results,
            score=earned,
            max_score=available,
            percent=percent,
            passed=percent >= self.settings.pass_mark,
        )


# -- learners --------------------------------------------------------------------------------

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


class _Journey:
    """One learner's way through the course. Times are seconds from their first visit until
    `base()` places the journey before `now`."""

    def __init__(
        self,
        course: Course,
        quizzes: Mapping[str, SimulatedQuiz],
        seed: int,
        index: int,
        ability: float,
    ) -> None:
        self.course, self.quizzes, self.seed = course, quizzes, seed
        self.rng = random.Random(f"{seed}/learner/{index}")  # noqa: S311
        self.ability = ability
        self.t = self.rng.uniform(0, 2 * HOUR)  # from sign-up to the first lesson
        self.done: dict[str, set[str]] = {}
        self.completions: list[dict[str, Any]] = []
        self.attempts: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def run(self) -> _Journey:
        """Walk the tracks and modules in course order until the learner stops."""
        rng = self.rng
        if rng.random() > START:
            return self
        for number, track in enumerate(self.course.tracks):
            if number and rng.random() > TRACK_GOES_ON[min(number, len(TRACK_GOES_ON)) - 1]:
                return self
            for position, module in enumerate(track.modules):
                if position and rng.random() > MODULE_GOES_ON + 0.03 * self.ability:
                    return self
                standing = Standing(self.course, {k: frozenset(v) for k, v in self.done.items()})
                if standing.locked_by(module):
                    return self
                self.t += rng.uniform(HOUR, 5 * DAY) if self.done else 0
                if not self._module(module, track):
                    return self
        return self

    def _module(self, module: Module, track: Track) -> bool:
        """Study a module's lessons in order; whether the learner finished it."""
        rng = self.rng
        for lesson in module.lessons:
            if lesson.optional and rng.random() > OPTIONAL_TAKEN:
                continue
            self._pause()
            self._view(module, lesson)
            if lesson.quiz is not None:
                if not self._quiz(module, lesson, track, self.quizzes[lesson.quiz.id]):
                    return False
                continue
            self.t += lesson.minutes * MINUTE * rng.uniform(0.5, 1.6)
            if not lesson.optional and rng.random() > LESSON_GOES_ON:
                return False  # read it, never marked it complete
            self._complete(module, lesson, track)
        return True

    def _quiz(self, module: Module, lesson: Lesson, track: Track, quiz: SimulatedQuiz) -> bool:
        """Attempts until the quiz is passed, attempts run out or the learner gives up."""
        rng, settings = self.rng, quiz.settings
        number = 0
        while settings.attempts is None or number < settings.attempts:
            number += 1
            if number > 1:
                self._pause(retake=True)
                self._view(module, lesson, again=True)
            taken = quiz.take(self.ability + LEARNING * (number - 1), rng)
            started = self.t
            minutes = len(taken.questions) * rng.uniform(0.4, 1.4)
            if settings.time_limit:
                minutes = min(minutes, 0.9 * settings.time_limit)
            self.t += minutes * MINUTE
            self.attempts.append(
                {
                    "quiz_id": settings.id,
                    "module_slug": module.slug,
                    "lesson_slug": lesson.slug,
                    "number": number,
                    "pass_mark": settings.pass_mark,
                    "content_hash": lesson.content_hash,
                    "seed": taken.seed,
                    "questions": taken.questions,
                    "started_at": started,
                    "deadline": started + settings.time_limit * MINUTE
                    if settings.time_limit
                    else None,
                    "submitted_at": self.t,
                    "answers": taken.answers,
                    "results": taken.results,
                    "score": taken.score,
                    "max_score": taken.max_score,
                    "percent": taken.percent,
                    "passed": taken.passed,
                    "expired": False,
                }
            )
            result = {"score": taken.percent, "passed": taken.passed, "attempt": number}
            self._event(activity.ATTEMPTED, activity.QUIZ, settings.id, result)
            if taken.passed:
                self._event(activity.PASSED, activity.QUIZ, settings.id, result)
                self.t += 1  # the quiz page records the completion just after grading
                self._complete(module, lesson, track)
                return True
            if rng.random() > RETAKE:
                return False
        return False

    def _pause(self, retake: bool = False) -> None:
        """Time between two steps: mostly a few minutes, sometimes days."""
        rng = self.rng
        if rng.random() < (0.5 if retake else 0.8):
            self.t += rng.uniform(1, 10) * MINUTE
        else:
            self.t += rng.uniform(6 * HOUR, 3 * DAY)

    def _view(self, module: Module, lesson: Lesson, again: bool = False) -> None:
        """A lesson view, as activity.record_view logs it (not twice within its interval)."""
        key = activity.lesson_key(module.slug, lesson.slug)
        last = next((e for e in reversed(self.events) if e["object_id"] == key), None)
        interval = activity.VIEW_INTERVAL.total_seconds()
        if not again or last is None or self.t - last["occurred_at"] > interval:
            self._event(activity.VIEWED, activity.LESSON, key)

    def _complete(self, module: Module, lesson: Lesson, track: Track) -> None:
        """A completion, with the events progress.complete_lesson records."""
        self.completions.append(
            {
                "module_slug": module.slug,
                "lesson_slug": lesson.slug,
                "content_hash": lesson.content_hash,
                "completed_at": self.t,
            }
        )
        mine = self.done.setdefault(module.slug, set())
        mine.add(lesson.slug)
        self._event(
            activity.COMPLETED, activity.LESSON, activity.lesson_key(module.slug, lesson.slug)
        )
        if lesson.optional or not self._finished(module):
            return
        self._event(activity.COMPLETED, activity.MODULE, module.slug)
        if all(self._finished(m) for m in track.modules):
            self._event(activity.COMPLETED, activity.TRACK, track.slug)

    def _finished(self, module: Module) -> bool:
        mine = self.done.get(module.slug, set())
        return all(lesson.slug in mine for lesson in module.required_lessons)

    def _event(
        self, verb: str, object_type: str, object_id: str, result: dict[str, Any] | None = None
    ) -> None:
        event: dict[str, Any] = {
            "verb": verb,
            "object_type": object_type,
            "object_id": object_id,
            "occurred_at": self.t,
        }
        if result is not None:  # events without one get SQL NULL, as activity.record writes
            event["result"] = result
        self.events.append(event)

    def base(self, now: datetime) -> datetime:
        """When the learner signed up: up to a year back, and early enough to end before now."""
        days = self.rng.uniform(3, 365)
        return now - timedelta(seconds=max(days * DAY, self.t + self.rng.uniform(MINUTE, DAY)))

    def rows(
        self,
        rows: Sequence[dict[str, Any]],
        user_id: int,
        base: datetime,
        times: Sequence[str],
    ) -> list[dict[str, Any]]:
        """The rows with the user's id and real timestamps."""
        found = []
        for row in rows:
            placed = {**row, "user_id": user_id}
            for key in times:
                if row[key] is not None:
                    placed[key] = base + timedelta(seconds=row[key])
            found.append(placed)
        return found
