"""The module funnel and the module list from the rows `learning.module_steps` keeps give the
numbers the computation over the activity log, completions and attempts gives
(tests/funnel_on_demand.py): on generated data, through the services, after the migration's
fill, after a regrade turns passes into fails and after a module's lessons change; and the
report pages run as many queries whatever the number of learners."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

import cocourse
from cocourse.cli import cli
from cocourse.config import Defaults
from cocourse.learning import module_steps
from cocourse.models import CohortMember, ModuleStep, QuizAttempt, User
from cocourse.quiz import engine as quizzes
from cocourse.reports import funnel

from . import funnel_on_demand as on_demand
from .conftest import FIXTURES, AuthActions, admin_client_of, make_app
from .test_funnel import RIGHT, START, WRONG, _min
from .test_funnel import Learner as ServiceLearner
from .test_item_store import statements, synthetic
from .test_query_counts import more_attempts

MIGRATION = Path(cocourse.__file__).parent / "migrations" / "versions" / "0021_module_steps.py"


def figures(result):
    """Each step as (kind, key, label, optional, learners), and the medians apart."""
    steps = [(s.kind, s.key, s.label, s.optional, s.learners) for s in result.steps]
    return steps, [s.median_seconds for s in result.steps]


def assert_same(session, course, learners=None):
    """Every module's funnel and the module list, from the rows and on demand."""
    for module in course.modules:
        fast_steps, fast_medians = figures(funnel.funnel(session, module, learners))
        slow_steps, slow_medians = figures(on_demand.funnel(session, module, learners))
        assert fast_steps == slow_steps, module.slug
        for mine, theirs in zip(fast_medians, slow_medians, strict=True):
            assert (mine is None) == (theirs is None), module.slug
            if mine is not None:
                assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-3), module.slug
    fast = [
        (h.module.slug, h.started, h.completed) for h in funnel.headlines(session, course, learners)
    ]
    slow = [
        (h.module.slug, h.started, h.completed)
        for h in on_demand.headlines(session, course, learners)
    ]
    assert fast == slow


def first_cohort(session):
    smallest = session.scalar(select(func.min(CohortMember.cohort_id)))
    return select(CohortMember.user_id).where(CohortMember.cohort_id == smallest)


def step_rows(session) -> int:
    return int(session.scalar(select(func.count()).select_from(ModuleStep)))


@pytest.fixture
def course_app(engine, database_url, tmp_path):
    """The app serving the bundled course."""
    return make_app(database_url, tmp_path, CONTENT_DIR=Defaults.CONTENT_DIR)


def test_generated_data_gives_the_numbers_of_the_computation_on_demand(course_app, session):
    synthetic(course_app, session, learners=120, seed=5)
    course = course_app.extensions["cocourse.course"].course
    started = funnel.headlines(session, course)
    assert started[0].started > 80 and started[0].completed > 40
    assert started[0].completed < started[0].started
    assert_same(session, course)
    assert_same(session, course, first_cohort(session))


