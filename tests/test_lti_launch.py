"""LTI 1.3 launches from a platform we did not write: `tests/lti/platform.py`, built on the
third-party `lti1p3platform` library, served on loopback beside the app. Each test drives
the real HTTP flow (login initiation, the platform's authorization endpoint, the signed
id_token posted back) with a `requests` session standing for the browser."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from cocourse.lti import grades, keys, roster
from cocourse.models import (
    CohortAssessor,
    CohortMember,
    LtiAccount,
    LtiContext,
    LtiPlatform,
    LtiResourceLink,
    LtiScore,
    QuizAttempt,
    User,
    utcnow,
)

from .lti.platform import TestPlatform
from .lti.site import CLIENT_ID, DEPLOYMENT, Site, serve_site


@pytest.fixture
def site(engine, database_url, tmp_path, session) -> Iterator[Site]:
    with serve_site(database_url, tmp_path, session) as found:
        yield found


def auto_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the page's auto-submitting form (the one carrying a
    signed token; a signed-in page also has a logout form)."""
    for attributes, body in re.findall(r"<form([^>]*)>(.*?)</form>", html, re.S):
        fields = {
            unescape(name): unescape(value)
            for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', body)
        }
        if "id_token" in fields or "JWT" in fields:
            return unescape(re.search(r'action="([^"]*)"', attributes).group(1)), fields
    raise AssertionError(f"no form with a token in: {html[:300]}")


def launch(http: requests.Session, site: Site, path: str) -> requests.Response:
    """Open a platform page that starts a launch, and follow it to the end, as a browser."""
    answer = http.get(site.platform.url + path)  # platform -> tool login -> platform auth
    assert answer.status_code == 200, answer.text[:500]
    action, fields = auto_form(answer.text)
    return http.post(action, data=fields, allow_redirects=False)


def start_login(http: requests.Session, site: Site, sub: str = "student-1") -> tuple[str, str]:
    """Only the tool's login initiation: the state (cookie set) and nonce it sends on."""
    answer = http.get(
        f"{site.base}/lti/login",
        params={
            "iss": site.platform.issuer,
            "login_hint": sub,
            "target_link_uri": f"{site.base}/lti/launch",
            "client_id": CLIENT_ID,
            "lti_deployment_id": DEPLOYMENT,
        },
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:300]
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    return query["state"][0], query["nonce"][0]


def test_a_launch_signs_the_learner_in_and_opens_the_lesson(site, session):
    link = site.platform.add_link(
        "Reading", f"{site.base}/lti/launch", custom={"target": "lesson:check/reading"}
    )
    http = requests.Session()
    answer = launch(http, site, f"/launch/{link.id}?as=student-1")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        "/modules/check/reading"
    )
    page = http.get(site.base + answer.headers["Location"])
    assert page.status_code == 200 and "Log out" in page.text
    user = session.scalar(select(User).where(User.email == "sam@school.test"))
    assert user is not None and user.name == "Sam Student" and user.role == "learner"
    context = session.scalar(select(LtiContext))
    assert context.context_id == site.platform.context_id
    member = session.scalar(select(CohortMember).where(CohortMember.user_id == user.id))
    assert member.cohort_id == context.cohort_id
    stored = session.scalar(select(LtiResourceLink))
    assert stored.target == "lesson:check/reading" and stored.lineitems_url


def test_a_teacher_is_the_assessor_of_the_course_cohort(site, session):
    link = site.platform.add_link(
        "Module", f"{site.base}/lti/launch", custom={"target": "module:check"}
    )
    answer = launch(requests.Session(), site, f"/launch/{link.id}?as=teacher-1")
    assert answer.headers["Location"].endswith("/modules/check")
    teacher = session.scalar(select(User).where(User.name == "Tess Teacher"))
    assert teacher.role == "assessor"
    assert session.scalar(select(CohortAssessor.user_id)) == teacher.id


def test_a_link_without_a_known_target_opens_the_catalog(site):
    link = site.platform.add_link("Gone", f"{site.base}/lti/launch", custom={"target": "quiz:gone"})
    answer = launch(requests.Session(), site, f"/launch/{link.id}?as=student-1")
    assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/"


def test_a_launch_cannot_be_played_again(site, session):
    link = site.platform.add_link(
        "Reading", f"{site.base}/lti/launch", custom={"target": "lesson:check/reading"}
    )
    http = requests.Session()
    assert launch(http, site, f"/launch/{link.id}?as=student-1").status_code == 302
    posted = site.platform.last_launch
    fields = {"id_token": posted["id_token"], "state": posted["state"]}
    again = http.post(posted["url"], data=fields, allow_redirects=False)
    assert again.status_code == 400 and "already used" in again.text
    # Nor from another browser, which never started the login.
    stranger = requests.post(posted["url"], data=fields, allow_redirects=False, timeout=10)
    assert stranger.status_code == 400
    assert session.scalar(select(func.count()).select_from(LtiAccount)) == 1


