"""The opportunity board: proposing, editing, supporting, comments, triage, the board's
filters and pages, and who may do what."""

from __future__ import annotations

import json
import logging
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cocourse.accounts.services import create_user
from cocourse.db import get_session
from cocourse.models import (
    Certificate,
    Opportunity,
    OpportunityComment,
    OpportunitySupport,
    Role,
    utcnow,
)
from cocourse.opportunities import services as opportunities
from cocourse.opportunities.services import BoardFilter, OpportunityError, Proposal

from .conftest import PASSWORD, csrf_token, make_app, run_concurrently

STAKE = "New recruits wait two weeks for a laptop and feel unwelcome."


def post(client, url, data=None, page=None):
    """POST a form with a CSRF token taken from `page` (default: the board)."""
    token = csrf_token(client.get(page or "/opportunities/new").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})})


def events(caplog, name):
    found = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cocourse.security"]
    return [e for e in found if e["event"] == name]


def count(session, model, **where):
    query = select(func.count()).select_from(model).filter_by(**where)
    return session.scalar(query)


@pytest.fixture
def lea(session):
    return create_user(session, "lea@example.org", "Lea Learner", PASSWORD)


@pytest.fixture
def sam(session):
    return create_user(session, "sam@example.org", "Sam Supporter", PASSWORD)


@pytest.fixture
def ada(session):
    return create_user(session, "ada@example.org", "Ada Admin", PASSWORD, Role.ADMIN)


@pytest.fixture
def idea(session, lea):
    return opportunities.propose(session, lea, Proposal("Onboarding with recruits", STAKE))


def log_in(client, email):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def certificate(session, user, expires_in=30, **changes):
    today = utcnow().date()
    found = Certificate(
        user_id=user.id,
        program="facilitator",
        code=secrets.token_urlsafe(24),
        holder_name=user.name,
        valid_from=today - timedelta(days=300),
        expires_on=today + timedelta(days=expires_in),
        badge_salt="salt",
        **changes,
    )
    session.add(found)
    session.commit()
    return found


# Services


def test_a_proposal_is_tidied_and_stored_open(session, lea):
    found = opportunities.propose(
        session, lea, Proposal("  Plan   the\tonboarding ", f"  {STAKE}\n", " HR, IT ", "clients")
    )
    session.expire_all()
    stored = session.get(Opportunity, found.id)
    assert stored.title == "Plan the onboarding"
    assert (stored.stake, stored.involved, stored.scope) == (STAKE, "HR, IT", "clients")
    assert (stored.status, stored.proposer_id) == ("open", lea.id)


@pytest.mark.parametrize(
    ("proposal", "field", "message"),
    [
        (Proposal("ab", STAKE), "title", "at least 3 characters"),
        (Proposal("x" * 201, STAKE), "title", "at most 200"),
        (Proposal("A title", "   "), "stake", "what is at stake"),
        (Proposal("A title", "x" * 4001), "stake", "at most 4000"),
        (Proposal("A title", STAKE, "x" * 4001), "involved", "at most 4000"),
        (Proposal("A title", STAKE, scope="moon"), "scope", "inside the organization"),
    ],
)
def test_a_proposal_that_cannot_be_saved_says_why(session, lea, proposal, field, message):
    with pytest.raises(OpportunityError) as caught:
        opportunities.propose(session, lea, proposal)
    assert caught.value.field == field and message in str(caught.value)
    assert count(session, Opportunity) == 0


def test_support_is_idempotent_and_can_be_withdrawn(session, idea, sam):
    assert opportunities.support(session, idea.id, sam.id) is True
    assert opportunities.support(session, idea.id, sam.id) is False
    assert count(session, OpportunitySupport, opportunity_id=idea.id) == 1
    assert opportunities.unsupport(session, idea.id, sam.id) is True
    assert opportunities.unsupport(session, idea.id, sam.id) is False
    assert count(session, OpportunitySupport, opportunity_id=idea.id) == 0
    with pytest.raises(OpportunityError):
        opportunities.support(session, idea.id + 1, sam.id)


def test_a_double_click_on_support_stores_one_support(app, session, idea, sam):
    results: list[bool] = []

    def click(i: int) -> None:
        results.append(opportunities.support(get_session(), idea.id, sam.id))

    assert run_concurrently(app, 8, click) == []
    assert sorted(results) == [False] * 7 + [True]
    assert count(session, OpportunitySupport, opportunity_id=idea.id) == 1