def test_the_migration_fills_rows_that_give_the_same_numbers(course_app, session):
    synthetic(course_app, session, learners=60, seed=6)
    course = course_app.extensions["cocourse.course"].course
    written = step_rows(session)
    session.execute(delete(ModuleStep))
    spec = importlib.util.spec_from_file_location("module_steps_migration", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    migration._fill(session.connection())
    session.commit()
    # What was done, without a layout: the first report brings every learner up to date.
    derived = ModuleStep.kind.in_(module_steps.DERIVED)
    assert session.scalar(select(func.count()).where(derived)) == 0
    assert session.scalar(select(func.count()).where(ModuleStep.layout.is_not(None))) == 0
    assert_same(session, course)
    assert step_rows(session) == written
    assert session.scalar(select(func.count()).where(ModuleStep.layout.is_(None))) == 0
    assert module_steps.refresh_stale(session, course.modules) == 0


def test_the_command_brings_the_rows_up_to_date_before_any_report(course_app, session):
    synthetic(course_app, session, learners=20, seed=8)
    course = course_app.extensions["cocourse.course"].course
    stale = session.execute(module_steps.TABLE.update().values(layout=None)).rowcount
    session.commit()
    assert stale
    result = course_app.test_cli_runner().invoke(cli, ["refresh-reports"])
    assert result.exit_code == 0, result.output
    assert "module steps brought up to date" in result.output
    assert not result.output.startswith("0 ")
    assert session.scalar(select(func.count()).where(ModuleStep.layout.is_(None))) == 0
    assert_same(session, course)
    again = course_app.test_cli_runner().invoke(cli, ["refresh-reports"])
    assert again.output.startswith("0 learners")


# -- through the services, on a small course -------------------------------------------------


@pytest.fixture
def funnel_app(engine, database_url, tmp_path):
    """The app serving a copy of the funnel course (which a test may edit)."""
    target = tmp_path / "funnel_course"
    shutil.copytree(FIXTURES / "funnel_course", target)
    return make_app(database_url, tmp_path, CONTENT_DIR=str(target)), target


class Learner(ServiceLearner):
    """A learner whose passes complete their lessons as the quiz page's do (the engine
    given the course)."""

    def __init__(self, app, session, email):
        super().__init__(app, session, AuthActions(None, session).create(email))

    def quiz(self, quiz_id, started, submitted=None, *, right=True):
        module, lesson = self.course.quiz(quiz_id)
        attempt = quizzes.start(self.session, self.user.id, module, lesson, START + _min(started))
        if submitted is not None:
            types = self.app.extensions["cocourse.question_types"]
            answers = (RIGHT if right else WRONG)[quiz_id]
            at = START + _min(submitted)
            args = (self.session, self.pm, attempt.id, self.user.id, answers, types, at)
            quizzes.submit(*args, course=self.course)


def journeys(app, session):
    """Learners who go different ways through the funnel course, out of order in time."""
    ann, bob, cy, dee, eve = (
        Learner(app, session, f"{name}@example.org") for name in ("ann", "bob", "cy", "dee", "eve")
    )
    ann.complete("basics", "welcome", 10)
    ann.view("basics", "welcome", 0)  # an earlier view, recorded later: her start moves
    ann.quiz("basics-check", 25, 30)
    ann.complete("basics", "extra", 40)
    ann.quiz("basics-final", 55, 60)
    bob.view("basics", "welcome", 100)
    bob.quiz("basics-check", 135, 140, right=False)
    bob.quiz("basics-check", 145, 150)
    bob.quiz("basics-final", 160, 170, right=False)
    cy.view("next", "only", 300)
    cy.complete("next", "only", 305)
    dee.complete("basics", "welcome", 400)
    dee.quiz("basics-check", 402, 405)
    dee.quiz("basics-final", 408, 410)
    eve.quiz("basics-check", 500)  # begun, never submitted
    return ann, bob, cy, dee, eve


def test_the_services_keep_the_rows_as_they_go(funnel_app, session):
    app, _folder = funnel_app
    course = app.extensions["cocourse.course"].course
    ann, *_others = journeys(app, session)
    # Every row is up to date as written: the reports have nothing to bring up to date.
    assert session.scalar(select(func.count()).where(ModuleStep.layout.is_(None))) == 0
    assert module_steps.refresh_stale(session, course.modules) == 0
    found = funnel.funnel(session, course.module("basics"))
    assert [(s.kind, s.key, s.learners) for s in found.steps] == [
        ("started", "", 4),  # Cy only opened the other module
        ("lesson", "welcome", 2),  # Bob only viewed it
        ("lesson", "extra", 1),
        ("quiz-attempted", "basics-check", 3),  # Eve never submitted hers
        ("quiz-passed", "basics-check", 3),
        ("lesson", "check", 3),  # passing completed it
        ("quiz-attempted", "basics-final", 3),
        ("quiz-passed", "basics-final", 2),
        ("lesson", "final", 2),
        ("quizzes-passed", "", 2),
        ("completed", "", 2),
    ]
    assert found.steps[1].median_seconds == pytest.approx(5 * 60)  # Ann 10 min, Dee 0
    assert_same(session, course)
    cohort = select(User.id).where(User.email.in_(["ann@example.org", "eve@example.org"]))
    assert_same(session, course, cohort)

    # Deleting a person takes their rows with them.
    session.delete(session.get(User, ann.user.id))
    session.commit()
    assert not session.scalar(select(func.count()).where(ModuleStep.user_id == ann.user.id))
    assert_same(session, course)


def test_a_regrade_that_turns_passes_into_fails_is_counted(funnel_app, session):
    app, folder = funnel_app
    course = app.extensions["cocourse.course"].course
    journeys(app, session)
    before = funnel.funnel(session, course.module("basics"))
    quiz = folder / "basics" / "03-check.md"
    text = quiz.read_text()
    text = text.replace("- [ ] The manager alone", "- [*] The manager alone")
    text = text.replace("- [x] The people involved", "- [ ] The people involved")
    quiz.write_text(text.replace("- [*] The manager alone", "- [x] The manager alone"))
    assert app.extensions["cocourse.course"].reload() == ()
    result = app.test_cli_runner().invoke(cli, ["regrade", "basics-check"])
    assert result.exit_code == 0, result.output
    session.rollback()
    course = app.extensions["cocourse.course"].course
    after = funnel.funnel(session, course.module("basics"))

    def passed_check(result):
        return next(s.learners for s in result.steps if s.kind == "quiz-passed")

    assert passed_check(before) == 3
    assert passed_check(after) == 1  # Bob's failed try passes now; every pass fails
    # The regrade brought its learners' rows up to date: nothing is left for the reports.
    assert session.scalar(select(func.count()).where(ModuleStep.layout.is_(None))) == 0
    assert_same(session, course)


def test_the_numbers_follow_a_change_of_the_modules_lessons(funnel_app, session):
    app, folder = funnel_app
    journeys(app, session)
    course = app.extensions["cocourse.course"].course
    assert funnel.funnel(session, course.module("basics")).completion.learners == 2
    extra = folder / "basics" / "02-extra.md"
    extra.write_text(extra.read_text().replace("optional: true\n", ""))  # now required
    (folder / "basics" / "01-welcome.md").unlink()  # and the first lesson gone
    assert app.extensions["cocourse.course"].reload() == ()
    course = app.extensions["cocourse.course"].course
    assert [lesson.slug for lesson in course.module("basics").lessons] == [
        "extra",
        "check",
        "final",
    ]
    result = funnel.funnel(session, course.module("basics"))
    assert result.completion.learners == 1  # Ann did the extra reading
    assert module_steps.refresh_stale(session, course.modules) == 0
    assert_same(session, course)


# -- queries per report page ---------------------------------------------------------------

MODULE = "tasting-01-what-co-creation-is"


def test_funnel_pages_run_the_same_few_queries_with_more_learners(course_app, session):
    synthetic(course_app, session, learners=60, seed=3)
    cohort = session.scalar(select(func.min(CohortMember.cohort_id)))
    pages = [
        "/reports/modules",
        f"/reports/modules?cohort={cohort}",
        f"/reports/modules/{MODULE}",
        f"/reports/modules/{MODULE}?cohort={cohort}",
        f"/reports/modules/{MODULE}.csv?cohort={cohort}",
    ]
    client = admin_client_of(course_app, session)
    before = {path: statements(course_app, client, path) for path in pages}
    synthetic(course_app, session, learners=200, seed=4, force=True)
    more_attempts(session, QuizAttempt.quiz_id == f"{MODULE}-check", copies=2)
    after = {path: statements(course_app, client, path) for path in pages}
    for path in pages:
        steps = [s for s in before[path] if "module_step" in s]
        assert steps, f"{path} read no module step: nothing was measured"
        assert len(steps) <= 3, path  # the up-to-date check, the counts, the medians
        assert not [
            s for s in steps if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        ]
        assert after[path] == before[path], path
