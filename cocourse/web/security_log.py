"""The security log: one JSON object per line on the `cocourse.security` logger.

Every line has `event`, `request_id` (also sent as the `X-Request-Id` response header),
`address` (the client address as Flask sees it) and `user_id` (the logged-in person, or the
person concerned, or null). Passwords and tokens are never written; an email typed into the
login form is written only as its domain and a keyed hash (HMAC with the secret key), so
that repeated attempts on one address can be grouped without the log holding the address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from flask import current_app, g, has_request_context, request

from cocourse.web.request_id import request_id

logger = logging.getLogger("cocourse.security")


def loaded_user_id() -> int | None:
    """The id of the person this request has already loaded, if signed in. Flask-Login keeps
    them in g; reading it here never loads anyone (nor needs the database)."""
    user = g.get("_login_user") if has_request_context() else None
    if user is not None and getattr(user, "is_authenticated", False):
        return int(user.id)
    return None


def event(
    name: str, *, user_id: int | None = None, level: int = logging.INFO, **fields: Any
) -> None:
    """Write one security event with the request's id, address and person."""
    record: dict[str, Any] = {
        "event": name,
        "request_id": request_id(),
        "address": request.remote_addr if has_request_context() else None,
        "user_id": user_id if user_id is not None else loaded_user_id(),
    }
    record.update(fields)
    # `fields` lets the JSON log format (web.logs) write the event as fields, not as text.
    line = json.dumps(record, default=str, separators=(",", ":"))
    logger.log(level, "%s", line, extra={"fields": record})


def denied(reason: str, **ids: Any) -> None:
    """A person was refused another person's record (the view answers 403 or 404)."""
    event("access_denied", level=logging.WARNING, reason=reason, **ids)


def email_fields(email: str) -> dict[str, Any]:
    """What the log may say about a typed email: its domain and a keyed hash."""
    email = (email or "").strip().lower()
    key = str(current_app.config.get("SECRET_KEY") or "").encode()
    digest = hmac.new(key, email.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:16]
    return {"email_domain": email.rpartition("@")[2][:100], "email_hash": digest}