def test_two_people_posting_the_same_support_through_the_page_never_fail(app, session, idea):
    people = [create_user(session, f"p{i}@example.org", f"P{i}", PASSWORD) for i in range(4)]
    clients = [log_in(app.test_client(), person.email) for person in people for _ in range(2)]
    tokens = [
        csrf_token(c.get(f"/opportunities/{idea.id}").get_data(as_text=True)) for c in clients
    ]
    codes: list[int] = []

    def click(i: int) -> None:
        response = clients[i].post(
            f"/opportunities/{idea.id}/support", data={"csrf_token": tokens[i]}
        )
        codes.append(response.status_code)

    assert run_concurrently(app, len(clients), click) == []
    assert codes == [302] * len(clients)
    assert count(session, OpportunitySupport, opportunity_id=idea.id) == 4


def test_comments_need_text_and_keep_the_author_name(session, idea, sam):
    with pytest.raises(OpportunityError, match="Write a comment"):
        opportunities.comment(session, idea.id, sam, "  \n ")
    with pytest.raises(OpportunityError, match="at most 4000"):
        opportunities.comment(session, idea.id, sam, "x" * 4001)
    with pytest.raises(OpportunityError, match="no longer exists"):
        opportunities.comment(session, idea.id + 1, sam, "Hello")
    saved = opportunities.comment(session, idea.id, sam, "  I can help.  ")
    assert (saved.body, saved.author_name, saved.user_id) == ("I can help.", sam.name, sam.id)
    assert opportunities.comment(session, idea.id, sam, "x" * 4000).body == "x" * 4000


def test_facilitators_are_admins_assessors_and_current_certificate_holders(session, lea, ada):
    assessor = create_user(session, "ass@example.org", "Ass", PASSWORD, Role.ASSESSOR)
    assert not opportunities.may_triage(session, lea)
    assert opportunities.may_triage(session, ada)
    assert opportunities.may_triage(session, assessor)
    held = {}
    for name, expires_in, changes in [
        ("current", 0, {}),
        ("expired", -1, {}),
        ("revoked", 30, {"revoked_at": utcnow(), "revoked_reason": "test"}),
        ("superseded", 30, {"superseded_at": utcnow()}),
    ]:
        person = create_user(session, f"{name}@example.org", name.title(), PASSWORD)
        certificate(session, person, expires_in, **changes)
        held[name] = opportunities.may_triage(session, person)
    assert held == {"current": True, "expired": False, "revoked": False, "superseded": False}
    # The day it expires is still a day it is valid.
    person = create_user(session, "edge@example.org", "Edge", PASSWORD)
    found = certificate(session, person, 0)
    assert opportunities.may_triage(session, person, found.expires_on)
    assert not opportunities.may_triage(session, person, found.expires_on + timedelta(days=1))


def test_triage_needs_a_facilitator_and_a_reason_for_done_and_parked(session, idea, lea, ada):
    with pytest.raises(opportunities.NotAllowed):
        opportunities.triage(session, lea, idea.id, "planned", "")
    for status in ("parked", "done"):
        with pytest.raises(OpportunityError, match="Say why") as caught:
            opportunities.triage(session, ada, idea.id, status, "  ")
        assert caught.value.field == "reason"
    with pytest.raises(OpportunityError, match="Choose one"):
        opportunities.triage(session, ada, idea.id, "closed", "x")
    saved = opportunities.triage(session, ada, idea.id, "parked", " Budget freeze until May. ")
    assert (saved.status, saved.status_reason) == ("parked", "Budget freeze until May.")
    assert opportunities.triage(session, ada, idea.id, "planned", "").status == "planned"


def test_only_the_proposer_or_an_admin_edits(session, idea, lea, sam, ada):
    change = Proposal("Onboarding, week one", STAKE, "HR", "internal")
    with pytest.raises(opportunities.NotAllowed):
        opportunities.edit(session, sam, idea.id, change)
    assert opportunities.edit(session, lea, idea.id, change).title == "Onboarding, week one"
    assert opportunities.edit(session, ada, idea.id, Proposal("By Ada", STAKE)).title == "By Ada"
    with pytest.raises(OpportunityError):
        opportunities.edit(session, lea, idea.id, Proposal("", STAKE))


