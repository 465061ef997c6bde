"""The content linter's own messages (front matter, files, links, tracks, quizzes, draw rules,
translations): English as text (`cocourse lint`, logs, `str()`), and in Dutch or French when
said in that language, with their values filled in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask_babel import force_locale

from cocourse.content.lint import lint_path
from cocourse.content.model import Problem
from cocourse.content.words import Text, say
from cocourse.content.writing import problems_with

TRACKS = "tracks:\n  - slug: basics\n    title: Basics\n    summary: The first steps\n"
MODULE = (
    "---\ntitle: Intro\ntrack: basics\norder: 1\nsummary: Where it starts\n"
    "estimated_minutes: 10\n---\nWelcome.\n"
)
LESSON = "# First steps\n\nRead this first.\n"


@contextmanager
def speaking(app: Flask, language: str) -> Iterator[None]:
    """Inside a request, with everything said in `language`."""
    with app.test_request_context(), force_locale(language):
        yield


def course(root: Path, files: dict[str, str]) -> Path:
    """A small course under `root`: one track, module `intro` with one lesson, and `files`
    (paths relative to `root`) written over it."""
    base = {"tracks.yml": TRACKS, "intro/module.md": MODULE, "intro/01-first.md": LESSON}
    for relative, text in {**base, **files}.items():
        file = root / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return root


def only(problems: list[Problem], code: str) -> Problem:
    (found,) = [p for p in problems if p.code == code]
    return found


def pool(draw: int, rules: str, tag_lists: list[list[str]]) -> str:
    """A quiz lesson drawing `draw` questions with `draw_per_tag: rules` from questions tagged
    as `tag_lists` says."""
    head = f"---\ntitle: Pool\nquiz:\n  id: pool\n  draw: {draw}\n  draw_per_tag: {rules}\n---\n"
    fences = [
        f"```quiz single-choice p{i}\n---\ntags: [{', '.join(tags)}]\n---\n"
        f"Pool question {i}: which option?\n\n- [x] First option\n- [ ] Second option\n```\n"
        for i, tags in enumerate(tag_lists)
    ]
    return head + "\n".join(fences)


def test_front_matter_and_link_problems_in_english_dutch_and_french(app, tmp_path):
    root = course(
        tmp_path / "course",
        {
            "intro/module.md": MODULE.replace("estimated_minutes: 10", "estimated_minutes: 0"),
            "intro/01-first.md": "# First steps\n\nSee [the next one](02-next.md).\n",
        },
    )
    problems = lint_path(root)
    minutes, link = only(problems, "C102"), only(problems, "C130")
    assert minutes.message == "'estimated_minutes' must be a whole number above zero"
    assert str(minutes) == f"{root / 'intro' / 'module.md'}:6: C102 {minutes.message}"
    assert str(link) == (
        f"{root / 'intro' / '01-first.md'}:3: C130 broken link: '02-next.md' does not exist"
    )
    assert isinstance(link.message, Text)
    with speaking(app, "nl"):
        assert (
            say(minutes.message) == "'estimated_minutes' moet een geheel getal groter dan nul zijn"
        )
        assert link.said() == (
            f"{root / 'intro' / '01-first.md'}:3: C130 verbroken link: '02-next.md' bestaat niet"
        )
    with speaking(app, "fr"):
        assert say(minutes.message) == (
            "'estimated_minutes' doit être un nombre entier supérieur à zéro"
        )
        assert link.said().endswith("C130 lien cassé : '02-next.md' n'existe pas")
    with app.test_request_context():  # no language chosen: English
        assert link.said() == str(link)


def test_a_track_problem_names_its_values_in_every_language(app, tmp_path):
    root = course(tmp_path / "course", {"intro/module.md": MODULE.replace("basics", "advanced")})
    problem = only(lint_path(root), "C112")
    assert problem.message == "unknown track 'advanced' (tracks.yml declares: basics)"
    with speaking(app, "nl"):
        assert say(problem.message) == "onbekende leerlijn 'advanced' (tracks.yml bevat: basics)"
    with speaking(app, "fr"):
        assert say(problem.message) == ("parcours inconnu 'advanced' (tracks.yml déclare : basics)")


def test_a_draw_that_cannot_be_met_is_said_as_one_sentence(app, tmp_path):
    lesson = pool(3, "{a: 2, b: 2, c: 2}", [["a", "b"], ["a", "b"], ["c"], ["c"]])
    root = course(tmp_path / "course", {"intro/02-pool.md": lesson})
    problem = only(lint_path(root), "C166")
    assert problem.message == (
        "draw_per_tag cannot be met in a draw of 3: meeting every minimum at once takes 4 "
        "questions; dropping the minimum for 'c' (2) would make it fit"
    )
    with speaking(app, "nl"):
        assert say(problem.message) == (
            "draw_per_tag is niet haalbaar in een trekking van 3: om alle minima tegelijk te "
            "halen zijn 4 vragen nodig; laat je het minimum voor 'c' (2) vallen, dan past het wel"
        )
    with speaking(app, "fr"):
        assert say(problem.message) == (
            "draw_per_tag ne peut pas être respecté dans un tirage de 3 : respecter tous les "
            "minimums à la fois demande 4 questions ; retirer le minimum pour 'c' (2) suffirait"
        )


def test_a_list_of_minimums_keeps_its_groups_said_in_the_language(app, tmp_path):
    tags = [["domain:a", "scenario"], ["domain:a", "scenario"], ["domain:b"], ["domain:c"]]
    lesson = pool(3, "{domain:*: 1, scenario: 2}", tags)
    root = course(tmp_path / "course", {"intro/02-pool.md": lesson})
    problem = only(lint_path(root), "C166")
    assert "'domain:b' (from 'domain:*') (1), 'domain:c' (from 'domain:*') (1)" in problem.message
    with speaking(app, "fr"):
        said = say(problem.message)
    assert "retirer n'importe lequel des minimums pour 'domain:b' (via 'domain:*') (1)," in said
    assert said.endswith("'scenario' (2) suffirait")


def test_too_few_questions_for_a_tag_take_the_plural_of_the_language(app, tmp_path):
    lesson = pool(2, "{rare: 1, common: 2}", [["common"], ["common"]])
    root = course(tmp_path / "course", {"intro/02-pool.md": lesson})
    problem = only(lint_path(root), "C166")
    assert problem.message == "draw_per_tag needs 1 question(s) tagged 'rare'; the quiz has 0"
    with speaking(app, "nl"):
        assert (
            say(problem.message)
            == "draw_per_tag vraagt 1 vraag met de tag 'rare'; de quiz heeft er 0"
        )
    with speaking(app, "fr"):
        assert say(problem.message) == (
            "draw_per_tag demande 1 question avec le tag 'rare' ; le quiz en a 0"
        )


def test_a_missing_translation_names_the_language_in_the_readers_words(app, tmp_path):
    translated = "---\ntitle: Eerste stappen\ntranslation_of: 0\n---\nLees dit eerst.\n"
    root = course(tmp_path / "course", {"intro/01-first.nl.md": translated})
    problem = only(lint_path(root), "W220")
    assert problem.message == (
        "no Dutch translation (nl): those readers see this file in its original language, "
        "with a note"
    )
    assert problem.severity == "warning"
    with speaking(app, "nl"):
        assert say(problem.message).startswith("geen vertaling in het Nederlands (nl): ")
    with speaking(app, "fr"):
        assert say(problem.message).startswith("aucune traduction en néerlandais (nl) : ")


def test_a_checked_change_keeps_its_problems_translatable_with_the_real_paths(app, tmp_path):
    twice = "---\ntitle: Check\nquiz:\n  id: check-{n}\n---\n" + (
        "```quiz single-choice same-id\nWhich option?\n\n- [x] First option\n"
        "- [ ] Second option\n```\n"
    )
    root = course(tmp_path / "course", {"intro/02-check.md": twice.format(n=1)})
    problems = problems_with(root, {"intro/03-again.md": twice.format(n=2)})
    problem = only(problems, "C162")
    first = f"{root / 'intro' / '02-check.md'}:6"
    assert problem.message == f"question id 'same-id' is already used at {first}"
    assert isinstance(problem.message, Text)
    with speaking(app, "nl"):
        assert say(problem.message) == f"vraag-id 'same-id' wordt al gebruikt in {first}"
    with speaking(app, "fr"):
        assert say(problem.message) == f"l'id de question 'same-id' est déjà utilisé dans {first}"
