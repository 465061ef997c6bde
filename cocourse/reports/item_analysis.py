"""Quiz item analysis: facility, discrimination, option frequencies and reliability.

Pure: it takes plain records of graded attempts and returns numbers; no Flask, no database.
Items are keyed by question id and content version (the question's source hash), so an
edited question starts a new row instead of mixing two versions. Each question's type says
what its option frequencies count (`QuestionType.tally`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cocourse.questions import builtin_types
from cocourse.questions.base import QuestionType, resolve

GROUP_SHARE = 0.27  # Kelley's upper and lower groups

ItemKey = tuple[str, str]  # (question id, source hash)

# The flags and reliability names, in English as the CSV gives them; the report page shows
# them translated (reports.views.TERMS).
NOBODY_RIGHT = "nobody answered it correctly"
NEGATIVE_DISCRIMINATION = "negative discrimination: weaker learners do better than stronger ones"
CRONBACH = "Cronbach's alpha"


@dataclass(frozen=True)
class Response:
    """One graded answer within an attempt."""

    score: float
    answer: Any
    type: str


@dataclass(frozen=True)
class AttemptRecord:
    """A graded attempt: its total (0 to 1) and its scored answers by item."""

    total: float
    items: Mapping[ItemKey, Response]


@dataclass(frozen=True)
class ItemStats:
    """The figures for one question version."""

    question_id: str
    version: str
    type: str
    attempts: int
    facility: float  # mean score, 0 (nobody right) to 1 (everybody right)
    discrimination: float | None  # upper-group minus lower-group facility, -1 to 1
    options: Mapping[str, int] = field(default_factory=dict)  # what was tallied -> times
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuizStats:
    """Item statistics and the quiz's reliability."""

    attempts: int
    items: tuple[ItemStats, ...]
    reliability: float | None
    reliability_name: str  # "KR-20" when every item is scored 0 or 1, else "Cronbach's alpha"
    reliability_attempts: int  # attempts with the full common item set, used for reliability


class _Moments:
    """Running sums for the reliability of one item set, so attempts need not be kept."""

    def __init__(self, keys: frozenset[ItemKey]) -> None:
        self.keys = sorted(keys)
        self.n = 0
        self.total = [0.0, 0.0]  # sum and sum of squares of attempt totals
        self.item = {key: [0.0, 0.0] for key in self.keys}
        self.dichotomous = True

    def add(self, record: AttemptRecord) -> None:
        self.n += 1
        total = 0.0
        for key in self.keys:
            score = record.items[key].score
            total += score
            self.item[key][0] += score
            self.item[key][1] += score * score
            self.dichotomous = self.dichotomous and score in (0.0, 1.0)
        self.total[0] += total
        self.total[1] += total * total

    def alpha(self) -> float | None:
        """Cronbach's alpha (population variances); None when it is not defined."""
        k = len(self.keys)
        if k < 2 or self.n < 2:
            return None
        total_variance = _variance(self.total[0], self.total[1], self.n)
        if total_variance <= 0:
            return None
        item_variance = sum(_variance(sums[0], sums[1], self.n) for sums in self.item.values())
        return k / (k - 1) * (1 - item_variance / total_variance)


def _variance(total: float, squares: float, n: int) -> float:
    mean = total / n
    return max(0.0, squares / n - mean * mean)