def test_the_board_filters_sorts_and_pages(session, lea, sam, ada):
    made = []
    for i in range(25):
        scope = "clients" if i % 5 == 0 else "internal"
        made.append(
            opportunities.propose(session, lea, Proposal(f"Idea {i:02d}", STAKE, "", scope))
        )
    special = opportunities.propose(session, lea, Proposal("100% on_time deliveries", STAKE))
    opportunities.triage(session, ada, made[3].id, "planned", "")
    for person in (sam, ada):
        opportunities.support(session, made[7].id, person.id)
    opportunities.support(session, made[1].id, sam.id)

    rows, total = opportunities.board(session, sam.id, BoardFilter(), 1, 10)
    assert total == 26 and len(rows) == 10
    assert [r.opportunity.id for r in rows[:2]] == [made[7].id, made[1].id]
    assert (rows[0].supporters, rows[0].supported, rows[0].proposer) == (2, True, "Lea Learner")
    assert rows[2].opportunity.id == special.id  # then the newest
    rows, _ = opportunities.board(session, sam.id, BoardFilter(), 3, 10)
    assert len(rows) == 6
    newest, _ = opportunities.board(session, sam.id, BoardFilter(sort="new"), 1, 3)
    assert [r.opportunity.id for r in newest] == [special.id, made[24].id, made[23].id]

    def ids(**wanted):
        found, total = opportunities.board(session, sam.id, BoardFilter(**wanted), 1, 50)
        assert total == len(found)
        return {r.opportunity.id for r in found}

    assert ids(status="planned") == {made[3].id}
    assert ids(scope="clients") == {made[i].id for i in range(0, 25, 5)}
    assert ids(search="idea 1") == {made[i].id for i in range(10, 20)}
    assert ids(search="0%") == {special.id}  # % and _ are literal characters
    assert ids(search="n_t") == {special.id}
    assert ids(status="parked") == set()
    counts = opportunities.status_counts(session)
    assert counts == {"open": 25, "planned": 1, "workshop": 0, "done": 0, "parked": 0}


# Pages


def test_the_board_needs_a_login_and_is_in_the_menu(client, lea):
    assert client.get("/opportunities").status_code == 302
    log_in(client, lea.email)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/opportunities">Opportunities</a>' in html
    page = client.get("/opportunities").get_data(as_text=True)
    assert "Nobody has proposed an opportunity yet" in page
    assert 'href="/opportunities/new"' in page


def test_a_learner_proposes_through_the_form(client, session, lea):
    log_in(client, lea.email)
    response = post(
        client,
        "/opportunities/new",
        {"title": "Plan the onboarding", "stake": STAKE, "involved": "", "scope": "internal"},
    )
    found = session.scalar(select(Opportunity))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/opportunities/{found.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your opportunity is on the board" in page and STAKE in page
    assert "Edit the opportunity" in page
    assert "Change the status" not in page  # a learner does not triage
    board = client.get("/opportunities").get_data(as_text=True)
    assert "Plan the onboarding" in board and "Open: 1" in board


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "ab", "stake": STAKE}, "Use 3 to 200 characters for the title."),
        ({"title": "", "stake": STAKE}, "Give the opportunity a title of at least 3"),
        ({"title": "   ", "stake": STAKE}, "Give the opportunity a title of at least 3"),
        ({"title": "x" * 201, "stake": STAKE}, "Use 3 to 200 characters for the title."),
        ({"title": "A title", "stake": " "}, "Say what is at stake"),
        ({"title": "A title", "stake": STAKE, "scope": "moon"}, "Not a valid choice"),
    ],
)
def test_bad_proposals_show_a_message_not_an_error(client, session, lea, data, message):
    log_in(client, lea.email)
    response = post(client, "/opportunities/new", {"scope": "internal", **data})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html and "field-error" in html
    assert count(session, Opportunity) == 0


def test_forms_without_a_csrf_token_are_refused(client, idea, lea):
    log_in(client, lea.email)
    assert client.post("/opportunities/new", data={"title": "x", "stake": "y"}).status_code == 400
    for action in ("support", "unsupport", "comments", "status"):
        response = client.post(f"/opportunities/{idea.id}/{action}", data={"body": "x"})
        assert response.status_code in (400, 403), action


def test_the_new_form_is_prefilled_from_a_module(client, lea):
    log_in(client, lea.email)
    html = client.get("/opportunities/new?from=intro&title=Weekly+check-in").get_data(as_text=True)
    assert 'From the module <a href="/modules/intro">Introduction</a>' in html
    assert 'value="Weekly check-in"' in html
    assert 'name="source" type="hidden" value="intro"' in html
    unknown = client.get("/opportunities/new?from=../../etc&title=" + "x" * 500)
    text = unknown.get_data(as_text=True)
    assert unknown.status_code == 200 and "From the module" not in text
    assert 'value="' + "x" * 200 + '"' in text
    # A failed submit keeps the module's note.
    response = post(client, "/opportunities/new", {"title": "", "stake": "", "source": "intro"})
    assert "From the module" in response.get_data(as_text=True)


