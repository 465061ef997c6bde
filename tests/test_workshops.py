"""Workshops: scheduling rules, seats and the waiting list under races, guests' links,
calendar invitations that update and cancel, and the reminder the day before."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from markupsafe import escape
from sqlalchemy import select

from cocourse.content.workshop_kit import Block
from cocourse.db import get_session
from cocourse.mail import worker
from cocourse.models import MailMessage, Role, User, Workshop, WorkshopSeat, utcnow
from cocourse.workshops import services
from cocourse.workshops.services import Plan, WorkshopError

from .conftest import csrf_token, make_app, run_concurrently
from .mailserver import smtp_server, smtp_settings

ROOT = Path(__file__).resolve().parents[1]
AGENDA = (Block("Check-in", 15), Block("1-2-4-All", 60), Block("Close", 20))


def plan(**changes):
    values = {
        "kind": "tasting",
        "title": "Tasting in Ghent",
        "purpose": "Try consent on a real question.",
        "day": (utcnow() + timedelta(days=10)).date(),
        "start": time(9, 30),
        "minutes": 95,
        "timezone": "Europe/Brussels",
        "place": "Room 3",
        "video_url": "",
        "capacity": 2,
        "agenda": AGENDA,
    }
    values.update(changes)
    return Plan(**values)


@pytest.fixture
def ada(auth):
    return auth.create("ada@example.org", Role.ADMIN)


def _schedule(app, user, **changes):
    with app.test_request_context():
        return services.schedule(get_session(), user, plan(**changes), utcnow())


def _mails(session, to=None):
    session.expire_all()
    rows = [m for m in session.scalars(select(MailMessage).order_by(MailMessage.id))]
    session.rollback()
    return [m for m in rows if m.template == "workshop" and (to is None or m.to_address == to)]


def _seats(session, workshop_id):
    session.expire_all()
    query = select(WorkshopSeat).where(WorkshopSeat.workshop_id == workshop_id)
    rows = list(session.scalars(query.order_by(WorkshopSeat.id)))
    session.rollback()
    return rows


def _event(message):
    component = Calendar.from_ical(message.calendar).walk("VEVENT")[0]
    return component, Calendar.from_ical(message.calendar)["METHOD"]


# Scheduling


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"minutes": 120}, "adds up to 95 minutes but the workshop lasts 120: it leaves time"),
        ({"minutes": 60}, "adds up to 95 minutes but the workshop lasts 60: it runs over"),
        ({"day": date(2020, 1, 6)}, "in the future"),
        ({"day": (utcnow() + timedelta(days=900)).date()}, "two years ahead"),
        ({"timezone": "Mars/Olympus"}, "is not a time zone"),
        ({"place": "", "video_url": ""}, "a place, a video link, or both"),
        ({"video_url": "javascript:alert(1)"}, "must start with https://"),
        ({"capacity": 0}, "Capacity is 1 to 500"),
        ({"title": "x"}, "title of 3 to 200"),
        ({"kind": "party"}, "Choose the kind"),
        ({"agenda": ()}, "Write the agenda"),
    ],
)
def test_a_plan_that_cannot_work_is_refused_with_a_reason(app, ada, changes, message):
    with pytest.raises(WorkshopError, match=re.escape(message)):
        _schedule(app, ada, **changes)


def test_a_time_that_does_not_exist_that_day_is_refused(app, ada):
    # Brussels moves its clocks from 02:00 to 03:00 on the last Sunday of March.
    sunday = date(utcnow().year + 1, 3, 31)
    while sunday.weekday() != 6:
        sunday -= timedelta(days=1)
    with pytest.raises(WorkshopError, match="does not exist"):
        _schedule(app, ada, day=sunday, start=time(2, 30))
    # The same clock time in summer is two hours ahead of UTC, in winter one.
    summer = _schedule(app, ada, day=sunday + timedelta(days=7), start=time(10, 0))
    assert summer.starts_at.hour == 8
    winter = _schedule(app, ada, day=sunday - timedelta(days=7), start=time(10, 0))
    assert winter.starts_at.hour == 9


def test_the_agenda_is_typed_one_block_per_line():
    assert services.parse_agenda("15 Check-in\n\n  60 min - Work\n20: Close") == AGENDA[:1] + (
        Block("Work", 60),
        Block("Close", 20),
    )
    with pytest.raises(WorkshopError, match="Agenda line 2"):
        services.parse_agenda("15 Check-in\nCheck-out")
    assert services.agenda_text(AGENDA) == "15 Check-in\n60 1-2-4-All\n20 Close"


def test_a_facilitator_cannot_be_in_two_workshops_at_once(app, ada, auth):
    bo = auth.create("bo@example.org", Role.ADMIN)
    first = _schedule(app, ada, hosts=("bo@example.org",))
    with pytest.raises(WorkshopError, match="overlaps “Tasting in Ghent”"):
        _schedule(app, bo, start=time(10, 30))  # Bo co-facilitates the first one then
    later = _schedule(app, bo, start=time(11, 5))  # right after the first one ends
    assert later.id != first.id
    with pytest.raises(WorkshopError, match="No active account"):
        _schedule(app, ada, start=time(15, 0), hosts=("nobody@example.org",))


def test_who_may_schedule(app, session, auth, client):
    learner = auth.create("lea@example.org")
    auth.login("lea@example.org")
    assert client.get("/workshops/new").status_code == 403
    with pytest.raises(PermissionError):
        _schedule(app, learner)
    assert "Schedule a workshop" not in client.get("/workshops").get_data(as_text=True)


def test_the_form_starts_from_the_kits_template(engine, database_url, tmp_path, session, auth):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(ROOT / "content" / "modules"))
    auth.create("ada@example.org", Role.ADMIN)
    client = app.test_client()
    auth.client = client
    auth.login("ada@example.org")
    page = client.get("/workshops/new").get_data(as_text=True)
    assert "15 Arrive: check-in and purpose" in page and 'value="95"' in page
    page = client.get("/workshops/new?template=solution-half-day").get_data(as_text=True)
    assert 'value="180"' in page and "Solution workshop, half a day</strong>" in page
    day = (utcnow() + timedelta(days=5)).date().isoformat()
    form = {
        "csrf_token": csrf_token(page),
        "kind": "tasting",
        "title": "Tasting",
        "day": day,
        "start": "14:00",
        "minutes": "95",
        "timezone": "UTC",
        "place": "Room 1",
        "capacity": "12",
        "opportunity": "0",
        "agenda": "15 Check-in\n60 Work",
    }
    refused = client.post("/workshops/new", data=form)
    assert refused.status_code == 200
    assert "adds up to 75 minutes but the workshop lasts 95" in refused.get_data(as_text=True)
    form["agenda"] += "\n20 Close"
    done = client.post("/workshops/new", data=form)
    assert done.status_code == 302
    workshop = session.scalar(select(Workshop))
    assert workshop.agenda[-1] == {"title": "Close", "minutes": 20}


# Seats


def test_seats_then_a_waiting_list_that_moves_up(app, session, auth, ada):
    workshop = _schedule(app, ada)
    people = [auth.create(f"p{i}@example.org") for i in range(4)]
    with app.test_request_context():
        db = get_session()
        taken = [services.sign_up(db, workshop.id, p, utcnow()).status for p in people]
        assert taken == ["confirmed", "confirmed", "waiting", "waiting"]
        with pytest.raises(WorkshopError, match="signed up already"):
            services.sign_up(db, workshop.id, people[0], utcnow())
        first = services.my_seat(db, workshop.id, people[0].id)
        services.leave(db, first.id, utcnow())
    statuses = [s.status for s in _seats(session, workshop.id)]
    assert statuses == ["cancelled", "confirmed", "confirmed", "waiting"]
    subjects = [m.subject for m in _mails(session, "p2@example.org")]
    assert subjects == [
        "On the waiting list: Tasting in Ghent",
        "A seat freed up for you: Tasting in Ghent",
    ]
    assert _event(_mails(session, "p0@example.org")[-1])[1] == "CANCEL"


def test_twenty_people_for_the_last_seat_get_one_seat(app, session, auth, ada):
    workshop = _schedule(app, ada, capacity=1)
    people = [auth.create(f"p{i}@example.org") for i in range(20)]

    def take(i):
        with app.test_request_context():
            services.sign_up(get_session(), workshop.id, people[i], utcnow())

    assert run_concurrently(app, 20, take) == []
    statuses = sorted(s.status for s in _seats(session, workshop.id))
    assert statuses.count("confirmed") == 1 and statuses.count("waiting") == 19


def test_the_same_person_twice_at_once_gets_one_place(app, session, auth, ada):
    workshop = _schedule(app, ada)
    lea = auth.create("lea@example.org")

    def take(_i):
        with app.test_request_context():
            services.sign_up(get_session(), workshop.id, lea, utcnow())

    errors = run_concurrently(app, 4, take)
    assert len(errors) == 3 and all("signed up already" in str(e) for e in errors)
    assert len(_seats(session, workshop.id)) == 1


def test_a_lower_capacity_never_takes_a_seat_away(app, session, auth, ada):
    workshop = _schedule(app, ada, capacity=3)
    with app.test_request_context():
        db = get_session()
        for i in range(3):
            services.sign_up(db, workshop.id, auth.create(f"p{i}@example.org"), utcnow())
        with pytest.raises(WorkshopError, match="cannot go below 3"):
            services.update(db, workshop.id, ada, plan(capacity=2), utcnow())
        waiting = auth.create("w@example.org")
        assert services.sign_up(db, workshop.id, waiting, utcnow()).status == "waiting"
        services.update(db, workshop.id, ada, plan(capacity=4), utcnow())
    assert _seats(session, workshop.id)[-1].status == "confirmed"


# Guests and calendars


def test_a_guest_is_invited_by_email_and_uses_their_own_link(app, client, session, ada, auth):
    workshop = _schedule(app, ada)
    with app.test_request_context():
        seat = services.invite(
            get_session(), workshop.id, ada, "Gert Guest", "Gert@Client.example", utcnow()
        )
    [mail] = _mails(session, "gert@client.example")
    assert mail.subject == "You have a seat: Tasting in Ghent"
    link = re.search(r"http://localhost(/w/[0-9a-f]{40})", mail.text_body).group(1)
    page = client.get(link)
    assert page.status_code == 200 and "Hello Gert Guest." in page.get_data(as_text=True)
    assert client.get("/w/" + "0" * 40).status_code == 404
    assert client.get("/w/not-a-token").status_code == 404
    # The link gives nothing else away, and works without an account.
    html = page.get_data(as_text=True)
    assert "ada@example.org" not in html
    client.post(f"{link}/leave", data={"csrf_token": csrf_token(html)})
    assert _seats(session, workshop.id)[0].status == "cancelled"
    assert seat.token_hash is not None and seat.token_hash not in mail.text_body
    # An email that belongs to an account gives that account the seat.
    lea = auth.create("lea@example.org")
    with app.test_request_context():
        again = services.invite(get_session(), workshop.id, ada, "", "LEA@example.org", utcnow())
    assert again.user_id == lea.id and again.guest_email is None


def test_invitations_update_and_cancel_the_same_calendar_event(app, session, ada, auth):
    workshop = _schedule(app, ada)
    lea = auth.create("lea@example.org")
    with app.test_request_context():
        db = get_session()
        services.sign_up(db, workshop.id, lea, utcnow())
        services.update(db, workshop.id, ada, plan(start=time(13, 0), place="Room 5"), utcnow())
        services.cancel(db, workshop.id, ada, "The room flooded.", utcnow())
    invited, updated, cancelled = _mails(session, "lea@example.org")
    events = [_event(m) for m in (invited, updated, cancelled)]
    assert [method for _e, method in events] == ["REQUEST", "REQUEST", "CANCEL"]
    assert len({str(e["UID"]) for e, _m in events}) == 1
    assert [int(e["SEQUENCE"]) for e, _m in events] == [0, 1, 2]
    assert str(events[1][0]["LOCATION"]) == "Room 5"
    assert events[1][0].decoded("DTSTART").hour in (11, 12)  # 13:00 in Brussels, in UTC
    assert str(events[0][0]["ATTENDEE"]) == "mailto:lea@example.org"
    assert "The room flooded." in cancelled.text_body
    assert updated.subject == "Changed: Tasting in Ghent"


def test_the_invitation_arrives_with_its_calendar_part(engine, database_url, tmp_path, auth):
    with smtp_server() as inbox:
        app = make_app(database_url, tmp_path, **smtp_settings(inbox.port))
        ada = auth.create("ada@example.org", Role.ADMIN)
        workshop = _schedule(app, ada)
        with app.test_request_context():
            services.invite(
                get_session(), workshop.id, ada, "Gert", "gert@client.example", utcnow()
            )
        assert worker.run_pending(app) == 1
        [received] = inbox.messages
    part = next(p for p in received.walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "REQUEST"
    event = Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Tasting in Ghent"


def test_the_reminder_goes_once_the_day_before(app, session, ada, auth):
    workshop = _schedule(app, ada, day=(utcnow() + timedelta(days=3)).date())
    lea, guest_email = auth.create("lea@example.org"), "gert@client.example"
    with app.test_request_context():
        db = get_session()
        services.sign_up(db, workshop.id, lea, utcnow())
        services.invite(db, workshop.id, ada, "Gert", guest_email, utcnow())
    [job] = [j for j in worker.scheduled_jobs(app) if j.name == "cocourse.workshops.reminders"]
    assert worker.run_job(app, job, now=utcnow()) == 0  # three days ahead: not yet
    day_before = workshop.starts_at - timedelta(hours=20)
    assert worker.run_job(app, job, now=day_before) == 2
    assert worker.run_job(app, job, now=day_before + timedelta(minutes=15)) == 0
    reminders = [m for m in _mails(session) if m.subject.startswith("Tomorrow:")]
    assert sorted(m.to_address for m in reminders) == [guest_email, "lea@example.org"]


def test_two_workers_remind_once(app, session, ada, auth):
    workshop = _schedule(app, ada, day=(utcnow() + timedelta(days=3)).date())
    with app.test_request_context():
        services.sign_up(get_session(), workshop.id, auth.create("lea@example.org"), utcnow())
    [job] = [j for j in worker.scheduled_jobs(app) if j.name == "cocourse.workshops.reminders"]
    done = []
    errors = run_concurrently(
        app,
        3,
        lambda _i: done.append(worker.run_job(app, job, workshop.starts_at - timedelta(hours=2))),
    )
    assert errors == [] and sorted(done) == [0, 0, 1]


# Pages


def test_pages_keep_to_their_people(app, client, session, auth, ada):
    workshop = _schedule(app, ada)
    auth.create("lea@example.org")
    auth.login("lea@example.org")
    page = client.get(f"/workshops/{workshop.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Who is coming" not in html and "Invite someone" not in html
    for path in ("edit", "cancel", "run-sheet"):
        assert client.get(f"/workshops/{workshop.id}/{path}").status_code == 404
    token = csrf_token(html)
    refused = client.post(
        f"/workshops/{workshop.id}/invite", data={"csrf_token": token, "email": "x@example.org"}
    )
    assert refused.status_code == 404
    assert client.get("/workshops/99999999999999999999").status_code == 404
    assert client.get("/workshops/424242").status_code == 404
    signed = client.post(f"/workshops/{workshop.id}/sign-up", data={"csrf_token": token})
    assert signed.status_code == 302
    assert "You have a seat." in client.get(signed.location).get_data(as_text=True)
    assert client.post(f"/workshops/{workshop.id}/sign-up", data={}).status_code == 400


def test_a_cancelled_workshop_takes_no_one(app, session, ada, auth):
    workshop = _schedule(app, ada)
    with app.test_request_context():
        db = get_session()
        services.cancel(db, workshop.id, ada, "Ill.", utcnow())
        with pytest.raises(WorkshopError, match="cancelled"):
            services.sign_up(db, workshop.id, auth.create("lea@example.org"), utcnow())
        with pytest.raises(WorkshopError, match="already cancelled"):
            services.cancel(db, workshop.id, ada, "Again.", utcnow())
    assert session.get(User, ada.id) is not None


def test_the_kit_page_prints_every_part_of_the_kit(engine, database_url, tmp_path, session, auth):
    """The printable kit shows each template's blocks with the hosts' script, the handouts
    and the feedback form; a workshop's run sheet carries the script of the blocks it kept
    from its template."""
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(ROOT / "content" / "modules"))
    kit = app.extensions["cocourse.course"].course.kit
    client = app.test_client()
    assert client.get("/workshops/kit").status_code == 302  # sign in first
    ada = auth.create("ada@example.org", Role.ADMIN)
    auth.client = client
    auth.login("ada@example.org")
    page = client.get("/workshops/kit").get_data(as_text=True)
    for template in kit.templates:
        assert f"Run sheet: {template.title}" in page
        assert all(str(escape(item)) in page for item in template.materials)
        assert all(block.script_html in page for block in template.blocks)
    assert all(handout.body_html in page for handout in kit.handouts)
    assert all(str(escape(question.ask)) in page for question in kit.feedback)
    tasting = kit.default_for("tasting")
    first, second = tasting.blocks[:2]
    assert f"<td>0:00</td><td>{first.minutes}</td>" in page  # offsets from the start
    assert f"<td>0:{first.minutes:02d}</td><td>{second.minutes}</td>" in page
    assert first.script_html and second.script_html
    agenda = (Block(first.title, first.minutes), Block("Our own block", second.minutes))
    agenda += tuple(Block(b.title, b.minutes) for b in tasting.blocks[2:])
    workshop = _schedule(app, ada, agenda=agenda, template=tasting.id, minutes=tasting.minutes)
    sheet = client.get(f"/workshops/{workshop.id}/run-sheet").get_data(as_text=True)
    assert first.script_html in sheet and second.script_html not in sheet
