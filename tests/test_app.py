"""The factory: configuration, secret key, refusing broken content, reload."""

from __future__ import annotations

import logging
import os
import stat
import time

import pytest

from cocourse import create_app
from cocourse.config import ConfigError
from cocourse.course_state import ContentError

from .conftest import COURSE, make_app, track


def test_secret_key_is_generated_once_into_the_instance_folder(database_url, tmp_path):
    config = {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "inst"),
        "CONTENT_DIR": str(COURSE),
    }
    first = track(create_app(config)).config["SECRET_KEY"]
    second = track(create_app(config)).config["SECRET_KEY"]
    key_file = tmp_path / "inst" / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def production(database_url, tmp_path):
    """Production settings without a secret key or public address."""
    return {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path),
        "CONTENT_DIR": str(COURSE),
        "PRODUCTION": True,
    }


def test_production_refuses_to_start_without_a_real_secret_key(database_url, tmp_path):
    config = production(database_url, tmp_path)
    with pytest.raises(ConfigError, match="COCOURSE_SECRET_KEY"):
        create_app(config)
    with pytest.raises(ConfigError):
        create_app({**config, "SECRET_KEY": "short"})
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_to_start_without_its_public_address(database_url, tmp_path):
    config = {**production(database_url, tmp_path), "SECRET_KEY": "k" * 40}
    for wrong in (None, "", "learn.example.org"):
        with pytest.raises(ConfigError, match="PUBLIC_URL"):
            create_app({**config, "PUBLIC_URL": wrong})
    assert create_app({**config, "PUBLIC_URL": "https://learn.example.org"}).config["PRODUCTION"]


def test_production_sets_secure_cookies(database_url, tmp_path):
    app = make_app(
        database_url,
        tmp_path,
        PRODUCTION=True,
        SECRET_KEY="k" * 40,
        PUBLIC_URL="https://learn.example.org",
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_environment_overrides_instance_config(database_url, tmp_path, monkeypatch):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "config.py").write_text(
        "MAX_CONTENT_LENGTH = 1000\nLOGIN_RATE_LIMIT = 'x'\n"
    )
    monkeypatch.setenv("COCOURSE_MAX_CONTENT_LENGTH", "2000")
    app = make_app(database_url, tmp_path)
    assert app.config["MAX_CONTENT_LENGTH"] == 2000
    assert app.config["LOGIN_RATE_LIMIT"] == "x"


def test_refuses_to_start_on_a_broken_course(database_url, tmp_path, course_copy):
    (course_copy / "second" / "module.md").write_text(
        "---\ntitle: S\ntrack: basics\norder: 2\nsummary: s\nestimated_minutes: 1\n"
        "prerequisites: [ghost]\n---\n"
    )
    with pytest.raises(ContentError) as info:
        make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy))
    assert (
        f"{course_copy / 'second' / 'module.md'}:7: C120 prerequisite 'ghost' is not a module"
        in str(info.value)
    )


def _touch_later(path):
    """Move a file's time forward so a change is seen even within one clock tick."""
    later = time.time() + 5
    os.utime(path, (later, later))


def test_reload_stamp_swaps_in_a_good_course(engine, database_url, tmp_path, course_copy):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy), CONTENT_WATCH_INTERVAL=0)
    client = app.test_client()
    module = course_copy / "adv" / "module.md"
    module.write_text(module.read_text().replace("In the second track.", "Freshly edited."))
    assert b"Freshly edited." not in client.get("/").data
    stamp = tmp_path / "instance" / "content.reload"
    stamp.touch()
    _touch_later(stamp)
    assert b"Freshly edited." in client.get("/").data


def test_reload_with_errors_keeps_the_last_good_course(
    engine, database_url, tmp_path, course_copy, caplog
):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy), CONTENT_WATCH_INTERVAL=0)
    state = app.extensions["cocourse.course"]
    good = state.course
    (course_copy / "intro" / "01-first.md").write_bytes(b"# T\n\n\xff\n")
    with caplog.at_level(logging.ERROR, logger="cocourse.content"):
        errors = state.reload()
    assert [e.code for e in errors] == ["C100"]
    assert state.course is good
    assert "01-first.md:3: C100" in caplog.text
    assert app.test_client().get("/modules/intro").status_code == 200


def test_watching_picks_up_edited_files(engine, database_url, tmp_path, course_copy):
    app = make_app(
        database_url,
        tmp_path,
        CONTENT_DIR=str(course_copy),
        CONTENT_WATCH=True,
        CONTENT_WATCH_INTERVAL=0,
    )
    module = course_copy / "adv" / "module.md"
    module.write_text(module.read_text().replace("In the second track.", "Freshly edited."))
    _touch_later(module)
    assert b"Freshly edited." in app.test_client().get("/").data


def test_without_watching_edits_wait_for_an_explicit_reload(
    engine, database_url, tmp_path, course_copy
):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy), CONTENT_WATCH_INTERVAL=0)
    module = course_copy / "adv" / "module.md"
    module.write_text(module.read_text().replace("In the second track.", "Freshly edited."))
    _touch_later(module)
    assert b"Freshly edited." not in app.test_client().get("/").data