def test_support_and_comments_through_the_page(client, session, idea, sam):
    log_in(client, sam.email)
    url = f"/opportunities/{idea.id}"
    for _ in range(2):
        response = post(client, f"{url}/support", page=url)
        assert response.headers["Location"] == f"{url}#support"
    page = client.get(url).get_data(as_text=True)
    assert "1 person supports this." in page and "Withdraw my support" in page
    post(client, f"{url}/unsupport", page=url)
    assert "Nobody supports this yet." in client.get(url).get_data(as_text=True)

    response = post(
        client, f"{url}/comments", {"body": "<script>alert(1)</script> Count me in"}, url
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#comments")
    page = client.get(url).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Count me in" in page
    assert "<script>alert" not in page and "Comments (1)" in page
    empty = post(client, f"{url}/comments", {"body": "   "}, url)
    assert empty.status_code == 200
    assert "Write a comment before posting it." in empty.get_data(as_text=True)
    long = post(client, f"{url}/comments", {"body": "x" * 4001}, url)
    assert long.status_code == 200 and "at most 4000" in long.get_data(as_text=True)
    assert count(session, OpportunityComment) == 1


def test_comments_come_a_page_at_a_time(client, session, idea, sam):
    for i in range(51):
        opportunities.comment(session, idea.id, sam, f"Comment number {i:02d}")
    log_in(client, sam.email)
    first = client.get(f"/opportunities/{idea.id}").get_data(as_text=True)
    assert "Comment number 49" in first and "Comment number 50" not in first
    assert "Comments (51)" in first and "page 1 of 2" in first
    response = post(client, f"/opportunities/{idea.id}/comments", {"body": "The last"})
    assert response.headers["Location"] == f"/opportunities/{idea.id}?page=2#comments"
    second = client.get(f"/opportunities/{idea.id}?page=2").get_data(as_text=True)
    assert "Comment number 50" in second and "The last" in second


def test_a_learner_cannot_triage(client, session, idea, lea, caplog):
    caplog.set_level(logging.INFO, logger="cocourse.security")
    log_in(client, lea.email)
    url = f"/opportunities/{idea.id}"
    response = post(client, f"{url}/status", {"status": "planned", "reason": "x"}, url)
    assert response.status_code == 403
    [event] = events(caplog, "access_denied")
    assert event["opportunity_id"] == idea.id and event["user_id"] == lea.id
    session.expire_all()
    assert session.get(Opportunity, idea.id).status == "open"


def test_facilitators_triage_with_a_reason(client, session, idea, lea):
    holder = create_user(session, "fay@example.org", "Fay Facilitator", PASSWORD)
    certificate(session, holder)
    log_in(client, holder.email)
    url = f"/opportunities/{idea.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Change the status" in page
    refused = post(client, f"{url}/status", {"status": "parked", "reason": ""}, url)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Say why the opportunity is “Not for now”." in html
    bad = post(client, f"{url}/status", {"status": "closed", "reason": ""}, url)
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)
    session.expire_all()
    assert session.get(Opportunity, idea.id).status == "open"
    done = post(client, f"{url}/status", {"status": "planned", "reason": "Workshop in May"}, url)
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "The opportunity is now “Planned”." in page and "Workshop in May" in page
    assert "Edit the opportunity" not in page  # triage is not editing someone's text


def test_the_proposer_and_admins_edit_others_get_404(client, session, idea, sam, ada, caplog):
    caplog.set_level(logging.INFO, logger="cocourse.security")
    url = f"/opportunities/{idea.id}/edit"
    log_in(client, sam.email)
    assert client.get(url).status_code == 404
    token = csrf_token(client.get("/opportunities/new").get_data(as_text=True))
    data = {"csrf_token": token, "title": "Taken over", "stake": STAKE, "scope": "internal"}
    assert client.post(url, data=data).status_code == 404
    assert len(events(caplog, "access_denied")) == 2
    client.get("/logout")
    admin = log_in(client.application.test_client(), ada.email)
    form = admin.get(url).get_data(as_text=True)
    assert 'value="Onboarding with recruits"' in form
    data["csrf_token"] = csrf_token(form)
    bad = admin.post(url, data={**data, "title": "no"})
    assert bad.status_code == 200 and "Use 3 to 200 characters" in bad.get_data(as_text=True)
    assert admin.post(url, data=data).status_code == 302
    session.expire_all()
    assert session.get(Opportunity, idea.id).title == "Taken over"


