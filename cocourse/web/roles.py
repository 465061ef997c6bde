"""Role checks for views: one decorator for every role-restricted page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

import flask_login
from flask import abort, request
from flask_login import current_user

from cocourse.models import Role
from cocourse.web.security_log import denied

View = TypeVar("View", bound=Callable[..., Any])

# Flask-Login is untyped; its decorator keeps the view's signature, so say so once, here.
login_required = cast(Callable[[View], View], flask_login.login_required)


def role_required(*roles: Role) -> Callable[[View], View]:
    """Only people with one of `roles` pass; others get 403, anonymous people log in first."""
    allowed = frozenset(role.value for role in roles)

    def decorate(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in allowed:
                denied("role", endpoint=request.endpoint, role=current_user.role)
                abort(403)
            return view(*args, **kwargs)

        return cast(View, wrapped)

    return decorate
