"""What operators watch: Prometheus metrics at /metrics (behind a token), and JSON logs in
which every line carries the request id that nginx passed in."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from cocourse.config import ConfigError
from cocourse.models import MailMessage, QuizAttempt
from cocourse.web.logs import JsonFormatter

from .conftest import AuthActions, make_app
from .gunicorn import serve
from .test_quizzes import ALL_RIGHT, QUIZ_COURSE, start, submit

TOKEN = "a-scrape-token-for-tests"
WRONG = {"q0": "a", "q1": ["a", "c"], "q2": "a", "q3": "no", "q4": "1", "q5-0": "b", "q5-1": "a"}
WRONG |= {"q6-a": "b", "q6-b": "a"}


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a scrape; 0 when it is not there yet."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


def scrape(client) -> str:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    return answer.get_data(as_text=True)


@pytest.fixture
def auth_for(session):
    return lambda client: AuthActions(client, session)


@pytest.fixture
def metered(engine, database_url, tmp_path):
    return make_app(
        database_url,
        tmp_path,
        CONTENT_DIR=str(QUIZ_COURSE),
        PLUGIN_SETTINGS={"metrics": {"token": TOKEN}},
    )


def test_metrics_are_off_without_a_token(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_answer_only_the_token(metered):
    client = metered.test_client()
    for sent in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        answer = client.get("/metrics", headers=sent)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "cocourse_" not in answer.get_data(as_text=True)


def test_requests_quiz_submissions_and_queues_are_counted(metered, session, auth_for):
    client = metered.test_client()
    before = scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.get("/no-such-page")
    after = scrape(client)
    count = "cocourse_request_duration_seconds_count"
    assert (
        sample(after, count, endpoint="healthz", method="GET")
        - sample(before, count, endpoint="healthz", method="GET")
        == 3
    )
    assert (
        sample(after, "cocourse_responses_total", endpoint="none", status="404")
        - sample(before, "cocourse_responses_total", endpoint="none", status="404")
        == 1
    )

    auth_for(client).create()
    auth_for(client).login()
    passed = sample(after, "cocourse_quiz_submissions_total", passed="yes")
    submit(client, start(client), ALL_RIGHT)
    failed = sample(after, "cocourse_quiz_submissions_total", passed="no")
    attempt_id = start(client)
    submit(client, attempt_id, {**ALL_RIGHT, **WRONG})
    assert session.get(QuizAttempt, attempt_id).passed is False
    counted = scrape(client)
    assert sample(counted, "cocourse_quiz_submissions_total", passed="yes") == passed + 1
    assert sample(counted, "cocourse_quiz_submissions_total", passed="no") == failed + 1

    for number in range(2):
        session.add(
            MailMessage(
                to_address=f"p{number}@example.org",
                subject="s",
                text_body="t",
                html_body="h",
                message_id=f"<m{number}@example.org>",
                template="test",
            )
        )
    session.add(
        MailMessage(
            to_address="sent@example.org",
            subject="s",
            text_body="t",
            html_body="h",
            message_id="<sent@example.org>",
            template="test",
            status="sent",
        )
    )
    session.commit()
    assert sample(scrape(client), "cocourse_queue_depth", queue="mail") == 2


def test_two_workers_add_up_and_log_json_with_the_proxys_request_id(engine, database_url, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {
        "COCOURSE_SECRET_KEY": "a-secret-both-workers-share-0123456789abcdef",
        "DATABASE_URL": database_url,
        "COCOURSE_INSTANCE_PATH": str(tmp_path / "instance"),
        "COCOURSE_PLUGIN_SETTINGS": json.dumps({"metrics": {"token": TOKEN}}),
        "COCOURSE_LOG_FORMAT": "json",
        "COCOURSE_PROXY_HOPS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    with serve(tmp_path, env) as served:
        # Requests from several threads at once, until both workers have answered some.
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            while len(workers_of(served)) < 2 and sent < 800:
                batch = range(sent, sent + 40)
                assert all(pool.map(lambda number: get_health(served, number), batch))
                sent += 40
        assert len(workers_of(served)) == 2, "one worker answered every request"
        text = requests.get(
            f"{served.base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        ).text
    answered = sum("/healthz" in line for _pid, line in served.lines())
    assert answered >= sent
    total = sample(text, "cocourse_request_duration_seconds_count", endpoint="healthz")
    assert total == answered, "the scrape did not add up both workers' counts"
    lines = [json.loads(line) for line in served.errors.read_text().splitlines() if line[:1] == "{"]
    requested = {line["request_id"] for line in lines if line.get("event") == "request"}
    assert {f"nginx-id-{number:04d}" for number in range(sent)} <= requested
    one = next(line for line in lines if line.get("request_id") == "nginx-id-0007")
    assert one["path"] == "/healthz" and one["status"] == 200 and one["endpoint"] == "healthz"
    assert one["logger"] == "cocourse.request" and one["duration_ms"] >= 0


def get_health(served, number: int) -> bool:
    headers = {"X-Request-Id": f"nginx-id-{number:04d}"}
    return requests.get(f"{served.base}/healthz", headers=headers, timeout=10).ok


def workers_of(served) -> set[str]:
    return {pid for pid, line in served.lines() if "/healthz" in line}


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The cocourse loggers' lines as the JSON formatter writes them, for one test."""
    root = logging.getLogger("cocourse")
    saved = (root.level, root.propagate, list(root.handlers))
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield written
    finally:
        root.setLevel(saved[0])
        root.propagate = saved[1]
        root.handlers[:] = saved[2]  # also the one the app installed


def test_security_events_keep_their_fields_and_a_clients_id_is_not_trusted(
    engine, database_url, tmp_path, session, json_lines
):
    app = make_app(database_url, tmp_path, LOG_FORMAT="json")
    client = app.test_client()
    auth = AuthActions(client, session)
    auth.create("nobody@example.org")
    auth.login("nobody@example.org", "not the password")
    answer = client.get("/healthz", headers={"X-Request-Id": "client-made-this-up"})
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    failed = next(line for line in lines if line.get("event") == "login_failed")
    assert failed["logger"] == "cocourse.security" and failed["email_domain"] == "example.org"
    assert "message" not in failed and "nobody" not in json.dumps(failed)
    # Without a proxy in front (PROXY_HOPS 0) the header is the client's: not used.
    assert answer.headers["X-Request-Id"] != "client-made-this-up"
    health = [line for line in lines if line.get("path") == "/healthz"]
    assert [line["request_id"] for line in health] == [answer.headers["X-Request-Id"]]


def test_an_unknown_log_format_is_refused(database_url, tmp_path):
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        make_app(database_url, tmp_path, LOG_FORMAT="xml")