@pytest.mark.parametrize("suffix", ["", "/edit"])
@pytest.mark.parametrize("opportunity_id", ["0", "999", "2147483648", "99999999999999999999"])
def test_missing_and_huge_ids_are_404(client, lea, idea, opportunity_id, suffix):
    log_in(client, lea.email)
    assert client.get(f"/opportunities/{opportunity_id}{suffix}").status_code == 404
    token = csrf_token(client.get("/opportunities/new").get_data(as_text=True))
    for action in ("support", "unsupport", "comments", "status"):
        response = client.post(
            f"/opportunities/{opportunity_id}/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 404, action


def test_board_filters_and_pages_through_the_page(client, session, lea, ada):
    for i in range(23):
        opportunities.propose(session, lea, Proposal(f"Idea {i:02d}", STAKE))
    opportunities.propose(session, lea, Proposal("Client panel", STAKE, "", "clients"))
    log_in(client, lea.email)
    first = client.get("/opportunities").get_data(as_text=True)
    assert "24 opportunities · page 1 of 2" in first
    assert 'href="/opportunities?page=2"' in first
    found = client.get("/opportunities?scope=clients&q=panel&status=open&sort=new")
    text = found.get_data(as_text=True)
    assert "1 opportunity found · page 1 of 1" in text and "Client panel" in text
    assert "Idea 00" not in text
    junk = client.get("/opportunities?status=<x>&scope=moon&sort=random&page=abc&q=" + "y" * 500)
    assert junk.status_code == 200 and "0 opportunities found" in junk.get_data(as_text=True)
    assert client.get("/opportunities?page=99999999999").status_code == 400
    assert "page 9 of 2" in client.get("/opportunities?page=9").get_data(as_text=True)


def test_the_board_can_be_switched_off(engine, database_url, tmp_path, session):
    create_user(session, "lea@example.org", "Lea", PASSWORD)
    app = make_app(database_url, tmp_path, DISABLED_PLUGINS=["opportunities"])
    assert app.extensions["cocourse.plugins"].get_plugin("opportunities") is None
    client = log_in(app.test_client(), "lea@example.org")
    assert "Opportunities" not in client.get("/").get_data(as_text=True)
    assert client.get("/opportunities").status_code == 404


# From the Tasting track's exercise to the board


def test_an_answer_about_an_opportunity_can_start_a_proposal(
    engine, database_url, tmp_path, session
):
    from pathlib import Path

    from cocourse.quiz import engine as quizzes

    bundled = Path(__file__).resolve().parents[1] / "content" / "modules"
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(bundled))
    lea = create_user(session, "lea@example.org", "Lea", PASSWORD)
    create_user(session, "bo@example.org", "Bo", PASSWORD)
    answer = (
        "The rota for the weekend shifts: the nurses who work them are never asked, and the "
        "planners decide alone. I would invite two nurses, a planner and the ward manager."
    )
    course = app.extensions["cocourse.course"].course
    module, lesson = course.quiz(
        course.module("tasting-01-what-co-creation-is").lessons[-1].quiz.id
    )
    with app.app_context():
        db = get_session()
        attempt = quizzes.start(db, lea.id, module, lesson)
        quizzes.submit(
            db,
            app.extensions["cocourse.plugins"],
            attempt.id,
            lea.id,
            {"t01-own": answer},
            app.extensions["cocourse.question_types"],
        )
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post(
        "/login", data={"email": "lea@example.org", "password": PASSWORD, "csrf_token": token}
    )
    result = client.get(f"/quiz/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Put your opportunity on the board?" in result
    form = client.get(f"/opportunities/new?attempt={attempt.id}").get_data(as_text=True)
    assert "The rota for the weekend shifts" in form
    assert "What co-creation is" in form or "tasting-01-what-co-creation-is" in form
    # Someone else's attempt fills in nothing.
    other = app.test_client()
    token = csrf_token(other.get("/login").get_data(as_text=True))
    other.post(
        "/login", data={"email": "bo@example.org", "password": PASSWORD, "csrf_token": token}
    )
    foreign = other.get(f"/opportunities/new?attempt={attempt.id}").get_data(as_text=True)
    assert "The rota for the weekend shifts" not in foreign
    assert session.scalar(select(func.count()).select_from(Opportunity)) == 0


def _client_of(app, email):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return client
