"""Names and Role Provisioning Services: the platform's course roster into its cohort.

A sync reads every member of the course from the platform. Active members get an account
(linked by `sub`, as a launch would) and their place in the cohort; members the platform
lists as inactive or deleted, or no longer lists, leave the cohort (their accounts and
records stay). Members whose email belongs to an unlinked account are skipped unless the
platform may link by email, as at launch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask_babel import gettext as _
from pylti1p3.exception import LtiException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector
from requests import RequestException
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cocourse.db import write
from cocourse.lti import services, tool
from cocourse.lti.tool import LaunchRefused
from cocourse.models import CohortMember, LtiAccount, LtiContext, LtiPlatform, utcnow

log = logging.getLogger("cocourse.lti")


@dataclass
class Synced:
    """What a roster sync did."""

    members: int = 0
    created: int = 0
    removed: int = 0
    skipped: list[str] = field(default_factory=list)
    error: str | None = None


def sync(session: Session, context: LtiContext) -> Synced:
    """Bring the cohort in step with the platform's roster of the course."""
    result = Synced()
    platform = session.get(LtiPlatform, context.platform_id)
    if platform is None or not context.memberships_url:
        result.error = _("The platform did not offer its roster for this course.")
        return result
    connector = ServiceConnector(tool.registration_of(session, platform), tool.http())
    nrps = NamesRolesProvisioningService(
        connector, {"context_memberships_url": context.memberships_url}
    )
    try:
        members = nrps.get_members()
    except (LtiException, RequestException, ValueError, KeyError) as exc:
        result.error = f"The roster could not be read: {str(exc)[:300]}"
        _record(session, context, result.error)
        log.warning("LTI roster of context %s not read: %s", context.id, result.error)
        return result
    active: set[int] = set()
    for member in members:
        sub = member.get("user_id")
        if not isinstance(sub, str) or not sub:
            continue
        if member.get("status", "Active") != "Active":
            continue
        claims = {**member, "sub": sub, services.ROLES: member.get("roles", [])}
        try:
            signed = services.sign_in(session, platform, claims)
        except LaunchRefused as refused:
            result.skipped.append(f"{member.get('name') or sub}: {refused}")
            continue
        result.members += 1
        result.created += int(signed.created)
        with write(session):
            services.add_to_cohort(
                session, context.cohort_id, signed.user.id, services.teaches(member.get("roles"))
            )
        active.add(signed.user.id)
    result.removed = _remove_others(session, context, platform, active)
    _record(session, context, None)
    return result


def _remove_others(
    session: Session, context: LtiContext, platform: LtiPlatform, active: set[int]
) -> int:
    """Members of the cohort who came from this platform and are no longer on the roster."""
    linked = select(LtiAccount.user_id).where(LtiAccount.platform_id == platform.id)
    with write(session):
        gone = session.execute(
            delete(CohortMember).where(
                CohortMember.cohort_id == context.cohort_id,
                CohortMember.user_id.in_(linked),
                CohortMember.user_id.not_in(active)
                if active
                else CohortMember.user_id.is_not(None),
            )
        )
    return int(getattr(gone, "rowcount", 0) or 0)


def _record(session: Session, context: LtiContext, error: str | None) -> None:
    with write(session):
        found = session.get(LtiContext, context.id)
        if found is not None:
            found.synced_at = utcnow()
            found.sync_error = error
