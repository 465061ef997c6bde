"""What a verified LTI launch does in cocourse: the person's account (by the platform's
`sub`), their place in the cohort that stands for the platform's course, the resource link
and what it opens. Nothing here reads the request; each function owns its transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse.accounts.services import normalize_email
from cocourse.accounts.sessions import revoke_all_within
from cocourse.cohorts.people import unusable_password
from cocourse.cohorts.services import new_join_code
from cocourse.content.loader import lesson_url, module_url
from cocourse.content.model import Course
from cocourse.db import write
from cocourse.lti.tool import LaunchRefused
from cocourse.models import (
    Cohort,
    CohortAssessor,
    CohortMember,
    LtiAccount,
    LtiContext,
    LtiPlatform,
    LtiResourceLink,
    Role,
    User,
    utcnow,
)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
CUSTOM = CLAIM + "custom"
TARGET_LINK_URI = CLAIM + "target_link_uri"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
# Context roles (LIS vocabulary) that teach: they become assessors of the course's cohort.
TEACHING = frozenset({"Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator"})
# Where no email is shared: an address that cannot receive mail (RFC 2606's .invalid).
NO_EMAIL_DOMAIN = "lti.invalid"


@dataclass(frozen=True)
class SignedIn:
    """Who a launch signed in, and what it changed."""

    user: User
    created: bool
    old_role: str | None  # set when the launch made a learner an assessor


def teaches(roles: Any) -> bool:
    """Whether LTI roles include a teaching role in the course (context), full URI or the
    short form LTI 1.3 still allows."""
    if not isinstance(roles, list):
        return False
    for role in roles:
        if not isinstance(role, str):
            continue
        base, _, name = role.rpartition("#")
        in_context = "/membership" in base or not base
        if in_context and name.split("#")[-1] in TEACHING:
            return True
    return False


def placeholder_email(platform: LtiPlatform, sub: str) -> str:
    """The address of an account whose platform shares no email."""
    digest = hashlib.sha256(f"{platform.id}:{sub}".encode()).hexdigest()[:20]
    return f"lti-{digest}@{NO_EMAIL_DOMAIN}"


def display_name(claims: Mapping[str, Any], fallback: str) -> str:
    """The person's name from the launch, else `fallback`."""
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return (name or fallback).strip()[:120]


def sign_in(session: Session, platform: LtiPlatform, claims: Mapping[str, Any]) -> SignedIn:
    """The account linked to the launch's `sub`, created on a first launch; raises
    LaunchRefused for a deactivated account or an email that belongs to someone else."""
    try:
        return _sign_in(session, platform, claims)
    except IntegrityError:
        # Two first launches of one person at once: the other created the link.
        return _sign_in(session, platform, claims)


def _sign_in(session: Session, platform: LtiPlatform, claims: Mapping[str, Any]) -> SignedIn:
    sub = str(claims["sub"])
    teaching = teaches(claims.get(ROLES))
    with write(session):
        account = session.scalar(
            select(LtiAccount).where(LtiAccount.platform_id == platform.id, LtiAccount.sub == sub)
        )
        if account is not None:
            user = session.get(User, account.user_id, with_for_update=True)
            assert user is not None  # the link goes with the account
            created = False
        else:
            user, created = _first_launch(session, platform, sub, claims, teaching)
            session.add(LtiAccount(platform_id=platform.id, sub=sub, user_id=user.id))
        if not user.is_active:
            raise LaunchRefused(
                "deactivated",
                _("Your cocourse account is deactivated. Ask an administrator if you need it."),
                403,
            )
        old_role = None
        if teaching and user.role == Role.LEARNER.value and not created:
            old_role, user.role = user.role, Role.ASSESSOR.value
            # As with a change on the People page: every other login of the person ends.
            revoke_all_within(session, user.id, utcnow())
        session.flush()
        return SignedIn(user, created, old_role)


