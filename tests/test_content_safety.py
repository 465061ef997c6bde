"""Content that cannot reach outside its folder, stall a reload or break learners' pages."""

from __future__ import annotations

import os
import threading
import time

import pytest
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from mdit_py_plugins.anchors import anchors_plugin as upstream_anchors

from cocourse.content import loader
from cocourse.content.anchors import SlugRegistry
from cocourse.content.anchors import anchors_plugin as our_anchors
from cocourse.content.lint import lint_path
from cocourse.content.loader import default_markdown, load_course
from cocourse.content.markdown import make_markdown, render, standard_extensions
from cocourse.course_state import CourseState

from .conftest import make_app


def _codes(problems, code):
    return [p for p in problems if p.code == code]


# --- links, hard links and special files -------------------------------------------------


def test_lint_reports_a_symbolic_link_with_its_file(course_copy, tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("top-secret-key")
    link = course_copy / "intro" / "images" / "key.svg"
    link.symlink_to(secret)
    found = _codes(lint_path(course_copy), "C104")
    assert [str(p) for p in found] == [
        f"{link}:1: C104 a symbolic link is not allowed in the content folder: "
        "copy the file it points to into the folder instead"
    ]
    assert load_course(course_copy).course is None


def test_a_linked_lesson_or_module_is_reported_and_never_read(course_copy, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "module.md").write_text("not front matter at all")
    (outside / "01-x.md").write_text("# Outside\n")
    (course_copy / "linked").symlink_to(outside, target_is_directory=True)
    (course_copy / "intro" / "03-linked.md").symlink_to(outside / "01-x.md")
    problems = lint_path(course_copy)
    assert {p.path for p in _codes(problems, "C104")} == {
        str(course_copy / "linked"),
        str(course_copy / "intro" / "03-linked.md"),
    }
    # Nothing behind the links was read (module.md there would give C101).
    assert not [p for p in problems if str(outside) in p.path or "linked/" in p.path]


def test_lint_reports_hard_links_and_fifos(course_copy, tmp_path):
    os.link(course_copy / "intro" / "images" / "dot.svg", tmp_path / "elsewhere.svg")
    os.mkfifo(course_copy / "intro" / "pipe.md")
    found = {p.path: p.message for p in _codes(lint_path(course_copy), "C104")}
    assert "hard-linked" in found[str(course_copy / "intro" / "images" / "dot.svg")]
    assert "FIFO" in found[str(course_copy / "intro" / "pipe.md")]


def test_a_linked_tracks_file_is_not_read(course_copy, tmp_path):
    real = course_copy / "tracks.yml"
    moved = tmp_path / "tracks.yml"
    real.rename(moved)
    real.symlink_to(moved)
    problems = lint_path(course_copy)
    assert [p.path for p in _codes(problems, "C104")] == [str(real)]
    assert not _codes(problems, "C150")  # not "missing": the link is the problem


# --- heading anchors in linear time ------------------------------------------------------


def _probes(headings: int) -> int:
    md = make_markdown([standard_extensions])
    env: dict[str, int] = {}
    md.parse("## Same title\n\n" * headings, env)
    return env["anchor_probes"]


def test_repeated_headings_take_linear_work():
    small, large = _probes(2_000), _probes(4_000)
    assert small >= 2_000
    assert large <= 2.5 * small  # the upstream plugin did about 4x the work here


def test_slugs_continue_where_they_left_off():
    registry = SlugRegistry({"a-2"})
    assert [registry.unique("a") for _ in range(4)] == ["a", "a-1", "a-3", "a-4"]
    assert registry.probes == 8  # 1 + 2 + 3 + 2: never back to a-1


def test_anchor_ids_are_those_of_the_upstream_plugin():
    document = "".join(
        f"{marks} {title}\n\n"
        for marks, title in [
            ("#", "Title"),
            ("##", "Intro"),
            ("##", "Intro"),
            ("###", "Intro 1"),
            ("##", "intro-1"),
            ("###", "`code` and *more*!"),
            ("##", "Größe ü"),
            ("####", "Not anchored"),
            ("##", "Intro"),
        ]
    )
    ours = MarkdownIt("commonmark").use(our_anchors, min_level=2, max_level=3)
    upstream = MarkdownIt("commonmark").use(upstream_anchors, min_level=2, max_level=3)
    assert ours.render(document) == upstream.render(document)
    anchors = [h.anchor for h in render(default_markdown(), document, path="x.md").headings]
    assert anchors == [
        "intro",
        "intro-1",
        "intro-1-1",
        "intro-1-2",
        "code-and-more",
        "größe-ü",
        "intro-2",
    ]


# --- plugins that fail or are slow -------------------------------------------------------


def _explode_on_boom(state: StateCore) -> None:
    if "BOOM" in state.src:
        raise ValueError("cannot handle BOOM")


def _exploding(md: MarkdownIt) -> None:
    md.core.ruler.push("explode", _explode_on_boom)


def _boom(course_copy):
    lesson = course_copy / "intro" / "01-first.md"
    lesson.write_text(lesson.read_text() + "\nBOOM\n")
    return lesson


def test_a_raising_plugin_is_a_lint_error_naming_file_and_plugin(course_copy):
    lesson = _boom(course_copy)
    md = make_markdown([standard_extensions, _exploding])
    found = _codes(lint_path(course_copy, md), "C105")
    assert len(found) == 1
    assert found[0].path == str(lesson)
    assert "test_content_safety._explode_on_boom" in found[0].message
    assert "ValueError: cannot handle BOOM" in found[0].message


def test_a_running_app_keeps_the_old_course_when_a_plugin_raises(
    engine, database_url, tmp_path, course_copy
):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy))
    state = app.extensions["cocourse.course"]
    good = state.course
    state.md = make_markdown([standard_extensions, _exploding])
    _boom(course_copy)
    errors = state.reload()
    assert [e.code for e in errors] == ["C105"]
    assert state.course is good
    assert app.test_client().get("/modules/intro").status_code == 200


