"""Plugins: every hook is called, documented and tested; bad plugins fail loudly."""

from __future__ import annotations

import inspect
import re
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from cocourse import hookspecs
from cocourse.plugins import BUILTIN_FEATURES, PluginError, make_plugin_manager, plugin_settings

from .conftest import FIXTURES, csrf_token, make_app, post_answers, run_concurrently
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
    from cocourse.db import get_session
    from cocourse.learning import progress

    from .conftest import AuthActions

    user = AuthActions(None, session).create()
    pm = plugged.extensions["cocourse.plugins"]
    module = plugged.extensions["cocourse.course"].course.module("intro")

    def work(i: int) -> None:
        progress.complete_lesson(get_session(), pm, user.id, module, module.lessons[i % 2])

    errors = run_concurrently(plugged, 10, work)
    assert errors == []
    assert sorted(c["lesson_slug"] for c in called("lesson_completed")) == ["first", "second"]
    assert called("module_completed") == [{"user_id": user.id, "module_slug": "intro"}]


def test_quiz_graded_fires_once_per_attempt(engine, database_url, tmp_path, session):
    from cocourse.db import get_session
    from cocourse.quiz import engine as quizzes

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
    pm = app.extensions["cocourse.plugins"]
    types = app.extensions["cocourse.question_types"]
    with app.app_context():
        attempt = quizzes.start(get_session(), user.id, module, lesson)
        for _ in range(2):
            quizzes.submit(get_session(), pm, attempt.id, user.id, {"q-once": "b"}, types)
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
    impls = pm.hook.register_blueprints.get_hookimpls()
    builtin = {
        impl.plugin_name: impl.plugin.__name__
        for impl in impls
        if impl.plugin_name in BUILTIN_FEATURES
    }
    assert builtin == {name: f"cocourse.{name}.plugin" for name in BUILTIN_FEATURES}


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


# Hooks added in plugin API 1.1


def _logged_in(app, session, email="learner@example.org"):
    from .conftest import AuthActions

    client = app.test_client()
    auth = AuthActions(client, session)
    user = auth.create(email)
    auth.login(email)
    return client, user


def test_register_hooks_receive_the_app(plugged):
    assert called("register_blueprints")[0]["app"] is plugged
    assert called("register_question_types")[0]["app"] is plugged
    assert called("register_template_folders")[0]["app"] is plugged


def test_scheduled_jobs_reach_the_worker_and_the_command(plugged):
    from cocourse.mail.worker import jobs, run_scheduled_command, scheduled_jobs

    names = [job.name for job in scheduled_jobs(plugged)]
    assert "recorder.tick" in names
    assert called("register_scheduled_jobs")[0]["app"] is plugged
    huey = jobs(plugged).huey
    at_six, at_seven = datetime(2027, 1, 4, 6, 0), datetime(2027, 1, 4, 7, 0)
    assert "recorder.tick" in {task.name for task in huey.read_periodic(at_six)}
    assert "recorder.tick" not in {task.name for task in huey.read_periodic(at_seven)}
    recorder.calls.clear()
    result = plugged.test_cli_runner().invoke(run_scheduled_command)
    assert result.exit_code == 0, result.output
    assert "recorder.tick: 1" in result.output
    assert called("recorder.tick")[0]["has_session"] is True


def test_plugin_settings_have_defaults_and_come_from_config(engine, database_url, tmp_path):
    recorder.calls.clear()
    app = make_app(database_url, tmp_path, PLUGINS=["tests.plugins.recorder"])
    assert len(called("register_settings")) == 1
    assert plugin_settings(app, "recorder") == {"greeting": "hello", "retries": 3}
    configured = make_app(
        database_url,
        tmp_path,
        PLUGINS=["tests.plugins.recorder"],
        PLUGIN_SETTINGS={"recorder": {"retries": 5}},
    )
    assert plugin_settings(configured, "recorder") == {"greeting": "hello", "retries": 5}


@pytest.mark.parametrize(
    ("configured", "message"),
    [
        ({"recorder": {"retry": 5}}, "unknown settings: retry (known: greeting, retries)"),
        ({"recordr": {"retries": 5}}, "names 'recordr', which no plugin declares"),
    ],
)
def test_misspelled_plugin_settings_stop_the_app(
    engine, database_url, tmp_path, configured, message
):
    with pytest.raises(PluginError, match=re.escape(message)):
        make_app(
            database_url, tmp_path, PLUGINS=["tests.plugins.recorder"], PLUGIN_SETTINGS=configured
        )


