"""Plugins: every hook is called, documented and tested; bad plugins fail loudly."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from cocourse import hookspecs
from cocourse.plugins import PluginError, make_plugin_manager

from .conftest import csrf_token, make_app, run_concurrently
from .plugins import recorder

ROOT = Path(__file__).parent.parent


def hook_names() -> set[str]:
    return {
        name
        for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(_, "cocourse_spec")
    }


@pytest.fixture
def plugged(engine, database_url, tmp_path):
    recorder.calls.clear()
    return make_app(database_url, tmp_path, PLUGINS=["tests.plugins.recorder"])


def called(name):
    return [kwargs for hook, kwargs in recorder.calls if hook == name]


def test_startup_hooks_are_called(plugged):
    assert len(called("configure_markdown")) == 1
    assert len(called("register_blueprints")) == 1
    assert len(called("register_question_types")) == 1
    assert called("course_loaded")[0]["course"] is plugged.extensions["cocourse.course"].course
    assert plugged.extensions["cocourse.question_types"]["echo"] == recorder.EchoQuestion()
    assert plugged.test_client().get("/recorder").data == b"recorded"


def test_markdown_hook_changes_rendering(plugged):
    from cocourse.content.markdown import make_markdown

    md = make_markdown(
        [lambda md: plugged.extensions["cocourse.plugins"].hook.configure_markdown(md=md)]
    )
    assert '<s class="recorded">gone</s>' in md.render("~~gone~~")


def _complete(client, module, lesson):
    token = csrf_token(client.get(f"/modules/{module}/{lesson}").get_data(as_text=True))
    return client.post(f"/modules/{module}/{lesson}/complete", data={"csrf_token": token})


def test_completion_events_fire_once(plugged, session):
    from .conftest import AuthActions

    client = plugged.test_client()
    auth = AuthActions(client, session)
    user = auth.create()
    auth.login()
    _complete(client, "intro", "first")
    _complete(client, "intro", "first")
    assert called("lesson_completed") == [
        {"user_id": user.id, "module_slug": "intro", "lesson_slug": "first"}
    ]
    assert called("module_completed") == []
    _complete(client, "intro", "second")
    _complete(client, "intro", "second")
    assert called("module_completed") == [{"user_id": user.id, "module_slug": "intro"}]
    assert len(called("lesson_completed")) == 2


def test_completion_events_fire_once_under_concurrency(plugged, session):
    """Ten threads complete both lessons of a module at once: one event each."""
    from cocourse import progress
    from cocourse.db import get_session

    from .conftest import AuthActions

    user = AuthActions(None, session).create()
    hook = plugged.extensions["cocourse.plugins"].hook
    module = plugged.extensions["cocourse.course"].course.module("intro")

    def work(i: int) -> None:
        progress.complete_lesson(get_session(), hook, user.id, module, module.lessons[i % 2])

    errors = run_concurrently(plugged, 10, work)
    assert errors == []
    assert sorted(c["lesson_slug"] for c in called("lesson_completed")) == ["first", "second"]
    assert called("module_completed") == [{"user_id": user.id, "module_slug": "intro"}]


def test_quiz_graded_fires_once_per_attempt(engine, database_url, tmp_path, session):
    from cocourse import quizzes
    from cocourse.db import get_session

    from .conftest import FIXTURES, AuthActions

    recorder.calls.clear()
    app = make_app(
        database_url,
        tmp_path,
        PLUGINS=["tests.plugins.recorder"],
        CONTENT_DIR=str(FIXTURES / "quiz_course"),
    )
    user = AuthActions(None, session).create()
    module, lesson = app.extensions["cocourse.course"].course.quiz("one-chance")
    hook = app.extensions["cocourse.plugins"].hook
    types = app.extensions["cocourse.question_types"]
    with app.app_context():
        attempt = quizzes.start(get_session(), user.id, module, lesson)
        for _ in range(2):
            quizzes.submit(get_session(), hook, attempt.id, user.id, {"q-once": "b"}, types)
    assert called("quiz_graded") == [{"user_id": user.id, "quiz_id": "one-chance"}]


def test_certificate_issued_fires_once_per_certificate(engine, database_url, tmp_path, session):
    from . import test_certification as cert
    from .conftest import AuthActions

    recorder.calls.clear()
    app = make_app(
        database_url,
        tmp_path,
        PLUGINS=["tests.plugins.recorder"],
        CONTENT_DIR=str(cert.CERT_COURSE),
    )
    auth = AuthActions(app.test_client(), session)
    user, certificate = cert.certified(app, auth, session)
    assert called("certificate_issued") == [
        {"user_id": user.id, "program": cert.PROGRAM, "certificate_id": certificate.id}
    ]


def test_misspelled_hooks_are_refused():
    with pytest.raises(PluginError, match="unknown hook"):
        make_plugin_manager(["tests.plugins.misspelled"])


def test_unknown_plugin_module_is_refused():
    with pytest.raises(PluginError, match="cannot import plugin 'no.such.plugin'"):
        make_plugin_manager(["no.such.plugin"])


def test_plugins_setting_from_environment(engine, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("COCOURSE_PLUGINS", "tests.plugins.recorder")
    app = make_app(database_url, tmp_path)
    assert app.test_client().get("/recorder").status_code == 200


def test_builtins_come_in_through_the_same_hooks():
    pm = make_plugin_manager()
    names = {impl.plugin_name for impl in pm.hook.register_blueprints.get_hookimpls()}
    assert names == {"cocourse.builtin"}


def test_every_hook_is_implemented_by_the_test_plugin():
    implemented = {name for name in dir(recorder) if name in hook_names()}
    assert implemented == hook_names()


def test_every_fired_hook_has_a_test():
    tests = Path(__file__).read_text()
    for name in hook_names():
        assert f'called("{name}")' in tests, f"no test checks that {name} is called"


def test_every_hook_is_documented():
    doc = (ROOT / "docs" / "plugins.md").read_text()
    documented = set(re.findall(r"^### `(\w+)", doc, re.MULTILINE))
    assert documented == hook_names()
