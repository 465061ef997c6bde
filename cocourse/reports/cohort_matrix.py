"""The cohort matrix: learners by modules, with status and best quiz score. Takes a Session."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocourse.content.model import Course, Module
from cocourse.learning import progress
from cocourse.models import CohortAssessor, CohortMember, LessonCompletion, QuizAttempt, Role, User

SORTS = ("name", "-name", "progress", "-progress")


@dataclass(frozen=True)
class Cell:
    """One learner in one module."""

    status: str  # locked, not-started, in-progress, complete
    done: int
    total: int
    best_score: float | None  # best percentage over the module's quizzes (None: no attempt)


@dataclass(frozen=True)
class Row:
    """One learner across the chosen modules."""

    user: User
    cells: tuple[Cell, ...]

    @property
    def done(self) -> int:
        """Required lessons complete across the chosen modules."""
        return sum(cell.done for cell in self.cells)


def may_view(session: Session, viewer: User, cohort_id: int) -> bool:
    """Admins see every cohort; assessors the cohorts they are assigned to."""
    if viewer.role == Role.ADMIN.value:
        return True
    if viewer.role != Role.ASSESSOR.value:
        return False
    found = session.scalar(
        select(CohortAssessor.id).where(
            CohortAssessor.cohort_id == cohort_id, CohortAssessor.user_id == viewer.id
        )
    )
    return found is not None


def matrix(
    session: Session,
    course: Course,
    cohort_id: int,
    modules: Sequence[Module],
    *,
    sort: str = "name",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Row], int]:
    """One page of the matrix and the number of learners (three queries a page)."""
    total = (
        session.scalar(
            select(func.count(CohortMember.id)).where(CohortMember.cohort_id == cohort_id)
        )
        or 0
    )
    users = _members(session, cohort_id, sort, page, per_page)
    ids = [user.id for user in users]
    done = _completions(session, ids)
    scores = _best_scores(session, ids)
    rows = []
    for user in users:
        standing = progress.Standing(course, done.get(user.id, {}))
        cells = []
        for module in modules:
            status = standing.status(module)
            quiz_ids = [lesson.quiz.id for lesson in module.lessons if lesson.quiz]
            best = [scores[(user.id, q)] for q in quiz_ids if (user.id, q) in scores]
            cells.append(Cell(_label(status), status.done, status.total, max(best, default=None)))
        rows.append(Row(user, tuple(cells)))
    return rows, total


def all_rows(
    session: Session, course: Course, cohort_id: int, modules: Sequence[Module], sort: str
) -> Iterator[Row]:
    """Every row, a page at a time, so an export never holds the whole cohort."""
    page = 1
    while True:
        rows, total = matrix(
            session, course, cohort_id, modules, sort=sort, page=page, per_page=200
        )
        yield from rows
        if page * 200 >= total:
            return
        page += 1


def _label(status: progress.ModuleStatus) -> str:
    if status.locked_by:
        return "locked"
    if status.complete:
        return "complete"
    return "in-progress" if status.started else "not-started"


def _members(session: Session, cohort_id: int, sort: str, page: int, per_page: int) -> list[User]:
    """A page of the cohort's members in the chosen order (progress: lessons completed)."""
    completed = (
        select(func.count(LessonCompletion.id))
        .where(LessonCompletion.user_id == User.id)
        .scalar_subquery()
    )
    order = {
        "name": (User.name, User.id),
        "-name": (User.name.desc(), User.id),
        "progress": (completed, User.name, User.id),
        "-progress": (completed.desc(), User.name, User.id),
    }[sort if sort in SORTS else "name"]
    return list(
        session.scalars(
            select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort_id)
            .order_by(*order)
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        )
    )


def _completions(session: Session, ids: list[int]) -> dict[int, dict[str, frozenset[str]]]:
    found: dict[int, dict[str, set[str]]] = {}
    if ids:
        rows = session.execute(
            select(
                LessonCompletion.user_id, LessonCompletion.module_slug, LessonCompletion.lesson_slug
            ).where(LessonCompletion.user_id.in_(ids))
        )
        for user_id, module_slug, lesson_slug in rows:
            found.setdefault(user_id, {}).setdefault(module_slug, set()).add(lesson_slug)
    return {
        uid: {slug: frozenset(lessons) for slug, lessons in modules.items()}
        for uid, modules in found.items()
    }


def _best_scores(session: Session, ids: list[int]) -> dict[tuple[int, str], float]:
    if not ids:
        return {}
    rows = session.execute(
        select(QuizAttempt.user_id, QuizAttempt.quiz_id, func.max(QuizAttempt.percent))
        .where(QuizAttempt.user_id.in_(ids), QuizAttempt.submitted_at.is_not(None))
        .group_by(QuizAttempt.user_id, QuizAttempt.quiz_id)
    )
    return {(user_id, quiz_id): best for user_id, quiz_id, best in rows if best is not None}
