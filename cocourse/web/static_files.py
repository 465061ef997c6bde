"""Static files under names that carry their content's hash, so that browsers and nginx may
keep them for a year: `cocourse.css` is linked as `cocourse.<12 hex digits>.css`, and a
new release, with new contents, is linked under a new name.

`static_href(name)` gives a file's hashed URL (computed once per process); the static route
serves a hashed name as the file it names, with a year's `Cache-Control: immutable`, and
plain names as before. nginx serves the same names from the same folder (deploy/nginx/).
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from flask import Flask, current_app, request, send_from_directory
from werkzeug.wrappers import Response

HASHED = re.compile(r"(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)")
YEAR = 365 * 24 * 3600


@cache
def _hashed_name(folder: str, name: str) -> str:
    """`name` with the first 12 hex digits of its content's SHA-256 before the extension."""
    path = Path(folder) / name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"{path.stem}.{digest}{path.suffix}" if path.suffix else f"{name}.{digest}"


def static_href(name: str) -> str:
    """The URL of a static file under its hashed name."""
    folder = str(current_app.static_folder)
    # While developing (debug), a stylesheet being edited gets its new name at once.
    named = _hashed_name.__wrapped__ if current_app.debug else _hashed_name
    return f"{request.script_root}/static/{named(folder, name)}"


def _serve(filename: str) -> Response:
    """A static file; a hashed name is the file it names, kept by browsers for a year."""
    folder = str(current_app.static_folder)
    found = HASHED.fullmatch(filename)
    if found is None:
        return current_app.send_static_file(filename)
    response = send_from_directory(folder, found["stem"] + found["suffix"], max_age=YEAR)
    response.cache_control.immutable = True
    return response


def init_app(app: Flask) -> None:
    """Serve hashed names and give templates `static_href`."""
    app.view_functions["static"] = _serve
    app.add_template_global(static_href)
