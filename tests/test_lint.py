"""`cocourse lint`: one line per problem as file:line: CODE message, exit 1 on errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cocourse.cli import cli
from cocourse.content.lint import lint_path


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def codes(root: Path) -> list[tuple[str, int, str]]:
    return [(Path(p.path).name, p.line, p.code) for p in lint_path(root)]


def test_clean_course_has_no_problems(course_copy):
    assert codes(course_copy) == []


def test_cli_prints_file_line_code_and_exits_1(course_copy):
    write(course_copy / "intro" / "03-broken.md", "# Broken\n\nSee [nowhere](99-nope.md).\n")
    result = CliRunner().invoke(cli, ["lint", str(course_copy)])
    assert result.exit_code == 1
    expected = (
        f"{course_copy / 'intro' / '03-broken.md'}:3: C130 broken link: '99-nope.md' does not exist"
    )
    assert expected in result.output.splitlines()


def test_cli_exits_0_on_warnings_unless_strict(course_copy):
    module = course_copy / "second" / "module.md"
    module.write_text(module.read_text(encoding="utf-8").replace("order: 2", "order: 1"), "utf-8")
    assert CliRunner().invoke(cli, ["lint", str(course_copy)]).exit_code == 0
    strict = CliRunner().invoke(cli, ["lint", "--strict", str(course_copy)])
    assert strict.exit_code == 1
    assert "W201 order 1 is also used by module 'intro'" in strict.output


def test_malformed_front_matter_names_the_line(course_copy):
    write(
        course_copy / "intro" / "module.md",
        "---\ntitle: Intro\ntrack: basics\norder: [1\n---\nBody\n",
    )
    found = codes(course_copy)
    assert found[0][0] == "module.md" and found[0][2] == "C101"
    assert found[0][1] in (4, 5)


def test_unclosed_and_missing_front_matter(course_copy):
    write(course_copy / "intro" / "module.md", "---\ntitle: x\n")
    write(course_copy / "second" / "module.md", "No front matter here.\n")
    found = codes(course_copy)
    assert ("module.md", 1, "C101") in found
    assert sum(1 for f in found if f[2] == "C101") == 2


def test_schema_errors_point_at_the_key(course_copy):
    write(
        course_copy / "adv" / "module.md",
        "---\ntitle: Adv\ntrack: advanced\norder: one\nsummary: s\n"
        "estimated_minutes: 0\ncolour: blue\n---\n",
    )
    found = [(p.line, p.code, p.message) for p in lint_path(course_copy)]
    assert (4, "C102", "'order' must be a whole number") in found
    assert (6, "C102", "'estimated_minutes' must be a whole number above zero") in found
    assert any(line == 7 and "unknown front matter key 'colour'" in m for line, _, m in found)


def test_missing_required_key(course_copy):
    write(course_copy / "adv" / "module.md", "---\ntitle: Adv\ntrack: advanced\norder: 1\n---\n")
    messages = [p.message for p in lint_path(course_copy)]
    assert "front matter needs 'summary'" in messages
    assert "front matter needs 'estimated_minutes'" in messages


def test_unknown_track_and_missing_prerequisite(course_copy):
    module = course_copy / "second" / "module.md"
    text = module.read_text(encoding="utf-8")
    module.write_text(text.replace("track: basics", "track: nowhere").replace("[intro]", "[ghost]"))
    found = codes(course_copy)
    assert ("module.md", 3, "C112") in found
    assert ("module.md", 7, "C120") in found


def test_prerequisite_cycles_are_found(course_copy):
    intro = course_copy / "intro" / "module.md"
    intro.write_text(
        intro.read_text(encoding="utf-8").replace("audience:", "prerequisites: [second]\naudience:")
    )
    problems = [p for p in lint_path(course_copy) if p.code == "C121"]
    assert len(problems) == 1
    assert (
        "intro -> second -> intro" in problems[0].message
        or "second -> intro -> second" in problems[0].message
    )


def test_track_prerequisite_problems(course_copy):
    write(
        course_copy / "tracks.yml",
        "tracks:\n  - slug: basics\n    title: B\n    summary: s\n    prerequisites: [advanced]\n"
        "  - slug: advanced\n    title: A\n    summary: s\n    prerequisites: [basics, nope]\n",
    )
    found = [(p.code, p.message) for p in lint_path(course_copy)]
    assert ("C120", "prerequisite 'nope' is not a track") in found
    assert any(code == "C121" for code, _ in found)


def test_not_utf8_names_the_line(course_copy):
    (course_copy / "intro" / "02-second.md").write_bytes(b"# Title\n\nline two\ncaf\xe9\n")
    assert ("02-second.md", 4, "C100") in codes(course_copy)


def test_empty_lesson_and_module_without_lessons(course_copy):
    write(course_copy / "intro" / "03-empty.md", "# Only a title\n")
    for lesson in (course_copy / "adv").glob("0*.md"):
        lesson.unlink()
    found = codes(course_copy)
    assert ("03-empty.md", 1, "C140") in found
    assert ("module.md", 1, "C141") in found


def test_broken_images_missing_alt_and_remote_images(course_copy):
    write(
        course_copy / "intro" / "03-images.md",
        "# Images\n\n![](images/dot.svg)\n\n![gone](images/gone.png)\n\n"
        "![remote](https://example.org/x.png)\n",
    )
    found = codes(course_copy)
    assert ("03-images.md", 3, "C132") in found
    assert ("03-images.md", 5, "C131") in found
    assert ("03-images.md", 7, "C134") in found


def test_links_outside_module_folders_or_to_unserved_types_are_broken(course_copy):
    write(course_copy / "intro" / "notes.exe", "binary")
    write(
        course_copy / "intro" / "03-links.md",
        "# Links\n\n[up](../../README.md) [exe](notes.exe) [tracks](../tracks.yml)\n",
    )
    assert [c for c in codes(course_copy) if c[2] == "C130"] == [("03-links.md", 3, "C130")] * 3


def test_duplicate_and_invalid_slugs(course_copy):
    write(course_copy / "intro" / "03-first.md", "# Again\n\nText.\n")
    write(course_copy / "intro" / "04-files.md", "# Files\n\nText.\n")
    write(course_copy / "Bad Folder" / "module.md", "---\n---\n")
    found = codes(course_copy)
    assert ("03-first.md", 1, "C110") in found
    assert ("04-files.md", 1, "C111") in found
    assert ("Bad Folder", 1, "C111") in found


def test_missing_module_file_and_tracks_file(course_copy):
    (course_copy / "adv" / "module.md").unlink()
    (course_copy / "tracks.yml").unlink()
    found = codes(course_copy)
    assert ("module.md", 1, "C101") in found
    assert ("tracks.yml", 1, "C150") in found


def test_oversized_file(course_copy):
    write(course_copy / "intro" / "03-huge.md", "# Huge\n\n" + "word " * 250_000)
    assert ("03-huge.md", 1, "C103") in codes(course_copy)


@pytest.mark.parametrize("text", ["tracks: nope\n", "tracks: [\n", "- a\n", "tracks:\n  - x\n"])
def test_malformed_tracks_file(course_copy, text):
    write(course_copy / "tracks.yml", text)
    assert any(code == "C150" for _, _, code in codes(course_copy))


def test_duplicate_front_matter_keys(course_copy):
    module = course_copy / "second" / "module.md"
    module.write_text(module.read_text(encoding="utf-8").replace("order: 2", "order: 2\norder: 3"))
    assert ("module.md", 5, "C101") in codes(course_copy)
