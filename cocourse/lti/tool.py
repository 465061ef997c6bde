"""pylti1p3 on cocourse's database: registrations, deployments and the login state that a
launch needs, shared by every worker and host, and the checks pylti1p3 leaves to its user.

pylti1p3 keeps the OIDC nonce in the Flask session by default, but a launch arrives as a
cross-site POST from the platform and the session cookie (SameSite=Lax) does not come with
it. Here the nonce is a database row that a launch *consumes*, so an id_token cannot be
played twice; pylti1p3's acceptance of an id_token it has already seen (for restoring a
launch) is switched off. The browser still proves it started the login with pylti1p3's
short-lived state cookie.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import requests
from flask_babel import gettext as _
from pylti1p3.contrib.flask import FlaskRequest
from pylti1p3.deployment import Deployment
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.session import SessionService
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cocourse.db import write
from cocourse.lti import keys
from cocourse.models import LtiLaunchValue, LtiPlatform, utcnow

TIMEOUT = 10.0  # seconds for any call to a platform
CLOCK_SKEW = 120  # seconds an id_token's iat may be ahead of our clock


class LaunchRefused(Exception):
    """A launch cocourse will not accept: `reason` goes to the security log, the message
    (translated when it is shown) to the person."""

    def __init__(self, reason: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.reason, self.status = reason, status


class PlatformSession(requests.Session):
    """HTTP to platforms, never without a timeout (pylti1p3 sets none)."""

    def request(
        self, method: str, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(method, url, *args, **kwargs)


def http() -> PlatformSession:
    """A session for talking to platforms."""
    found = PlatformSession()
    found.headers["User-Agent"] = "cocourse-lti"
    return found


class DatabaseStorage(LaunchDataStorage):
    """pylti1p3's launch data storage on the `lti_launch_value` table (no session id: the
    keys are random and the state cookie ties a launch to its browser)."""

    _session_cookie_name = ""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._db = session

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        row = self._db.get(LtiLaunchValue, self._prepare_key(key))
        if row is None or row.expires_at <= utcnow():
            return None
        return json.loads(row.value)

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        name = self._prepare_key(key)
        now = utcnow()
        with write(self._db):
            # Expired values go whenever a new one is written.
            self._db.execute(delete(LtiLaunchValue).where(LtiLaunchValue.expires_at <= now))
            self._db.execute(delete(LtiLaunchValue).where(LtiLaunchValue.key == name))
            self._db.add(
                LtiLaunchValue(
                    key=name,
                    value=json.dumps(value),
                    expires_at=now + timedelta(seconds=exp or 86400),
                )
            )

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def consume(self, key: str) -> bool:
        """Remove a live value; True only for the one caller that removed it."""
        name = self._prepare_key(key)
        with write(self._db):
            gone = self._db.execute(
                delete(LtiLaunchValue).where(
                    LtiLaunchValue.key == name, LtiLaunchValue.expires_at > utcnow()
                )
            )
        return bool(getattr(gone, "rowcount", 0) == 1)


class LaunchSessions(SessionService):
    """pylti1p3's session service with single-use nonces and no replayed launches."""

    data_storage: DatabaseStorage

    def check_nonce(self, nonce: str) -> bool:
        return self.data_storage.consume(self._get_key("nonce", nonce))

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        # pylti1p3 accepts an id_token it validated before; a launch is accepted once.
        return False


def services(session: Session, request: FlaskRequest) -> tuple[LaunchSessions, DatabaseStorage]:
    """The session service and storage for one login or launch (the view gives pylti1p3's
    view of its request)."""
    storage = DatabaseStorage(session)
    sessions = LaunchSessions(request)
    sessions.set_data_storage(storage)
    return sessions, storage


def registration_of(session: Session, platform: LtiPlatform) -> Registration:
    """pylti1p3's view of a registered platform, with the tool's current signing key."""
    key = keys.signing_key(session)
    return (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_key_set_url(platform.key_set_url)
        .set_tool_private_key(key.private_pem)
        .set_tool_public_key(keys.public_pem(key.private_pem))
    )


def find_platform(session: Session, issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The registration of an issuer and client id; without a client id (it is optional in
    a login request), the issuer's only registration."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        return session.scalar(query.where(LtiPlatform.client_id == client_id))
    found = session.scalars(query.limit(2)).all()
    return found[0] if len(found) == 1 else None


class ToolConf(ToolConfAbstract):
    """Registrations and deployments from the `lti_platform` table (one issuer may have
    several client ids)."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._db = session

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Any:
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(
        self, iss: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Registration | None:
        platform = find_platform(self._db, iss, client_id)
        return registration_of(self._db, platform) if platform else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        platform = find_platform(self._db, iss, client_id)
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)


def check_claims(claims: Mapping[str, Any], client_id: str, now: float) -> None:
    """What pylti1p3 does not check in a validated id_token: that it is meant for us (aud,
    and azp when there are several audiences) and that it carries a lifetime."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise LaunchRefused("wrong_audience", refused_text())
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise LaunchRefused("wrong_audience", refused_text())
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, int | float) or not isinstance(issued, int | float):
        raise LaunchRefused("no_lifetime", refused_text())
    if issued > now + CLOCK_SKEW:
        raise LaunchRefused("issued_in_future", refused_text())
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise LaunchRefused(
            "anonymous_launch",
            _(
                "Your learning platform opened cocourse without saying who you are. Ask its "
                "administrator to share the user's identity with this tool."
            ),
        )


def refused_text() -> str:
    """What a person is told about a launch that could not be verified."""
    return _(
        "Your learning platform's request to open cocourse could not be verified, or it was "
        "already used. Go back to your course and open the activity again."
    )
