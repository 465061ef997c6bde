"""Profile the logged-in lesson page, or another page, in one process (Flask test client):
rendering it (the page cache off), or with `--cached` sending it from the page cache.

Prints the time per request of the page and of hello-world through the same client, then the
top functions by cumulative and own time. Usage:
    python bench/profile_lesson.py [--requests 2000] [--content DIR] [--lesson module/lesson]
                                   [--path /dashboard] [--cached]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import run
import startup
from flask.testing import FlaskClient
from hello import app as hello_app
from markupsafe import escape


def per_request_us(client: FlaskClient, url: str, n: int) -> float:
    """Mean microseconds per GET of `url` over `n` requests (after 100 warm-up requests)."""
    for _ in range(100):
        client.get(url)
    start = time.perf_counter()
    for _ in range(n):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    """Log a learner in through the test client, time both apps, then profile the lesson."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--content", type=Path, default=run.CONTENT)
    parser.add_argument("--lesson", help="module/lesson (default: the first lesson)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--path", help="another page to profile, such as /dashboard")
    parser.add_argument(
        "--cached", action="store_true", help="keep the page cache on (profile sending a page)"
    )
    args = parser.parse_args()
    path, title = run.pick_lesson(args.content, args.lesson)
    if args.path:
        path, title = args.path, ""
    with tempfile.TemporaryDirectory(prefix="cocourse-profile-") as tmp:
        db_url = f"sqlite:///{tmp}/bench.sqlite3"
        env = startup.clean_env(args.content, db_url)
        if not args.cached:  # profile rendering the page, not sending it from the cache
            env["COCOURSE_PAGE_CACHE_SECONDS"] = "0"
        os.environ.clear()
        os.environ.update(env)
        run.prepare_database(db_url)
        from cocourse import create_app

        client = create_app().test_client()
        parser = run.CsrfField()
        parser.feed(client.get("/login").get_data(as_text=True))
        form = {"email": run.EMAIL, "password": run.PASSWORD, "csrf_token": parser.token}
        client.post("/login", data=form)
        body = client.get(path).get_data(as_text=True)
        if str(escape(title)) not in body or 'name="password"' in body:
            sys.exit(f"not logged in: {path} did not come back")
        lesson_us = per_request_us(client, path, args.requests)
        hello_us = per_request_us(hello_app.test_client(), "/", args.requests)
        print(f"{path}: {lesson_us:.0f} us/request; hello: {hello_us:.0f} us/request")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            client.get(path)
        profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    print(f"\n== cumulative time, {args.requests} requests")
    stats.sort_stats("cumulative").print_stats(args.top)
    print(f"\n== own time, {args.requests} requests")
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