def analyse(
    records: Iterable[AttemptRecord], question_types: Mapping[str, QuestionType] | None = None
) -> QuizStats:
    """All figures for a quiz from its graded attempts, in one pass over them.

    `question_types` tally the option frequencies (None: the built-in types alone).
    """
    registry = builtin_types() if question_types is None else question_types
    tallies: dict[str, Callable[[Any], Sequence[str] | None]] = {}
    # Per item: attempts and summed score by attempt total. Totals repeat (a quiz has few
    # possible scores), so memory follows the distinct totals, not the number of attempts.
    by_total: dict[ItemKey, dict[float, list[float]]] = {}
    chosen: dict[ItemKey, Counter[str]] = {}
    types: dict[ItemKey, str] = {}
    sets: dict[frozenset[ItemKey], _Moments] = {}
    count = 0
    for record in records:
        count += 1
        item_set = frozenset(record.items)
        sets.setdefault(item_set, _Moments(item_set)).add(record)
        for key, response in record.items.items():
            group = by_total.setdefault(key, {}).setdefault(record.total, [0.0, 0.0])
            group[0] += 1
            group[1] += response.score
            types[key] = response.type
            if response.type not in tallies:
                tallies[response.type] = resolve(registry, response.type).tally
            counted = tallies[response.type](response.answer)
            if counted is not None:
                chosen.setdefault(key, Counter()).update(counted)
    # With a pool, attempts get different questions: use the most common question set.
    common = max(sets.values(), key=lambda m: m.n, default=None)
    return assemble(count, by_total, chosen, types, common)


def assemble(
    count: int,
    by_total: Mapping[ItemKey, dict[float, list[float]]],
    chosen: Mapping[ItemKey, Counter[str]],
    types: Mapping[ItemKey, str],
    common: _Moments | None,
) -> QuizStats:
    """The figures from what `analyse` gathers in its pass over the attempts (or what
    `reports.item_store` sums in the database): `count` attempts; per item, attempts and
    summed score by attempt total, the tallied responses and the type; the sums for the
    reliability of the most common item set (None: no attempts)."""
    items = tuple(
        _item(key, types[key], by_total[key], chosen.get(key, Counter()))
        for key in sorted(by_total)
    )
    if common is None:
        return QuizStats(0, items, None, "KR-20", 0)
    name = "KR-20" if common.dichotomous else CRONBACH
    return QuizStats(count, items, common.alpha(), name, common.n)


def moments(
    keys: Iterable[ItemKey],
    n: int,
    totals: tuple[float, float],
    items: Mapping[ItemKey, tuple[float, float]],
    dichotomous: bool,
) -> _Moments:
    """The reliability sums of an item set from sums made elsewhere: `n` attempts, the sum
    and sum of squares of their totals and of each item's scores, whether all were 0 or 1."""
    found = _Moments(frozenset(keys))
    found.n, found.total, found.dichotomous = n, list(totals), dichotomous
    found.item = {key: list(items[key]) for key in found.keys}
    return found


def _item(
    key: ItemKey, qtype: str, by_total: dict[float, list[float]], chosen: Counter[str]
) -> ItemStats:
    """Facility, discrimination and flags for one item."""
    attempts = round(sum(count for count, _ in by_total.values()))
    facility = sum(scores for _, scores in by_total.values()) / attempts
    discrimination = _discrimination(by_total, attempts)
    flags = []
    if facility == 0:
        flags.append(NOBODY_RIGHT)
    if discrimination is not None and discrimination < 0:
        flags.append(NEGATIVE_DISCRIMINATION)
    return ItemStats(
        question_id=key[0],
        version=key[1],
        type=qtype,
        attempts=attempts,
        facility=facility,
        discrimination=discrimination,
        options=dict(sorted(chosen.items())),
        flags=tuple(flags),
    )


def _discrimination(by_total: dict[float, list[float]], attempts: int) -> float | None:
    """Upper 27% minus lower 27% facility, ranking attempts by their total score.

    Attempts tied on the total at the edge of a group count in proportion, so the figure
    does not depend on the order in which the attempts were stored.
    """
    if attempts < 2:
        return None
    ranked = [by_total[total] for total in sorted(by_total)]
    size = max(1, round(GROUP_SHARE * attempts))
    return _group_mean(reversed(ranked), size) - _group_mean(ranked, size)


def _group_mean(groups: Iterable[list[float]], size: int) -> float:
    """The mean score of the first `size` attempts of (count, summed score) groups."""
    left, total = float(size), 0.0
    for count, scores in groups:
        taken = min(count, left)
        total += scores * taken / count
        left -= taken
        if left <= 0:
            break
    return total / size
