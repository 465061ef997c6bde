"""The quiz feature's commands: regrade stored attempts, GIFT import and export."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from cocourse.cli import config_app, content_tools, lint_and_report
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
        raise click.ClickException(f"no quiz with id {quiz_id!r} in the course")
    types = current_app.extensions["cocourse.question_types"]
    changes = regrade(get_session(), found[1], types)
    for change in changes:
        click.echo(
            f"attempt {change.attempt_id} (user {change.user_id}) question {change.question_id}: "
            f"{change.old_score} -> {change.new_score}"
        )
    click.echo(f"{len(changes)} answer(s) regraded.")


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

    app = config_app()
    root = Path(app.config["CONTENT_DIR"])
    slug = slugify(file.stem) or "imported-quiz"
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text: save it as UTF-8") from exc
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
        raise click.ClickException(f"no module {module_slug!r} in {root}")
    try:
        target = lesson_file(folder, slug)
    except FileExistsError as exc:
        raise click.ClickException(f"{exc}; rename the GIFT file to choose another slug") from exc
    # The course is checked with the new lesson in a copy first: when it has errors, nothing
    # is written, so the next run starts from the same folder.
    change = {f"{module_slug}/{target.name}": markdown}
    problems = problems_with(root, change, *content_tools(app))
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors:
        for problem in errors:
            click.echo(problem.said(), err=True)
        raise click.ClickException(
            f"{len(errors)} error(s) with the new lesson: nothing was written to {root}"
        )
    try:
        write_new(target, markdown)
    except FileExistsError as exc:  # another import took the name in the meantime
        raise click.ClickException(f"{target} appeared meanwhile: nothing was written") from exc
    click.echo(f"Wrote {target} ({len(warnings)} warning(s) above)", err=True)
    sys.exit(lint_and_report(app, root))


@click.command("export-gift")
@click.argument("quiz_id")
def export_gift_command(quiz_id: str) -> None:
    """Print the questions of quiz QUIZ_ID in Moodle GIFT format (warnings go to stderr)."""
    from cocourse.content.loader import load_course
    from cocourse.quiz.gift import category_path, markdown_to_gift

    app = config_app()
    result = load_course(app.config["CONTENT_DIR"], *content_tools(app))
    if result.course is None:
        for problem in result.errors:
            click.echo(problem.said(), err=True)
        raise click.ClickException("the course has errors: fix them first (see cocourse lint)")
    found = result.course.quiz(quiz_id)
    if found is None:
        raise click.ClickException(f"no quiz with id {quiz_id!r} in the course")
    module, lesson = found
    gift, warnings = markdown_to_gift(lesson.questions, category_path(module.title, lesson.title))
    for warning in warnings:
        click.echo(str(warning), err=True)
    click.echo(gift, nl=False)


def register(cli: click.Group) -> None:
    """Add the quiz commands to the `cocourse` group."""
    for command in (regrade_command, import_gift_command, export_gift_command):
        cli.add_command(command)
