"""/healthz and /readyz: what a load balancer asks before sending people to a server."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from .conftest import make_app
from .mailserver import free_port
from .test_mail import redis_url  # noqa: F401 (the fixture: a real Redis on loopback)


def test_healthz_answers_without_touching_anything(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_readyz_names_each_check(app, client):
    answer = client.get("/readyz")
    found = answer.get_json()
    assert answer.status_code == 200 and found["status"] == "ready"
    assert found["checks"]["database"] == "ok" and found["checks"]["content"] == "ok"
    assert found["checks"]["redis"] == "not used"
    assert found["checks"]["content_version"] == app.extensions["cocourse.course"].version


def test_a_database_that_does_not_answer_makes_the_server_not_ready(app, client, monkeypatch):
    engine = app.extensions["cocourse.engine"]

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    monkeypatch.setattr(engine, "connect", refuse)
    answer = client.get("/readyz")
    found = answer.get_json()
    assert answer.status_code == 503 and found["status"] == "not ready"
    assert found["checks"]["database"].startswith("the database does not answer")
    assert client.get("/healthz").status_code == 200  # still alive: only not ready


def test_redis_is_checked_where_the_settings_use_it(
    engine,
    database_url,
    tmp_path,
    redis_url,  # noqa: F811
):
    up = make_app(database_url, tmp_path / "up", RATELIMIT_STORAGE_URI=redis_url)
    assert up.test_client().get("/readyz").get_json()["checks"]["redis"] == "ok"
    down_url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    down = make_app(database_url, tmp_path / "down", HUEY_REDIS_URL=down_url)
    answer = down.test_client().get("/readyz")
    assert answer.status_code == 503
    found = answer.get_json()
    assert found["checks"]["redis"].startswith("Redis does not answer")
    assert down_url not in answer.get_data(as_text=True)  # no address in the answer
