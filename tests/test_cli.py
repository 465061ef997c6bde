"""The `cocourse` command: db upgrade, create-admin, reload."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import select, text

from cocourse.cli import cli
from cocourse.db import make_engine
from cocourse.migrate import alembic_config
from cocourse.models import User

from .conftest import COURSE


@pytest.fixture
def env(monkeypatch, tmp_path, engine, database_url):
    """Point the command at the test database and a private instance folder."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COCOURSE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("COCOURSE_CONTENT_DIR", str(COURSE))
    return tmp_path / "instance"


def test_db_upgrade_on_a_fresh_sqlite_file(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COCOURSE_INSTANCE_PATH", str(tmp_path / "instance"))
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    engine.dispose()


def test_create_admin_and_promote_existing(env, session):
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["create-admin", "--email", "Boss@Example.org", "--name", "Boss"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert session.scalar(select(User.role).where(User.email == "boss@example.org")) == "admin"
    short = runner.invoke(
        cli, ["create-admin", "--email", "x@example.org", "--name", "X", "--password", "short"]
    )
    assert short.exit_code == 2 and "at least 10 characters" in short.output


def test_reload_refuses_broken_content(env, monkeypatch, course_copy):
    monkeypatch.setenv("COCOURSE_CONTENT_DIR", str(course_copy))
    (course_copy / "intro" / "03-x.md").write_text("# X\n\n[gone](nope.md)\n")
    result = CliRunner().invoke(cli, ["reload"])
    assert result.exit_code == 1
    assert "C130" in result.output and "Not reloaded" in result.output
    assert not (env / "content.reload").exists()


def test_reload_touches_the_stamp(env):
    result = CliRunner().invoke(cli, ["reload"])
    assert result.exit_code == 0, result.output
    assert (env / "content.reload").exists()


def test_lint_works_even_when_the_app_could_not_start(env, monkeypatch, course_copy):
    (course_copy / "tracks.yml").unlink()
    monkeypatch.setenv("COCOURSE_CONTENT_DIR", str(course_copy))
    result = CliRunner().invoke(cli, ["lint"])
    assert result.exit_code == 1
    assert f"{course_copy / 'tracks.yml'}:1: C150" in result.output


@pytest.mark.parametrize(
    ("language", "summary", "refused", "backups", "utf8"),
    [
        (
            "nl",
            "1 fout, 0 waarschuwingen in",
            "Niet opnieuw geladen: verbeter de fouten",
            ("bestaat al; kies", "kopieert SQLite-databases"),
            "is geen UTF-8-tekst",
        ),
        (
            "fr",
            "1 erreur, 0 avertissement dans",
            "Pas rechargé : corrigez les erreurs",
            ("existe déjà ; choisissez", "copie les bases SQLite"),
            "n'est pas du texte UTF-8",
        ),
    ],
)
def test_the_command_line_speaks_the_default_language(
    env, monkeypatch, course_copy, language, summary, refused, backups, utf8
):
    monkeypatch.setenv("COCOURSE_DEFAULT_LANGUAGE", language)
    monkeypatch.setenv("COCOURSE_CONTENT_DIR", str(course_copy))
    latin = course_copy / "latin.gift"
    latin.write_bytes("::Q::Caf\u00e9? {=oui ~non}".encode("latin-1"))
    gift = CliRunner().invoke(cli, ["import-gift", str(latin)])
    assert gift.exit_code == 1 and utf8 in gift.output, gift.output
    (course_copy / "tracks.yml").unlink()
    result = CliRunner().invoke(cli, ["lint"])
    assert result.exit_code == 1
    assert summary in result.output and "C150" in result.output
    assert refused in CliRunner().invoke(cli, ["reload"]).output
    taken = course_copy / "taken.sqlite3"
    taken.write_bytes(b"")
    backup = CliRunner().invoke(cli, ["backup", str(taken)])
    # On SQLite the file is taken; on PostgreSQL the command says to use pg_dump.
    assert backup.exit_code == 1 and any(b in backup.output for b in backups), backup.output
    with monkeypatch.context() as english:
        english.setenv("COCOURSE_DEFAULT_LANGUAGE", "en")
        assert "1 error, 0 warnings in" in CliRunner().invoke(cli, ["lint"]).output


def test_import_gift_writes_a_quiz_lesson_and_lints(env, monkeypatch, course_copy):
    monkeypatch.setenv("COCOURSE_CONTENT_DIR", str(course_copy))
    gift = course_copy.parent / "meetings.gift"
    gift.write_text("::Opening round::What opens a meeting? {=check-in ~check-out ~agenda}\n")
    printed = CliRunner().invoke(cli, ["import-gift", str(gift)])
    assert printed.exit_code == 0, printed.output
    assert "```quiz single-choice opening-round" in printed.output
    written = CliRunner().invoke(cli, ["import-gift", str(gift), "--module", "intro"])
    assert written.exit_code == 0, written.output
    assert (course_copy / "intro" / "03-meetings.md").is_file()
    assert "0 errors" in written.output


def test_an_import_that_would_break_the_course_writes_nothing(env, monkeypatch, course_copy):
    monkeypatch.setenv("COCOURSE_CONTENT_DIR", str(course_copy))
    gift = course_copy.parent / "meetings.gift"
    gift.write_text("::Opening round::What opens a meeting? {=check-in ~check-out ~agenda}\n")
    before = sorted(p.name for p in (course_copy / "intro").iterdir())
    # A question id that is used already is renamed; a quiz id that is used already is an
    # error in the course, so the lesson is not written.
    used = CliRunner().invoke(cli, ["import-gift", str(gift), "--module", "intro", "--id", "x"])
    assert used.exit_code == 0, used.output
    again = CliRunner().invoke(cli, ["import-gift", str(gift), "--module", "second", "--id", "x"])
    assert again.exit_code == 1
    assert "nothing was written" in again.output
    new, other = course_copy / "second" / "02-meetings.md", course_copy / "intro" / "03-meetings.md"
    assert f"{new}:1: C163 quiz id 'x' is already used in {other}" in again.output
    assert sorted(p.name for p in (course_copy / "second").iterdir()) == ["01-only.md", "module.md"]
    assert not list(course_copy.rglob("*.partial"))
    # The same file goes in under a free quiz id: nothing was left in the way.
    fixed = CliRunner().invoke(cli, ["import-gift", str(gift), "--module", "second", "--id", "y"])
    assert fixed.exit_code == 0, fixed.output
    assert (course_copy / "second" / "02-meetings.md").is_file()
    assert len(before) + 1 == len(list((course_copy / "intro").iterdir()))


def test_export_gift_prints_the_quiz(env, monkeypatch):
    from .conftest import FIXTURES

    monkeypatch.setenv("COCOURSE_CONTENT_DIR", str(FIXTURES / "quiz_course"))
    result = CliRunner().invoke(cli, ["export-gift", "one-chance"])
    assert result.exit_code == 0, result.output
    assert "::q-once::" in result.output and "=Right" in result.output
    missing = CliRunner().invoke(cli, ["export-gift", "nope"])
    assert missing.exit_code == 1 and "no quiz with id 'nope'" in missing.output
