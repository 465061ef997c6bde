"""The `cocourse` command: run, lint, reload, db, backup, restore, create-admin (plus Flask's
own commands)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import Engine

from cocourse import config, create_app, migrate
from cocourse.content.lint import lint_path
from cocourse.content.markdown import make_markdown
from cocourse.content.words import _, ngettext, say
from cocourse.db import make_engine
from cocourse.plugins import make_plugin_manager, question_types
from cocourse.web.i18n import init_commands


def config_app() -> Flask:
    """An app with settings only: for commands that must work even when content is broken."""
    instance = os.environ.get("COCOURSE_INSTANCE_PATH")
    app = Flask("cocourse", instance_path=instance, instance_relative_config=True)
    config.load_config(app, None)
    return app


def command_app() -> Flask:
    """`config_app` for the command being run: inside its app context until the command
    ends, so that what it prints is in DEFAULT_LANGUAGE (`i18n.init_commands`)."""
    app = config_app()
    init_commands(app)
    click.get_current_context().with_resource(app.app_context())
    return app


@contextmanager
def _engine() -> Iterator[Engine]:
    """The configured database's engine, closed when the command is done."""
    app = command_app()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    engine = make_engine(app.config["DATABASE_URL"])
    try:
        yield engine
    finally:
        engine.dispose()


class CommandGroup(FlaskGroup):
    """Flask's command group, plus the commands of the configured plugins."""

    def _plugin_commands(self) -> dict[str, click.Command]:
        app = config_app()
        key = (tuple(app.config["PLUGINS"]), tuple(app.config["DISABLED_PLUGINS"]))
        if key not in _PLUGIN_COMMANDS:
            collector = click.Group()
            pm = make_plugin_manager(*key)
            pm.hook.register_commands(cli=collector)
            _PLUGIN_COMMANDS[key] = dict(collector.commands)
        return _PLUGIN_COMMANDS[key]

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Our own and Flask's commands, and the plugins'."""
        return sorted({*super().list_commands(ctx), *self._plugin_commands()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """A command by name: our own and Flask's first, then the plugins'."""
        return super().get_command(ctx, name) or self._plugin_commands().get(name)


# Plugin commands per (PLUGINS, DISABLED_PLUGINS): a command line asks once.
_PLUGIN_COMMANDS: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, click.Command]] = {}

cli = CommandGroup(
    name="cocourse",
    create_app=create_app,
    help="Serve and manage a cocourse installation.",
    set_debug_flag=False,
    load_dotenv=False,
)


def content_tools(app: Flask) -> tuple[Any, dict[str, Any]]:
    """The Markdown parser and question types the configured plugins give."""
    pm = make_plugin_manager(app.config["PLUGINS"], app.config["DISABLED_PLUGINS"])
    md = make_markdown([lambda md: pm.hook.configure_markdown(md=md)])
    return md, question_types(pm, app)


def lint_and_report(app: Flask, root: str | Path, strict: bool = False) -> int:
    """Lint `root` with the configured plugins, print the problems; the exit status."""
    problems = lint_path(root, *content_tools(app))
    for problem in problems:
        click.echo(problem.said())
    errors = [p for p in problems if p.severity == "error" or strict]
    summary = _(
        "%(errors)s, %(warnings)s in %(root)s",
        errors=ngettext("%(num)d error", "%(num)d errors", len(errors)),
        warnings=ngettext("%(num)d warning", "%(num)d warnings", len(problems) - len(errors)),
        root=str(root),
    )
    click.echo(say(summary), err=True)
    return 1 if errors else 0


@cli.command("lint", with_appcontext=False)
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def lint_command(path: str | None, strict: bool) -> None:
    """Check the course content; print file:line: CODE message for each problem."""
    app = command_app()
    sys.exit(lint_and_report(app, path or app.config["CONTENT_DIR"], strict))


@cli.command("reload", with_appcontext=False)
def reload_command() -> None:
    """Check the content and, if it is clean, tell running servers to reload it."""
    app = command_app()
    found = lint_path(app.config["CONTENT_DIR"], *content_tools(app))
    problems = [p for p in found if p.severity == "error"]
    for problem in problems:
        click.echo(problem.said())
    if problems:
        message = _("Not reloaded: fix the errors above; the servers keep the last good course.")
        click.echo(say(message))
        sys.exit(1)
    (Path(app.instance_path) / "content.reload").touch()
    from cocourse.content_signal import make_broadcast
    from cocourse.db import make_engine

    engine = make_engine(app.config["DATABASE_URL"])
    broadcast = make_broadcast(engine, app.config["CONTENT_SIGNAL_REDIS_URL"])
    try:
        broadcast.announce()  # for the servers of other hosts
    finally:
        broadcast.close()
        engine.dispose()
    message = _("Reload requested: running servers pick up the new course within a second or two.")
    click.echo(say(message))


@cli.group("db", cls=click.Group)
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations (default: all)."""
    with _engine() as engine:
        migrate.upgrade(engine, revision)
    click.echo(say(_("Database schema upgraded to %(revision)s.", revision=revision)))


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


