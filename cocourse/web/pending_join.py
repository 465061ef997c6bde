"""A join link opened before logging in: held in the signed session through log-in or sign-up.

A person without a login who opens a cohort's join link is sent to log in; the code waits
here (in the signed Flask session, so the browser can neither read a cohort id into it nor
change it) for `MINUTES`. The one thing a login carries over from the session before it is
this code (see `carried`); the cohorts feature uses it right after the login and drops it.
Only the code is kept, never a cohort id: a code renewed meanwhile no longer works.
"""

from __future__ import annotations

import time
from typing import Any

from flask import session

KEY = "cocourse_join"
MINUTES = 30


def hold(code: str) -> None:
    """Keep a join code (as stored) for the login or sign-up that follows."""
    session[KEY] = {"code": code, "until": int(time.time()) + MINUTES * 60}


def held() -> str | None:
    """The join code waiting for a login, if there is one and it has not run out."""
    value = session.get(KEY)
    if not isinstance(value, dict):
        return None
    code, until = value.get("code"), value.get("until")
    if not isinstance(code, str) or not isinstance(until, int) or until < time.time():
        return None
    return code


def drop() -> None:
    """Forget the waiting join code (used, refused or cancelled)."""
    session.pop(KEY, None)


def carried() -> dict[str, Any]:
    """What a login keeps of the session it replaces: a join code that has not run out."""
    code = held()
    return {KEY: session[KEY]} if code is not None else {}
