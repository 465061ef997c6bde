"""A practicum session made from a workshop the trainee facilitated: the facts come from the
record, not from what is typed, and the assessor sees whether attendance confirms them."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select, update

from cocourse.certification import from_workshop, portfolios
from cocourse.db import get_session
from cocourse.models import PracticumSession, Role, Workshop, WorkshopSeat, utcnow
from cocourse.workshops import services as workshops

from .conftest import AuthActions, csrf_token, make_app
from .test_certification import (
    CERT_COURSE,
    REFLECTION,
    course_of,
    finish_basics,
    program_of,
    values,
)
from .test_workshops import plan


@pytest.fixture
def app(engine, database_url, tmp_path):
    return make_app(database_url, tmp_path, CONTENT_DIR=str(CERT_COURSE))


def _trainee_with_a_workshop(app, session, auth, attended=2):
    """An enrolled trainee who led a workshop yesterday, with three seats, `attended` of
    them marked present."""
    trainee = auth.create("trainee@example.org")
    finish_basics(app, trainee.id)
    with app.test_request_context():
        db = get_session()
        portfolio = portfolios.enrol(db, course_of(app), program_of(app), trainee, utcnow().date())
        workshop = workshops.schedule(db, trainee, plan(capacity=5, title="Budget talk"), utcnow())
        for i in range(3):
            workshops.sign_up(db, workshop.id, auth.create(f"p{i}@example.org"), utcnow())
    yesterday = utcnow() - timedelta(days=1)
    session.execute(update(Workshop).values(starts_at=yesterday))
    seats = session.scalars(select(WorkshopSeat.id).order_by(WorkshopSeat.id)).all()
    for seat_id in seats[:attended]:
        session.execute(
            update(WorkshopSeat).where(WorkshopSeat.id == seat_id).values(attended_at=yesterday)
        )
    session.commit()
    return trainee, portfolio, workshop


def _form(page, **fields):
    data = {"csrf_token": csrf_token(page), **fields}
    return data


def test_a_session_is_logged_from_the_workshop_record(app, client, session, auth):
    trainee, portfolio, workshop = _trainee_with_a_workshop(app, session, auth)
    auth.login("trainee@example.org")
    program_page = client.get("/certification/facilitator").get_data(as_text=True)
    assert "Log “Budget talk”" in program_page
    path = f"/certification/facilitator/sessions/new?workshop={workshop.id}"
    page = client.get(path).get_data(as_text=True)
    assert "From the workshop record: Budget talk" in page
    assert "2 (marked present by the facilitator)" in page
    assert "Lead facilitator" in page
    # What is typed for the record's facts is ignored: the record wins.
    data = _form(
        page,
        held_on="2020-01-01",
        minutes="600",
        participants="99",
        role="co",
        purpose="Agree the budget with the people who spend it.",
        methods="1-2-4-All; consent",
        harvest="Two decisions.",
        stakeholder_groups="finance",
        reflection_0=REFLECTION,
        reflection_1="Start on time.",
    )
    saved = client.post(path, data=data)
    assert saved.status_code == 302, saved.get_data(as_text=True)[-2000:]
    row = session.scalar(select(PracticumSession))
    assert row.workshop_id == workshop.id
    assert (row.minutes, row.participants, row.role) == (95, 2, "lead")
    assert (
        row.held_on
        == (utcnow() - timedelta(days=1)).astimezone(workshops.zone("Europe/Brussels")).date()
    )
    assert row.purpose == "Agree the budget with the people who spend it."
    # Once logged, the workshop is not offered again, and a second try is refused.
    assert "Log “Budget talk”" not in client.get("/certification/facilitator").get_data(
        as_text=True
    )
    again = client.post(
        path,
        data=_form(
            client.get(path).get_data(as_text=True),
            **{k: v for k, v in data.items() if k != "csrf_token"},
        ),
    )
    assert "That workshop is in your log already." in again.get_data(as_text=True)


def test_only_ones_own_past_workshops_can_be_logged(app, client, session, auth):
    _trainee, _portfolio, workshop = _trainee_with_a_workshop(app, session, auth)
    other = auth.create("other@example.org")
    finish_basics(app, other.id)
    with app.test_request_context():
        portfolios.enrol(get_session(), course_of(app), program_of(app), other, utcnow().date())
    them = AuthActions(app.test_client(), session)
    them.login("other@example.org")
    path = "/certification/facilitator/sessions/new?workshop={}"
    assert them.client.get(path.format(workshop.id)).status_code == 404
    assert them.client.get(path.format(424242)).status_code == 404
    assert them.client.get(path.format(99999999999999999999)).status_code == 400
    # A workshop that has not happened yet is not logged either.
    auth.login("trainee@example.org")
    with app.test_request_context():
        future = workshops.schedule(
            get_session(), _trainee, plan(start=time(18, 0), title="Later"), utcnow()
        )
    assert auth.client.get(path.format(future.id)).status_code == 404


def test_the_assessor_sees_whether_attendance_confirms_a_session(app, session, auth):
    trainee, portfolio, workshop = _trainee_with_a_workshop(app, session, auth, attended=0)
    with app.test_request_context():
        db = get_session()
        found = from_workshop.may_log(db, workshop.id, trainee.id, utcnow())
        record = from_workshop.facts(db, found, trainee.id, ())
        assert record.confirmed is False and record.participants == 3
    admin = AuthActions(app.test_client(), session)
    admin.create("ada@example.org", Role.ADMIN)
    admin.login("ada@example.org")
    # The review page shows the badge for a session from a record.
    with app.test_request_context():
        portfolios.save_session(
            get_session(),
            program_of(app),
            portfolio.id,
            trainee,
            values(),
            utcnow().date(),
            record=record,
        )
    session.execute(update(WorkshopSeat).values(attended_at=utcnow()))
    session.commit()
    page = admin.client.get(f"/reviews/{portfolio.id}")
    assert page.status_code == 200
    assert "Confirmed by attendance: 3 marked present" in page.get_data(as_text=True)
    row = session.scalar(select(PracticumSession))
    assert row.workshop_id == workshop.id and row.participants == 3
