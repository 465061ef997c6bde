"""Mistakes in likert fences: each is reported as `file:line: CODE message`, at the line of the
setting or item at fault, with the codes the built-in types use for the same kind of mistake
(C168 settings, C170 [x] marks, C171 too few points, C174 the list's form, C175 a repeat)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from likert_drafts import FREQUENCY, LIKERT, draft, item

from cocourse.cli import cli

WHERE = "module/01-lesson.md"
Q = "question 'lk': "


def problems(**kwargs):
    question, found = LIKERT.parse(draft(**kwargs))
    assert question is None and found
    assert all(problem.severity == "error" for problem in found)
    return [str(problem) for problem in found]


# Settings are on lines 12, 13 ... and the answer list starts three lines after them.
@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"scale": 12},
            "12: C168 'scale' must be a whole number from 2 to 9, not 12: write, say, scale: 7",
        ),
        ({"scale": "five"}, "12: C168 'scale' must be a whole number from 2 to 9, not 'five'"),
        ({"scale": True}, "12: C168 'scale' must be a whole number from 2 to 9, not True"),
        (
            {"scale": 8},
            "12: C168 the standard agreement labels go up to 7 points, not 8: write the labels "
            "of a longer scale in 'labels' or as a list",
        ),
        (
            {"labels": "Never, Always"},
            "12: C168 'labels' must be a list of texts, not 'Never, Always': write, say, "
            "labels: [Never, Sometimes, Often]",
        ),
        ({"labels": ["Yes", ""]}, "12: C168 'labels' must be a list of texts"),
        ({"labels": [["Yes"], "No"]}, "12: C168 'labels' must be a list of texts"),
        (
            {"labels": ["Yes"]},
            "12: C168 a scale needs at least 2 points, 'labels' has 1 label: add the missing "
            "points",
        ),
        (
            {"labels": [str(n) for n in range(10)]},
            "12: C168 a scale has at most 9 points, 'labels' has 10",
        ),
        (
            {"labels": ["Yes", "Maybe", "yes "]},
            "12: C168 'yes' labels two points (1 and 3): give each point its own label",
        ),
        (
            {"scale": 4, "labels": ["No", "Maybe", "Yes"]},
            "12: C168 'scale' says 4 points but 'labels' has 3 labels: remove 'scale' (the "
            "labels set it) or make them agree",
        ),
        (
            {"labels": ["No", "Yes"], "items": (item("No"), item("Yes"))},
            "12: C168 the labels are given twice, in 'labels' and as an answer list: keep one",
        ),
        (
            {"expect": "high"},
            "12: C168 'expect' must be a point or a range of points, not 'high': write, say, "
            "expect: 4 or expect: 4-5",
        ),
        ({"expect": 4.5}, "12: C168 'expect' must be a point or a range of points, not 4.5"),
        (
            {"expect": "5-4"},
            "12: C168 'expect: 5-4' runs backwards: write the lower point first, 4-5",
        ),
        ({"expect": 6}, "12: C168 'expect' names point 6, but the scale has points 1 to 5"),
        ({"expect": 0}, "12: C168 'expect' names point 0, but the scale has points 1 to 5"),
        (
            {"expect": "1-5"},
            "12: C168 'expect: 1-5' accepts every point, so any answer would be right: narrow "
            "the range, or remove 'expect' to leave the item unscored",
        ),
        (
            {"expect": 4, "items": FREQUENCY},
            "12: C168 the acceptable points are given twice, in 'expect' and with [x] marks",
        ),
        (
            {"items": (item("Never", False), item("Often"), item("Always", True))},
            "16: C174 'Often' has no [x] or [ ] mark but other points have one",
        ),
        (
            {"items": (item("Never"), item(""), item("Always"))},
            "16: C174 a point has no label: write it after the list marker, or remove the line",
        ),
        (
            {"items": (item("Always"),)},
            "10: C171 a scale needs at least 2 points, the answer list has 1 item",
        ),
        (
            {"items": tuple(item(f"Point {n}") for n in range(1, 11))},
            "24: C174 a scale has at most 9 points, the answer list has 10",
        ),
        (
            {"items": (item("Never"), item("Often"), item("often"))},
            "17: C175 'often' labels two points (2 and 3): give each point its own label",
        ),
        (
            {"items": (item("Never", False), item("Always", False))},
            "15: C170 the points are marked but none with [x]: mark the acceptable points",
        ),
        (
            {"items": (item("Never", True), item("Always", True))},
            "15: C170 every point is marked [x], so any answer would be right",
        ),
    ],
)
def test_each_mistake_is_reported_at_its_line(kwargs, expected):
    line, rest = expected.split(": ", 1)
    code, message = rest.split(" ", 1)
    [found] = problems(**kwargs)
    assert found.startswith(f"{WHERE}:{line}: {code} {Q}{message}"), found


def test_independent_mistakes_are_reported_together():
    found = problems(scale=1, expect="x")
    assert [problem.split(": ")[1].split()[0] for problem in found] == ["C168", "C168"]
    assert [problem.split(":")[1] for problem in found] == ["12", "13"]


# Through the real `cocourse lint` command, which finds the type through the entry point.

LESSON = """---
title: Mistakes
quiz:
  id: mistakes
---
```quiz likert lk-fine
---
expect: 4-5
---
Everyone should get a turn.
```

```quiz likert lk-scale
---
points: 2
scale: 12
---
A statement.
```

```quiz likert lk-marks
How often do you wait?

- [x] Never
- Sometimes
- [ ] Always
```

```quiz likert lk-typo
---
expected: 4
---
A statement.
```
"""


@pytest.fixture
def lint(tmp_path: Path):
    """Run `cocourse lint` on a one-lesson course; (exit code, stdout lines, lesson path)."""
    course = tmp_path / "course"
    (course / "module").mkdir(parents=True)
    (course / "tracks.yml").write_text("tracks:\n  - slug: t\n    title: T\n    summary: S\n")
    (course / "module" / "module.md").write_text(
        "---\ntitle: M\ntrack: t\norder: 1\nsummary: S\nestimated_minutes: 5\n---\n"
    )
    lesson = course / "module" / "01-mistakes.md"
    lesson.write_text(LESSON)
    result = CliRunner().invoke(
        cli, ["lint", str(course)], env={"COCOURSE_INSTANCE_PATH": str(tmp_path / "instance")}
    )
    return result.exit_code, result.stdout.splitlines(), str(lesson)


def line_of(text: str) -> int:
    """The file line (from 1) of the line of LESSON holding `text`."""
    return next(n for n, line in enumerate(LESSON.splitlines(), start=1) if text in line)


def test_cocourse_lint_reports_likert_mistakes_with_file_and_line(lint):
    code, lines, path = lint
    assert code == 1
    assert lines == [
        f"{path}:{line_of('scale: 12')}: C168 question 'lk-scale': 'scale' must be a whole "
        "number from 2 to 9, not 12: write, say, scale: 7",
        f"{path}:{line_of('- Sometimes')}: C174 question 'lk-marks': 'Sometimes' has no [x] "
        "or [ ] mark but other points have one: mark every point ('- [x]' acceptable, "
        "'- [ ]' not) to score the item, or none of them",
        f"{path}:{line_of('expected: 4')}: C168 question 'lk-typo': unknown setting "
        "'expected' (known: allow, category, expect, labels, name, points, scale, tags)",
    ]
