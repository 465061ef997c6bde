"""Draw rules: the minimums of a pool's `draw_per_tag` against its questions' tags.

`expand_minimums` turns groups such as `domain:*` into one minimum per tag, and `Cover` tells
how few questions can meet all the minimums at once. Lint (C166) and the draw of an attempt
(cocourse.quiz.draw) share them, so a pool that passes lint is one the draw can satisfy.
Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

# A `draw_per_tag` key ending in this mark is a group: a minimum for every tag that starts
# with the text before it, such as `domain:*` for domain:listening, domain:harvest, ...
GROUP_MARK = "*"


def is_group(key: str) -> bool:
    """Whether a `draw_per_tag` key is a group such as `domain:*`."""
    return key.endswith(GROUP_MARK)


def expand_minimums(
    per_tag: Iterable[tuple[str, int]], tags: Iterable[str]
) -> tuple[tuple[str, int], ...]:
    """The minimum per tag: plain tags as written, and each group as one minimum for every
    tag in `tags` that starts with the group's beginning (in sorted order). A tag named
    twice (plainly and in a group, or in two groups) keeps the larger minimum."""
    known = sorted(set(tags))
    wanted: dict[str, int] = {}
    for key, count in per_tag:
        names = [t for t in known if t.startswith(key[:-1])] if is_group(key) else [key]
        for name in names:
            wanted[name] = max(count, wanted.get(name, 0))
    return tuple(wanted.items())


class SearchTooLarge(Exception):
    """The search gave up (see `Cover`): whether the needs can be met is not known."""


# How many questions to take from each group (mask -> count): a cover of some needs.
Plan = dict[int, int]


class Cover:
    """Which questions count for which minimum, and how few questions can meet them all.

    Questions are grouped by the set of constrained tags they carry (a bit mask, bit i for the
    i-th minimum): within a group they are interchangeable as far as the rules go. Meeting
    minimums ("at least m questions tagged t") with at most so many questions is a covering
    problem, hard in general but small here: a pool holds at most a few hundred questions in
    a few dozen groups. A greedy cover comes first; when it is too large, a branch-and-bound
    search over how many questions to take from each group. Its lower bound adds up the needs
    of tags that never share a question (the domains of a pool whose questions each belong to
    one domain), which settles typical rules at once. A search gives up (SearchTooLarge) after
    `budget` steps; `steps` counts the steps of every search so far.
    """

    BUDGET = 50_000

    def __init__(
        self, minimums: Sequence[tuple[str, int]], question_tags: Sequence[Iterable[str]]
    ) -> None:
        self.tags = tuple(tag for tag, _ in minimums)
        self.needs = tuple(count for _, count in minimums)
        bit = {tag: 1 << i for i, tag in enumerate(self.tags)}
        self.masks = tuple(sum({bit[t] for t in tags if t in bit}) for tags in question_tags)
        self.families = _exclusive_families(len(self.tags), set(self.masks))
        self.steps = 0

    def groups(self) -> dict[int, int]:
        """How many questions of the pool carry each mask."""
        counts: dict[int, int] = {}
        for mask in self.masks:
            counts[mask] = counts.get(mask, 0) + 1
        return counts

    def plan(
        self,
        needs: Sequence[int],
        available: Mapping[int, int],
        limit: int,
        budget: int | None = None,
    ) -> Plan | None:
        """A cover of `needs` (a count per minimum) with at most `limit` questions of
        `available` (a count per mask), or None when there is none. The search may take
        `budget` steps (default BUDGET)."""
        steps = self.BUDGET if budget is None else budget
        return self._solve(needs, available, limit, steps, smallest=False)

    def fits(self, needs: Sequence[int], available: Mapping[int, int], limit: int) -> bool:
        """Whether at most `limit` questions of `available` can meet `needs`."""
        return self.plan(needs, available, limit) is not None

    def fewest(self, needs: Sequence[int], available: Mapping[int, int]) -> int | None:
        """The fewest questions of `available` that meet `needs`; None when no number does."""
        found = self._solve(needs, available, sum(available.values()), self.BUDGET, True)
        return None if found is None else sum(found.values())

    def _solve(
        self,
        needs: Sequence[int],
        available: Mapping[int, int],
        limit: int,
        budget: int,
        smallest: bool,
    ) -> Plan | None:
        """A cover within `limit` (the smallest one when `smallest`), or None."""
        needs = tuple(max(0, n) for n in needs)
        if not any(needs):
            return {}
        groups = {mask: n for mask, n in available.items() if mask and n}
        supply = _supply(len(needs), groups)
        if any(have < need for have, need in zip(supply, needs, strict=True)):
            return None
        bound = self.lower_bound(needs, groups)
        if bound > limit:
            return None
        greedy = _greedy_cover(needs, groups)
        size = limit + 1 if greedy is None else sum(greedy.values())
        if size <= limit and (size == bound or not smallest):
            return greedy
        search = _Search(self, groups, min(limit, size - 1), budget, smallest)
        try:
            found = search.run(needs)
        finally:
            self.steps += search.steps
        return greedy if found is None and size <= limit else found  # greedy was smallest

    def lower_bound(self, needs: Sequence[int], groups: Iterable[int]) -> int:
        """No cover is smaller: the needs of a family of exclusive tags add up, and no
        question meets more needs at once than it has constrained tags."""
        widest = max((mask.bit_count() for mask in groups), default=0)
        if widest == 0:
            return 0
        per_family = max((sum(needs[i] for i in family) for family in self.families), default=0)
        return max(per_family, -(-sum(needs) // widest))


def _supply(count: int, groups: Mapping[int, int]) -> list[int]:
    """How many questions of `groups` carry each of `count` constrained tags."""
    return [sum(n for mask, n in groups.items() if mask >> i & 1) for i in range(count)]


def _exclusive_families(count: int, masks: Iterable[int]) -> list[list[int]]:
    """The minimums split (greedily) into families whose tags never share a question."""
    together = [0] * count  # per tag: the tags that share some question with it
    for mask in masks:
        for i in range(count):
            if mask >> i & 1:
                together[i] |= mask & ~(1 << i)
    families: list[list[int]] = []
    for i in range(count):
        home = next((f for f in families if not any(together[i] >> j & 1 for j in f)), None)
        if home is None:
            families.append([i])
        else:
            home.append(i)
    return families


def _greedy_cover(needs: Sequence[int], groups: Mapping[int, int]) -> Plan | None:
    """A cover taken one question at a time, each meeting the most open needs (None: stuck)."""
    left, open_needs = dict(groups), list(needs)
    bits = {mask: [i for i in range(len(needs)) if mask >> i & 1] for mask in left}
    used: Plan = {}

    def gain(mask: int) -> tuple[int, int]:
        hits = [open_needs[i] for i in bits[mask] if open_needs[i]]
        return len(hits), sum(hits)

    while any(open_needs):
        best = max((m for m, n in left.items() if n), key=gain, default=None)
        if best is None or gain(best)[0] == 0:
            return None
        left[best] -= 1
        used[best] = used.get(best, 0) + 1
        for i in bits[best]:
            open_needs[i] = max(0, open_needs[i] - 1)
    return used


class _Search:
    """Branch and bound over the groups: how many questions to take from each.

    Finds a cover of at most `limit` questions: the first one met, or with `smallest` the
    smallest one. Raises SearchTooLarge after `budget` steps without an answer.
    """

    def __init__(
        self, cover: Cover, groups: Mapping[int, int], limit: int, budget: int, smallest: bool
    ) -> None:
        self.cover, self.budget, self.smallest = cover, budget, smallest
        self.groups = sorted(
            groups.items(), key=lambda group: (-group[0].bit_count(), -group[1], group[0])
        )
        self.best = limit + 1  # the size of the smallest cover found so far, if any
        self.found: Plan | None = None
        self.taking: list[int] = []  # how many are taken from each group so far
        self.steps = 0
        self.seen: dict[tuple[int, tuple[int, ...]], int] = {}
        count = len(cover.tags)
        # Per position: how many questions of the groups from there on carry each tag.
        self.later = [_supply(count, dict(self.groups[at:])) for at in range(len(self.groups))]

    def run(self, needs: tuple[int, ...]) -> Plan | None:
        """The cover found, or None when none fits within the limit."""
        try:
            self._visit(0, needs, 0)
        except SearchTooLarge:
            if self.found is None or self.smallest:
                raise  # nothing found, or nothing proven smallest
        return self.found

    def _visit(self, at: int, needs: tuple[int, ...], used: int) -> None:
        if not any(needs):
            if used < self.best:
                self.best = used
                taken = zip(self.groups[: len(self.taking)], self.taking, strict=True)
                self.found = {mask: n for (mask, _), n in taken if n}
            return
        self.steps += 1
        if self.steps > self.budget or (self.found is not None and not self.smallest):
            raise SearchTooLarge  # out of steps, or done: unwind
        if at == len(self.groups) or any(
            have < need for have, need in zip(self.later[at], needs, strict=True)
        ):
            return
        rest = (mask for mask, _ in self.groups[at:])
        if used + self.cover.lower_bound(needs, rest) >= self.best:
            return
        earlier = self.seen.get((at, needs))
        if earlier is not None and earlier <= used:
            return  # reached before with no more questions used
        self.seen[(at, needs)] = used
        mask, count = self.groups[at]
        useful = max((n for i, n in enumerate(needs) if mask >> i & 1), default=0)
        for take in range(min(count, useful), -1, -1):
            after = tuple(max(0, n - take) if mask >> i & 1 else n for i, n in enumerate(needs))
            self.taking.append(take)
            try:
                self._visit(at + 1, after, used + take)
            finally:
                self.taking.pop()
