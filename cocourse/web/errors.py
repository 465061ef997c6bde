"""Error pages: a clear message for every HTTP error and never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("cocourse")

TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    409: _l("Conflict"),
    413: _l("Request Entity Too Large"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
    503: _l("Service Unavailable"),
}
MESSAGES = {
    400: _l("The request could not be understood. Go back, check what you entered and try again."),
    403: _l("You do not have access to this page."),
    404: _l("There is no page at this address. It may have moved, or the link may be mistyped."),
    405: _l("This page does not accept that kind of request."),
    413: _l("What you sent is too large. Make it smaller and try again."),
    429: _l("Too many attempts in a short time. Wait a minute and try again."),
    500: _l("Something went wrong on our side. Nothing you entered was half-saved; try again."),
}


def _page(code: int, title: object, message: object) -> tuple[str, int]:
    """Render the error page."""
    return render_template("errors/error.html", code=code, title=title, message=message), code


def _http_error(exc: HTTPException) -> tuple[str, int]:
    """Any HTTP error, with our own wording; a description given by `abort(code, text)` wins."""
    code = exc.code or 500
    # 429 descriptions come from the rate limiter ("3 per 1 minute"): not for people.
    own = exc.description != type(exc).description and code != 429
    custom = exc.description if own else None
    title = TITLES.get(code, exc.name)
    return _page(code, title, custom or MESSAGES.get(code, title))


def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    """A missing or expired CSRF token: explain instead of a bare 400."""
    message = _(
        "This form has expired or was not sent from this site. Reload the page and submit it again."
    )
    return _page(400, _("Form expired"), message)


def _database_unavailable(exc: DBAPIError) -> tuple[str, int, dict[str, str]] | tuple[str, int]:
    """The database cannot be reached (or stays locked): 503 with a page that needs no
    database, so that it can be shown. Other database errors are unexpected."""
    if not exc.connection_invalidated and not _unreachable(exc):
        return _unexpected(exc)
    log.error("database unavailable: %s", type(exc.orig).__name__)
    # Straight from the Jinja environment: Flask's context processors would load the
    # logged-in person, from the database that is not there; so would the language selector.
    g.database_unavailable = True
    page = current_app.jinja_env.get_template("errors/unavailable.html").render()
    return page, 503, {"Retry-After": "10", "Cache-Control": "no-store"}


def _unreachable(exc: DBAPIError) -> bool:
    """An error that says the database is not there, rather than that a statement is wrong."""
    text = str(exc.orig).lower()
    return any(
        sign in text
        for sign in (
            "connection refused",
            "could not connect",
            "server closed the connection",
            "terminating connection",
            "connection is closed",
            "database is locked",
            "the database system is shutting down",
            "the database system is starting up",
        )
    )


def _unexpected(exc: Exception) -> tuple[str, int]:
    """Log unexpected errors with their traceback; show the person a calm page."""
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error", exc_info=exc)
    return _page(500, TITLES[500], MESSAGES[500])


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DBAPIError, _database_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
