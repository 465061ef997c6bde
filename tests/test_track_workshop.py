"""A track that requires attending a workshop (tracks.yml `requires_workshop`): lint, locks,
certification enrolment, the dashboard, the switched-off feature and the lesson page's cost."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from cocourse.certification import portfolios, requirements
from cocourse.content.lint import lint_path
from cocourse.content.loader import load_course
from cocourse.db import get_session
from cocourse.learning import progress
from cocourse.models import LessonCompletion, User, Workshop, WorkshopSeat, utcnow

from .conftest import FIXTURES, AuthActions, make_app

REQUIREMENT = "    requires_workshop: tasting\n"
BRUSSELS = ZoneInfo("Europe/Brussels")


def require_workshop(course: Path, value: str = REQUIREMENT) -> None:
    """Give the first track of a copied fixture course a workshop requirement (line 5)."""
    tracks = course / "tracks.yml"
    lines = tracks.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[3].startswith("    summary:")  # the first track's last key
    tracks.write_text("".join([*lines[:4], value, *lines[4:]]), encoding="utf-8")


def codes(root: Path) -> list[tuple[str, int, str]]:
    return [(Path(p.path).name, p.line, p.code) for p in lint_path(root)]


def workshop(
    session: Session, title: str, *, days: float, kind: str = "tasting", **more: Any
) -> Workshop:
    """A workshop `days` from now (negative: in the past)."""
    found = Workshop(
        kind=kind,
        title=title,
        starts_at=utcnow() + timedelta(days=days),
        duration_minutes=90,
        timezone="Europe/Brussels",
        capacity=20,
        **more,
    )
    session.add(found)
    session.commit()
    return found


def attend(session: Session, user: User, found: Workshop) -> WorkshopSeat:
    """A seat at the workshop, marked present."""
    seat = WorkshopSeat(
        workshop_id=found.id,
        user_id=user.id,
        name=user.name,
        status="confirmed",
        attended_at=found.starts_at,
    )
    session.add(seat)
    session.commit()
    return seat


def finish(session: Session, user: User, lessons: dict[str, tuple[str, ...]]) -> None:
    """Mark lessons complete, by module slug."""
    for module, slugs in lessons.items():
        for slug in slugs:
            session.add(
                LessonCompletion(
                    user_id=user.id,
                    module_slug=module,
                    lesson_slug=slug,
                    content_hash="x",
                    completed_at=utcnow(),
                )
            )
    session.commit()


BASICS = {"intro": ("first", "second"), "second": ("only",)}


# --- lint -----------------------------------------------------------------------------


def test_lint_accepts_a_workshop_kind(course_copy):
    require_workshop(course_copy)
    assert codes(course_copy) == []
    course = load_course(course_copy).course
    assert course is not None
    assert course.track("basics").requires_workshop == "tasting"
    assert course.track("advanced").requires_workshop is None


@pytest.mark.parametrize("value", ["cooking", "Tasting", "[tasting]", "", "3"])
def test_lint_refuses_anything_else_with_its_line(course_copy, value):
    require_workshop(course_copy, f"    requires_workshop: {value}\n")
    found = lint_path(course_copy)
    assert [(Path(p.path).name, p.line, p.code) for p in found] == [("tracks.yml", 5, "C151")]
    assert "tasting, solution, exchange" in found[0].message


# --- locks ----------------------------------------------------------------------------


@pytest.fixture
def course_app(engine, database_url, tmp_path, course_copy) -> Flask:
    require_workshop(course_copy)
    return make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy))


def test_the_next_track_opens_only_after_the_workshop(course_app, session):
    client = course_app.test_client()
    auth = AuthActions(client, session)
    user = auth.create()
    auth.login()
    finish(session, user, BASICS)
    page = client.get("/modules/adv/deep")
    assert page.status_code == 403
    assert "attend a tasting workshop" in page.get_data(as_text=True)
    # Neither another kind, nor a cancelled workshop, nor a seat not marked present counts.
    attend(session, user, workshop(session, "Solutions", days=-3, kind="solution"))
    attend(session, user, workshop(session, "Called off", days=-2, status="cancelled"))
    seat = attend(session, user, workshop(session, "Absent", days=-1))
    seat.attended_at = None
    session.commit()
    assert client.get("/modules/adv/deep").status_code == 403
    attend(session, user, workshop(session, "Tasting in March", days=-5))
    assert client.get("/modules/adv/deep").status_code == 200


def test_the_workshop_alone_does_not_finish_the_track(course_app, session):
    client = course_app.test_client()
    auth = AuthActions(client, session)
    user = auth.create()
    auth.login()
    attend(session, user, workshop(session, "Early tasting", days=-5))
    finish(session, user, {"intro": ("first", "second")})
    page = client.get("/modules/adv/deep")
    assert page.status_code == 403
    assert "attend a tasting workshop" not in page.get_data(as_text=True)
    finish(session, user, {"second": ("only",)})
    assert client.get("/modules/adv/deep").status_code == 200


def test_admins_are_not_locked_out(course_app, session):
    from cocourse.models import Role

    client = course_app.test_client()
    auth = AuthActions(client, session)
    auth.create("admin@example.org", Role.ADMIN)
    auth.login("admin@example.org")
    assert client.get("/modules/adv/deep").status_code == 200


# --- certification --------------------------------------------------------------------


@pytest.fixture
def cert_app(engine, database_url, tmp_path) -> Flask:
    course = tmp_path / "cert_course"
    shutil.copytree(FIXTURES / "cert_course", course)
    require_workshop(course)
    return make_app(database_url, tmp_path, CONTENT_DIR=str(course))


def blockers(app: Flask, user: User) -> list[str]:
    course = app.extensions["cocourse.course"].course
    with app.app_context():
        return requirements.enrolment_blockers(
            get_session(), course, course.program("facilitator"), user.id
        )


def test_enrolment_waits_for_the_workshop(cert_app, session):
    user = AuthActions(None, session).create()
    assert blockers(cert_app, user) == ["Basics"]
    finish(session, user, {"basics": ("start",)})
    assert blockers(cert_app, user) == ["Basics (attend a tasting workshop)"]
    course = cert_app.extensions["cocourse.course"].course
    with cert_app.app_context(), pytest.raises(portfolios.PortfolioError, match="attend a tasting"):
        portfolios.enrol(
            get_session(), course, course.program("facilitator"), user, utcnow().date()
        )
    attend(session, user, workshop(session, "Tasting", days=-1))
    assert blockers(cert_app, user) == []
    with cert_app.app_context():
        found = portfolios.enrol(
            get_session(), course, course.program("facilitator"), user, utcnow().date()
        )
        assert found.kind == "certification"


def test_the_programme_page_names_the_workshop(cert_app, session):
    client = cert_app.test_client()
    auth = AuthActions(client, session)
    user = auth.create()
    auth.login()
    finish(session, user, {"basics": ("start",)})
    page = client.get("/certification/facilitator").get_data(as_text=True)
    assert "Enrolment opens once you complete Basics (attend a tasting workshop)." in page


# --- the dashboard --------------------------------------------------------------------


def test_dashboard_without_a_scheduled_workshop(course_app, session):
    client = course_app.test_client()
    auth = AuthActions(client, session)
    user = auth.create()
    auth.login()
    workshop(session, "A solution workshop", days=2, kind="solution")
    workshop(session, "Past tasting", days=-3)
    finish(session, user, BASICS)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Attend a tasting workshop to complete Basics." in page
    assert "No tasting workshop is scheduled yet." in page
    assert "To complete this track, also attend a tasting workshop." in page
    assert "Opens once you complete Basics (attend a tasting workshop)." in page
    assert "A solution workshop" not in page and "Past tasting" not in page


def test_dashboard_lists_the_next_three_then_the_one_attended(course_app, session):
    client = course_app.test_client()
    auth = AuthActions(client, session)
    user = auth.create()
    auth.login()
    ahead = [workshop(session, f"Tasting {n}", days=n) for n in (4, 1, 3, 2)]
    workshop(session, "Cancelled tasting", days=1.5, status="cancelled")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Attend a tasting workshop to complete Basics." in page
    for n in (1, 2, 3):
        found = next(w for w in ahead if w.title == f"Tasting {n}")
        assert f'<a href="/workshops/{found.id}">Tasting {n}</a>' in page
    assert "Tasting 4" not in page and "Cancelled tasting" not in page
    assert "No tasting workshop is scheduled yet" not in page
    first = next(w for w in ahead if w.title == "Tasting 1")
    local = first.starts_at.astimezone(BRUSSELS)
    assert f"{local:%A %d %B %Y}, {local:%H:%M}" in page

    held = workshop(session, "Tasting at the Ghent office", days=-10)
    attend(session, user, held)
    page = client.get("/dashboard").get_data(as_text=True)
    day = held.starts_at.astimezone(BRUSSELS)
    assert (
        f'Attended <a href="/workshops/{held.id}">Tasting at the Ghent office</a> '
        f"on {day:%A %d %B %Y}." in page
    )
    assert "Attend a tasting workshop" not in page
    assert "also attend a tasting workshop" not in page


# --- the workshops feature switched off -----------------------------------------------


def test_the_requirement_is_ignored_without_the_workshops_feature(
    engine, database_url, tmp_path, course_copy, session
):
    require_workshop(course_copy)
    app = make_app(
        database_url, tmp_path, CONTENT_DIR=str(course_copy), DISABLED_PLUGINS=["workshops"]
    )
    client = app.test_client()
    auth = AuthActions(client, session)
    user = auth.create()
    auth.login()
    finish(session, user, BASICS)
    assert client.get("/modules/adv/deep").status_code == 200
    page = client.get("/dashboard").get_data(as_text=True)
    assert "workshop" not in page.lower()

    course = tmp_path / "cert_course"
    shutil.copytree(FIXTURES / "cert_course", course)
    require_workshop(course)
    cert = make_app(
        database_url, tmp_path / "cert", CONTENT_DIR=str(course), DISABLED_PLUGINS=["workshops"]
    )
    finish(session, user, {"basics": ("start",)})
    assert blockers(cert, user) == []


def test_a_standing_without_attendance_ignores_the_requirement(course_app):
    course = course_app.extensions["cocourse.course"].course
    done = {"intro": frozenset({"first", "second"}), "second": frozenset({"only"})}
    assert progress.Standing(course, done).track_locked_by(course.track("advanced")) == ()
    strict = progress.Standing(course, done, attendance=lambda: ())
    assert strict.track_locked_by(course.track("advanced")) == (
        "Basics (attend a tasting workshop)",
    )


# --- the lesson page's cost -----------------------------------------------------------


def queries(app: Flask, path: str, session: Session, email: str) -> list[str]:
    client = app.test_client()
    AuthActions(client, session).login(email)
    client.get(path)  # warm caches
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(app.extensions["cocourse.engine"], "before_cursor_execute", listener)
    client.get(path)
    event.remove(app.extensions["cocourse.engine"], "before_cursor_execute", listener)
    return seen


def test_lesson_pages_look_up_attendance_only_when_they_need_to(
    engine, database_url, tmp_path, course_copy, session
):
    """Without the requirement, and with it on pages that need not know, the same queries."""
    auth = AuthActions(None, session)
    auth.create("starter@example.org")
    done = auth.create("done@example.org")
    finish(session, done, BASICS)
    plain = make_app(database_url, tmp_path / "a", CONTENT_DIR=str(course_copy))
    require_workshop(course_copy)
    strict = make_app(database_url, tmp_path / "b", CONTENT_DIR=str(course_copy))
    for path in ("/modules/intro/first", "/modules/adv/deep"):
        before = queries(plain, path, session, "starter@example.org")
        after = queries(strict, path, session, "starter@example.org")
        assert len(before) == len(after) <= 3, after
    # In the track the requirement belongs to, nobody needs to know about the workshop.
    before = queries(plain, "/modules/intro/first", session, "done@example.org")
    after = queries(strict, "/modules/intro/first", session, "done@example.org")
    assert len(before) == len(after) <= 3, after
    # Behind the finished track the lock depends on it: one look-up, once per request.
    attend(session, done, workshop(session, "Tasting", days=-1))
    before = queries(plain, "/modules/adv/deep", session, "done@example.org")
    after = queries(strict, "/modules/adv/deep", session, "done@example.org")
    assert len(after) == len(before) + 1, after
    assert sum("workshop_seat" in sql for sql in after) == 1
