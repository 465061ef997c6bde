"""Load test with locust: simulated learners against the scaled-out stack behind nginx, and
the same run against the embedded mode (SQLite, gunicorn, no proxy) for comparison.

Each run: 300 learners (bench/locustfile.py) for two minutes, after they arrived at ten a
second (their logins are not in the figures: locust resets its figures once all are in),
each logging in as a synthetic learner of its own (`cocourse synthetic`, so the database
holds 300 people with progress and attempts before the load begins) and then browsing,
reading lessons and taking the first module's quiz with drafts, one to three seconds apart.
Both modes get two gunicorn sync workers in all: the embedded mode one server of two, the
stack two instances of one (each standing for a host) behind nginx with TLS, on PostgreSQL
and Redis, all on this machine. The login rate limit is raised for the run, since every
simulated learner comes from 127.0.0.1.

Per endpoint: requests, failures, median and 95th percentile response time as locust
measured them (client side, so queueing and, for the stack, TLS and nginx are included).
The figures are printed and written to docs/benchmarks.md between the load-bench markers.
Usage: python bench/load.py [--users 300] [--minutes 2] [--skip-stack] [--no-doc]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import run

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CONTENT = ROOT / "content" / "modules"
RESULTS = BENCH / "results"
BEGIN, END = "<!-- load-bench:begin -->", "<!-- load-bench:end -->"
PASSWORD = "load-test-password-" + secrets.token_hex(4)
COCOURSE = str(Path(sys.executable).with_name("cocourse"))
LOGIN_LIMIT = "100000 per minute"


def stack_module() -> Any:
    spec = importlib.util.spec_from_file_location("cocourse_stack", ROOT / "deploy" / "stack.py")
    assert spec and spec.loader
    module = sys.modules["cocourse_stack"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def first_module() -> tuple[list[str], tuple[str, str]]:
    """The lesson URLs of the course's first module, and its quiz (id, lesson URL)."""
    from cocourse.content.loader import lesson_url, load_course

    course = load_course(CONTENT).course
    assert course is not None, "the bundled course has errors: cocourse lint content/modules"
    module = course.modules[0]
    lessons = [lesson_url(module.slug, lesson.slug) for lesson in module.lessons]
    quiz = next(lesson for lesson in module.lessons if lesson.quiz is not None)
    assert quiz.quiz is not None
    return lessons, (quiz.quiz.id, lesson_url(module.slug, quiz.slug))


