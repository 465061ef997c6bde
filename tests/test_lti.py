"""LTI 1.3 parts that need no platform: the tool's keys, the claim checks pylti1p3 leaves
to us, single-use login state, accounts and cohorts from launch claims, and the admin page
where platforms are registered. Launches from a real platform are in test_lti_launch.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pylti1p3.contrib.flask import FlaskRequest
from sqlalchemy import func, select

from cocourse.accounts.services import create_user
from cocourse.content.loader import load_course
from cocourse.lti import keys, services, tool
from cocourse.lti.tool import LaunchRefused
from cocourse.models import (
    Cohort,
    CohortAssessor,
    CohortMember,
    LtiAccount,
    LtiKey,
    LtiPlatform,
    Role,
    User,
    utcnow,
)

from .conftest import FIXTURES, PASSWORD, admin_client_of, csrf_token, run_concurrently

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def platform_row(session, **changes) -> LtiPlatform:
    values = {
        "name": "School Moodle",
        "issuer": "https://moodle.example.org",
        "client_id": "client-1",
        "auth_login_url": "https://moodle.example.org/auth",
        "auth_token_url": "https://moodle.example.org/token",
        "key_set_url": "https://moodle.example.org/jwks",
        "deployments": "dep-1\ndep-2",
        **changes,
    }
    row = LtiPlatform(**values)
    session.add(row)
    session.commit()
    return row


def test_the_key_set_publishes_new_and_lately_retired_keys(app, session):
    with app.app_context():
        first = keys.signing_key(session)
        assert keys.signing_key(session).kid == first.kid  # made once
        second = keys.rotate(session)
        published = {k["kid"] for k in keys.key_set(session)["keys"]}
        assert published == {first.kid, second.kid}
        assert keys.signing_key(session).kid == second.kid
        later = utcnow() + keys.KEEP_RETIRED + timedelta(minutes=1)
        assert {k["kid"] for k in keys.key_set(session, later)["keys"]} == {second.kid}
        entry = keys.key_set(session)["keys"][0]
        assert entry["kty"] == "RSA" and entry["alg"] == "RS256" and entry["use"] == "sig"
        assert "d" not in entry  # no private part
    assert session.scalar(select(func.count()).select_from(LtiKey)) == 2


def test_the_key_set_route_is_public_json(client):
    answer = client.get("/lti/jwks.json")
    assert answer.status_code == 200 and answer.is_json
    assert len(answer.get_json()["keys"]) == 1


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([INSTRUCTOR], True),
        ([LEARNER], False),
        (["Instructor"], True),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], True),
        # An institution role says nothing about this course.
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"], False),
        ("Instructor", False),
        ([None, 3], False),
    ],
)
def test_teaching_roles(roles, expected):
    assert services.teaches(roles) is expected


def claims(**changes):
    now = 1_800_000_000
    return {"aud": "client-1", "sub": "u-1", "exp": now + 300, "iat": now, **changes}


@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        ({"aud": "someone-else"}, "wrong_audience"),
        ({"aud": ["client-1", "other"], "azp": "other"}, "wrong_audience"),
        ({"exp": None}, "no_lifetime"),
        ({"iat": 1_800_000_000 + 3600}, "issued_in_future"),
        ({"sub": ""}, "anonymous_launch"),
    ],
)
def test_claims_pylti1p3_leaves_unchecked_are_checked(changed, reason):
    with pytest.raises(LaunchRefused) as refused:
        tool.check_claims(claims(**changed), "client-1", 1_800_000_000)
    assert refused.value.reason == reason


def test_good_claims_pass():
    tool.check_claims(claims(), "client-1", 1_800_000_000)
    tool.check_claims(claims(aud=["client-1", "x"], azp="client-1"), "client-1", 1_800_000_000)


def test_a_nonce_is_consumed_once_even_by_racing_launches(app, session):
    with app.test_request_context("/lti/launch", method="POST"):
        from cocourse.db import get_session

        sessions, storage = tool.services(get_session(), FlaskRequest())
        sessions.save_nonce("n-1")
    results = []

    def launch(_i: int) -> None:
        with app.test_request_context("/lti/launch", method="POST"):
            from cocourse.db import get_session

            racing, _ = tool.services(get_session(), FlaskRequest())
            results.append(racing.check_nonce("n-1"))

    assert run_concurrently(app, 4, launch) == []
    assert sorted(results) == [False, False, False, True]
    assert storage is not None


def test_an_expired_value_is_gone(app, session):
    with app.test_request_context("/"):
        from cocourse.db import get_session

        storage = tool.DatabaseStorage(get_session())
        storage.set_value("k", {"a": 1}, exp=60)
        assert storage.get_value("k") == {"a": 1}
        storage.set_value("k", {"a": 2}, exp=-1)
        assert storage.get_value("k") is None and not storage.consume("k")


def test_deployments_and_client_ids_are_those_registered(app, session):
    platform_row(session)
    platform_row(session, client_id="client-2", deployments="dep-9")
    with app.app_context():
        conf = tool.ToolConf(session)
        assert conf.find_registration_by_params("https://moodle.example.org", "client-2")
        assert conf.find_registration_by_params("https://moodle.example.org", "nope") is None
        # Two registrations of one issuer: a login without client_id cannot choose.
        assert conf.find_registration_by_issuer("https://moodle.example.org") is None
        assert conf.find_deployment_by_params("https://moodle.example.org", "dep-2", "client-1")
        assert not conf.find_deployment_by_params("https://moodle.example.org", "dep-9", "client-1")
        assert not conf.find_deployment_by_params("https://other.example.org", "dep-1", "client-1")


def launch_claims(sub="u-1", **changes):
    return {
        "sub": sub,
        "name": "Sam Student",
        "email": "sam@school.test",
        services.ROLES: [LEARNER],
        services.CONTEXT: {"id": "c-1", "title": "Co-creation 101"},
        **changes,
    }


def test_a_first_launch_makes_an_account_and_later_ones_find_it(app, session):
    platform = platform_row(session)
    with app.app_context():
        first = services.sign_in(session, platform, launch_claims())
        again = services.sign_in(session, platform, launch_claims(email="changed@school.test"))
    assert first.created and not again.created and first.user.id == again.user.id
    assert first.user.email == "sam@school.test" and first.user.role == Role.LEARNER.value
    assert first.user.password_hash.startswith("!")  # no password logs in


def test_an_existing_email_is_not_taken_over_unless_the_platform_is_trusted(app, session):
    create_user(session, "sam@school.test", "Local Sam", PASSWORD, Role.ADMIN)
    platform = platform_row(session)
    with app.app_context(), pytest.raises(LaunchRefused) as refused:
        services.sign_in(session, platform, launch_claims())
    assert refused.value.reason == "email_taken"
    assert session.scalar(select(func.count()).select_from(LtiAccount)) == 0
    platform.link_by_email = True
    session.commit()
    with app.app_context():
        linked = services.sign_in(
            session, platform, launch_claims(**{services.ROLES: [INSTRUCTOR]})
        )
    assert not linked.created and linked.user.name == "Local Sam"
    assert linked.user.role == Role.ADMIN.value  # a launch never lowers a role


def test_no_email_gets_an_address_that_receives_nothing(app, session):
    platform = platform_row(session)
    with app.app_context():
        signed = services.sign_in(session, platform, launch_claims(email=None, name=None))
    assert signed.user.email.endswith("@lti.invalid")
    assert signed.user.name == signed.user.email.partition("@")[0]


def test_a_teacher_becomes_an_assessor_of_the_course_cohort(app, session):
    platform = platform_row(session)
    with app.app_context():
        teacher = services.sign_in(
            session,
            platform,
            launch_claims("t-1", email="t@school.test", **{services.ROLES: [INSTRUCTOR]}),
        )
        learner = services.sign_in(session, platform, launch_claims())
        context = services.join_context(
            session, platform, launch_claims("t-1", **{services.ROLES: [INSTRUCTOR]}), teacher.user
        )
        services.join_context(session, platform, launch_claims(), learner.user)
        services.join_context(session, platform, launch_claims(), learner.user)  # twice: once
    assert teacher.user.role == Role.ASSESSOR.value
    cohort = session.get(Cohort, context.cohort_id)
    assert cohort.name == "Co-creation 101 (School Moodle)"
    members = session.scalars(
        select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
    ).all()
    assessors = session.scalars(
        select(CohortAssessor.user_id).where(CohortAssessor.cohort_id == cohort.id)
    ).all()
    assert members == [learner.user.id] and assessors == [teacher.user.id]


def test_a_learner_who_teaches_on_the_platform_becomes_an_assessor(app, session):
    platform = platform_row(session)
    with app.app_context():
        services.sign_in(session, platform, launch_claims())
        promoted = services.sign_in(
            session, platform, launch_claims(**{services.ROLES: [INSTRUCTOR]})
        )
    assert promoted.old_role == "learner" and promoted.user.role == "assessor"


def test_a_deactivated_account_is_refused(app, session):
    platform = platform_row(session)
    with app.app_context():
        user = services.sign_in(session, platform, launch_claims()).user
    session.get(User, user.id).deactivated_at = utcnow()
    session.commit()
    with app.app_context(), pytest.raises(LaunchRefused) as refused:
        services.sign_in(session, platform, launch_claims())
    assert refused.value.reason == "deactivated"


def test_cohort_names_do_not_collide(app, session):
    session.add(Cohort(name="Co-creation 101 (School Moodle)", join_code="X", description=""))
    session.commit()
    platform = platform_row(session)
    with app.app_context():
        user = services.sign_in(session, platform, launch_claims()).user
        context = services.join_context(session, platform, launch_claims(), user)
    assert session.get(Cohort, context.cohort_id).name == "Co-creation 101 (School Moodle) 2"


def test_targets_open_what_the_course_has():
    course = load_course(FIXTURES / "quiz_course").course
    assert services.path_of(course, "module:check") == "/modules/check"
    assert services.path_of(course, "lesson:check/reading") == "/modules/check/reading"
    assert services.path_of(course, "quiz:pool") == "/modules/check/pool"
    for missing in ("module:nope", "lesson:check/nope", "quiz:nope", "lesson:check", "junk", ""):
        assert services.path_of(course, missing) is None


def test_admins_register_platforms_and_others_cannot(app, session):
    admin = admin_client_of(app, session)
    page = admin.get("/admin/lti")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "/lti/login" in text and "/lti/launch" in text and "/lti/jwks.json" in text
    form = {
        "csrf_token": csrf_token(text),
        "name": "School Moodle",
        "issuer": "https://moodle.example.org",
        "client_id": "client-1",
        "auth_login_url": "https://moodle.example.org/auth",
        "auth_token_url": "https://moodle.example.org/token",
        "key_set_url": "javascript:alert(1)",
        "deployments": " dep-1 \n\n dep-2 ",
    }
    bad = admin.post("/admin/lti/platforms", data=form)
    assert bad.status_code == 400 and "starting with https://" in bad.get_data(as_text=True)
    form["key_set_url"] = "https://moodle.example.org/jwks"
    assert admin.post("/admin/lti/platforms", data=form).status_code == 302
    saved = session.scalar(select(LtiPlatform))
    assert saved.deployment_ids == ["dep-1", "dep-2"] and saved.link_by_email is False
    twice = admin.post("/admin/lti/platforms", data=form)
    assert twice.status_code == 400 and "registered already" in twice.get_data(as_text=True)
    form["name"] = "Renamed"
    assert admin.post(f"/admin/lti/platforms/{saved.id}", data=form).status_code == 302
    session.rollback()  # a fresh read
    assert session.get(LtiPlatform, saved.id).name == "Renamed"
    assert admin.post("/admin/lti/platforms/999999", data=form).status_code == 404

    learner = app.test_client()
    create_user(session, "l@example.org", "L", PASSWORD)
    token = csrf_token(learner.get("/login").get_data(as_text=True))
    learner.post(
        "/login", data={"email": "l@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert learner.get("/admin/lti").status_code == 403
    assert learner.post("/admin/lti/platforms", data=form).status_code in (400, 403)
    assert session.scalar(select(func.count()).select_from(LtiPlatform)) == 1


def test_removing_a_platform_keeps_the_people_and_cohorts_it_made(app, session):
    platform = platform_row(session)
    with app.app_context():
        user = services.sign_in(session, platform, launch_claims()).user
        context = services.join_context(session, platform, launch_claims(), user)
    admin = admin_client_of(app, session)
    token = csrf_token(admin.get("/admin/lti").get_data(as_text=True))
    assert admin.post(f"/admin/lti/platforms/{platform.id}/delete", data={}).status_code == 400
    answer = admin.post(f"/admin/lti/platforms/{platform.id}/delete", data={"csrf_token": token})
    assert answer.status_code == 302
    session.rollback()
    assert session.scalar(select(func.count()).select_from(LtiPlatform)) == 0
    assert session.scalar(select(func.count()).select_from(LtiAccount)) == 0
    assert session.get(User, user.id) is not None
    assert session.get(Cohort, context.cohort_id) is not None
