"""Workshops and the opportunity board speak Dutch and French: the workshop list, a workshop's
page, the schedule form, the board and an opportunity's page, a flash and a service's refusal."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from cocourse.content.workshop_kit import Block
from cocourse.db import get_session
from cocourse.models import MailMessage, Role, utcnow
from cocourse.opportunities import services as opportunities
from cocourse.opportunities.services import Proposal
from cocourse.workshops import services
from cocourse.workshops.services import Plan

from .conftest import PASSWORD, create_user, csrf_token
from .conftest import page_in as page

HEADERS = {"nl": {"Accept-Language": "nl"}, "fr": {"Accept-Language": "fr"}}
MONTHS = {
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}


def log_in(app, email):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def ada(session):
    return create_user(session, "ada@example.org", "Ada Admin", PASSWORD, Role.ADMIN)


@pytest.fixture
def workshop(app, ada):
    """A tasting workshop in ten days, led by Ada (an admin may schedule)."""
    plan = Plan(
        kind="tasting",
        title="Tasting in Ghent",
        purpose="Try consent on a real question.",
        day=(utcnow() + timedelta(days=10)).date(),
        start=time(9, 30),
        minutes=95,
        timezone="Europe/Brussels",
        place="Room 3",
        video_url="",
        capacity=2,
        agenda=(Block("Check-in", 15), Block("1-2-4-All", 60), Block("Close", 20)),
    )
    with app.test_request_context():
        return services.schedule(get_session(), ada, plan, utcnow())


def month_named(html, language):
    return any(month in html for month in MONTHS[language].split())


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            ["Binnenkort", "De workshopkit", "Een workshop plannen", "Workshops die je begeleidt"],
        ),
        ("fr", ["À venir", "Le kit d'atelier", "Planifier un atelier", "Ateliers que vous animez"]),
    ],
)
def test_the_workshop_list(app, workshop, language, words):
    html = page(log_in(app, "ada@example.org"), "/workshops", language)
    for word in words:
        assert word in html
    assert "Coming up" not in html
    assert month_named(html, language)  # the date of the workshop, in words


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Wanneer", "Begeleid door", "Wie er komt", "Iemand uitnodigen", "0 van 2 bezet"]),
        ("fr", ["Quand", "Animé par", "Qui vient", "Inviter quelqu'un", "0 prise sur 2"]),
    ],
)
def test_the_workshop_page(app, workshop, language, words):
    html = page(log_in(app, "ada@example.org"), f"/workshops/{workshop.id}", language)
    for word in words:
        assert word in html
    assert "Who is coming" not in html
    assert month_named(html, language)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Een workshop plannen", "Duur in minuten", "Tijdzone", "Plannen</button>"]),
        (
            "fr",
            ["Planifier un atelier", "Durée en minutes", "Fuseau horaire", "Planifier</button>"],
        ),
    ],
)
def test_the_schedule_form_for_a_facilitator(app, ada, language, words):
    html = page(log_in(app, "ada@example.org"), "/workshops/new", language)
    for word in words:
        assert word in html
    assert "Length in minutes" not in html


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("nl", "Kies een datum en uur in de toekomst."),
        ("fr", "Choisissez une date et une heure à venir."),
    ],
)
def test_a_refused_schedule_says_why_in_the_language(app, ada, language, refusal):
    client = log_in(app, "ada@example.org")
    token = csrf_token(page(client, "/workshops/new", language))
    data = {
        "csrf_token": token,
        "kind": "tasting",
        "title": "Too late",
        "day": (utcnow() - timedelta(days=3)).date().isoformat(),
        "start": "09:30",
        "minutes": "30",
        "timezone": "Europe/Brussels",
        "place": "Room 3",
        "capacity": "5",
        "opportunity": "0",
        "agenda": "30 Everything",
    }
    response = client.post("/workshops/new", data=data, headers=HEADERS[language])
    assert refusal in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "flash", "subject"),
    [
        ("nl", "Je hebt een plaats. De uitnodiging zit in je mailbox", "Je hebt een plaats: "),
        (
            "fr",
            "Vous avez une place. L&#39;invitation est dans votre boîte mail",
            "Vous avez une place : ",
        ),
    ],
)
def test_signing_up_is_told_and_mailed_in_the_language(
    app, session, workshop, language, flash, subject
):
    create_user(session, "lea@example.org", "Lea Learner", PASSWORD)
    client = log_in(app, "lea@example.org")
    path = f"/workshops/{workshop.id}"
    token = csrf_token(page(client, path, language))
    response = client.post(
        f"{path}/sign-up",
        data={"csrf_token": token},
        headers=HEADERS[language],
        follow_redirects=True,
    )
    assert flash in response.get_data(as_text=True)
    session.rollback()
    mail = session.scalars(
        select(MailMessage).where(MailMessage.to_address == "lea@example.org")
    ).one()
    assert mail.subject.startswith(subject)
    assert month_named(mail.text_body, language)


@pytest.fixture
def idea(session, ada):
    return opportunities.propose(
        session, ada, Proposal("Onboarding with recruits", "New colleagues feel lost.")
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Kansen", "Een kans voorstellen", "1 kans", "0 supporters", "Titel bevat"]),
        (
            "fr",
            ["Occasions", "Proposer une occasion", "1 occasion", "0 soutien", "Le titre contient"],
        ),
    ],
)
def test_the_opportunity_board(app, idea, language, words):
    html = page(log_in(app, "ada@example.org"), "/opportunities", language)
    for word in words:
        assert word in html
    assert "Propose an opportunity" not in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Wat er op het spel staat",
                "Nog niemand steunt dit.",
                "Deze kans steunen",
                "De status wijzigen",
            ],
        ),
        (
            "fr",
            [
                "L'enjeu",
                "Personne ne soutient encore",
                "Soutenir cette occasion",
                "Modifier le statut",
            ],
        ),
    ],
)
def test_an_opportunity_page(app, idea, language, words):
    html = page(log_in(app, "ada@example.org"), f"/opportunities/{idea.id}", language)
    for word in words:
        assert word in html
    assert "Support this opportunity" not in html


def test_an_invitation_is_mailed_in_the_language_the_person_chose(app, session, workshop, ada):
    bea = create_user(session, "bea@example.org", "Bea", PASSWORD)
    bea.language = "fr"
    session.commit()
    with app.test_request_context(headers=HEADERS["nl"]):  # the facilitator reads Dutch
        services.invite(get_session(), workshop.id, ada, "", "bea@example.org", utcnow())
    session.rollback()
    mail = session.scalars(
        select(MailMessage).where(MailMessage.to_address == "bea@example.org")
    ).one()
    assert mail.subject == "Vous avez une place : Tasting in Ghent"
    assert "Bonjour Bea," in mail.text_body
    assert month_named(mail.text_body, "fr")
