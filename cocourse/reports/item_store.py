"""Quiz item analysis summed in the database, from the rows grading keeps for it.

Grading and regrades write, for every graded attempt, a QuizItemAttempt row and one
QuizItemResponse row per scored answer (`quiz.engine.record_items`). The figures then come
from two GROUP BY queries, one with a row per item set and one with a row per item, attempt
total and distinct response: nothing is read or decoded per attempt, so the time grows with
the index entries the database scans, not with JSON decoding in Python. The numbers are those
`item_analysis.analyse` computes from `quiz.engine.item_records` (up to the order in which
floating-point sums are added); tests/test_item_store.py compares the two.

Attempts stored without the rows (bulk inserts such as synthetic data, or attempts from
before migration 0019 if it was skipped) get them on the first analysis that meets them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from cocourse.models import QuizItemAttempt, QuizItemResponse
from cocourse.questions import builtin_types
from cocourse.questions.base import QuestionType, resolve
from cocourse.quiz.engine import fill_item_rows
from cocourse.reports.item_analysis import ItemKey, QuizStats, assemble, moments

if TYPE_CHECKING:
    from typing import TypeAlias

    Query: TypeAlias = Select[*tuple[Any, ...]]

_Q = TypeVar("_Q", bound="Query")


def quiz_stats(
    session: Session,
    quiz_id: str,
    learners: Select[Any] | None = None,
    question_types: Mapping[str, QuestionType] | None = None,
) -> QuizStats:
    """The item analysis of a quiz's graded attempts by `learners` (a query of user ids;
    None: everyone), in three queries whatever the number of attempts (more only when
    attempts stored in bulk need their rows written first)."""
    fill_item_rows(session, quiz_id)
    registry = builtin_types() if question_types is None else question_types
    a, r = QuizItemAttempt, QuizItemResponse

    def among(query: _Q, column: Any) -> _Q:
        return query if learners is None else query.where(column.in_(learners))

    # Item sets: how many attempts had each, the first of them, and their totals' sums.
    sets = session.execute(
        among(
            select(
                a.item_set,
                func.count(),
                func.min(a.attempt_id),
                func.sum(a.items_total),
                func.sum(a.items_total * a.items_total),
            )
            .where(a.quiz_id == quiz_id)
            .group_by(a.item_set),
            a.user_id,
        )
    ).all()
    if not sets:
        return assemble(0, {}, {}, {}, None)
    count = sum(int(row[1]) for row in sets)
    # The most common set; on a tie, the one met first (as `analyse`, reading by id).
    common = min(sets, key=lambda row: (-int(row[1]), int(row[2])))

    # One pass over the answers, grouped by item, attempt total and response: per group, the
    # attempts, their summed score, and the sums the reliability of the common set needs.
    in_common = r.item_set == common[0]
    not_binary = and_(in_common, r.score.not_in([0.0, 1.0]))
    by_total: dict[ItemKey, dict[float, list[float]]] = {}
    chosen: dict[ItemKey, Counter[str]] = {}
    types: dict[ItemKey, str] = {}
    sums: dict[ItemKey, list[float]] = {}  # the common set's item sums and sums of squares
    odd = False  # a score other than 0 or 1 in the common set
    tallied: dict[tuple[str, str], Sequence[str] | None] = {}
    tallies: dict[str, Callable[[Any], Sequence[str] | None]] = {}
    for (
        question_id,
        version,
        kind,
        percent,
        answer,
        n,
        scores,
        shared,
        mine,
        squares,
        odd_ones,
    ) in session.execute(
        among(
            select(
                r.question_id,
                r.version,
                r.type,
                r.percent,
                r.answer,
                func.count(),
                func.sum(r.score),
                func.sum(case((in_common, 1), else_=0)),
                func.sum(case((in_common, r.score), else_=0.0)),
                func.sum(case((in_common, r.score * r.score), else_=0.0)),
                func.sum(case((not_binary, 1), else_=0)),
            )
            .where(r.quiz_id == quiz_id)
            .group_by(r.question_id, r.version, r.type, r.percent, r.answer),
            r.user_id,
        ),
        execution_options={"yield_per": 100},  # groups grow with the distinct totals
    ):
        key = (question_id, version)
        group = by_total.setdefault(key, {}).setdefault(percent / 100, [0.0, 0.0])
        group[0] += float(n)
        group[1] += float(scores)
        types[key] = kind
        if (kind, answer) not in tallied:
            if kind not in tallies:
                tallies[kind] = resolve(registry, kind).tally
            tallied[(kind, answer)] = tallies[kind](json.loads(answer))
        counted = tallied[(kind, answer)]
        if counted is not None:
            tally = chosen.setdefault(key, Counter())
            for value in counted:
                tally[value] += int(n)
        if shared:  # the item is in the common set
            item = sums.setdefault(key, [0.0, 0.0])
            item[0] += float(mine)
            item[1] += float(squares)
            odd = odd or bool(odd_ones)
    reliability = moments(
        list(sums),
        int(common[1]),
        (float(common[3] or 0.0), float(common[4] or 0.0)),
        {key: (total, squares) for key, (total, squares) in sums.items()},
        not odd,
    )
    return assemble(count, by_total, chosen, types, reliability)
