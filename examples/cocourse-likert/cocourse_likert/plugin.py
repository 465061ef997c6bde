"""The cocourse plugin: the `likert` question type, its widget template and its stylesheet.

Registered through the `cocourse` entry-point group as `likert`, so every app in an
environment where the package is installed gets the type. Importing this module changes
nothing: each hook returns new objects for the app that asks, and the type has a name no
built-in type uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint

import cocourse
from cocourse.hookspecs import hookimpl
from cocourse_likert.likert import Likert

_major, _minor = (int(part) for part in cocourse.PLUGIN_API_VERSION.split(".")[:2])
if _major != 1 or _minor < 1:
    raise RuntimeError(
        "cocourse-likert needs cocourse plugin API 1.1 or a later 1.x (template folders), "
        f"not {cocourse.PLUGIN_API_VERSION}"
    )

HERE = Path(__file__).parent
BLUEPRINT = "cocourse_likert"  # the widget links its stylesheet as cocourse_likert.static
STATIC_URL = "/plugins/likert/static"


@hookimpl
def register_question_types(app: Any) -> list[Any]:
    """The `likert` type (also for `cocourse lint`, where `app` is None)."""
    return [Likert()]


@hookimpl
def register_template_folders(app: Any) -> list[Path]:
    """The widget template, `cocourse_likert/widget.html` (a name no other template uses)."""
    return [HERE / "templates"]


@hookimpl
def register_blueprints(app: Any) -> list[Blueprint]:
    """Serves `likert.css` at /plugins/likert/static/likert.css: a stylesheet from the site
    itself, as the Content-Security-Policy (`style-src 'self'`) requires."""
    return [
        Blueprint(BLUEPRINT, __name__, static_folder=HERE / "static", static_url_path=STATIC_URL)
    ]