@cli.command("backup", with_appcontext=False)
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Copy the SQLite database to TARGET, consistently, while the servers keep writing."""
    from cocourse.backup import BackupError, backup

    try:
        summary = backup(command_app().config["DATABASE_URL"], target)
    except BackupError as exc:
        raise click.ClickException(say(exc.args[0])) from exc
    click.echo(say(_("Backed up: %(summary)s.", summary=summary.text())))


@cli.command("restore", with_appcontext=False)
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace an existing database (servers stopped).")
def restore_command(backup_file: Path, replace: bool) -> None:
    """Check BACKUP_FILE and make it the configured SQLite database."""
    from cocourse.backup import BackupError, restore

    try:
        summary = restore(backup_file, command_app().config["DATABASE_URL"], replace)
    except BackupError as exc:
        raise click.ClickException(say(exc.args[0])) from exc
    message = _(
        "Restored: %(summary)s. Run `cocourse db upgrade` if this release is newer.",
        summary=summary.text(),
    )
    click.echo(say(message))


@cli.command("create-admin", with_appcontext=False)
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option(help="Prompted for (twice) when not given.")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an admin account, or make an existing account admin (password unchanged)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from cocourse.accounts.services import (
        MIN_PASSWORD,
        AccountError,
        create_user,
        normalize_email,
        set_role,
    )
    from cocourse.models import Role, User

    with _engine() as engine, Session(engine, expire_on_commit=False) as session:
        user = session.scalar(select(User).where(User.email == normalize_email(email)))
        if user is not None:
            set_role(session, user.id, Role.ADMIN)
            click.echo(say(_("%(email)s is now an admin.", email=user.email)))
            return
        if len(password) < MIN_PASSWORD:
            message = _("use at least %(num)d characters", num=MIN_PASSWORD)
            raise click.BadParameter(say(message), param_hint="password")
        try:
            user = create_user(session, email, name, password, Role.ADMIN)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(say(_("Admin %(email)s created. Log in at /login.", email=user.email)))


@cli.command("synthetic")
@click.option("--learners", default=10_000, show_default=True, type=click.IntRange(1))
@click.option("--cohorts", default=20, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=1, show_default=True, help="The same seed gives the same data.")
@click.option(
    "--password", help="Give every synthetic account this password (default: none can log in)."
)
@click.option("--force", is_flag=True, help="Add to a database that already has accounts.")
def synthetic_command(
    learners: int, cohorts: int, seed: int, password: str | None, force: bool
) -> None:
    """Fill the database with synthetic learners, cohorts, progress and quiz attempts."""
    import time

    from flask import current_app

    from cocourse.accounts.services import MIN_PASSWORD
    from cocourse.db import get_session
    from cocourse.devtools.synthetic import Options, SyntheticError, generate

    if password is not None and len(password) < MIN_PASSWORD:
        raise click.BadParameter(f"use at least {MIN_PASSWORD} characters", param_hint="password")
    course = current_app.extensions["cocourse.course"].course
    types = current_app.extensions["cocourse.question_types"]
    options = Options(learners, cohorts, seed, password, force)
    began = time.perf_counter()
    try:
        summary = generate(get_session(), course, types, options)
    except SyntheticError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Generated {summary.learners} learners and {summary.assessors} assessor(s) "
        f"in {summary.cohorts} cohorts ({summary.memberships} memberships), "
        f"{summary.completions} lesson completions, {summary.attempts} quiz attempts and "
        f"{summary.events} activity events, {summary.workshops} attended workshops, "
        f"{summary.portfolios} certification portfolios and {summary.certificates} "
        f"certificates in {time.perf_counter() - began:.1f} s."
    )
    login = "log in with --password" if password else "nobody can log in as them"
    click.echo(f"Their emails end in @seed{seed}.example.org; {login}.")


def main() -> None:
    """Entry point of the console script."""
    cli.main(prog_name="cocourse")
