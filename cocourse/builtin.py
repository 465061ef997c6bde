"""The built-in features, wired in through the same hooks a third-party plugin uses."""

from __future__ import annotations

from typing import Any

from .content.markdown import standard_extensions
from .hookspecs import hookimpl


@hookimpl(tryfirst=True)
def configure_markdown(md: Any) -> None:
    """Tables, callouts, footnotes, heading anchors and code highlighting."""
    standard_extensions(md)


@hookimpl(tryfirst=True)
def register_question_types() -> Any:
    """The eight built-in question types, from single-choice to reflection."""
    from .questions import BUILTIN_TYPES

    return list(BUILTIN_TYPES)


@hookimpl
def register_blueprints() -> Any:
    """The pages: accounts, learning, quizzes, activity, admin, cohorts, assessors, reports,
    certification (trainees, reviews, certificates and their administration)."""
    from . import (
        activity_pages,
        admin,
        assessor,
        auth,
        certificate_admin,
        certificate_pages,
        certification_pages,
        join,
        learn,
        quiz_pages,
        reports,
        review_pages,
    )

    return [
        auth.bp,
        learn.bp,
        quiz_pages.bp,
        activity_pages.bp,
        admin.bp,
        join.bp,
        assessor.bp,
        reports.bp,
        certification_pages.bp,
        review_pages.bp,
        certificate_pages.bp,
        certificate_admin.bp,
    ]
