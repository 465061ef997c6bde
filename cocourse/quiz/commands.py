"""The quiz feature's commands: regrade stored attempts, GIFT import and export."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from cocourse.cli import command_app, content_tools, lint_and_report
from cocourse.content.writing import problems_with, write_new


@click.command("regrade")
@with_appcontext
@click.argument("quiz_id")
def regrade_command(quiz_id: str) -> None:
    """Rescore stored attempts of QUIZ_ID whose questions changed, and record each change."""
    from flask import current_app

    from cocourse.db import get_session
    from cocourse.quiz.engine import regrade

    found = current_app.extensions["cocourse.course"].course.quiz(quiz_id)
    if found is None:
        raise click.ClickException(_("no quiz with id %(id)r in the course", id=quiz_id))
    types = current_app.extensions["cocourse.question_types"]
    changes = regrade(get_session(), found[1], types, found[0])
    for change in changes:
        line = _(
            "attempt %(attempt)d (user %(user)d) question %(question)s: %(old)s -> %(new)s",
            attempt=change.attempt_id,
            user=change.user_id,
            question=change.question_id,
            old=change.old_score,
            new=change.new_score,
        )
        click.echo(line)
    click.echo(ngettext("%(num)d answer regraded.", "%(num)d answers regraded.", len(changes)))


@click.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--module", "module_slug", help="Write the quiz lesson into this module folder.")
@click.option("--id", "quiz_id", help="The quiz id (default: from the file name).")
@click.option("--title", help="The lesson title (default: from the file name).")
def import_gift_command(
    file: Path, module_slug: str | None, quiz_id: str | None, title: str | None
) -> None:
    """Convert a Moodle GIFT file into a quiz lesson: print it, or write it into a module."""
    from cocourse.quiz.gift import gift_to_markdown, lesson_file, question_ids, slugify

    app = command_app()
    root = Path(app.config["CONTENT_DIR"])
    slug = slugify(file.stem) or "imported-quiz"
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        message = _("%(file)s is not UTF-8 text: save it as UTF-8", file=str(file))
        raise click.ClickException(message) from exc
    try:
        markdown, warnings = gift_to_markdown(
            text,
            quiz_id=quiz_id or slug,
            title=title or file.stem.replace("-", " ").replace("_", " ").strip().capitalize(),
            reserved_ids=question_ids(root) if root.is_dir() else (),
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--id") from exc
    for warning in warnings:
        click.echo(f"{file}:{warning.line}: {warning.message}", err=True)
    if module_slug is None:
        click.echo(markdown, nl=False)
        return
    folder = root / module_slug
    if not (folder / "module.md").is_file():
        message = _("no module %(module)r in %(root)s", module=module_slug, root=str(root))
        raise click.ClickException(message)
    try:
        target = lesson_file(folder, slug)
    except FileExistsError as exc:
        message = _("%(error)s; rename the GIFT file to choose another slug", error=str(exc))
        raise click.ClickException(message) from exc
    # The course is checked with the new lesson in a copy first: when it has errors, nothing
    # is written, so the next run starts from the same folder.
    change = {f"{module_slug}/{target.name}": markdown}
    problems = problems_with(root, change, *content_tools(app))
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors:
        for problem in errors:
            click.echo(problem.said(), err=True)
        message = ngettext(
            "%(num)d error with the new lesson: nothing was written to %(root)s",
            "%(num)d errors with the new lesson: nothing was written to %(root)s",
            len(errors),
            root=str(root),
        )
        raise click.ClickException(message)
    try:
        write_new(target, markdown)
    except FileExistsError as exc:  # another import took the name in the meantime
        message = _("%(target)s appeared meanwhile: nothing was written", target=str(target))
        raise click.ClickException(message) from exc
    wrote = ngettext(
        "Wrote %(target)s (%(num)d warning above)",
        "Wrote %(target)s (%(num)d warnings above)",
        len(warnings),
        target=str(target),
    )
    click.echo(wrote, err=True)
    sys.exit(lint_and_report(app, root))


@click.command("export-gift")
@click.argument("quiz_id")
def export_gift_command(quiz_id: str) -> None:
    """Print the questions of quiz QUIZ_ID in Moodle GIFT format (warnings go to stderr)."""
    from cocourse.content.loader import load_course
    from cocourse.quiz.gift import category_path, markdown_to_gift

    app = command_app()
    result = load_course(app.config["CONTENT_DIR"], *content_tools(app))
    if result.course is None:
        for problem in result.errors:
            click.echo(problem.said(), err=True)
        raise click.ClickException(_("the course has errors: fix them first (see cocourse lint)"))
    found = result.course.quiz(quiz_id)
    if found is None:
        raise click.ClickException(_("no quiz with id %(id)r in the course", id=quiz_id))
    module, lesson = found
    gift, warnings = markdown_to_gift(lesson.questions, category_path(module.title, lesson.title))
    for warning in warnings:
        click.echo(str(warning), err=True)
    click.echo(gift, nl=False)


def register(cli: click.Group) -> None:
    """Add the quiz commands to the `cocourse` group."""
    for command in (regrade_command, import_gift_command, export_gift_command):
        cli.add_command(command)
