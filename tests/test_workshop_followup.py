"""After a workshop starts: attendance (ticks, walk-ins, QR check-in, guests' "I am here"),
the feedback form and its aggregate, the harvest of decisions and actions with owners, and
the scheduled messages (feedback invitations, actions due) that go once."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cocourse.db import get_session
from cocourse.mail import worker
from cocourse.models import (
    MailMessage,
    Notification,
    Opportunity,
    Role,
    Workshop,
    WorkshopAction,
    WorkshopSeat,
    utcnow,
)
from cocourse.web.course import course
from cocourse.workshops import attendance, feedback, harvest, services
from cocourse.workshops.services import WorkshopError

from .conftest import csrf_token, make_app
from .test_workshops import plan

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"q-useful": "4", "q-heard": "5", "q-try-next": "A consent round on Monday."}


# A feedback form with questions on a scale as well as in words. The bundled form asks in
# words only; these tests use both kinds.
SCALE_FORM = """\
feedback:
  - id: useful
    ask: How useful was this workshop for your own work?
    scale: 5
    required: true
  - id: heard
    ask: How well could you bring in your own view?
    scale: 5
    required: true
  - id: try-next
    ask: What will you try or do differently in the next two weeks?
  - id: improve
    ask: What would have made the workshop better?
"""


@pytest.fixture
def app(engine, database_url, tmp_path):
    """The app serving the bundled course, with SCALE_FORM as the kit's feedback form."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content" / "modules", content)
    kit = content / "workshops.yml"
    text = kit.read_text(encoding="utf-8")
    kit.write_text(text[: text.index("\nfeedback:\n") + 1] + SCALE_FORM, encoding="utf-8")
    return make_app(database_url, tmp_path, CONTENT_DIR=str(content))


@pytest.fixture
def ada(auth):
    return auth.create("ada@example.org", Role.ADMIN)


@pytest.fixture
def lea(auth):
    return auth.create("lea@example.org")


def _schedule(app, user, **changes):
    with app.test_request_context():
        return services.schedule(get_session(), user, plan(**changes), utcnow())


def _move(session, workshop, starts_at):
    """Put a workshop's start at `starts_at` (the services refuse a start in the past)."""
    session.rollback()  # no stale read transaction (SQLite would refuse the write)
    row = session.get(Workshop, workshop.id)
    row.starts_at = starts_at
    session.commit()
    workshop.starts_at = starts_at
    return workshop


def _started(session, workshop, ago=timedelta(minutes=30)):
    return _move(session, workshop, utcnow() - ago)


def _ended(session, workshop, ago=timedelta(hours=1)):
    return _move(session, workshop, utcnow() - ago - timedelta(minutes=95))


def _seat(session, seat_id):
    session.expire_all()
    seat = session.get(WorkshopSeat, seat_id)
    session.rollback()
    return seat


def _sign_up(app, workshop, *people):
    with app.test_request_context():
        return [services.sign_up(get_session(), workshop.id, p, utcnow()) for p in people]


def _guest(app, workshop, host, name="Gert Guest", email="gert@client.example"):
    with app.test_request_context():
        seat = services.invite(get_session(), workshop.id, host, name, email, utcnow())
        return seat, services.guest_token(seat)


def _job(app, name):
    [job] = [j for j in worker.scheduled_jobs(app) if j.name == name]
    return job


def _html(response):
    return response.get_data(as_text=True)


# Attendance