def test_a_plugin_template_folder_overrides_a_built_in_template(plugged, session):
    client, _ = _logged_in(plugged, session)
    page = client.get("/modules/second/only")
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert "The recorder's own locked page: noted by the recorder." in html
    assert "is not open yet" not in html


def test_template_variables_are_asked_per_template(plugged, session):
    client, _ = _logged_in(plugged, session)
    recorder.calls.clear()
    client.get("/modules/second/only")
    assert {"template": "learning/locked.html"} in called("register_template_variables")


def test_menu_links_come_from_plugins_in_weight_order(plugged, session):
    anonymous = plugged.test_client().get("/").get_data(as_text=True)
    assert "Recorder" not in anonymous
    client, _ = _logged_in(plugged, session)
    html = client.get("/").get_data(as_text=True)
    nav = html[html.index('aria-label="Account"') : html.index("</nav>")]
    labels = re.findall(r'<li><a href="[^"]*">([^<]+)</a></li>', nav)
    assert labels[:5] == ["Courses", "Notifications", "My progress", "Recorder", "Workshops"]
    assert called("register_menu_links")[-1] == {"logged_in": True}


def test_page_panels_show_markup_and_escape_plain_text(engine, database_url, tmp_path, session):
    from cocourse.models import QuizAttempt

    plugged = make_app(
        database_url,
        tmp_path,
        PLUGINS=["tests.plugins.recorder"],
        CONTENT_DIR=str(FIXTURES / "quiz_course"),
    )
    client, user = _logged_in(plugged, session)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert '<p class="recorder-panel">A panel from the recorder</p>' in dashboard
    assert {"slot": "dashboard"} in called("page_panels")
    page = client.get("/modules/check/once").get_data(as_text=True)
    started = client.post("/quiz/one-chance/start", data={"csrf_token": csrf_token(page)})
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    post_answers(client, attempt_id, {})
    assert session.get(QuizAttempt, attempt_id).submitted_at is not None
    result = client.get(f"/quiz/attempts/{attempt_id}/result").get_data(as_text=True)
    assert {"slot": "quiz_result"} in called("page_panels")
    assert "&lt;b&gt;plain text is escaped&lt;/b&gt;" in result


def test_plugin_commands_join_the_cocourse_command(monkeypatch, database_url, tmp_path):
    from click.testing import CliRunner

    from cocourse.cli import cli

    monkeypatch.setenv("COCOURSE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("COCOURSE_PLUGINS", "tests.plugins.recorder")
    recorder.calls.clear()
    result = CliRunner().invoke(cli, ["recorded"])
    assert result.exit_code == 0, result.output
    assert result.output == "recorded command\n"
    assert len(called("register_commands")) == 1
    listed = CliRunner().invoke(cli, ["--help"]).output
    assert "recorded" in listed and "regrade" in listed


# Switching built-in features off


@pytest.fixture
def without_certification(engine, database_url, tmp_path):
    return make_app(database_url, tmp_path, DISABLED_PLUGINS=["certification"])


def test_a_disabled_feature_leaves_no_route_link_or_panel(without_certification, session, tmp_path):
    app = without_certification
    assert app.extensions["cocourse.plugins"].get_plugin("certification") is None
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert not any(r.startswith(("/certification", "/reviews", "/verify")) for r in rules)
    assert not any("certificate" in rule.endpoint for rule in app.url_map.iter_rules())
    client, _ = _logged_in(app, session, "admin@example.org")
    from cocourse.accounts import services as accounts
    from cocourse.models import Role, User

    accounts.set_role(session, session.scalar(select(User.id)), Role.ADMIN)
    for path in ("/", "/dashboard", "/admin/users", "/reports/modules"):
        html = client.get(path).get_data(as_text=True)
        assert "Certification" not in html and "Reviews" not in html, path
        assert "Certificates" not in html and "Your certification" not in html, path
    assert client.get("/certification").status_code == 404
    assert client.get("/reviews").status_code == 404


def test_a_disabled_entry_point_plugin_is_blocked():
    pm = make_plugin_manager(disabled=["some-installed-plugin"])
    assert pm.is_blocked("some-installed-plugin")


@pytest.mark.parametrize(
    ("disabled", "message"),
    [
        (["quiz"], "the 'quiz' feature cannot be disabled"),
        (["cohorts"], "the 'reports' feature needs 'cohorts'"),
    ],
)
def test_features_that_others_need_cannot_be_disabled_alone(disabled, message):
    with pytest.raises(PluginError, match=re.escape(message)):
        make_plugin_manager(disabled=disabled)
