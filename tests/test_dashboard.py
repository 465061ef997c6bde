"""Resume, optional lessons and the learner's dashboard."""

from __future__ import annotations

from cocourse.content.lint import lint_path

from .conftest import csrf_token, make_app, post_answers


def complete(client, module, lesson):
    token = csrf_token(client.get(f"/modules/{module}/{lesson}").get_data(as_text=True))
    return client.post(f"/modules/{module}/{lesson}/complete", data={"csrf_token": token})


def test_continue_goes_to_the_first_unfinished_lesson(client, learner):
    assert 'href="/modules/intro/first">Continue: First lesson' in client.get("/").get_data(
        as_text=True
    )
    complete(client, "intro", "first")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/modules/intro/second">Continue: Second lesson' in html
    complete(client, "intro", "second")
    assert 'href="/modules/second/only">Continue: Only lesson' in client.get("/").get_data(
        as_text=True
    )


def test_dashboard_shows_tracks_next_steps_and_finished_modules(client, learner):
    complete(client, "intro", "first")
    complete(client, "intro", "second")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Continue where you left off" in html and "Only lesson" in html
    assert "2 of 3 lessons (67%)" in html  # Basics: intro (2) + second (1)
    assert "about 5 min left" in html
    assert "Completed modules" in html and ">Introduction</a>" in html
    assert "Opens once you complete Basics." in html
    assert "No quiz results yet." in html


def test_dashboard_needs_login(client):
    assert client.get("/dashboard").status_code == 302


def test_optional_lessons_do_not_hold_a_module_back(
    engine, database_url, tmp_path, course_copy, auth
):
    lesson = course_copy / "intro" / "02-second.md"
    lesson.write_text(
        lesson.read_text().replace("title: Second lesson", "title: Second lesson\noptional: true")
    )
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy))
    client = app.test_client()
    auth.client = client
    auth.create()
    auth.login()
    assert client.get("/modules/second/only").status_code == 403
    complete(client, "intro", "first")
    assert client.get("/modules/second/only").status_code == 200


def test_optional_must_be_true_or_false(course_copy):
    lesson = course_copy / "intro" / "02-second.md"
    lesson.write_text(
        lesson.read_text().replace(
            "title: Second lesson", "title: Second lesson\noptional: yes please"
        )
    )
    found = [(p.code, p.message) for p in lint_path(course_copy)]
    assert ("C102", "'optional' must be true or false") in found


def test_recent_quiz_results_appear_on_the_dashboard(engine, database_url, tmp_path, auth):
    from .conftest import FIXTURES

    app = make_app(database_url, tmp_path, CONTENT_DIR=str(FIXTURES / "quiz_course"))
    client = app.test_client()
    auth.client = client
    auth.create()
    auth.login()
    page = client.get("/modules/check/once").get_data(as_text=True)
    started = client.post("/quiz/one-chance/start", data={"csrf_token": csrf_token(page)})
    post_answers(client, int(started.headers["Location"].rsplit("/", 1)[1]), {"q0": "b"})
    html = client.get("/dashboard").get_data(as_text=True)
    assert "One chance" in html and "100% · passed" in html
