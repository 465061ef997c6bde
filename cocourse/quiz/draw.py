"""The draw of a pool: which questions one attempt gets, meeting every `draw_per_tag` minimum.

Approach: first a plan, a cover of the minimums that fits in the draw (how many questions to
take from each group of questions with the same constrained tags), found by
`cocourse.content.draw_rules.Cover`: a greedy cover, or else an exact branch-and-bound
search. Then the questions are taken one at a time, each chosen at random among all those
not taken yet, and kept if the minimums stay within reach of the places left:

- a question of a group the plan takes from fits (the plan then takes one fewer there);
- a question the plan does without fits while the plan leaves a place to spare;
- any other question gets a short search for a new plan that includes it, and when there
  is none, its whole group is passed over for this step.

The plan always holds a question that fits, so every draw meets every minimum whenever the
pool can: not by luck, on every seed. Once the minimums are met, the places left are a plain
random sample. Every question that belongs to some draw meeting the minimums can come up
(its own search finds a plan with it), although not all such draws are equally likely. The
searches of one draw share a budget (SEARCH_STEPS); past it the draw keeps to its plan, so
a draw stays quick even on a tangle of overlapping tags.

When no draw can meet the minimums, or the first search gives up (lint reports both as
C166, with the same search budget), the draw still returns
`size` questions, each step taking one that meets the most open minimums: an attempt never
fails for it. Pure: no Flask, no database.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence

from cocourse.content.draw_rules import Cover, Plan, SearchTooLarge, expand_minimums

# Search steps one draw may spend on questions outside its current plan; past them, the
# draw keeps to the plan (still meeting every minimum) and stays fast on any pool.
SEARCH_STEPS = 20_000


def choose_questions(
    question_tags: Sequence[Collection[str]],
    per_tag: Iterable[tuple[str, int]],
    size: int,
    rng: random.Random,
) -> list[int]:
    """The indices of `size` questions drawn at random, meeting the `draw_per_tag` minimums
    as written (groups such as `domain:*` included) whenever the questions allow it."""
    tags = {tag for question in question_tags for tag in question}
    return choose(question_tags, expand_minimums(per_tag, tags), size, rng)


def choose(
    question_tags: Sequence[Collection[str]],
    minimums: Sequence[tuple[str, int]],
    size: int,
    rng: random.Random,
) -> list[int]:
    """The indices of `size` questions (in the order drawn) with at least `count` questions
    carrying `tag` for each (tag, count) of `minimums`, whenever the questions allow it."""
    size = min(size, len(question_tags))
    if not minimums:
        return rng.sample(range(len(question_tags)), size)
    cover = Cover(minimums, question_tags)
    needs = list(cover.needs)
    left = cover.groups()
    try:
        plan = cover.plan(needs, left, size)
    except SearchTooLarge:
        plan = None
    unchosen = list(range(len(question_tags)))
    chosen: list[int] = []
    while len(chosen) < size and any(needs):
        if plan is None:  # the minimums cannot all be met: do what can be done
            index = _most_useful(cover, needs, unchosen, rng)
        else:
            index, plan = _next(cover, needs, left, unchosen, size - len(chosen) - 1, plan, rng)
        mask = cover.masks[index]
        unchosen.remove(index)
        left[mask] -= 1
        needs = [n - 1 if n and mask >> i & 1 else n for i, n in enumerate(needs)]
        chosen.append(index)
    return chosen + rng.sample(unchosen, size - len(chosen))


def _next(
    cover: Cover,
    needs: list[int],
    left: dict[int, int],
    unchosen: list[int],
    places: int,
    plan: Plan,
    rng: random.Random,
) -> tuple[int, Plan]:
    """A random question that leaves the minimums within reach of the `places` after it,
    and a plan (a cover of the needs left once it is taken) for the next step.

    `plan` covers the open needs within the places left: a question that fits in it is
    taken at once; for any other, a short search looks for a new plan that includes it.
    The questions of the plan always fit, so a question is always found.
    """
    refused: set[int] = set()
    while True:
        candidates = [i for i in unchosen if cover.masks[i] not in refused]
        index = rng.choice(candidates)
        mask = cover.masks[index]
        after = [n - 1 if n and mask >> i & 1 else n for i, n in enumerate(needs)]
        if plan.get(mask, 0) > 0:
            return index, {**plan, mask: plan[mask] - 1}
        if sum(plan.values()) <= places and plan.get(mask, 0) < left[mask]:
            return index, plan  # the plan does without this question, and has room for it
        budget = SEARCH_STEPS - cover.steps
        if budget > 0:
            try:
                found = cover.plan(after, {**left, mask: left[mask] - 1}, places, budget)
            except SearchTooLarge:
                found = None
            if found is not None:
                return index, found
        refused.add(mask)


def _most_useful(cover: Cover, needs: list[int], unchosen: list[int], rng: random.Random) -> int:
    """A random question among those meeting the most open minimums."""

    def meets(i: int) -> int:
        return sum(1 for bit, n in enumerate(needs) if n and cover.masks[i] >> bit & 1)

    best = max(meets(i) for i in unchosen)
    return rng.choice([i for i in unchosen if meets(i) == best])
