"""Cohort due dates: admins set, change and remove them on the cohort page; learners see
theirs on the dashboard; the cohort report names who is overdue; a scheduled job sends the
7-day and 1-day reminders once to the active members who have not finished."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from cocourse.cohorts import due_dates
from cocourse.cohorts import services as cohorts
from cocourse.mail.worker import run_job, scheduled_jobs
from cocourse.models import (
    CohortDueDate,
    LessonCompletion,
    MailMessage,
    Notification,
    Role,
    User,
    utcnow,
)
from cocourse.web import i18n

from .conftest import AuthActions, csrf_token, run_concurrently

JOB = "cocourse.cohorts.due-date-reminders"


def words(html: str) -> str:
    """The page with every run of whitespace made one space."""
    return " ".join(html.split())


def fresh(session) -> None:
    """End the test session's transaction and forget what it loaded, to see the app's writes."""
    session.rollback()
    session.expire_all()


def today() -> date:
    return utcnow().date()


def day(offset: int) -> date:
    return today() + timedelta(days=offset)


def text(d: date) -> str:
    """How an English page writes the day: Jan 5, 2027."""
    return f"{d:%b} {d.day}, {d.year}"


def course_of(app):
    return app.extensions["cocourse.course"].course


def complete(session, user: User, module: str, *lessons: str) -> None:
    """Record lessons as complete, as the lesson pages would."""
    session.add_all(
        LessonCompletion(user_id=user.id, module_slug=module, lesson_slug=lesson, content_hash="x")
        for lesson in lessons
    )
    session.commit()


def finish_intro(session, user: User) -> None:
    complete(session, user, "intro", "first", "second")


def set_due(app, session, cohort_id: int, value: str, due_on: date, *, as_of: date | None = None):
    """Set a due date through the service (`as_of`: pretend today is that day, to make past
    due dates)."""
    saved, _before = due_dates.set_due_date(
        session, course_of(app), cohort_id, value, due_on, as_of or min(today(), due_on)
    )
    return saved


def post_due(client, cohort_id: int, target: str, due_on: str, token: str | None = None):
    if token is None:
        token = csrf_token(client.get(f"/admin/cohorts/{cohort_id}").get_data(as_text=True))
    return client.post(
        f"/admin/cohorts/{cohort_id}/due-dates",
        data={"csrf_token": token, "target": target, "due_on": due_on},
    )


def rows_of(session) -> list[tuple[int, str, str, date]]:
    fresh(session)
    return [
        (d.cohort_id, d.target_kind, d.target_slug, d.due_on)
        for d in session.scalars(select(CohortDueDate).order_by(CohortDueDate.id))
    ]


@pytest.fixture
def admin(auth):
    user = auth.create("admin@example.org", Role.ADMIN)
    auth.login("admin@example.org")
    return user


@pytest.fixture
def sales(session):
    return cohorts.create_cohort(session, "Sales", "The sales department")


# The cohort page: set, change, remove


def test_admin_sets_changes_and_removes_a_due_date(client, admin, session, sales):
    page = client.get(f"/admin/cohorts/{sales.id}").get_data(as_text=True)
    assert "No due dates yet." in page
    assert '<optgroup label="Tracks">' in page and '<optgroup label="Modules">' in page
    assert '<option value="module:intro">Introduction</option>' in page
    assert 'type="date"' in page and f'min="{today().isoformat()}"' in page

    response = post_due(client, sales.id, "track:basics", day(10).isoformat())
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/cohorts/{sales.id}"
    assert rows_of(session) == [(sales.id, "track", "basics", day(10))]
    page = words(client.get(f"/admin/cohorts/{sales.id}").get_data(as_text=True))
    assert f"Sales should finish Basics by {text(day(10))}." in page
    assert "<td>10 days left</td>" in page and "No due dates yet." not in page

    post_due(client, sales.id, "track:basics", day(12).isoformat())
    assert rows_of(session) == [(sales.id, "track", "basics", day(12))]  # changed, not added
    page = words(client.get(f"/admin/cohorts/{sales.id}").get_data(as_text=True))
    assert f"The due date of Basics moved from {text(day(10))} to {text(day(12))}." in page

    post_due(client, sales.id, "module:intro", today().isoformat())  # today is allowed
    page = words(client.get(f"/admin/cohorts/{sales.id}").get_data(as_text=True))
    assert "<td>due today</td>" in page
    assert page.index("Introduction") < page.index("12 days left")  # soonest first

    basics = session.scalar(select(CohortDueDate.id).where(CohortDueDate.target_slug == "basics"))
    token = csrf_token(page)
    response = client.post(
        f"/admin/cohorts/{sales.id}/due-dates/{basics}/remove", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert rows_of(session) == [(sales.id, "module", "intro", today())]
    page = words(client.get(f"/admin/cohorts/{sales.id}").get_data(as_text=True))
    assert "The due date of Basics is removed." in page
    # Removing it again: it is gone.
    response = client.post(
        f"/admin/cohorts/{sales.id}/due-dates/{basics}/remove", data={"csrf_token": token}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("target", "due_on", "message"),
    [
        ("module:nope", "+5", "Choose a track or a module of the course from the list."),
        ("track:intro", "+5", "Choose a track or a module of the course from the list."),
        ("lesson:intro", "+5", "Choose a track or a module of the course from the list."),
        ("", "+5", "Choose a track or a module of the course from the list."),
        ("module:intro", "", "Choose a date."),
        ("module:intro", "2027-13-40", "This is not a date"),
        ("module:intro", "next friday", "This is not a date"),
        ("module:intro", "20270112", "This is not a date"),
        ("module:intro", "x" * 41, "Field cannot be longer than 40 characters."),
        ("module:intro", "-1", "has passed: choose today"),
        ("module:intro", "+2200", "is more than 5 years away: check the year."),
        ("module:intro", "0001-01-01", "has passed"),
        ("module:intro", "9999-12-31", "is more than 5 years away"),
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(
    client, admin, session, sales, target, due_on, message
):
    if due_on[:1] in "+-" and due_on[1:].isdigit():
        due_on = day(int(due_on)).isoformat()
    response = post_due(client, sales.id, target, due_on)
    assert response.status_code == 200
    page = words(response.get_data(as_text=True))
    assert message in page and 'aria-invalid="true"' in page
    assert rows_of(session) == []


def test_due_dates_are_for_admins_only(client, auth, session, sales):
    due = set_due(client.application, session, sales.id, "module:intro", day(3))
    auth.create("assessor@example.org", Role.ASSESSOR)
    auth.create("learner@example.org")
    for email in ("assessor@example.org", "learner@example.org"):
        auth.login(email)
        token = csrf_token(client.get("/account/password").get_data(as_text=True))
        data = {"csrf_token": token, "target": "module:intro", "due_on": day(9).isoformat()}
        assert client.post(f"/admin/cohorts/{sales.id}/due-dates", data=data).status_code == 403
        remove = f"/admin/cohorts/{sales.id}/due-dates/{due.id}/remove"
        assert client.post(remove, data={"csrf_token": token}).status_code == 403
        auth.logout()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    data = {"csrf_token": token, "target": "module:intro", "due_on": day(9).isoformat()}
    response = client.post(f"/admin/cohorts/{sales.id}/due-dates", data=data)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert rows_of(session) == [(sales.id, "module", "intro", day(3))]


def test_unknown_cohorts_and_due_dates_are_404_and_csrf_is_needed(client, admin, session, sales):
    other = cohorts.create_cohort(session, "Support")
    theirs = set_due(client.application, session, other.id, "module:intro", day(3))
    token = csrf_token(client.get(f"/admin/cohorts/{sales.id}").get_data(as_text=True))
    data = {"csrf_token": token, "target": "module:intro", "due_on": day(9).isoformat()}
    for cohort_id in ("999", "99999999999999999999999", "0"):
        url = f"/admin/cohorts/{cohort_id}/due-dates"
        assert client.post(url, data=data).status_code == 404, cohort_id
        assert client.post(f"{url}/1/remove", data=data).status_code == 404, cohort_id
    # Another cohort's due date, through this cohort's address.
    response = client.post(
        f"/admin/cohorts/{sales.id}/due-dates/{theirs.id}/remove", data={"csrf_token": token}
    )
    assert response.status_code == 404
    huge = f"/admin/cohorts/{sales.id}/due-dates/99999999999999999999/remove"
    assert client.post(huge, data={"csrf_token": token}).status_code == 404
    # Without a CSRF token nothing changes.
    no_token = {"target": "module:intro", "due_on": day(9).isoformat()}
    assert client.post(f"/admin/cohorts/{sales.id}/due-dates", data=no_token).status_code == 400
    remove = f"/admin/cohorts/{other.id}/due-dates/{theirs.id}/remove"
    assert client.post(remove).status_code == 400
    assert rows_of(session) == [(other.id, "module", "intro", day(3))]


def test_due_dates_go_with_their_cohort(app, session, sales):
    set_due(app, session, sales.id, "module:intro", day(3))
    cohorts.delete_cohort(session, sales.id)
    assert rows_of(session) == []


def test_setting_the_same_due_date_at_once_makes_one_row(app, session, sales):
    from cocourse.db import get_session

    def save(i: int) -> None:
        due_dates.set_due_date(
            get_session(), course_of(app), sales.id, "track:basics", day(5 + i % 2), today()
        )

    assert run_concurrently(app, 4, save) == []
    ((cohort_id, kind, slug, due_on),) = rows_of(session)
    assert (cohort_id, kind, slug) == (sales.id, "track", "basics") and due_on in (day(5), day(6))


def test_the_service_refuses_a_missing_cohort(app, session):
    with pytest.raises(due_dates.DueDateError, match="no such cohort"):
        set_due(app, session, 12345, "module:intro", day(3))


# The dashboard


@pytest.fixture
def learner(auth, session, sales):
    user = auth.create("lena@example.org")
    cohorts.add_member(session, sales.id, user.id)
    return user


def test_learners_see_their_due_dates_on_the_dashboard(app, client, auth, session, sales, learner):
    support = cohorts.create_cohort(session, "Support")
    cohorts.add_member(session, support.id, learner.id)
    elsewhere = cohorts.create_cohort(session, "Elsewhere")  # not hers
    set_due(app, session, sales.id, "module:intro", day(3))
    set_due(app, session, sales.id, "module:second", day(1))
    set_due(app, session, support.id, "track:basics", today())
    set_due(app, session, sales.id, "track:advanced", day(-2), as_of=day(-10))
    set_due(app, session, elsewhere.id, "module:adv", day(4))
    complete(session, learner, "second", "only")
    auth.login("lena@example.org")
    page = words(client.get("/dashboard").get_data(as_text=True))
    assert '<h2 id="due-heading">Due dates</h2>' in page
    section = page[page.index('id="due-heading"') :]
    section = section[: section.index("</section>")]
    # Soonest first, each with its target (linked), cohort, date and wording.
    expected = [
        ('href="/#track-advanced">Advanced</a>', "Sales", day(-2), "2 days overdue"),
        ('href="/#track-basics">Basics</a>', "Support", today(), "due today"),
        ('href="/modules/second">Second module</a>', "Sales", day(1), "done"),
        ('href="/modules/intro">Introduction</a>', "Sales", day(3), "3 days left"),
    ]
    positions = []
    for link, cohort, when, wording in expected:
        item = section[section.index(link) :]
        item = item[: item.index("</li>")]
        assert cohort in item and text(when) in item and wording in item, item
        positions.append(section.index(link))
    assert positions == sorted(positions)
    assert "Advanced module" not in section and "Elsewhere" not in section


def test_one_day_left_is_said_in_the_singular(app, client, auth, session, sales, learner):
    set_due(app, session, sales.id, "module:intro", day(1))
    set_due(app, session, sales.id, "module:second", day(-1), as_of=day(-5))
    auth.login("lena@example.org")
    page = words(client.get("/dashboard").get_data(as_text=True))
    assert "1 day left" in page and "1 day overdue" in page and "1 days" not in page


def test_no_due_dates_show_nothing(app, client, auth, session, sales, learner):
    auth.login("lena@example.org")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Due dates" not in page and "Join a cohort" in page
    other = auth.create("otto@example.org")  # in no cohort at all
    set_due(app, session, sales.id, "module:intro", day(3))
    auth.logout()
    auth.login(other.email)
    assert "Due dates" not in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize(
    ("offset", "done", "wording"),
    [
        (0, False, "due today"),
        (1, False, "1 day left"),
        (7, False, "7 days left"),
        (-1, False, "1 day overdue"),
        (-30, False, "30 days overdue"),
        (-30, True, "done"),
    ],
)
def test_when_text(offset, done, wording):
    assert due_dates.when_text(day(offset), today(), done) == wording


def test_dates_read_as_people_write_them(app):
    with app.test_request_context():
        assert i18n.day(date(2027, 1, 5)) == "Jan 5, 2027"
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        assert i18n.day(date(2027, 1, 5)) == "5 jan 2027"
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert i18n.day(date(2027, 1, 5)) == "5 janv. 2027"


# The cohort report


@pytest.fixture
def team(app, session, sales):
    """Ann finished the introduction, Bob did half, Cy nothing; Dee (deactivated) nothing."""
    auth = AuthActions(None, session)
    people = {name: auth.create(f"{name.lower()}@example.org") for name in ("Ann", "Bob", "Cy")}
    people["Dee"] = auth.create("dee@example.org")
    for person in people.values():
        cohorts.add_member(session, sales.id, person.id)
    finish_intro(session, people["Ann"])
    complete(session, people["Bob"], "intro", "first")
    people["Dee"].deactivated_at = utcnow()
    session.commit()
    return people


def test_the_report_names_who_is_overdue(app, client, auth, session, sales, team):
    set_due(app, session, sales.id, "module:intro", day(-3), as_of=day(-20))
    set_due(app, session, sales.id, "module:second", day(5))  # not due yet: not listed
    auth.create("admin@example.org", Role.ADMIN)
    auth.login("admin@example.org")
    page = words(client.get(f"/reports/cohorts/{sales.id}").get_data(as_text=True))
    section = page[page.index('id="overdue-heading"') :]
    section = section[: section.index("</section>")]
    assert f'Introduction <span class="meta">module, due <time datetime="{day(-3)}">' in section
    assert "3 of 4 members have not finished" in section
    assert "<li>Bob</li>" in section and "<li>Cy</li>" in section
    assert 'Dee <span class="meta">(deactivated)</span>' in section
    assert "Ann" not in section and "Second module" not in section


def test_the_report_says_when_everyone_finished(app, client, auth, session, sales, team):
    complete(session, team["Bob"], "intro", "second")
    for name in ("Cy", "Dee"):
        finish_intro(session, team[name])
    set_due(app, session, sales.id, "module:intro", day(-1), as_of=day(-9))
    auth.create("assessor@example.org", Role.ASSESSOR)
    assessor = session.scalar(select(User).where(User.email == "assessor@example.org"))
    cohorts.assign_assessor(session, sales.id, assessor.id)
    auth.login("assessor@example.org")
    page = words(client.get(f"/reports/cohorts/{sales.id}").get_data(as_text=True))
    assert "Everyone finished." in page and "have not finished" not in page


def test_a_report_without_passed_due_dates_has_no_overdue_section(
    app, client, auth, session, sales, team
):
    set_due(app, session, sales.id, "track:basics", today())  # due today: not passed yet
    auth.create("admin@example.org", Role.ADMIN)
    auth.login("admin@example.org")
    page = client.get(f"/reports/cohorts/{sales.id}").get_data(as_text=True)
    assert 'id="overdue-heading"' not in page


def test_a_track_is_overdue_until_every_module_of_it_is_finished(app, session, sales, team):
    set_due(app, session, sales.id, "track:basics", day(-1), as_of=day(-9))
    complete(session, team["Bob"], "intro", "second")
    complete(session, team["Bob"], "second", "only")
    (found,) = due_dates.overdue(session, course_of(app), sales.id, today())
    assert [p.name for p in found.late] == ["Ann", "Cy", "Dee"]  # Ann has not done "second"


def test_the_overdue_report_takes_the_same_queries_however_many_members(
    app, session, engine, sales, team
):
    set_due(app, session, sales.id, "module:intro", day(-3), as_of=day(-20))
    set_due(app, session, sales.id, "track:basics", day(-2), as_of=day(-20))
    set_due(app, session, sales.id, "module:adv", day(-1), as_of=day(-20))
    cohort_id = sales.id

    def selects() -> int:
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            found = due_dates.overdue(session, course_of(app), cohort_id, today())
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len(found) == 3
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    few = selects()
    extra = [User(email=f"m{i}@example.org", name=f"M {i}", password_hash="x") for i in range(30)]
    session.add_all(extra)
    session.commit()
    for number, person in enumerate(extra):
        cohorts.add_member(session, cohort_id, person.id)
        if number % 2:
            finish_intro(session, person)
    fresh(session)
    assert selects() == few <= 3


# Reminders


def run(app, at: datetime) -> int:
    (job,) = [job for job in scheduled_jobs(app) if job.name == JOB]
    return run_job(app, job, now=at)


def at(offset: int) -> datetime:
    """Noon UTC, `offset` days from today."""
    return datetime.combine(day(offset), datetime.min.time(), UTC).replace(hour=12)


def counts(session) -> tuple[int, int]:
    """Notifications, and notification emails, stored so far."""
    fresh(session)
    notes = session.scalar(select(func.count()).select_from(Notification))
    mails = session.scalar(
        select(func.count()).select_from(MailMessage).where(MailMessage.template == "notification")
    )
    return notes, mails


def notes_of(session, user: User) -> list[Notification]:
    fresh(session)
    return list(
        session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def test_the_reminder_job_is_registered(app):
    (job,) = [job for job in scheduled_jobs(app) if job.name == JOB]
    assert job.hour == "*"


def test_reminders_go_7_days_and_1_day_before_to_unfinished_active_members_once(
    app, session, sales, team
):
    due = set_due(app, session, sales.id, "module:intro", day(10))
    assert run(app, at(0)) == 0  # 10 days away: too early
    assert run(app, at(3)) == 2  # 7 days away: Bob and Cy (Ann finished, Dee is deactivated)
    assert counts(session) == (2, 2)
    assert run(app, at(3)) == 0  # running again sends nothing
    assert run(app, at(4)) == 0  # nor does the next day's run: it is the same reminder
    assert counts(session) == (2, 2)
    (note,) = notes_of(session, team["Bob"])
    assert note.kind == "due_soon"
    assert note.key == f"due:{due.id}:{day(10).isoformat()}:7"
    assert note.title == f"Introduction is due in 7 days ({text(day(10))})"
    assert "Sales" in note.body and "Introduction (1 of 2 lessons)" in note.body
    assert note.url == "/modules/intro"
    assert notes_of(session, team["Ann"]) == [] and notes_of(session, team["Dee"]) == []

    assert run(app, at(9)) == 2  # 1 day away: the second reminder
    assert run(app, at(9)) == 0
    assert run(app, at(10)) == 0  # the due day: still the "1 day" reminder, already sent
    assert counts(session) == (4, 4)
    titles = [n.title for n in notes_of(session, team["Cy"])]
    assert titles[1] == f"Introduction is due tomorrow ({text(day(10))})"
    assert run(app, at(11)) == 0  # past the date: no more reminders


def test_a_reminder_skips_what_is_left_for_those_who_finished_since(app, session, sales, team):
    set_due(app, session, sales.id, "track:basics", day(5))
    complete(session, team["Bob"], "intro", "second")
    complete(session, team["Bob"], "second", "only")
    assert run(app, at(0)) == 2  # Ann has not done "second"; Cy nothing; Bob finished
    (note,) = notes_of(session, team["Ann"])
    assert note.title == f"Basics is due in 5 days ({text(day(5))})"
    assert "Second module (0 of 1 lessons)" in note.body and "Introduction" not in note.body
    assert note.url == "/#track-basics"


def test_changing_the_date_re_arms_the_reminders(app, session, sales, team):
    due = set_due(app, session, sales.id, "module:intro", day(6))
    assert run(app, at(0)) == 2
    assert run(app, at(0)) == 0
    set_due(app, session, sales.id, "module:intro", day(7))  # moved by a day
    assert run(app, at(0)) == 2
    keys = {n.key for n in notes_of(session, team["Cy"])}
    assert keys == {
        f"due:{due.id}:{day(6).isoformat()}:7",
        f"due:{due.id}:{day(7).isoformat()}:7",
    }
    assert counts(session) == (4, 4)


def test_the_due_day_reminder_says_today_and_deactivated_members_get_none(
    app, session, sales, team
):
    set_due(app, session, sales.id, "module:intro", today())
    assert run(app, at(0)) == 2
    (note,) = notes_of(session, team["Cy"])
    assert note.title == f"Introduction is due today ({text(today())})"
    assert notes_of(session, team["Dee"]) == []
    team["Dee"] = session.get(User, team["Dee"].id)
    team["Dee"].deactivated_at = None  # reactivated: the reminder comes on the next run
    session.commit()
    assert run(app, at(0)) == 1
    assert len(notes_of(session, team["Dee"])) == 1


def test_a_removed_due_date_sends_no_more_reminders(app, session, sales, team):
    due = set_due(app, session, sales.id, "module:intro", day(7))
    due_dates.remove_due_date(session, sales.id, due.id)
    assert run(app, at(0)) == 0
    assert counts(session) == (0, 0)
