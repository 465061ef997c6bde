"""The `cocourse` command: run, lint, reload, db, create-admin (plus Flask's own commands)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import Engine

from . import config, create_app, migrate
from .content.lint import lint_path
from .content.markdown import make_markdown
from .db import make_engine
from .plugins import make_plugin_manager, question_types


def _config_app() -> Flask:
    """An app with settings only: for commands that must work even when content is broken."""
    instance = os.environ.get("COCOURSE_INSTANCE_PATH")
    app = Flask("cocourse", instance_path=instance, instance_relative_config=True)
    config.load_config(app, None)
    return app


@contextmanager
def _engine() -> Iterator[Engine]:
    """The configured database's engine, closed when the command is done."""
    app = _config_app()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    engine = make_engine(app.config["DATABASE_URL"])
    try:
        yield engine
    finally:
        engine.dispose()


cli = FlaskGroup(
    name="cocourse",
    create_app=create_app,
    help="Serve and manage a cocourse installation.",
    set_debug_flag=False,
    load_dotenv=False,
)


@cli.command("lint", with_appcontext=False)
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def lint_command(path: str | None, strict: bool) -> None:
    """Check the course content; print file:line: CODE message for each problem."""
    app = _config_app()
    root = path or app.config["CONTENT_DIR"]
    pm = make_plugin_manager(app.config["PLUGINS"])
    md = make_markdown([lambda md: pm.hook.configure_markdown(md=md)])
    problems = lint_path(root, md, question_types(pm))
    for problem in problems:
        click.echo(f"{problem}", err=False)
    errors = [p for p in problems if p.severity == "error" or strict]
    summary = f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s) in {root}"
    click.echo(summary, err=True)
    sys.exit(1 if errors else 0)


@cli.command("reload", with_appcontext=False)
def reload_command() -> None:
    """Check the content and, if it is clean, tell running servers to reload it."""
    app = _config_app()
    pm = make_plugin_manager(app.config["PLUGINS"])
    md = make_markdown([lambda md: pm.hook.configure_markdown(md=md)])
    found = lint_path(app.config["CONTENT_DIR"], md, question_types(pm))
    problems = [p for p in found if p.severity == "error"]
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo("Not reloaded: fix the errors above; the servers keep the last good course.")
        sys.exit(1)
    (Path(app.instance_path) / "content.reload").touch()
    click.echo("Reload requested: running servers pick up the new course within a second or two.")


@cli.group("db", cls=click.Group)
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations (default: all)."""
    with _engine() as engine:
        migrate.upgrade(engine, revision)
    click.echo(f"Database schema upgraded to {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    with _engine() as engine:
        migrate.downgrade(engine, revision)


@db_group.command("current")
def db_current() -> None:
    """Show the database's revision."""
    with _engine() as engine:
        migrate.current(engine)


@cli.command("create-admin", with_appcontext=False)
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option(help="Prompted for (twice) when not given.")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an admin account, or make an existing account admin (password unchanged)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from .accounts import MIN_PASSWORD, AccountError, create_user, normalize_email, set_role
    from .models import Role, User

    with _engine() as engine, Session(engine, expire_on_commit=False) as session:
        user = session.scalar(select(User).where(User.email == normalize_email(email)))
        if user is not None:
            set_role(session, user.id, Role.ADMIN)
            click.echo(f"{user.email} is now an admin.")
            return
        if len(password) < MIN_PASSWORD:
            raise click.BadParameter(
                f"use at least {MIN_PASSWORD} characters", param_hint="password"
            )
        try:
            user = create_user(session, email, name, password, Role.ADMIN)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Admin {user.email} created. Log in at /login.")


@cli.command("regrade")
@click.argument("quiz_id")
def regrade_command(quiz_id: str) -> None:
    """Rescore stored attempts of QUIZ_ID whose questions changed, and record each change."""
    from flask import current_app

    from .db import get_session
    from .quizzes import regrade

    found = current_app.extensions["cocourse.course"].course.quiz(quiz_id)
    if found is None:
        raise click.ClickException(f"no quiz with id {quiz_id!r} in the course")
    types = current_app.extensions["cocourse.question_types"]
    changes = regrade(get_session(), found[1], types)
    for change in changes:
        click.echo(
            f"attempt {change.attempt_id} (user {change.user_id}) question {change.question_id}: "
            f"{change.old_score} -> {change.new_score}"
        )
    click.echo(f"{len(changes)} answer(s) regraded.")


def main() -> None:
    """Entry point of the console script."""
    cli.main(prog_name="cocourse")
