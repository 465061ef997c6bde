"""The tool's signing keys: RSA pairs in the database, rotated by an admin.

The newest active key signs (client assertions for the platform's services, deep-linking
responses). A retired key stays in the published key set for `KEEP_RETIRED`, so a platform
that fetched the set before the rotation can still check what the old key signed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from jwcrypto.jwk import JWK
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cocourse.db import write
from cocourse.models import LtiKey, utcnow

KEEP_RETIRED = timedelta(days=7)
KEY_BITS = 2048


def public_pem(private_pem: str) -> str:
    """The public half of a private key, as PEM."""
    key = JWK.from_pem(private_pem.encode("ascii"))
    return str(key.export_to_pem().decode("ascii"))


def _new_key(now: datetime) -> LtiKey:
    key = JWK.generate(kty="RSA", size=KEY_BITS)
    private = key.export_to_pem(private_key=True, password=None).decode("ascii")
    # The kid is the key's thumbprint, as pylti1p3 computes it when it signs.
    return LtiKey(kid=key.thumbprint(), private_pem=private, created_at=now)


def signing_key(session: Session) -> LtiKey:
    """The key that signs now: the newest active one, made on first use."""
    found = session.scalar(
        select(LtiKey).where(LtiKey.retired_at.is_(None)).order_by(LtiKey.id.desc()).limit(1)
    )
    if found is not None:
        return found
    with write(session):
        session.add(_new_key(utcnow()))
    return signing_key(session)


def rotate(session: Session, now: datetime | None = None) -> LtiKey:
    """Make a new signing key and retire the others (still published for a while)."""
    now = now or utcnow()
    fresh = _new_key(now)
    with write(session):
        session.execute(update(LtiKey).where(LtiKey.retired_at.is_(None)).values(retired_at=now))
        session.add(fresh)
    return fresh


def published(session: Session, now: datetime | None = None) -> list[LtiKey]:
    """The keys in the public key set: active ones, and those retired lately."""
    since = (now or utcnow()) - KEEP_RETIRED
    rows = session.scalars(
        select(LtiKey)
        .where(or_(LtiKey.retired_at.is_(None), LtiKey.retired_at > since))
        .order_by(LtiKey.id.desc())
    )
    return list(rows)


def key_set(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """The JSON Web Key Set platforms check the tool's signatures with."""
    signing_key(session)
    keys = []
    for row in published(session, now):
        jwk = json.loads(JWK.from_pem(row.private_pem.encode("ascii")).export_public())
        keys.append({**jwk, "kid": row.kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}
