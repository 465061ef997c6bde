"""The course being served, and the URLs of its pages, for every blueprint and template."""

from __future__ import annotations

from flask import Flask, current_app, request

from cocourse.content.loader import lesson_url, module_url
from cocourse.content.model import Course
from cocourse.web.i18n import current_language, known


def course() -> Course:
    """The course currently being served."""
    return current_app.extensions["cocourse.course"].course  # type: ignore[no-any-return]


def reader_course(asked: str | None = None) -> Course:
    """The course as the reader of this request sees it: in their language wherever a
    translation exists, else the original. Records (attempts, completion) are the same.
    `asked`: a language the reader chose for one page (the lesson's own switch)."""
    return course().in_language(known(asked) or current_language())


def lesson_href(module_slug: str, lesson_slug: str) -> str:
    """A lesson's URL; the same paths the content's own links use, without url_for's cost."""
    return request.script_root + lesson_url(module_slug, lesson_slug)


def module_href(module_slug: str) -> str:
    """A module page's URL (see lesson_href)."""
    return request.script_root + module_url(module_slug)


def init_app(app: Flask) -> None:
    """Make the URL helpers available in every template."""
    app.add_template_global(lesson_href)
    app.add_template_global(module_href)
