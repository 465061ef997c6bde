"""Benchmark the reports on 10,000 synthetic learners: dashboard, cohort matrix, item analysis,
module funnel, and the streamed CSV exports (time and peak memory).

`cocourse.devtools.synthetic` fills a throwaway SQLite database (and PostgreSQL: DATABASE_URL
naming an empty database, or a throwaway cluster as bench/quiz.py starts one) with 10,000
learners in 20 cohorts across the bundled course. Then, in one process, Flask's test client
with logged-in sessions requests each page many times (server time: median and p95), and
downloads each CSV at two sizes, consuming the streamed body while tracemalloc records the
peak of Python allocations. The figures are printed and written to docs/benchmarks.md between the
reports-bench markers.
Usage: python bench/reports.py [--skip-postgres] [--no-doc] [--profile] (see --help).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import quiz
import run

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
BEGIN, END = "<!-- reports-bench:begin -->", "<!-- reports-bench:end -->"
PASSWORD = run.PASSWORD
ADMIN = "bench-admin@example.org"
PAGE_TARGET_MS = 100.0  # every report page but the item analysis, median server time
ITEMS_TARGET_MS = 1000.0  # item analysis of a quiz with 50,000 attempts
ITEMS_TARGET_ATTEMPTS = 50_000
FLAT_MEMORY = 1.5  # peak memory of the big export at most this times the small one's
FUNNEL_ROUTE = "/reports/modules/<slug>"


# -- the data ---------------------------------------------------------------------------------


def make_app(url: str, instance: Path) -> Any:
    """The app as create_app builds it, on `url`, serving the bundled course; without the
    page cache, which would send the learner's dashboard again instead of rendering it."""
    from cocourse import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": secrets.token_urlsafe(48),
            "RATELIMIT_ENABLED": False,
            "PAGE_CACHE_SECONDS": 0,
        }
    )