def learners(env: dict[str, str], count: int) -> list[str]:
    """`count` synthetic learners who can log in with PASSWORD; their emails."""
    done = subprocess.run(  # noqa: S603 - our own command
        [
            COCOURSE,
            "synthetic",
            "--learners",
            str(count),
            "--cohorts",
            "3",
            "--seed",
            "7",
            "--password",
            PASSWORD,
            "--force",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cocourse synthetic failed:\n{done.stdout}{done.stderr}")
    return [f"learner-{index + 1:05d}@seed7.example.org" for index in range(count)]


def locust(
    url: str,
    emails: list[str],
    args: argparse.Namespace,
    out: Path,
    extra: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Run locust headless against `url`; its per-endpoint figures."""
    lessons, quiz = first_module()
    env = {
        **os.environ,
        "LOAD_EMAILS": json.dumps(emails),
        "LOAD_PASSWORD": PASSWORD,
        "LOAD_LESSONS": json.dumps(lessons),
        "LOAD_QUIZ": json.dumps(quiz),
        **(extra or {}),
    }
    out.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(BENCH / "locustfile.py"),
        "--headless",
        "--host",
        url,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        # The learners log in while they arrive (a scrypt hash each); the figures count from
        # when all of them are there (--reset-stats), for the minutes asked.
        f"{round(args.minutes * 60 + args.users / args.spawn_rate)}s",
        "--reset-stats",
        "--csv",
        str(out / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "10",
    ]
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=args.minutes * 60 + 180,
        check=False,
    )  # noqa: S603
    (out / "locust.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if not (out / "locust_stats.csv").exists():
        raise RuntimeError(f"locust wrote no figures:\n{(done.stdout + done.stderr)[-2000:]}")
    rows = []
    with open(out / "locust_stats.csv", newline="", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            rows.append(
                {
                    "name": row["Name"] if row["Type"] else "All",
                    "method": row["Type"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "median": float(row["50%"] or 0),
                    "p95": float(row["95%"] or 0),
                    "rps": float(row["Requests/s"] or 0),
                }
            )
    return rows  # what failed, and why, is in locust_failures.csv beside them


def embedded(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    """The embedded mode: SQLite in a fresh instance folder, gunicorn with two workers."""
    instance = folder / "embedded"
    env = {
        **os.environ,
        "COCOURSE_INSTANCE_PATH": str(instance),
        "COCOURSE_SECRET_KEY": secrets.token_urlsafe(48),
        "COCOURSE_LOGIN_RATE_LIMIT": LOGIN_LIMIT,
        "COCOURSE_CONTENT_DIR": str(CONTENT),
    }
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [COCOURSE, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120
    )  # noqa: S603
    emails = learners(env, args.users)
    with run.gunicorn("cocourse:create_app()", env, workers=2) as url:
        return locust(url, emails, args, folder / "embedded-locust")


def scaled_out(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    """The stack of deploy/stack.py, one worker per instance."""
    stack = stack_module()
    settings = {"COCOURSE_LOGIN_RATE_LIMIT": LOGIN_LIMIT}
    with stack.running(folder / "stack", CONTENT, workers=1, settings=settings) as running:
        env = {**os.environ, **running.env, "COCOURSE_INSTANCE_PATH": str(folder / "admin")}
        emails = learners(env, args.users)
        extra = {"LOAD_CA": running.certificate}
        return locust(running.url, emails, args, folder / "stack-locust", extra)


def section(result: dict[str, Any], args: argparse.Namespace) -> str:
    """The Markdown between the load-bench markers."""
    info = result["machine"]
    lines = [
        f"Run on {result['date']}: {args.users} learners for {args.minutes} minutes each, "
        f"{info['cores']} cores ({info['cpu']}), Python {info['python']}, gunicorn "
        f"{info['gunicorn']}, locust {result['locust']}.",
        "",
        "| Endpoint | Mode | Requests | Failures | Median | p95 |",
        "|---|---|---|---|---|---|",
    ]
    for mode in ("embedded", "stack"):
        for row in result.get(mode, []):
            label = "**all**" if row["name"] == "All" else f"{row['method']} `{row['name']}`"
            lines.append(
                f"| {label} | {mode} | {row['requests']:,} | {row['failures']} | "
                f"{row['median']:.0f} ms | {row['p95']:.0f} ms |"
            )
    rerun = (
        "**Rerun:** `python bench/load.py` in a venv with the project and locust installed "
        "(`pip install -e '.[bench]'`), with the stack's Debian packages (see `make stack`). "
        "Options: `--users`, `--minutes`, `--spawn-rate`, `--skip-stack`, `--skip-embedded`, "
        "`--no-doc`. locust's own CSV files are kept in `bench/results/load/` (not committed)."
    )
    return "\n".join([BEGIN, "", *lines, "", rerun, "", END])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--spawn-rate", type=int, default=10)
    parser.add_argument("--skip-stack", action="store_true")
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    from importlib import metadata

    result: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": run.machine(),
        "locust": metadata.version("locust"),
    }
    folder = Path(tempfile.mkdtemp(prefix="cocourse-load-"))
    try:
        if not args.skip_embedded:
            result["embedded"] = embedded(args, folder)
            time.sleep(5)  # let the machine settle between the runs
        if not args.skip_stack:
            result["stack"] = scaled_out(args, folder)
    finally:
        keep = RESULTS / "load"
        shutil.rmtree(keep, ignore_errors=True)
        for name in ("embedded-locust", "stack-locust"):
            if (folder / name).exists():
                shutil.copytree(folder / name, keep / name)
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, indent=2))
    if not args.no_doc:
        run.write_doc(section(result, args), BEGIN, END, "## Load test: 300 learners\n\n")


if __name__ == "__main__":
    main()
