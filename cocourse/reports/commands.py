"""The reports feature's command: bring the module steps up to date after an upgrade."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import ngettext


@click.command("refresh-reports")
@with_appcontext
def refresh_reports_command() -> None:
    """Bring every learner's module steps up to date with the course, as the first report
    would (run it after `cocourse db upgrade` or a change of a module's lessons, so that no
    report page waits for it). Safe to run at any time, on several hosts at once."""
    from flask import current_app

    from cocourse.db import get_session
    from cocourse.learning import module_steps

    course = current_app.extensions["cocourse.course"].course
    count = module_steps.refresh_stale(get_session(), course.modules)
    message = ngettext(
        "%(num)d learner's module steps brought up to date.",
        "%(num)d learners' module steps brought up to date.",
        count,
    )
    click.echo(message)


def register(cli: click.Group) -> None:
    """Add the reports' command to the `cocourse` group."""
    cli.add_command(refresh_reports_command)