def forged(site: Site, http: requests.Session, **changes: Any) -> requests.Response:
    """A launch whose id_token the test altered and the platform signed."""
    link = site.platform.add_link(
        "Reading", f"{site.base}/lti/launch", custom={"target": "lesson:check/reading"}
    )
    state, nonce = start_login(http, site)
    claims = {**site.platform.launch_claims(link.id, "student-1", nonce), **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    token = site.platform.sign(claims)
    return http.post(
        f"{site.base}/lti/launch", data={"id_token": token, "state": state}, allow_redirects=False
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": int(time.time()) - 60, "iat": int(time.time()) - 600},
        {"aud": "another-tool"},
        {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "unknown-deployment"},
        {"iss": "https://evil.example"},
        {"exp": None},
    ],
    ids=["expired", "wrong-audience", "unknown-deployment", "unknown-issuer", "no-expiry"],
)
def test_bad_tokens_are_refused_and_sign_no_one_in(site, session, changes):
    http = requests.Session()
    answer = forged(site, http, **changes)
    assert answer.status_code in (400, 403), answer.text[:300]
    assert "could not be verified" in answer.text
    assert session.scalar(select(func.count()).select_from(User)) == 0
    assert "Log out" not in http.get(f"{site.base}/").text


def test_the_forged_launch_helper_makes_good_launches(site, session):
    # The refusals above are for the changes, not for the way the tokens were made.
    answer = forged(site, requests.Session())
    assert answer.status_code == 302


def test_a_token_signed_with_another_key_is_refused(site, session):
    http = requests.Session()
    link = site.platform.add_link(
        "Reading", f"{site.base}/lti/launch", custom={"target": "lesson:check/reading"}
    )
    state, nonce = start_login(http, site)
    other = TestPlatform(site.platform.tool)  # its own key, never published by our platform
    token = other.sign(site.platform.launch_claims(link.id, "student-1", nonce))
    answer = http.post(f"{site.base}/lti/launch", data={"id_token": token, "state": state})
    assert answer.status_code == 400
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_a_login_from_an_unregistered_platform_is_refused(site):
    answer = requests.get(
        f"{site.base}/lti/login",
        params={"iss": "https://unknown.example", "login_hint": "x", "target_link_uri": site.base},
        timeout=10,
    )
    assert answer.status_code == 400 and "not registered" in answer.text


def graded_attempt(session, user_id: int, quiz_id: str, percent: float) -> None:
    now = utcnow()
    number = session.scalar(select(func.count()).where(QuizAttempt.user_id == user_id)) + 1
    session.add(
        QuizAttempt(
            user_id=user_id,
            quiz_id=quiz_id,
            module_slug="check",
            lesson_slug="pool",
            number=number,
            content_hash="x",
            seed=1,
            started_at=now,
            submitted_at=now,
            pass_mark=80,
            percent=percent,
            passed=percent >= 80,
            questions=[],
            answers={},
        )
    )
    session.commit()


def test_the_best_quiz_score_goes_to_the_platforms_gradebook(site, session):
    link = site.platform.add_link(
        "Pool", f"{site.base}/lti/launch", custom={"target": "quiz:pool"}, with_lineitem=True
    )
    launch(requests.Session(), site, f"/launch/{link.id}?as=student-1")
    user = session.scalar(select(User).where(User.email == "sam@school.test"))
    graded_attempt(session, user.id, "pool", 50.0)
    graded_attempt(session, user.id, "pool", 100.0)
    graded_attempt(session, user.id, "pool", 0.0)
    with site.app.test_request_context():
        from cocourse.web.course import course

        assert grades.queue_quiz(session, course(), user.id, "pool") == 1
        assert grades.send_pending(session) == grades.Outcome(1, 0)
        assert grades.send_pending(session) == grades.Outcome(0, 0)  # nothing twice
    [score] = site.platform.scores
    assert score["userId"] == "student-1" and score["scoreGiven"] == 100.0
    assert score["scoreMaximum"] == 100.0 and score["activityProgress"] == "Completed"
    assert score["lineitem_id"] == link.lineitem_id


def test_a_link_without_a_column_gets_one_made(site, session):
    link = site.platform.add_link(
        "Module", f"{site.base}/lti/launch", custom={"target": "module:check"}
    )
    launch(requests.Session(), site, f"/launch/{link.id}?as=student-1")
    user = session.scalar(select(User).where(User.email == "sam@school.test"))
    with site.app.test_request_context():
        assert grades.queue_completion(session, user.id, "module:check") == 1
        assert grades.send_pending(session).sent == 1
    [column] = site.platform.lineitems.values()
    assert column["resourceLinkId"] == link.id and column["resourceId"] == "module:check"
    assert site.platform.scores[0]["scoreGiven"] == 100.0


