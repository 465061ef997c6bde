"""Learning as a built-in plugin: Markdown extensions, catalog, lessons, progress, activity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from cocourse.content.markdown import standard_extensions
from cocourse.hookspecs import hookimpl

TEXT_TOKENS = ("text", "code_inline")  # the parts of a header cell that name its column


@hookimpl(tryfirst=True)
def configure_markdown(md: Any) -> None:
    """Tables, callouts, footnotes, heading anchors and code highlighting."""
    standard_extensions(md)
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)


def _table_open(renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    """A table inside a region that scrolls sideways on a narrow screen (WCAG allows that for
    data tables) and that keyboard users can focus to scroll it; named by its columns."""
    columns = []
    for token in tokens[idx + 1 :]:
        if token.type == "thead_close":
            break
        if token.type == "inline":
            words = "".join(c.content for c in token.children or () if c.type in TEXT_TOKENS)
            columns.append(words.strip())
    named = ", ".join(c for c in columns if c)
    label = escape(f"Table: {named}" if named else "Table")
    region = f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">\n'
    return region + str(renderer.renderToken(tokens, idx, options, env))


def _table_close(renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    return str(renderer.renderToken(tokens, idx, options, env)) + "</div>\n"


@hookimpl
def register_blueprints(app: Any) -> Any:
    """Catalog, module and lesson pages, the dashboard and the activity log."""
    from cocourse.learning.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """learning/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """My progress, for everyone logged in."""
    if user.is_authenticated:
        return [{"label": _("My progress"), "href": url_for("learning.dashboard"), "weight": 10}]
    return []


RECENT_EVENTS = 10  # on a person's People page


@hookimpl
def page_panels(slot: str, user: Any, context: Any) -> Any:
    """A person's progress in every module and their latest activity, on their People page."""
    if slot != "person" or not (user.is_authenticated and user.is_admin):
        return None
    from cocourse.db import get_session
    from cocourse.learning import activity, progress

    db, person, course = get_session(), context["person"], context["course"]
    attended = progress.attendance(db, person.id)
    standing = progress.Standing(course, progress.completed(db, person.id), attendance=attended)
    events, more = activity.recent(db, person.id, 1, RECENT_EVENTS)
    rows = [(e, activity.title(course, e.object_type, e.object_id) or e.object_id) for e in events]
    html = render_template(
        "learning/_person_panel.html",
        person=person,
        course=course,
        status=standing.statuses(),
        events=rows,
        more=more,
    )
    return Markup(html)  # noqa: S704 (autoescaped template output)
