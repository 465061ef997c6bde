"""The content pipeline on the fixture course: structure, rendering, safety."""

from __future__ import annotations

import dataclasses

import pytest

from cocourse.content.loader import load_course
from cocourse.content.markdown import is_allowed_url

from .conftest import COURSE


@pytest.fixture(scope="module")
def course():
    result = load_course(COURSE)
    assert result.problems == ()
    return result.course


def test_tracks_and_modules_come_in_declared_order(course):
    assert [t.slug for t in course.tracks] == ["basics", "advanced"]
    assert [m.slug for m in course.track("basics").modules] == ["intro", "second"]
    assert course.track("advanced").prerequisites == ("basics",)
    assert course.module("second").prerequisites == ("intro",)


def test_lessons_are_ordered_by_file_name_and_titled(course):
    intro = course.module("intro")
    assert [(lesson.slug, lesson.title) for lesson in intro.lessons] == [
        ("first", "First lesson"),
        ("second", "Second lesson"),
    ]
    assert intro.lesson_index("second") == 1
    assert intro.lesson_index("missing") is None


def test_leading_heading_becomes_the_title_and_leaves_the_body(course):
    html = course.module("intro").lessons[0].parts[0].html
    assert "First lesson" not in html
    assert html.startswith("<p>Hello from the first lesson")


def test_headings_get_anchors_and_form_the_table_of_contents(course):
    lesson = course.module("intro").lessons[0]
    assert [(h.level, h.anchor, h.text) for h in lesson.headings] == [
        (2, "part-one", "Part one"),
        (2, "part-two", "Part two"),
    ]
    assert '<h2 id="part-one">Part one</h2>' in lesson.parts[0].html


def test_relative_links_and_images_become_site_paths(course):
    first = course.module("intro").lessons[0].parts[0].html
    assert 'src="/modules/intro/files/images/dot.svg" alt="small diagram"' in first
    assert 'href="/modules/intro/second#details"' in first
    assert 'href="#part-one"' in first
    only = course.module("second").lessons[0].parts[0].html
    assert 'href="/modules/intro"' in only
    assert 'href="/modules/intro/second"' in course.module("intro").intro_html


def test_tables_callouts_footnotes_and_code_are_rendered(course):
    first = course.module("intro").lessons[0].parts[0].html
    assert "<table>" in first
    assert 'class="markdown-alert markdown-alert-note"' in first
    second = course.module("intro").lessons[1].parts[0].html
    assert 'class="footnote-ref"' in second
    assert '<pre class="highlight"><code><span class="nb">print</span>' in second


def test_raw_html_is_escaped(course):
    html = course.module("intro").lessons[1].parts[0].html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://example.org", True),
        ("http://example.org", True),
        ("mailto:a@example.org", True),
        ("02-next.md", True),
        ("/modules/x", True),
        ("#anchor", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("vbscript:x", False),
        ("file:///etc/passwd", False),
    ],
)
def test_only_http_https_mailto_and_relative_links_are_allowed(url, allowed):
    assert is_allowed_url(url) is allowed


def test_disallowed_links_render_as_text(course_copy):
    (course_copy / "intro" / "03-bad.md").write_text(
        "# Bad\n\n[click](javascript:alert(1)) and <a href='x'>raw</a>\n", encoding="utf-8"
    )
    result = load_course(course_copy)
    assert [p.code for p in result.problems] == ["C133"]
    from cocourse.content.loader import default_markdown
    from cocourse.content.markdown import render

    html = render(default_markdown(), "[click](javascript:alert(1))", path="x.md").html
    assert "href" not in html
    assert "javascript:alert(1)" in html  # shown as text, not as a link


def test_course_objects_are_immutable(course):
    with pytest.raises(dataclasses.FrozenInstanceError):
        course.module("intro").title = "changed"  # type: ignore[misc]


def test_content_hash_changes_with_the_text(course_copy, course):
    path = course_copy / "intro" / "01-first.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    changed = load_course(course_copy).course
    before = course.module("intro").lessons[0].content_hash
    assert changed.module("intro").lessons[0].content_hash != before
    assert (
        changed.module("intro").lessons[1].content_hash
        == course.module("intro").lessons[1].content_hash
    )


def test_the_bundled_course_loads_without_problems():
    from cocourse.config import Defaults

    result = load_course(Defaults.CONTENT_DIR)
    assert result.errors == (), "\n".join(map(str, result.errors))
    # Item-quality warnings (W210-W215) remain until the exam bank is revised.
    assert all(p.code.startswith("W21") for p in result.problems)
    assert len(result.course.tracks) == 3