def test_a_platform_that_is_down_gets_the_score_later(site, session):
    link = site.platform.add_link(
        "Pool", f"{site.base}/lti/launch", custom={"target": "quiz:pool"}, with_lineitem=True
    )
    launch(requests.Session(), site, f"/launch/{link.id}?as=student-1")
    user = session.scalar(select(User).where(User.email == "sam@school.test"))
    graded_attempt(session, user.id, "pool", 100.0)
    platform = session.scalar(select(LtiPlatform))
    good_token_url = platform.auth_token_url
    platform.auth_token_url = "http://127.0.0.1:9/token"  # nothing listens there
    session.commit()
    with site.app.test_request_context():
        from cocourse.web.course import course

        grades.queue_quiz(session, course(), user.id, "pool")
        assert grades.send_pending(session) == grades.Outcome(0, 1)
    row = session.scalar(select(LtiScore))
    session.rollback()
    assert row.sent_at is None and row.tries == 1 and row.last_error
    platform = session.scalar(select(LtiPlatform))
    platform.auth_token_url = good_token_url
    session.commit()
    with site.app.test_request_context():
        assert grades.send_pending(session).sent == 1
    assert len(site.platform.scores) == 1


def test_the_roster_comes_into_the_cohort(site, session):
    link = site.platform.add_link(
        "Reading", f"{site.base}/lti/launch", custom={"target": "lesson:check/reading"}
    )
    launch(requests.Session(), site, f"/launch/{link.id}?as=teacher-1")
    context = session.scalar(select(LtiContext))
    assert context.memberships_url
    with site.app.test_request_context():
        first = roster.sync(session, context)
    assert first.error is None and first.members == 3 and first.created == 2
    members = set(
        session.scalars(
            select(CohortMember.user_id).where(CohortMember.cohort_id == context.cohort_id)
        )
    )
    assert len(members) == 2
    del site.platform.users["student-2"]
    with site.app.test_request_context():
        second = roster.sync(session, context)
    assert second.removed == 1 and second.created == 0
    session.rollback()
    left = set(
        session.scalars(
            select(CohortMember.user_id).where(CohortMember.cohort_id == context.cohort_id)
        )
    )
    assert len(left) == 1 and left < members


def test_scores_and_deep_links_still_verify_after_a_key_rotation(site, session):
    link = site.platform.add_link(
        "Pool", f"{site.base}/lti/launch", custom={"target": "quiz:pool"}, with_lineitem=True
    )
    launch(requests.Session(), site, f"/launch/{link.id}?as=student-1")
    user = session.scalar(select(User).where(User.email == "sam@school.test"))
    with site.app.test_request_context():
        old = keys.signing_key(session).kid
        new = keys.rotate(session).kid
    published = {
        k["kid"] for k in requests.get(f"{site.base}/lti/jwks.json", timeout=10).json()["keys"]
    }
    assert published == {old, new}
    graded_attempt(session, user.id, "pool", 100.0)
    with site.app.test_request_context():
        from cocourse.web.course import course

        grades.queue_quiz(session, course(), user.id, "pool")
        assert grades.send_pending(session).sent == 1  # the platform checked the new key


@pytest.mark.parametrize(
    "fields",
    [{}, {"state": "state-x"}, {"state": "state-x", "id_token": "not.a.jwt"}, {"id_token": "x"}],
    ids=["empty", "no-token", "junk-token", "no-state"],
)
def test_junk_posted_to_the_launch_gets_a_clear_refusal(site, fields):
    answer = requests.post(f"{site.base}/lti/launch", data=fields, timeout=10)
    assert answer.status_code == 400 and "could not be verified" in answer.text


def test_only_teachers_may_pick_content(site, session):
    http = requests.Session()
    answer = launch(http, site, "/deep-link?as=student-1")
    assert answer.status_code == 403 and "Only a course" in answer.text
    assert http.get(f"{site.base}/lti/deep-link", allow_redirects=False).status_code == 404
    assert session.scalar(select(func.count()).select_from(User)) == 0  # nobody signed in


def test_the_picker_sends_a_signed_answer_the_platform_accepts(site, session):
    http = requests.Session()
    answer = launch(http, site, "/deep-link?as=teacher-1")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/lti/deep-link")
    picker = http.get(f"{site.base}/lti/deep-link")
    token = re.search(r'name="csrf_token" value="([^"]+)"', picker.text).group(1)
    empty = http.post(f"{site.base}/lti/deep-link", data={"csrf_token": token})
    assert empty.status_code == 200 and "Choose at least one item" in empty.text
    chosen = http.post(
        f"{site.base}/lti/deep-link",
        data={"csrf_token": token, "target": ["module:check", "quiz:nope", "lesson:check/reading"]},
    )
    assert f"form-action 'self' {site.platform.url}" in chosen.headers["Content-Security-Policy"]
    action, fields = auto_form(chosen.text)
    assert action == site.platform.url + "/deep-link/return"
    back = http.post(action, data=fields, allow_redirects=False)
    assert back.status_code == 302
    placed = {link.title: link for link in site.platform.links.values()}
    assert set(placed) == {"Check yourself", "Check yourself: Reading"}  # the unknown one dropped
    assert placed["Check yourself"].lineitem_id and placed["Check yourself"].custom == {
        "target": "module:check"
    }
    assert placed["Check yourself: Reading"].lineitem_id is None
    # The choice is made once: the pending request is gone.
    assert http.get(f"{site.base}/lti/deep-link").status_code == 404