def test_attendance_is_taken_by_facilitators_within_its_window(app, client, session, auth, ada):
    workshop = _schedule(app, ada)
    lea, sam = auth.create("lea@example.org"), auth.create("sam@example.org")
    seat, _other = _sign_up(app, workshop, lea, sam)
    with app.test_request_context():
        db = get_session()
        with pytest.raises(WorkshopError, match="opens two hours before the start"):
            attendance.record(db, workshop.id, ada, {seat.id}, set(), utcnow())
    _started(session, workshop, ago=-timedelta(minutes=90))  # starts in 90 minutes: open
    auth.login("lea@example.org")
    assert client.get(f"/workshops/{workshop.id}/attendance").status_code == 404
    token = csrf_token(_html(client.get(f"/workshops/{workshop.id}")))
    refused = client.post(
        f"/workshops/{workshop.id}/attendance", data={"csrf_token": token, "present": seat.id}
    )
    assert refused.status_code == 404 and _seat(session, seat.id).attended_at is None
    with app.test_request_context(), pytest.raises(LookupError):
        attendance.record(get_session(), workshop.id, lea, {seat.id}, set(), utcnow())
    auth.logout()
    auth.login("ada@example.org")
    page = _html(client.get(f"/workshops/{workshop.id}/attendance"))
    assert "Tick everyone who is here" in page and "<svg" in page
    saved = client.post(
        f"/workshops/{workshop.id}/attendance",
        data={"csrf_token": csrf_token(page), "present": [str(seat.id), "junk"]},
    )
    assert saved.status_code == 302
    assert "1 marked present, 0 unmarked" in _html(client.get(saved.location))
    assert _seat(session, seat.id).attended_at is not None
    assert client.post(f"/workshops/{workshop.id}/attendance", data={}).status_code == 400
    # Two days after the end it is closed.
    _ended(session, workshop, ago=timedelta(days=2, minutes=5))
    with app.test_request_context(), pytest.raises(WorkshopError, match="closed two days"):
        attendance.record(get_session(), workshop.id, ada, set(), {seat.id}, utcnow())
    assert _seat(session, seat.id).attended_at is not None


def test_unticking_spares_those_who_checked_in_meanwhile(app, session, auth, ada):
    workshop = _schedule(app, ada)
    lea, sam = auth.create("lea@example.org"), auth.create("sam@example.org")
    first, second = _sign_up(app, workshop, lea, sam)
    _started(session, workshop)
    with app.test_request_context():
        db = get_session()
        attendance.record(db, workshop.id, ada, {first.id}, set(), utcnow())
        attendance.check_in(db, workshop.id, sam, utcnow())  # while Ada's page is open
        # Ada unticks Lea; Sam's check-in was not on her page, so it stays.
        assert attendance.record(db, workshop.id, ada, set(), {first.id}, utcnow()) == (0, 1)
    assert _seat(session, first.id).attended_at is None
    assert _seat(session, second.id).attended_at is not None


def test_the_waiting_list_and_walk_ins_can_be_marked_present(app, session, auth, ada):
    workshop = _schedule(app, ada, capacity=1)
    lea, sam = auth.create("lea@example.org"), auth.create("sam@example.org")
    _lea_seat, waiting = _sign_up(app, workshop, lea, sam)
    assert waiting.status == "waiting"
    bo = auth.create("bo@example.org")
    _started(session, workshop)
    sent = session.scalar(select(MailMessage.id).order_by(MailMessage.id.desc()).limit(1))
    with app.test_request_context():
        db = get_session()
        attendance.record(db, workshop.id, ada, {waiting.id}, set(), utcnow())
        gus = attendance.walk_in(
            db, workshop.id, ada, "Gus  Walker", "Gus@Client.example", utcnow()
        )
        colleague = attendance.walk_in(db, workshop.id, ada, "", "BO@example.org", utcnow())
        again = attendance.walk_in(db, workshop.id, ada, "Gus", "gus@client.example", utcnow())
        found = [
            (x.id, x.user_id, x.status, x.name, x.guest_email) for x in (gus, colleague, again)
        ]
        with pytest.raises(WorkshopError, match="valid email"):
            attendance.walk_in(db, workshop.id, ada, "X", "not an email", utcnow())
        with pytest.raises(WorkshopError, match="Write the name"):
            attendance.walk_in(db, workshop.id, ada, "", "new@client.example", utcnow())
        with pytest.raises(LookupError):
            attendance.walk_in(db, workshop.id, lea, "Y", "y@client.example", utcnow())
        assert services.seat_by_token(db, services.guest_token(gus)).id == gus.id
    moved = _seat(session, waiting.id)
    assert moved.status == "confirmed" and moved.attended_at is not None
    gus_row, colleague_row, again_row = found
    assert gus_row[3:] == ("Gus Walker", "gus@client.example")
    assert again_row[0] == gus_row[0] and _seat(session, gus_row[0]).attended_at is not None
    assert colleague_row[1:3] == (bo.id, "confirmed")
    # Walk-ins are in the room: nobody is sent an invitation.
    assert session.scalar(select(MailMessage.id).order_by(MailMessage.id.desc()).limit(1)) == sent


