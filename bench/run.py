"""Benchmark cocourse: the throughput of three pages against Flask hello-world, and startup.

The pages: a lesson and the dashboard for a logged-in learner, and the catalog for an
anonymous visitor. Both apps are served by gunicorn (2 sync workers, 127.0.0.1, a free port)
and loaded with wrk in turn; the figures are printed and written to docs/benchmarks.md.
See that file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from importlib import metadata
from pathlib import Path

import startup
from markupsafe import escape

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = BENCH / "results"
BEGIN, END = "<!-- bench:begin (written by bench/run.py) -->", "<!-- bench:end -->"
CONTENT = ROOT / "content" / "modules"
EMAIL, PASSWORD = "learner@example.org", "quiet river lantern 42"
USER_AGENT = "cocourse-bench"  # the same for login and wrk, so flask-login sees one client
STARTUP_TARGET_S = 3.0
# Each page's share of hello-world's requests per second (the scale-out issue's targets).
RATIO_TARGETS = {"lesson": 0.60, "dashboard": 0.40, "catalog": 0.70}
# The suffix of the same pages served with the page cache switched off.
RENDERED = "_rendered"
UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """Serve `app` (module:callable) with gunicorn; yield its base URL; stop it afterwards."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
    cmd += ["--bind", f"127.0.0.1:{port}", "--pythonpath", str(BENCH), "--log-level", "warning"]
    cmd += ["--no-control-socket", app]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until the server answers HTTP (any status), or fail if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {proc.returncode}")
        try:
            urllib.request.urlopen(url + "/", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def prepare_database(url: str) -> None:
    """Create the schema and one learner account in a fresh database."""
    from sqlalchemy.orm import Session

    from cocourse import migrate
    from cocourse.accounts.services import create_user
    from cocourse.db import make_engine

    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        create_user(session, EMAIL, "Bench Learner", PASSWORD)
    engine.dispose()


class CsrfField(HTMLParser):
    """Finds the value of the hidden csrf_token input of a form."""

    token: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Remember the csrf_token input's value."""
        fields = dict(attrs)
        if tag == "input" and fields.get("name") == "csrf_token":
            self.token = fields.get("value")


def login(base: str) -> str:
    """Log in through the real form and return the `session` cookie's value."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    parser = CsrfField()
    parser.feed(opener.open(base + "/login", timeout=10).read().decode())
    if not parser.token:
        raise RuntimeError("no csrf_token field on /login")
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": parser.token}
    opener.open(base + "/login", urllib.parse.urlencode(form).encode(), timeout=10).close()
    cookie = next((c.value for c in jar if c.name == "session"), None)
    if not cookie:
        raise RuntimeError("login did not set a session cookie")
    return cookie


def pick_lesson(content: Path, wanted: str | None) -> tuple[str, str]:
    """The path and title of the lesson to load: `module/lesson`, else the course's first one."""
    from cocourse.content.loader import load_course

    result = load_course(content)
    if result.course is None:
        problems = "\n".join(str(p) for p in result.errors)
        sys.exit(f"the course in {content} has errors, fix them first:\n{problems}")
    for module in result.course.modules:
        for lesson in module.lessons:
            if wanted in (None, f"{module.slug}/{lesson.slug}"):
                return f"/modules/{module.slug}/{lesson.slug}", lesson.title
    sys.exit(f"no lesson {wanted!r} in {content}")


def check_page(url: str, cookie: str, marker: str) -> int:
    """Fetch a page once (as the learner when `cookie` is given); fail unless it is the page
    (status 200, `marker` in it, no login form for the learner). Return its size."""
    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = f"session={cookie}"
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:  # a redirect, or an error page
        raise RuntimeError(f"{url} answered {exc.code} {exc.headers.get('Location', '')}") from exc
    if status != 200 or marker not in body or (cookie and 'name="password"' in body):
        raise RuntimeError(f"{url} is not the page expected (status {status})")
    return len(body.encode())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Make a redirect (for example to /login) an error instead of following it."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        """Do not follow."""
        return None


def wrk(url: str, seconds: int, connections: int, threads: int, cookie: str = "") -> dict:
    """Run wrk against `url` and return requests/s, counts and bytes per response."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    cmd += ["-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        cmd += ["-H", f"Cookie: session={cookie}"]
    out = subprocess.run(
        [*cmd, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    return {**parse_wrk(out), "raw": out}


def parse_wrk(out: str) -> dict:
    """Pick the figures out of wrk's text report."""
    total = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(\w+) read", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not total or not rps:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    requests = int(total.group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(rps.group(1)),
        "requests": requests,
        "bytes_per_response": float(total.group(2)) * UNITS[total.group(3)] / max(requests, 1),
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0,
    }


def throughput(args: argparse.Namespace) -> dict:
    """Serve both apps, warm them up, then load each page and hello world in turn for
    `args.rounds` rounds."""
    with tempfile.TemporaryDirectory(prefix="cocourse-bench-") as tmp:
        db_url = f"sqlite:///{tmp}/bench.sqlite3"
        env = startup.clean_env(args.content, db_url)
        prepare_database(db_url)
        # The same app with its page cache switched off: what rendering each page costs.
        uncached = {**env, "COCOURSE_PAGE_CACHE_SECONDS": "0"}
        with (
            gunicorn("cocourse:create_app()", env) as app,
            gunicorn("cocourse:create_app()", uncached) as rendering,
            gunicorn("hello:app", env) as hello,
        ):
            pages = {}  # name: (url, cookie, what the page must contain)
            for base, suffix in ((app, ""), (rendering, RENDERED)):
                cookie = login(base)
                title = str(escape(args.lesson_title))
                pages[f"lesson{suffix}"] = (base + args.lesson_path, cookie, title)
                pages[f"dashboard{suffix}"] = (base + "/dashboard", cookie, "Your progress")
                pages[f"catalog{suffix}"] = (base + "/", "", "Learn to co-create")
            sizes = {name: check_page(*page) for name, page in pages.items()}
            targets = {name: page[:2] for name, page in pages.items()}
            targets["hello"] = (hello + "/", "")
            for url, cook in targets.values():
                wrk(url, args.warmup, args.connections, args.threads, cook)
            runs: dict[str, list[dict]] = {name: [] for name in targets}
            for _ in range(args.rounds):
                for name, (url, cook) in targets.items():
                    runs[name].append(wrk(url, args.duration, args.connections, args.threads, cook))
                    print(f"  {name}: {runs[name][-1]['rps']:.0f} req/s", flush=True)
            # The cookie must still give the learner's pages once the load is over.
            for page in pages.values():
                check_page(*page)
    save_raw(runs)
    result = {name: summarize(r) for name, r in runs.items()}
    for name, size in sizes.items():
        result[name]["page_bytes"] = size
        # Every response must be the full page: a redirect to /login is a few hundred bytes.
        smallest = min(r["bytes_per_response"] for r in runs[name])
        result[name]["full_pages"] = smallest > size * 0.9
        result[name]["ratio"] = result[name]["rps"] / result["hello"]["rps"]
    return result


def summarize(runs: list[dict]) -> dict:
    """Median requests/s of the rounds, and the error counts summed over them."""
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "rps_all": [r["rps"] for r in runs],
        "requests": sum(r["requests"] for r in runs),
        "non_2xx_3xx": sum(r["non_2xx_3xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "bytes_per_response": statistics.median(r["bytes_per_response"] for r in runs),
    }


def save_raw(runs: dict[str, list[dict]]) -> None:
    """Keep wrk's own reports in bench/results/ (ignored by git) for a closer look."""
    RESULTS.mkdir(exist_ok=True)
    text = "\n".join(
        f"== {name} round {i + 1}\n{r['raw']}" for name in runs for i, r in enumerate(runs[name])
    )
    (RESULTS / "wrk-latest.txt").write_text(text, encoding="utf-8")


def machine() -> dict[str, str]:
    """Core count, CPU model, and the Python, gunicorn and Flask versions."""
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return {
        "cores": str(os.cpu_count()),
        "cpu": model.group(1).strip() if model else platform.processor() or "unknown",
        "python": platform.python_version(),
        "gunicorn": metadata.version("gunicorn"),
        "flask": metadata.version("flask"),
    }


def row(measure: str, value: str, target: str = "", ok: bool | None = None) -> str:
    """One line of the results table; `ok` None means the measure has no target."""
    verdict = "" if ok is None else ("pass" if ok else "**miss**")
    return f"| {measure} | {value} | {target} | {verdict} |"


def section(result: dict, args: argparse.Namespace) -> str:
    """The generated part of docs/benchmarks.md: a table of figures and how to rerun."""
    m, out = result["machine"], result["throughput"]
    hello = out["hello"]
    pages = [name for name in RATIO_TARGETS if name in out]
    served = [*pages, *(name + RENDERED for name in pages if name + RENDERED in out)]
    errors = sum(out[k]["non_2xx_3xx"] + out[k]["socket_errors"] for k in [*served, "hello"])
    rounds = {k: ", ".join(f"{x:,.0f}" for x in out[k]["rps_all"]) for k in [*served, "hello"]}
    load = f"wrk -t{args.threads} -c{args.connections}, {args.rounds} x {args.duration} s per app"
    lines = [
        "| Measure | Result | Target | |",
        "|---|---|---|---|",
        row("Date", result["date"]),
        row("Machine", f"{m['cores']} cores, {m['cpu']}"),
        row("Software", f"Python {m['python']}, gunicorn {m['gunicorn']}, Flask {m['flask']}"),
        row("Load", f"{load}, interleaved, after a {args.warmup} s warm-up; median kept"),
        row("Hello world", f"{hello['rps']:,.0f} req/s (rounds: {rounds['hello']})"),
    ]
    what = {
        "lesson": f"Lesson page, logged in (`{args.lesson_path}`",
        "dashboard": "Dashboard, logged in (`/dashboard`",
        "catalog": "Catalog, anonymous (`/`",
    }
    for name in pages:
        page, target = out[name], RATIO_TARGETS[name]
        lines += [
            row(
                f"{what[name]}, {page['page_bytes']:,} bytes)",
                f"{page['rps']:,.0f} req/s (rounds: {rounds[name]})",
            ),
            row(
                f"{name.capitalize()} / hello",
                f"{page['ratio']:.0%}",
                f">= {target:.0%}",
                page["ratio"] >= target,
            ),
        ]
        if (rendered := out.get(name + RENDERED)) is not None:
            lines.append(
                row(
                    "Same page rendered (page cache off) / hello",
                    f"{rendered['ratio']:.0%} ({rendered['rps']:,.0f} req/s; rounds: "
                    f"{rounds[name + RENDERED]})",
                )
            )
    full = all(out[name]["full_pages"] for name in served)
    lines += [
        row("Non-2xx/3xx responses and socket errors", str(errors), "0", errors == 0),
        row("Every response a full page", str(full), "True", full),
    ]
    if "startup" in result:
        s = result["startup"]
        what = f"{s['lessons']:.0f} lessons, ~{s['words_per_lesson']:.0f} words each"
        lines += [
            row(
                f"`create_app`, {what} (median of {s['reps']})",
                f"{s['create_app_s']:.2f} s",
                f"< {STARTUP_TARGET_S:.0f} s",
                s["create_app_s"] < STARTUP_TARGET_S,
            ),
            row("`load_course` alone, same course", f"{s['load_course_s']:.2f} s"),
            row("New process to app ready, same course", f"{s['process_s']:.2f} s"),
        ]
    rerun = (
        "**Rerun:** `make bench` (or `python bench/run.py` in a venv with the project installed; "
        "`wrk` must be on PATH). Options: `--duration`, `--rounds`, `--connections`, `--lesson`, "
        "`--skip-startup`, `--no-doc`. `python bench/startup.py` measures startup alone and "
        "`python bench/profile_lesson.py` profiles the lesson page. wrk's own reports are kept "
        "in `bench/results/wrk-latest.txt` (not committed)."
    )
    return "\n".join([BEGIN, "", *lines, "", rerun, "", END])


def write_doc(text: str, begin: str = BEGIN, end: str = END, heading: str = "") -> None:
    """Replace a marked section of docs/benchmarks.md (append it if the markers are missing)."""
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        doc = head + text + rest.split(end, 1)[1]
    else:
        doc = doc.rstrip("\n") + "\n\n" + heading + text + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(doc, encoding="utf-8")


def main() -> None:
    """Command line: measure, print the figures and update docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per app")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per app (median kept)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--content", type=Path, default=CONTENT, help="course folder to serve")
    parser.add_argument("--lesson", help="module/lesson to load (default: the first lesson)")
    parser.add_argument("--startup-reps", type=int, default=5)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian/Ubuntu: apt install wrk)")
    args.lesson_path, args.lesson_title = pick_lesson(args.content, args.lesson)
    result: dict = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}
    print("throughput (lesson, dashboard and catalog vs hello world)...", flush=True)
    result["throughput"] = throughput(args)
    if not args.skip_startup:
        print("startup with a generated 500-lesson course...", flush=True)
        result["startup"] = startup.run(args.startup_reps)
    print(json.dumps(result, indent=2))
    if not args.no_doc:
        write_doc(section(result, args))
        print(f"updated {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
