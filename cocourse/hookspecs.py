"""Every extension point of cocourse, in one place (documented in docs/plugins.md).

`register_*` hooks return things to add, `configure_*` hooks change what they are given,
and past-tense names are events fired after the change they report was committed.
Each hook says in which plugin API version it was added; `PLUGIN_API_VERSION` in
`cocourse.plugins` is the version this file describes.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("cocourse")
hookimpl = pluggy.HookimplMarker("cocourse")


# Building the app (called once per app, in this order)


@hookspec
def register_settings() -> Any:
    """Return `{plugin_name: {setting: default}}`: the settings a plugin reads (added in 1.1)."""


@hookspec
def configure_markdown(md: Any) -> None:
    """Change the MarkdownIt parser before content is loaded (added in 1.0)."""


@hookspec
def register_question_types(app: Any) -> Any:
    """Return question types (objects with a unique `name`) for the quiz engine (added in 1.0;
    `app` in 1.1, None when a command lints content without an app)."""


@hookspec
def register_blueprints(app: Any) -> Any:
    """Return Flask blueprints to register on the app (added in 1.0; `app` in 1.1)."""


@hookspec
def register_template_folders(app: Any) -> Any:
    """Return template folders; a folder listed by a later plugin overrides earlier ones and
    the built-in templates (added in 1.1)."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands to the `cocourse` command group (added in 1.1)."""


# Rendering pages (called per request)


@hookspec
def register_menu_links(app: Any, user: Any) -> Any:
    """Return menu links for this person: dicts with `label`, `href` and an optional `weight`
    (lower comes first, 50 by default) (added in 1.1)."""


@hookspec
def register_template_variables(app: Any, template: str | None, user: Any) -> Any:
    """Return a dict of extra variables for the template being rendered (added in 1.1)."""


@hookspec
def register_scheduled_jobs(app: Any) -> Any:
    """Return `cocourse.plugins.ScheduledJob`s for the worker to run on their schedule; a job
    must be idempotent (it may run twice, or on two hosts at once) (added in 1.2)."""


@hookspec
def page_panels(slot: str, user: Any, context: Any) -> Any:
    """Return HTML (a `markupsafe.Markup`) to show in a page's panel slot, or None. Slots:
    `dashboard` (context: `course`), `quiz_result` (context: `course`, `attempt`), `login`
    (context: `next`), `register`, `person` (an admin's page about one person; context:
    `course`, `person`) and `account` (the person's account page) (added in 1.1; see
    docs/plugins.md for the slots' versions)."""


# Events (fired after commit; a plugin that raises is logged and never fails the request)


@hookspec
def course_loaded(course: Any) -> None:
    """The course was loaded or reloaded without errors and is now being served (1.0)."""


@hookspec
def lesson_completed(user_id: int, module_slug: str, lesson_slug: str) -> None:
    """A learner completed a lesson for the first time (added in 1.0)."""


@hookspec
def module_completed(user_id: int, module_slug: str) -> None:
    """A learner completed the last outstanding lesson of a module (added in 1.0)."""


@hookspec
def quiz_graded(user_id: int, quiz_id: str, attempt_id: int, score: float, passed: bool) -> None:
    """A quiz attempt was graded and stored (fired once per attempt) (added in 1.0)."""


@hookspec
def certificate_issued(user_id: int, program: str, certificate_id: int) -> None:
    """A certificate was issued on an approved portfolio (once per certificate) (1.0)."""