def generate(url: str, instance: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, generate the synthetic data and an admin; what was made and how long it took.

    A database that already holds the seed's learners is used as it is (see --sqlite).
    """
    from sqlalchemy import func, select

    from cocourse import migrate
    from cocourse.accounts.services import create_user
    from cocourse.db import get_session, make_engine
    from cocourse.devtools import synthetic
    from cocourse.models import Role, User

    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = make_app(url, instance)
    with app.app_context():
        session = get_session()
        mine = f"%@{synthetic.domain(args.seed)}"
        if session.scalar(select(func.count(User.id)).where(User.email.like(mine))):
            print("  using the synthetic data already in the database", flush=True)
            return {"reused": True}
        if session.scalar(select(func.count(User.id))):
            sys.exit(f"{url.split('@')[-1]} already has accounts: give the bench an empty database")
        course = app.extensions["cocourse.course"].course
        types = app.extensions["cocourse.question_types"]
        options = synthetic.Options(args.learners, args.cohorts, args.seed, PASSWORD)
        began = time.perf_counter()
        summary = synthetic.generate(session, course, types, options)
        seconds = time.perf_counter() - began
        create_user(session, ADMIN, "Bench admin", PASSWORD, Role.ADMIN)
    app.extensions["cocourse.engine"].dispose()
    return {"reused": False, "seconds": seconds, "summary": vars(summary)}


def top_up(url: str, instance: Path, wanted: int) -> dict[str, Any]:
    """Copy the graded attempts of the quiz with the most until it has `wanted` (same
    learners, later attempt numbers), then write their item-analysis rows and their learners'
    module steps, as grading would.

    The generator gives the busiest quiz about 16,000 attempts for 10,000 learners; this
    reaches the 50,000 of the item-analysis target without generating 30,000 more learners.
    """
    from sqlalchemy import func, insert, select

    from cocourse.db import get_session, write
    from cocourse.learning import module_steps
    from cocourse.models import QuizAttempt
    from cocourse.quiz.engine import fill_item_rows

    app = make_app(url, instance)
    graded = (QuizAttempt.submitted_at.is_not(None), QuizAttempt.expired.is_(False))
    columns = [c for c in QuizAttempt.__table__.columns if c.name != "id"]
    copied, began = 0, time.perf_counter()
    with app.app_context():
        session = get_session()
        quiz_id, have = session.execute(
            select(QuizAttempt.quiz_id, func.count())
            .where(*graded)
            .group_by(QuizAttempt.quiz_id)
            .order_by(func.count().desc(), QuizAttempt.quiz_id)
            .limit(1)
        ).one()
        top = session.scalar(select(func.max(QuizAttempt.number)))
        rounds = 0
        while have < wanted:
            rounds += 1
            offset = rounds * (top + 1)
            source = (
                select(
                    *[c + offset if c.name == "number" else c for c in columns]  # type: ignore[operator]
                )
                .where(QuizAttempt.quiz_id == quiz_id, QuizAttempt.number <= top, *graded)
                .order_by(QuizAttempt.id)
                .limit(wanted - have)
            )
            with write(session):
                session.execute(insert(QuizAttempt).from_select(columns, source))
            before, have = (
                have,
                session.scalar(select(func.count()).where(QuizAttempt.quiz_id == quiz_id, *graded)),
            )
            copied += have - before
            if have == before:  # nothing left to copy
                break
        filled = fill_item_rows(session, quiz_id)
        if copied:
            module, _lesson = app.extensions["cocourse.course"].course.quiz(quiz_id)
            learners = select(QuizAttempt.user_id).where(QuizAttempt.quiz_id == quiz_id)
            ids = list(session.scalars(learners.distinct().order_by(QuizAttempt.user_id)))
            with write(session):
                module_steps.lock(session, ids)
                module_steps.quiz_changed(session, module.slug, quiz_id, ids, module)
    app.extensions["cocourse.engine"].dispose()
    seconds = time.perf_counter() - began
    return {
        "quiz": quiz_id,
        "attempts": have,
        "copied": copied,
        "filled": filled,
        "seconds": seconds,
    }


def database_facts(url: str) -> dict[str, Any]:
    """Bytes on disk (the SQLite file, or pg_database_size) and, on PostgreSQL, fsync."""
    from sqlalchemy import text

    from cocourse.db import make_engine

    if url.startswith("sqlite:///"):
        return {"bytes": Path(url.removeprefix("sqlite:///")).stat().st_size}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            size = conn.scalar(text("select pg_database_size(current_database())"))
            return {"bytes": int(size or 0), "fsync": conn.scalar(text("show fsync"))}
    finally:
        engine.dispose()


def subjects(app: Any) -> dict[str, Any]:
    """What to measure: the learner with the most history, cohorts of ~500 and the most
    learners, quizzes with the most attempts, ~10,000 attempts and ~1,000 attempts."""
    from sqlalchemy import func, select

    from cocourse.db import get_session
    from cocourse.models import ActivityEvent, CohortMember, QuizAttempt, User

    with app.app_context():
        session = get_session()
        learner = session.execute(
            select(User.email, func.count(ActivityEvent.id))
            .join(ActivityEvent, ActivityEvent.user_id == User.id)
            .group_by(User.id, User.email)
            .order_by(func.count(ActivityEvent.id).desc(), User.id)
            .limit(1)
        ).one()
        attempts = session.execute(
            select(func.count(QuizAttempt.id)).where(
                QuizAttempt.user_id
                == select(User.id).where(User.email == learner[0]).scalar_subquery()
            )
        ).scalar_one()
        sizes = [
            (cohort_id, n)
            for cohort_id, n in session.execute(
                select(CohortMember.cohort_id, func.count(CohortMember.id)).group_by(
                    CohortMember.cohort_id
                )
            )
        ]
        quizzes = [
            (quiz_id, n)
            for quiz_id, n in session.execute(
                select(QuizAttempt.quiz_id, func.count(QuizAttempt.id))
                .where(QuizAttempt.submitted_at.is_not(None))
                .group_by(QuizAttempt.quiz_id)
            )
        ]
    course = app.extensions["cocourse.course"].course

    def nearest(rows: list[tuple[Any, int]], wanted: int) -> tuple[Any, int]:
        return min(rows, key=lambda row: (abs(row[1] - wanted), row[0]))

    ten_k = [row for row in quizzes if row[1] >= 10_000]
    return {
        "learner": {"email": learner[0], "events": learner[1], "attempts": int(attempts)},
        "cohort_500": nearest(sizes, 500),
        "cohort_big": max(sizes, key=lambda row: row[1]),
        "quiz_10k": nearest(ten_k, 10_000) if ten_k else None,
        "quiz_most": max(quizzes, key=lambda row: row[1]),
        "quiz_1k": nearest(quizzes, 1_000),
        "module": course.modules[0].slug,
    }


# -- measuring --------------------------------------------------------------------------------


def login(app: Any, email: str) -> Any:
    """A test client logged in through the real login form."""
    client = app.test_client()
    token = quiz.csrf_of(client.get("/login").get_data(as_text=True))
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    if client.post("/login", data=data).status_code != 302:
        raise RuntimeError(f"login as {email} failed")
    return client


def time_page(client: Any, path: str, reps: int, warmup: int = 3) -> dict[str, float]:
    """Median and p95 of a GET in the test client (the whole request, body included)."""
    seconds = []
    for i in range(warmup + reps):
        began = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code}")
        if i >= warmup:
            seconds.append(elapsed)
    return quiz.summary_ms(seconds)


def download(client: Any, path: str, trace: bool) -> dict[str, float]:
    """Consume a streamed CSV chunk by chunk: seconds, bytes, lines, and the tracemalloc peak
    of the whole request when `trace` (tracing slows it down, so it is timed separately)."""
    if trace:
        tracemalloc.start()
    began = time.perf_counter()
    response = client.get(path, buffered=False)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")
    size = lines = 0
    for chunk in response.response:
        data = chunk if isinstance(chunk, bytes) else chunk.encode()
        size += len(data)
        lines += data.count(b"\n")
    response.close()
    found = {"seconds": time.perf_counter() - began, "bytes": size, "lines": lines}
    if trace:
        found["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return found


def export(client: Any, path: str, reps: int) -> dict[str, float]:
    """A CSV export: median time of `reps` untraced downloads, then one traced for memory."""
    download(client, path, trace=False)  # warm-up
    runs = [download(client, path, trace=False) for _ in range(reps)]
    traced = download(client, path, trace=True)
    return {
        "ms": quiz.summary_ms([r["seconds"] for r in runs])["median"],
        "bytes": runs[0]["bytes"],
        "lines": runs[0]["lines"],
        "peak": traced["peak"],
    }


def measure(url: str, instance: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every page and export on one database."""
    app = make_app(url, instance)
    found: dict[str, Any] = {"subjects": subjects(app)}
    s = found["subjects"]
    learner, admin = login(app, s["learner"]["email"]), login(app, ADMIN)
    pages = {
        "dashboard": (learner, "/dashboard", args.reps),
        "cohort_500": (admin, f"/reports/cohorts/{s['cohort_500'][0]}", args.reps),
        "cohort_500_progress": (
            admin,
            f"/reports/cohorts/{s['cohort_500'][0]}?sort=-progress",
            args.reps,
        ),
        "cohort_big": (admin, f"/reports/cohorts/{s['cohort_big'][0]}", args.reps),
        "items_most": (admin, f"/reports/quizzes/{s['quiz_most'][0]}", args.slow_reps),
    }
    if s["quiz_10k"]:
        pages["items_10k"] = (admin, f"/reports/quizzes/{s['quiz_10k'][0]}", args.slow_reps)
    funnel = has_route(app, FUNNEL_ROUTE)
    if funnel:
        pages["funnel"] = (admin, f"/reports/modules/{s['module']}", args.slow_reps)
        pages["modules"] = (admin, "/reports/modules", args.slow_reps)
    pages["quizzes"] = (admin, "/reports/quizzes", args.slow_reps)
    found["pages"] = {}
    for name, (client, path, reps) in pages.items():
        print(f"  {name}: {path}", flush=True)
        found["pages"][name] = {"path": path, **time_page(client, path, reps)}
    exports = {
        "cohort_small": f"/reports/cohorts/{s['cohort_500'][0]}.csv",
        "cohort_big": f"/reports/cohorts/{s['cohort_big'][0]}.csv",
        "items_small": f"/reports/quizzes/{s['quiz_1k'][0]}.csv",
        "items_big": f"/reports/quizzes/{s['quiz_most'][0]}.csv",
    }
    if funnel:
        exports["funnel"] = f"/reports/modules/{s['module']}.csv"
    found["exports"] = {}
    for name, path in exports.items():
        print(f"  {name}: {path}", flush=True)
        found["exports"][name] = {"path": path, **export(admin, path, args.export_reps)}
    if args.profile:
        found["profile"] = profile(admin, [path for _client, path, _reps in pages.values()])
    app.extensions["cocourse.engine"].dispose()
    return found


def has_route(app: Any, rule: str) -> bool:
    """Whether the app serves this URL rule (the module funnel may not be built yet)."""
    return any(r.rule == rule for r in app.url_map.iter_rules())


def profile(client: Any, paths: list[str]) -> str:
    """cProfile of each page (three requests each, after a warm-up); the report as text."""
    out = io.StringIO()
    for path in paths:
        client.get(path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(3):
            client.get(path)
        profiler.disable()
        out.write(f"== GET {path} x 3, own time\n")
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(25)
    return out.getvalue()


# -- one database, the whole run ---------------------------------------------------------------


def bench_database(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Generate (or reuse) the data on `url`, then measure."""
    with tempfile.TemporaryDirectory(prefix="cocourse-reports-instance-") as instance:
        print(f"generating {args.learners:,} learners...", flush=True)
        made = generate(url, Path(instance), args)
        if not made["reused"]:
            print(f"  {made['seconds']:.1f} s: {made['summary']}", flush=True)
        if args.attempts:
            print(f"topping up the busiest quiz to {args.attempts:,} attempts...", flush=True)
            made["top_up"] = top_up(url, Path(instance), args.attempts)
            print(f"  {made['top_up']}", flush=True)
        result = {"generate": made, **database_facts(url)}
        print("measuring...", flush=True)
        result.update(measure(url, Path(instance), args))
    return result


@contextmanager
def postgres(args: argparse.Namespace) -> Iterator[str]:
    """DATABASE_URL if it names PostgreSQL (an empty database), else a throwaway cluster."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith("postgresql"):
        yield given
        return
    bin_dir = quiz.pg_bin(args.pg_bin)
    if bin_dir is None or not (bin_dir / "initdb").exists():
        sys.exit("no PostgreSQL binaries found: pass --pg-bin, set DATABASE_URL or --skip-postgres")
    with quiz.postgres_cluster(bin_dir) as url:
        yield url


def main() -> None:
    """Command line: generate, measure, print the figures and update docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--cohorts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--attempts",
        type=int,
        default=ITEMS_TARGET_ATTEMPTS,
        help="copy the busiest quiz's attempts up to this many (0: as generated)",
    )
    parser.add_argument("--reps", type=int, default=100, help="timed requests per fast page")
    parser.add_argument("--slow-reps", type=int, default=10, help="timed requests per slow page")
    parser.add_argument("--export-reps", type=int, default=3, help="timed downloads per CSV")
    parser.add_argument("--sqlite", type=Path, help="keep the SQLite database in this file")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--pg-bin", help="PostgreSQL bin folder (default: Debian's newest)")
    parser.add_argument("--profile", action="store_true", help="cProfile every page too")
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    result: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "learners": args.learners,
        "cohorts": args.cohorts,
        "databases": {},
    }
    with tempfile.TemporaryDirectory(prefix="cocourse-reports-") as tmp:
        urls = {"sqlite": f"sqlite:///{args.sqlite or Path(tmp) / 'reports.sqlite3'}"}
        print("SQLite", flush=True)
        result["databases"]["sqlite"] = bench_database(urls["sqlite"], args)
        if not args.skip_postgres:
            with postgres(args) as pg_url:
                urls["postgresql"] = pg_url
                print("PostgreSQL", flush=True)
                result["databases"]["postgresql"] = bench_database(pg_url, args)
                result["machine"] = quiz.versions(urls)
        else:
            result["machine"] = quiz.versions(urls)
    profiles = {name: db.pop("profile", "") for name, db in result["databases"].items()}
    RESULTS.mkdir(exist_ok=True)
    if args.profile:
        text = "\n".join(f"#### {name}\n{report}" for name, report in profiles.items())
        (RESULTS / "reports-profile.txt").write_text(text, encoding="utf-8")
    (RESULTS / "reports-latest.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    if not args.no_doc:
        run.write_doc(section(result), BEGIN, END, "## Reports on 10,000 learners\n\n")
        print(f"updated {run.DOC.relative_to(ROOT)}")


# -- the table ---------------------------------------------------------------------------------


def _page_row(what: str, timed: dict[str, Any]) -> str:
    """A table row for a report page held to PAGE_TARGET_MS."""
    target = f"median < {PAGE_TARGET_MS:.0f} ms"
    return run.row(what, _ms(timed), target, timed["median"] < PAGE_TARGET_MS)


def _ms(s: dict[str, float]) -> str:
    return f"median {s['median']:,.1f} ms, p95 {s['p95']:,.1f} ms (n = {s['n']})"


def _mb(n: float) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1024**2:.1f} MB"


def _db_name(name: str, db: dict[str, Any]) -> str:
    if name == "sqlite":
        return "SQLite"
    return "PostgreSQL (fsync off)" if db.get("fsync") == "off" else "PostgreSQL"


def section(result: dict[str, Any]) -> str:
    """The generated part of docs/benchmarks.md: a table of figures and how to rerun."""
    m = result["machine"]
    software = (
        f"Python {m['python']}, Flask {m['flask']}, SQLAlchemy {m['sqlalchemy']}, "
        + ", ".join(m[name] for name in result["databases"])
    )
    lines = [
        "| Measure | Result | Target | |",
        "|---|---|---|---|",
        run.row("Date", result["date"]),
        run.row("Machine", f"{m['cores']} cores, {m['cpu']}"),
        run.row(
            "Load average when the run began (1, 5, 15 min)", quiz._loads(result["load_average"])
        ),
        run.row("Software", software),
    ]
    for name, db in result["databases"].items():
        lines += _database_rows(_db_name(name, db), db)
    rerun = (
        "**Rerun:** `python bench/reports.py` in a venv with the project installed "
        "(PostgreSQL's `initdb` under `/usr/lib/postgresql/*/bin`, or `DATABASE_URL` naming an "
        "empty PostgreSQL database it may fill). It takes several minutes, most of it generating "
        "the data, so `make bench` does not run it. Options: `--learners`, `--cohorts`, "
        "`--reps`, `--slow-reps`, `--attempts` (copy the busiest quiz's attempts up to this many, "
        "50,000 by default), `--sqlite FILE` (keep the SQLite database and reuse it next "
        "time), `--skip-postgres`, `--profile`, `--no-doc`. The figures are also kept in "
        "`bench/results/reports-latest.json` (not committed)."
    )
    return "\n".join([BEGIN, "", *lines, "", rerun, "", END])


def _database_rows(db_name: str, db: dict[str, Any]) -> list[str]:
    """The rows for one database."""
    s, pages, exports = db["subjects"], db["pages"], db["exports"]
    rows = []
    made = db["generate"]
    if not made["reused"]:
        g = made["summary"]
        rows.append(
            run.row(
                f"{db_name}: `synthetic.generate`",
                f"{made['seconds']:.0f} s for {g['learners']:,} learners in {g['cohorts']} "
                f"cohorts: {g['completions']:,} completions, {g['attempts']:,} attempts, "
                f"{g['events']:,} events; {_mb(db['bytes'] or 0)} on disk",
            )
        )
    if made.get("top_up"):
        t = made["top_up"]
        rows.append(
            run.row(
                f"{db_name}: `--attempts`, the busiest quiz topped up",
                f"`{t['quiz']}`: {t['attempts']:,} graded attempts ({t['copied']:,} copied now), "
                f"item rows written for {t['filled']:,}, {t['seconds']:.0f} s",
            )
        )
    learner = s["learner"]
    rows.append(
        _page_row(
            f"{db_name}: dashboard (`/dashboard`), the learner with the most history "
            f"({learner['events']} events, {learner['attempts']} attempts)",
            pages["dashboard"],
        )
    )
    for key, what in (
        ("cohort_500", f"{s['cohort_500'][1]:,} learners"),
        ("cohort_500_progress", f"{s['cohort_500'][1]:,} learners, sorted by progress"),
        ("cohort_big", f"{s['cohort_big'][1]:,} learners"),
    ):
        rows.append(
            _page_row(
                f"{db_name}: cohort matrix page, {what}",
                pages[key],
            )
        )
    if "items_10k" in pages:
        rows.append(
            run.row(
                f"{db_name}: item analysis page, {s['quiz_10k'][1]:,} attempts",
                _ms(pages["items_10k"]),
                f"median < {ITEMS_TARGET_MS / 1000:.0f} s",
                pages["items_10k"]["median"] < ITEMS_TARGET_MS,
            )
        )
    else:
        rows.append(run.row(f"{db_name}: item analysis, 10,000 attempts", "no quiz has that many"))
    most = s["quiz_most"][1]
    rows.append(
        run.row(
            f"{db_name}: item analysis page, {most:,} attempts (the most)",
            _ms(pages["items_most"]),
            f"median < {ITEMS_TARGET_MS / 1000:.0f} s" if most >= ITEMS_TARGET_ATTEMPTS else "",
            pages["items_most"]["median"] < ITEMS_TARGET_MS
            if most >= ITEMS_TARGET_ATTEMPTS
            else None,
        )
    )
    if "funnel" in pages:
        rows.append(
            _page_row(
                f"{db_name}: module funnel page, `{s['module']}`",
                pages["funnel"],
            )
        )
    else:
        rows.append(run.row(f"{db_name}: module funnel page", f"`{FUNNEL_ROUTE}` not built yet"))
    for key, what in (
        ("modules", "module list (`/reports/modules`), started and completed per module"),
        ("quizzes", "quiz list (`/reports/quizzes`), graded attempts per quiz"),
    ):
        if key in pages:
            rows.append(
                _page_row(
                    f"{db_name}: {what}",
                    pages[key],
                )
            )
    rows += _export_rows(db_name, exports, "cohort", "cohort matrix CSV", "learners")
    rows += _export_rows(db_name, exports, "items", "item analysis CSV", "attempts", s)
    if "funnel" in exports:
        f = exports["funnel"]
        rows.append(
            run.row(
                f"{db_name}: module funnel CSV, `{s['module']}`",
                f"{f['ms']:,.0f} ms, peak {_mb(f['peak'])}",
            )
        )
    return rows


def _export_rows(
    db_name: str,
    exports: dict[str, Any],
    key: str,
    what: str,
    unit: str,
    s: dict[str, Any] | None = None,
) -> list[str]:
    """Time and peak memory of a CSV at two sizes, and whether memory stayed flat."""
    small, big = exports[f"{key}_small"], exports[f"{key}_big"]
    if s is None:  # rows of the CSV: one per learner, after the header
        sizes = (small["lines"] - 1, big["lines"] - 1)
    else:  # one row per question; the attempts read are what grows
        sizes = (s["quiz_1k"][1], s["quiz_most"][1])
    ratio = big["peak"] / small["peak"]
    return [
        run.row(
            f"{db_name}: {what}, {n:,} {unit}",
            f"{e['ms']:,.0f} ms, {e['bytes'] / 1024:,.0f} KB, peak {_mb(e['peak'])}",
        )
        for n, e in zip(sizes, (small, big), strict=True)
    ] + [
        run.row(
            f"{db_name}: {what}, peak memory {sizes[1] / sizes[0]:.1f}x the {unit}",
            f"{ratio:.2f}x",
            f"<= {FLAT_MEMORY}x",
            ratio <= FLAT_MEMORY,
        )
    ]


if __name__ == "__main__":
    main()