def test_check_in_with_the_rooms_qr_code(app, client, session, auth, ada, lea):
    workshop = _schedule(app, ada)
    other = _schedule(app, ada, start=plan().start.replace(hour=14))
    [seat] = _sign_up(app, workshop, lea)
    with app.test_request_context():
        code, foreign = attendance.check_in_code(workshop.id), attendance.check_in_code(other.id)
    url = f"/workshops/{workshop.id}/check-in/{code}"
    auth.login("lea@example.org")
    # Before the window: closed, nothing marked.
    assert "Check-in is closed" in _html(client.get(url))
    _started(session, workshop)
    assert client.get(f"/workshops/{workshop.id}/check-in/{foreign}").status_code == 404
    assert client.get(f"/workshops/{workshop.id}/check-in/{'0' * 32}").status_code == 404
    assert client.get(f"/workshops/{workshop.id}/check-in/short").status_code == 404
    page = _html(client.get(url))
    assert "Check me in" in page and _seat(session, seat.id).attended_at is None  # GET: no change
    token = csrf_token(page)
    assert client.post(url.replace(code, foreign), data={"csrf_token": token}).status_code == 404
    done = client.post(url, data={"csrf_token": token})
    assert done.status_code == 302 and "You are checked in" in _html(client.get(done.location))
    first = _seat(session, seat.id).attended_at
    assert first is not None
    client.post(url, data={"csrf_token": token})  # twice: the same
    assert _seat(session, seat.id).attended_at == first
    assert "You are checked in" in _html(client.get(url))
    # Someone without a seat is told to ask the facilitator.
    auth.logout()
    auth.create("sam@example.org")
    auth.login("sam@example.org")
    page = _html(client.get(url))
    assert "You have no place at this workshop" in page
    refused = client.post(url, data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "You have no place at this workshop" in _html(refused)
    # After the window the code has expired.
    _ended(session, workshop, ago=timedelta(days=3))
    auth.logout()
    auth.login("lea@example.org")
    assert "Check-in is closed" in _html(client.get(url))
    with app.test_request_context(), pytest.raises(WorkshopError, match="closed"):
        attendance.check_in(get_session(), workshop.id, lea, utcnow())


def test_without_an_account_the_check_in_page_points_to_login_and_guest_links(
    app, client, session, ada
):
    workshop = _started(session, _schedule(app, ada))
    with app.test_request_context():
        code = attendance.check_in_code(workshop.id)
    page = _html(client.get(f"/workshops/{workshop.id}/check-in/{code}"))
    assert "Log in to check in" in page and "I am here" in page
    token = csrf_token(_html(client.get("/login")))
    refused = client.post(f"/workshops/{workshop.id}/check-in/{code}", data={"csrf_token": token})
    assert refused.status_code == 302 and "/login" in refused.location


def test_a_guest_checks_in_from_their_link(app, client, session, ada):
    workshop = _schedule(app, ada)
    seat, token = _guest(app, workshop, ada)
    assert "I am here" not in _html(client.get(f"/w/{token}"))  # not yet open
    _started(session, workshop)
    page = _html(client.get(f"/w/{token}"))
    assert "I am here" in page
    done = client.post(f"/w/{token}/check-in", data={"csrf_token": csrf_token(page)})
    assert "You are checked in" in _html(client.get(done.location))
    assert _seat(session, seat.id).attended_at is not None
    nobody = client.post(f"/w/{'0' * 40}/check-in", data={"csrf_token": csrf_token(page)})
    assert nobody.status_code == 404


# Feedback


def test_feedback_from_those_who_attended_once(app, client, session, auth, ada, lea):
    workshop = _schedule(app, ada)
    sam = auth.create("sam@example.org")
    lea_seat, sam_seat = _sign_up(app, workshop, lea, sam)
    _started(session, workshop)
    with app.test_request_context():
        attendance.record(get_session(), workshop.id, ada, {lea_seat.id}, set(), utcnow())
    auth.login("lea@example.org")
    url = f"/workshops/{workshop.id}"
    assert "Your feedback" not in _html(client.get(url))  # not over yet
    token = csrf_token(_html(client.get(url)))
    early = client.post(f"{url}/feedback", data={"csrf_token": token, **GOOD})
    assert "Feedback opens when the workshop ends" in _html(client.get(early.location))
    _ended(session, workshop)
    page = _html(client.get(url))
    assert "Your feedback" in page and "How useful was this workshop" in page
    missing = client.post(
        f"{url}/feedback", data={"csrf_token": token, "q-useful": "9", "q-try-next": "More"}
    )
    html = _html(missing)
    assert missing.status_code == 200
    assert "choose a number from 1 to 5" in html
    assert "“How well could you bring in your own view?” needs an answer." in html
    assert "More</textarea>" in html  # what was written is kept
    assert _seat(session, lea_seat.id).feedback_at is None
    saved = client.post(f"{url}/feedback", data={"csrf_token": token, **GOOD})
    assert "Thank you for your feedback" in _html(client.get(saved.location))
    stored = _seat(session, lea_seat.id)
    assert stored.feedback == {"useful": 4, "heard": 5, "try-next": "A consent round on Monday."}
    again = client.post(f"{url}/feedback", data={"csrf_token": token, **GOOD, "q-useful": "1"})
    assert "given your feedback already" in _html(client.get(again.location))
    assert _seat(session, lea_seat.id).feedback["useful"] == 4
    # Sam signed up but did not come.
    auth.logout()
    auth.login("sam@example.org")
    page = _html(client.get(url))
    assert "Only people who attended" in page
    refused = client.post(f"{url}/feedback", data={"csrf_token": csrf_token(page), **GOOD})
    assert "Only people who attended" in _html(client.get(refused.location))
    assert _seat(session, sam_seat.id).feedback_at is None
    # Thirty days later the form is closed.
    _ended(session, workshop, ago=timedelta(days=31))
    with app.test_request_context(), pytest.raises(WorkshopError, match="closed 30 days"):
        feedback.answer(get_session(), lea_seat.id, (), {}, utcnow())


def test_a_guest_gives_feedback_on_their_page(app, client, session, ada):
    workshop = _schedule(app, ada)
    seat, token = _guest(app, workshop, ada)
    _started(session, workshop)
    with app.test_request_context():
        attendance.guest_check_in(get_session(), seat.id, utcnow())
    _ended(session, workshop)
    page = _html(client.get(f"/w/{token}"))
    assert "Your feedback" in page
    sent = client.post(f"/w/{token}/feedback", data={"csrf_token": csrf_token(page), **GOOD})
    assert "Thank you for your feedback" in _html(client.get(sent.location))
    assert _seat(session, seat.id).feedback["heard"] == 5
    nobody = client.post(f"/w/{'0' * 40}/feedback", data={"csrf_token": csrf_token(page)})
    assert nobody.status_code == 404


def test_the_facilitator_sees_the_feedback_without_names(app, client, session, auth, ada):
    workshop = _schedule(app, ada, capacity=5)
    people = [auth.create(f"p{i}@example.org") for i in range(4)]
    seats = _sign_up(app, workshop, *people)
    _started(session, workshop)
    with app.test_request_context():
        db = get_session()
        attendance.record(db, workshop.id, ada, {s.id for s in seats[:3]}, set(), utcnow())
    _ended(session, workshop)
    answers = [
        {"useful": "5", "heard": "4", "improve": "Zebra-striped sticky notes"},
        {"useful": "3", "heard": "4", "improve": "A bigger room"},
        {"useful": "4", "heard": "4", "try-next": "Check-in rounds"},
    ]
    with app.test_request_context():
        db = get_session()
        questions = course().kit.feedback
        for seat, raw in zip(seats, answers, strict=False):
            feedback.answer(db, seat.id, questions, raw, utcnow())
        with pytest.raises(feedback.FeedbackError) as refused:
            feedback.clean(questions, {"useful": "0", "try-next": "x" * 2001})
        assert set(refused.value.problems) == {"useful", "heard", "try-next"}
        summary = feedback.summary(db, workshop.id, questions)
    assert (summary.attended, summary.answered) == (3, 3)
    useful, heard = summary.scales
    assert (useful.count, useful.mean) == (3, 4.0)
    assert useful.distribution == ((1, 0), (2, 0), (3, 1), (4, 1), (5, 1))
    assert heard.distribution[3] == (4, 3)
    words = dict((q.id, a) for q, a in summary.words)
    assert words["improve"] == ("A bigger room", "Zebra-striped sticky notes")
    assert words["try-next"] == ("Check-in rounds",)
    auth.login("p3@example.org")
    assert client.get(f"/workshops/{workshop.id}/feedback/summary").status_code == 404
    auth.logout()
    auth.login("ada@example.org")
    page = _html(client.get(f"/workshops/{workshop.id}/feedback/summary"))
    assert "3 of 3 people who attended have answered" in page
    assert "<strong>Mean 4</strong> out of 5" in page and "A bigger room" in page
    assert not re.search(r"P[0-3]\b", page)  # no participant's name
    assert client.get("/workshops/424242/feedback/summary").status_code == 404


# The harvest


def test_the_harvest_records_decisions_and_actions_with_owners(app, client, session, auth, ada):
    opportunity = Opportunity(title="Onboarding", proposer_id=ada.id)
    session.add(opportunity)
    session.commit()
    workshop = _schedule(app, ada, opportunity_id=opportunity.id)
    lea = auth.create("lea@example.org")
    due = (utcnow() + timedelta(days=5)).date()
    entry = harvest.Entry("action", "Draft the welcome pack", owner_email="LEA@example.org")
    with app.test_request_context():
        db = get_session()
        with pytest.raises(WorkshopError, match="once the workshop has started"):
            harvest.record(db, workshop.id, ada, entry, utcnow())
    _started(session, workshop)
    with app.test_request_context():
        db = get_session()
        first = harvest.record(
            db, workshop.id, ada, harvest.Entry(**{**entry.__dict__, "due_on": due}), utcnow()
        )
        harvest.record(db, workshop.id, ada, harvest.Entry("decision", "Buddies"), utcnow())
        harvest.record(
            db,
            workshop.id,
            ada,
            harvest.Entry("action", "Order laptops", owner_name="  IT   desk "),
            utcnow(),
        )
        for bad, message in [
            (harvest.Entry("action", "No owner"), "Say who owns the action"),
            (harvest.Entry("action", "x", owner_email="nobody@example.org"), "No active account"),
            (harvest.Entry("action", " "), "Write the decision"),
            (harvest.Entry("action", "x", owner_name="A", due_on=due.replace(year=2020)), "due"),
        ]:
            with pytest.raises(WorkshopError, match=message):
                harvest.record(db, workshop.id, ada, bad, utcnow())
        with pytest.raises(LookupError):
            harvest.record(db, workshop.id, lea, entry, utcnow())
        items = harvest.of_workshop(db, workshop.id)
    assert [i.kind for i in items] == ["decision", "action", "action"]
    assert first.owner_id == lea.id and first.owner_name == "Lea"
    assert first.opportunity_id == opportunity.id and items[2].owner_name == "IT desk"
    # Lea sees her action on the list and the dashboard, and marks it done.
    auth.login("lea@example.org")
    assert client.get(f"/workshops/{workshop.id}/harvest").status_code == 404
    listing = _html(client.get("/workshops"))
    assert "Your actions" in listing and "Draft the welcome pack" in listing
    assert "Order laptops" not in listing
    assert "Draft the welcome pack" in _html(client.get("/dashboard"))
    token = csrf_token(listing)
    assert (
        client.post(
            f"/workshops/actions/{items[2].id}/done", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/workshops/actions/{items[0].id}/done", data={"csrf_token": token}
        ).status_code
        == 404
    )
    done = client.post(f"/workshops/actions/{first.id}/done", data={"csrf_token": token})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(WorkshopAction, first.id).done_at is not None
    session.rollback()
    assert "Your actions" not in _html(client.get("/workshops"))
    assert (
        client.post("/workshops/actions/424242/done", data={"csrf_token": token}).status_code == 404
    )


def test_the_harvest_page_for_facilitators(app, client, session, auth, ada):
    workshop = _started(session, _schedule(app, ada))
    other = _started(session, _schedule(app, ada, start=plan().start.replace(hour=14)))
    auth.create("lea@example.org")
    auth.login("ada@example.org")
    url = f"/workshops/{workshop.id}/harvest"
    page = _html(client.get(url))
    form = {"csrf_token": csrf_token(page), "kind": "action", "text": "Book the room"}
    refused = client.post(url, data=form)
    assert refused.status_code == 200 and "Say who owns the action" in _html(refused)
    form.update(owner_email="lea@example.org", due_on=(utcnow() + timedelta(days=7)).date())
    assert client.post(url, data=form).status_code == 302
    assert "Book the room" in _html(client.get(url))
    with app.test_request_context():
        foreign = harvest.record(
            get_session(), other.id, ada, harvest.Entry("decision", "Elsewhere"), utcnow()
        )
    gone = client.post(f"{url}/{foreign.id}/remove", data={"csrf_token": form["csrf_token"]})
    assert gone.status_code == 404
    [mine] = [a for a in session.scalars(select(WorkshopAction)) if a.workshop_id == workshop.id]
    session.rollback()
    removed = client.post(f"{url}/{mine.id}/remove", data={"csrf_token": form["csrf_token"]})
    assert removed.status_code == 302 and "Book the room" not in _html(client.get(url))


# Scheduled messages


def test_owners_are_reminded_once_two_days_before_an_action_is_due(app, session, auth, ada):
    workshop = _started(session, _schedule(app, ada))
    lea = auth.create("lea@example.org")
    now = utcnow()
    with app.test_request_context():
        db = get_session()
        action = harvest.record(
            db,
            workshop.id,
            ada,
            harvest.Entry(
                "action",
                "Draft the pack",
                owner_email=lea.email,
                due_on=(now + timedelta(days=4)).date(),
            ),
            now,
        )
        done = harvest.record(
            db,
            workshop.id,
            ada,
            # Due on the workshop's own day, in its time zone: between 23:00 and
            # midnight UTC that day is already tomorrow in Amsterdam.
            harvest.Entry(
                "action",
                "Done",
                owner_email=lea.email,
                due_on=services.local_start(workshop).date(),
            ),
            now,
        )
        harvest.mark_done(db, done.id, lea, now)
    job = _job(app, "cocourse.workshops.action_reminders")
    assert worker.run_job(app, job, now=now) == 0  # four days ahead
    two_days_before = now + timedelta(days=2)
    assert worker.run_job(app, job, now=two_days_before) == 1
    assert worker.run_job(app, job, now=two_days_before + timedelta(hours=1)) == 0
    assert worker.run_job(app, job, now=two_days_before + timedelta(days=1)) == 0
    [note] = session.scalars(select(Notification)).all()
    session.rollback()
    assert note.kind == "action_due" and note.user_id == lea.id
    assert note.key == f"action:{action.id}:{action.due_on.isoformat()}"
    # A new due date is reminded again.
    row = session.get(WorkshopAction, action.id)
    row.due_on = (now + timedelta(days=6)).date()
    session.commit()
    assert worker.run_job(app, job, now=now + timedelta(days=4)) == 1


def test_attendees_are_invited_to_give_feedback_once(app, session, auth, ada, lea):
    workshop = _schedule(app, ada)
    sam = auth.create("sam@example.org")
    lea_seat, sam_seat = _sign_up(app, workshop, lea, sam)
    guest, token = _guest(app, workshop, ada)
    _started(session, workshop)
    with app.test_request_context():
        db = get_session()
        attendance.record(db, workshop.id, ada, {lea_seat.id, guest.id}, set(), utcnow())
    job = _job(app, "cocourse.workshops.feedback_invitations")
    assert worker.run_job(app, job) == 0  # not over yet
    _ended(session, workshop)
    assert worker.run_job(app, job) == 2
    assert worker.run_job(app, job) == 0
    session.expire_all()
    mails = {
        m.to_address: m.text_body
        for m in session.scalars(select(MailMessage))
        if m.subject.startswith("How was it? Your feedback on Tasting in Ghent")
    }
    session.rollback()
    assert sorted(mails) == ["gert@client.example", "lea@example.org"]
    assert f"/w/{token}" in mails["gert@client.example"]
    assert f"/workshops/{workshop.id}" in mails["lea@example.org"]
    # Marked present late (the window lasts two days): invited on the next run.
    with app.test_request_context():
        attendance.record(get_session(), workshop.id, ada, {sam_seat.id}, set(), utcnow())
    assert worker.run_job(app, job) == 1
    # Past the 30 days nobody is invited.
    _ended(session, workshop, ago=timedelta(days=31))
    row = session.get(WorkshopSeat, lea_seat.id)
    row.reminded_at = None
    session.commit()
    assert worker.run_job(app, job) == 0


def test_unknown_ids_are_not_found(app, client, auth, ada):
    auth.login("ada@example.org")
    for path in (
        "/workshops/424242/attendance",
        "/workshops/424242/harvest",
        f"/workshops/424242/check-in/{'0' * 32}",
        "/workshops/99999999999999999999/attendance",
    ):
        assert client.get(path).status_code == 404, path