def _first_launch(
    session: Session, platform: LtiPlatform, sub: str, claims: Mapping[str, Any], teaching: bool
) -> tuple[User, bool]:
    """The account for a `sub` seen for the first time: an existing one with the launch's
    email when the platform is trusted to vouch for emails, else a new one."""
    email = claims.get("email")
    email = normalize_email(email) if isinstance(email, str) and "@" in email else None
    if email:
        existing = session.scalar(select(User).where(User.email == email))
        if existing is not None:
            if not platform.link_by_email:
                raise LaunchRefused(
                    "email_taken",
                    _(
                        "A cocourse account with the email %(email)s already exists, and "
                        "%(platform)s is not allowed to sign in to existing accounts. Ask a "
                        "cocourse administrator to allow it on the platform's settings.",
                        email=email,
                        platform=platform.name,
                    ),
                    403,
                )
            return existing, False
    address = email or placeholder_email(platform, sub)
    user = User(
        email=address,
        name=display_name(claims, address.partition("@")[0]),
        password_hash=unusable_password(),
        role=(Role.ASSESSOR if teaching else Role.LEARNER).value,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user, True


def join_context(
    session: Session, platform: LtiPlatform, claims: Mapping[str, Any], user: User
) -> LtiContext | None:
    """Put the person in the cohort of the launch's course (made on its first launch):
    learners as members, teachers as its assessors. None when the launch has no course."""
    context = claims.get(CONTEXT)
    if not isinstance(context, Mapping) or not context.get("id"):
        return None
    context_id = str(context["id"])[:255]
    title = str(context.get("title") or context.get("label") or context_id)[:255]
    nrps = claims.get(NRPS)
    memberships = nrps.get("context_memberships_url") if isinstance(nrps, Mapping) else None
    with write(session):
        found = session.scalar(
            select(LtiContext).where(
                LtiContext.platform_id == platform.id, LtiContext.context_id == context_id
            )
        )
        if found is None:
            cohort = Cohort(
                name=_free_cohort_name(session, f"{title} ({platform.name})"),
                description=f"Members of {title} on {platform.name}, kept by LTI launches.",
                join_code=new_join_code(),
                created_at=utcnow(),
            )
            session.add(cohort)
            session.flush()
            found = LtiContext(
                platform_id=platform.id, context_id=context_id, title=title, cohort_id=cohort.id
            )
            session.add(found)
        found.title = title
        if isinstance(memberships, str) and memberships:
            found.memberships_url = memberships[:500]
        session.flush()
        add_to_cohort(session, found.cohort_id, user.id, teaches(claims.get(ROLES)))
    return found


def add_to_cohort(session: Session, cohort_id: int, user_id: int, teaching: bool) -> None:
    """Membership (or, for a teacher, assessorship) inside the caller's transaction."""
    model = CohortAssessor if teaching else CohortMember
    exists = session.scalar(
        select(model.id).where(model.cohort_id == cohort_id, model.user_id == user_id)
    )
    if exists is None:
        session.add(model(cohort_id=cohort_id, user_id=user_id))


def _free_cohort_name(session: Session, wanted: str) -> str:
    """`wanted`, or `wanted` with a number when a cohort has that name already."""
    name, number = wanted[:120], 2
    while session.scalar(select(Cohort.id).where(Cohort.name == name)) is not None:
        suffix = f" {number}"
        name, number = wanted[: 120 - len(suffix)] + suffix, number + 1
    return name


def target_of(claims: Mapping[str, Any]) -> str:
    """What the launch asks to open: the `target` custom parameter that deep linking sets
    (`module:<slug>`, `lesson:<module>/<lesson>`, `quiz:<id>`), or empty."""
    custom = claims.get(CUSTOM)
    target = custom.get("target") if isinstance(custom, Mapping) else None
    return target.strip()[:300] if isinstance(target, str) else ""


def path_of(course: Course, target: str) -> str | None:
    """The site path a target opens in the course being served; None if it is not there."""
    kind, _, name = target.partition(":")
    if kind == "module" and course.module(name):
        return module_url(name)
    if kind == "lesson":
        module_slug, _, lesson_slug = name.partition("/")
        module = course.module(module_slug)
        if module and module.lesson_index(lesson_slug) is not None:
            return lesson_url(module_slug, lesson_slug)
    if kind == "quiz" and (found := course.quiz(name)):
        module, lesson = found
        return lesson_url(module.slug, lesson.slug)
    return None


def record_link(
    session: Session,
    platform: LtiPlatform,
    context: LtiContext | None,
    claims: Mapping[str, Any],
    target: str,
) -> LtiResourceLink | None:
    """Keep the launch's resource link: its target and its gradebook endpoints."""
    link = claims.get(RESOURCE_LINK)
    if not isinstance(link, Mapping) or not link.get("id"):
        return None
    link_id = str(link["id"])[:255]
    found_ags = claims.get(AGS)
    ags: Mapping[str, Any] = found_ags if isinstance(found_ags, Mapping) else {}
    found_scopes = ags.get("scope")
    scopes: list[Any] = found_scopes if isinstance(found_scopes, list) else []
    with write(session):
        found = session.scalar(
            select(LtiResourceLink).where(
                LtiResourceLink.platform_id == platform.id, LtiResourceLink.link_id == link_id
            )
        )
        if found is None:
            found = LtiResourceLink(platform_id=platform.id, link_id=link_id, target=target)
            session.add(found)
        found.target = target
        found.title = str(link.get("title") or "")[:255]
        found.context_id = context.id if context else None
        found.lineitem_url = _url(ags.get("lineitem"))
        found.lineitems_url = _url(ags.get("lineitems"))
        found.scopes = " ".join(s for s in scopes if isinstance(s, str))
        session.flush()
    return found


def _url(value: Any) -> str | None:
    return (
        value[:500]
        if isinstance(value, str) and value.startswith(("http://", "https://"))
        else None
    )