def test_a_file_over_the_render_budget_is_reported(course_copy, monkeypatch):
    def slow(md: MarkdownIt) -> None:
        def rule(state: StateCore) -> None:
            if "SLOW" in state.src:
                time.sleep(0.05)

        md.core.ruler.push("slow", rule)

    monkeypatch.setattr(loader, "MAX_RENDER_SECONDS", 0.01)
    lesson = course_copy / "second" / "01-only.md"
    lesson.write_text(lesson.read_text() + "\nSLOW\n")
    found = _codes(lint_path(course_copy, make_markdown([standard_extensions, slow])), "C106")
    assert [p.path for p in found] == [str(lesson)]
    assert "budget is 0.01 s" in found[0].message


# --- reloads off the request path --------------------------------------------------------


class _Gate:
    """A Markdown rule that holds a load of content marked WAIT until released."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self, md: MarkdownIt) -> None:
        def rule(state: StateCore) -> None:
            if "WAIT" in state.src:
                self.entered.set()
                assert self.release.wait(10)

        md.core.ruler.push("gate", rule)


def _edit_and_stamp(course_copy, stamp):
    module = course_copy / "adv" / "module.md"
    text = module.read_text().replace("In the second track.", "Freshly edited.")
    module.write_text(text + "\nWAIT\n")
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    later = time.time() + 5
    os.utime(stamp, (later, later))


def test_check_starts_a_background_reload_and_returns_at_once(course_copy, tmp_path):
    gate = _Gate()
    loaded = []
    state = CourseState(
        str(course_copy),
        make_markdown([standard_extensions, gate]),
        tmp_path / "content.reload",
        loaded.append,
        interval=0,
        background=True,
    )
    old = state.course
    _edit_and_stamp(course_copy, tmp_path / "content.reload")
    state.check()  # returns although the load is held
    assert gate.entered.wait(10)
    assert state.course is old
    assert state.start_reload() is None  # one reload at a time
    state.check()
    assert not state.wait(0)
    gate.release.set()
    assert state.wait(10)
    assert state.course is not old
    assert "WAIT" in state.course.module("adv").intro_html
    assert loaded == [old, state.course]


def test_a_request_during_a_slow_reload_gets_the_old_course(
    engine, database_url, tmp_path, course_copy
):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy), CONTENT_WATCH_INTERVAL=0)
    state = app.extensions["cocourse.course"]
    gate = _Gate()
    state.md = make_markdown([standard_extensions, gate])
    state.background = True
    client = app.test_client()
    _edit_and_stamp(course_copy, state.stamp)
    first = client.get("/")  # starts the reload, served from the current course
    assert gate.entered.wait(10)
    assert first.status_code == 200 and b"Freshly edited" not in first.data
    during = client.get("/")
    assert during.status_code == 200 and b"Freshly edited" not in during.data
    gate.release.set()
    assert state.wait(10)
    assert b"Freshly edited." in client.get("/").data


@pytest.mark.parametrize("background", [True, False])
def test_a_failing_background_reload_keeps_the_course(course_copy, tmp_path, background):
    state = CourseState(
        str(course_copy),
        make_markdown([standard_extensions, _exploding]),
        tmp_path / "content.reload",
        lambda course: None,
        interval=0,
        background=background,
    )
    old = state.course
    _boom(course_copy)
    (tmp_path / "content.reload").touch()
    os.utime(tmp_path / "content.reload", (time.time() + 5, time.time() + 5))
    state.check()
    assert state.wait(10)
    assert state.course is old
