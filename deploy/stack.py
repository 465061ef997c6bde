"""A whole scaled-out cocourse on one machine, on loopback: PostgreSQL, Redis, nginx with
TLS in front, two app instances that stand for two hosts (each with its own instance
folder, as two machines would have) and a worker. Everything comes from Debian's packages
and this checkout; nothing is installed system-wide and nothing listens beyond 127.0.0.1.

    python deploy/stack.py [--folder DIR] [--content DIR]    (or: make stack)

starts it, prints its addresses and stops it all on Ctrl-C. tests/test_stack.py starts
it with `start()` and checks that a session, a rate limit, a content reload and an
attachment each work across both instances.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STATIC = ROOT / "cocourse" / "web" / "static"
BROTLI = "/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so"
APP = "cocourse:create_app()"
COCOURSE = str(Path(sys.executable).with_name("cocourse"))  # the venv's console script


def tool(name: str, package: str) -> str:
    """The full path of a program, or an error that says which Debian package brings it."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if found is None:
        raise RuntimeError(f"{name} is not installed (Debian: apt-get install {package}).")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _spawn(stack: Stack, command: list[str], log: Path, env: dict[str, str] | None = None) -> None:
    """Start a process of the stack, its output going to `log`."""
    with open(log, "wb") as output:  # the child keeps its own copy of the file
        process = subprocess.Popen(  # noqa: S603 - our own arguments
            command, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    stack.processes.append(process)


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its tools as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Instance:
    """One app instance (a "host"): its address, instance folder and log files."""

    name: str
    port: int
    folder: Path

    @property
    def log(self) -> Path:
        """Its JSON log lines (standard error)."""
        return self.folder / "app.log"

    def request_ids(self) -> set[str]:
        """The ids of the requests this instance answered."""
        found = set()
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("event") == "request":
                    found.add(entry["request_id"])
        return found


@dataclass
class Stack:
    """A running stack: where to reach it and what to stop."""

    folder: Path
    https_port: int
    database_url: str
    redis_url: str
    env: dict[str, str]
    instances: list[Instance] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    pg_data: Path | None = None
    pg_bin: Path | None = None
    pg_options: str = ""

    @property
    def url(self) -> str:
        """The address people use: nginx, with TLS."""
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def certificate(self) -> str:
        """The self-signed certificate, for clients to trust."""
        return str(self.folder / "nginx" / "cert.pem")

    def answered_by(self, request_id: str) -> str | None:
        """Which instance answered a request (nginx's X-Request-Id), from their logs."""
        for instance in self.instances:
            if request_id in instance.request_ids():
                return instance.name
        return None

    def cocourse(self, *args: str) -> str:
        """Run a cocourse command as an admin on one of the hosts would; its output."""
        done = subprocess.run(  # noqa: S603 - our own arguments
            [COCOURSE, *args],
            env={**os.environ, **self.env, "COCOURSE_INSTANCE_PATH": str(self.folder / "admin")},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"cocourse {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def stop_redis(self) -> None:
        """Stop Redis, as an outage would (`start_redis` brings it back on the same port)."""
        process = next(p for p in self.processes if "redis-server" in str(p.args))
        process.terminate()
        process.wait(timeout=20)
        self.processes.remove(process)

    def _pg_ctl(self, *args: str) -> None:
        assert self.pg_bin is not None and self.pg_data is not None
        command = [str(self.pg_bin / "pg_ctl"), "-D", str(self.pg_data), *args]
        subprocess.run(_as_postgres(command), capture_output=True, check=True, timeout=120)  # noqa: S603

    def stop_database(self) -> None:
        """Stop PostgreSQL, as an outage would (open connections are cut)."""
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start_database(self) -> None:
        assert self.pg_data is not None
        log = str(self.pg_data.parent / "server.log")
        self._pg_ctl("-l", log, "-w", "-o", self.pg_options, "start")

    def start_redis(self) -> None:
        _redis(self, int(self.redis_url.rsplit(":", 1)[1]))

    def stop(self) -> None:
        """Stop everything it started, newest first, and PostgreSQL last."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self.pg_data is not None and self.pg_bin is not None:
            with contextlib.suppress(subprocess.SubprocessError):  # stopped already
                self.stop_database()
            shutil.rmtree(self.pg_data.parent, ignore_errors=True)


def _postgresql(stack: Stack) -> str:
    """A throwaway cluster with a database "cocourse"; its URL."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql).")
    stack.pg_bin = Path(found[-1])
    # Its own folder outside the stack's: the postgres user must be able to enter it.
    parent = Path(tempfile.mkdtemp(prefix="cocourse-stack-pg-"))
    data = stack.pg_data = parent / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(parent, "postgres")
    subprocess.run(  # noqa: S603 - our own arguments
        _as_postgres(
            [str(stack.pg_bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
        ),
        capture_output=True,
        check=True,
        timeout=120,
    )
    stack.pg_options = f"-c listen_addresses=127.0.0.1 -p {port} -k {parent} -c fsync=off"
    stack.start_database()
    subprocess.run(  # noqa: S603 - our own arguments
        _as_postgres(
            [
                str(stack.pg_bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "cocourse",
            ]
        ),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/cocourse"


def _redis(stack: Stack, port: int | None = None) -> str:
    """Redis on `port` (a free one by default); its URL without a database number."""
    port = port or free_port()
    folder = stack.folder / "redis"
    folder.mkdir(exist_ok=True)
    command = [tool("redis-server", "redis-server"), "--bind", "127.0.0.1", "--port", str(port)]
    command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
    _spawn(stack, command, folder / "redis.log")
    _wait_for_port(port, "Redis")
    return f"redis://127.0.0.1:{port}"


def _certificate(folder: Path) -> None:
    """A self-signed certificate for 127.0.0.1."""
    subprocess.run(  # noqa: S603 - our own arguments
        [
            tool("openssl", "openssl"),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )


def site_config(values: dict[str, str]) -> str:
    """deploy/nginx/cocourse.conf with its ${COCOURSE_...} placeholders filled in."""
    text = (HERE / "nginx" / "cocourse.conf").read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        if not line.lstrip().startswith("#"):  # the comments name the placeholders
            for name, value in values.items():
                line = line.replace("${" + name + "}", value)
        lines.append(line)
    text = "\n".join(lines) + "\n"
    if any("${COCOURSE_" in line.split("#")[0] for line in text.splitlines()):
        raise RuntimeError("deploy/nginx/cocourse.conf has a placeholder the stack does not fill")
    return text


def _nginx(stack: Stack) -> None:
    folder = stack.folder / "nginx"
    folder.mkdir()
    _certificate(folder)
    upstreams = " ".join(f"server 127.0.0.1:{i.port};" for i in stack.instances)
    site = site_config(
        {
            "COCOURSE_SERVER_NAME": "127.0.0.1",
            "COCOURSE_UPSTREAMS": upstreams,
            "COCOURSE_HTTPS": f"127.0.0.1:{stack.https_port}",
            "COCOURSE_HTTP": f"127.0.0.1:{free_port()}",
            "COCOURSE_CERT": str(folder / "cert.pem"),
            "COCOURSE_CERT_KEY": str(folder / "key.pem"),
            "COCOURSE_STATIC": str(STATIC),
            "COCOURSE_ACCESS_LOG": str(folder / "access.log"),
        }
    )
    (folder / "cocourse.conf").write_text(site, encoding="utf-8")
    # As root, nginx's workers would run as nobody, who cannot read a private folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    brotli = f"load_module {BROTLI};\n" if Path(BROTLI).exists() else ""
    if not brotli:
        raise RuntimeError(
            "nginx's brotli module is missing (apt-get install libnginx-mod-http-brotli-filter)"
        )
    main = (
        f"{brotli}{user}daemon off;\nworker_processes 2;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
        "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        "    sendfile on;\n    server_tokens off;\n"
        f"    client_body_temp_path {folder / 'body'};\n    proxy_temp_path {folder / 'proxy'};\n"
        f"    fastcgi_temp_path {folder / 'fastcgi'};\n    uwsgi_temp_path {folder / 'uwsgi'};\n"
        f"    scgi_temp_path {folder / 'scgi'};\n    include {folder / 'cocourse.conf'};\n}}\n"
    )
    (folder / "nginx.conf").write_text(main, encoding="utf-8")
    command = [tool("nginx", "nginx"), "-c", str(folder / "nginx.conf"), "-p", str(folder)]
    _spawn(stack, [*command, "-e", str(folder / "error.log")], folder / "nginx.out")
    _wait_for_port(stack.https_port, "nginx", folder / "error.log")


def _wait_for_port(port: int, what: str, log: Path | None = None, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not start on port {port}\n{detail}")


def _app(stack: Stack, instance: Instance, workers: int) -> None:
    metrics = instance.folder / "metrics"
    metrics.mkdir(parents=True)
    env = {
        **os.environ,
        **stack.env,
        "COCOURSE_INSTANCE_PATH": str(instance.folder / "instance"),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{instance.port}",
        "--access-logfile",
        str(instance.folder / "access.log"),
        APP,
    ]
    _spawn(stack, command, instance.log, env)


def start(
    folder: Path, content: Path, workers: int = 2, settings: dict[str, str] | None = None
) -> Stack:
    """Start the stack in `folder` (empty or missing) serving the course in `content`."""
    folder.mkdir(parents=True, exist_ok=True)
    stack = Stack(folder=folder, https_port=free_port(), database_url="", redis_url="", env={})
    try:
        stack.database_url = _postgresql(stack)
        stack.redis_url = _redis(stack)
        stack.env = {
            "COCOURSE_PRODUCTION": "true",
            "COCOURSE_SECRET_KEY": secrets.token_urlsafe(48),
            "COCOURSE_PUBLIC_URL": stack.url,
            "DATABASE_URL": stack.database_url,
            "COCOURSE_CONTENT_DIR": str(content),
            "COCOURSE_HUEY_REDIS_URL": f"{stack.redis_url}/0",
            "COCOURSE_RATELIMIT_STORAGE_URI": f"{stack.redis_url}/1",
            "COCOURSE_CONTENT_SIGNAL_REDIS_URL": f"{stack.redis_url}/2",
            "COCOURSE_PAGE_CACHE_REDIS_URL": f"{stack.redis_url}/3",
            "COCOURSE_ATTACHMENT_STORAGE": "database",
            "COCOURSE_BADGE_SIGNING_KEY_FILE": str(folder / "badge-signing-key.pem"),
            "COCOURSE_PROXY_HOPS": "1",
            "COCOURSE_LOG_FORMAT": "json",
            "COCOURSE_PLUGIN_SETTINGS": json.dumps(
                {"metrics": {"token": secrets.token_urlsafe(24)}}
            ),
            # This checkout's code in every process, the `cocourse` commands included, even
            # when the venv's editable install points at another checkout.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **(settings or {}),
        }
        stack.cocourse("db", "upgrade")
        for name in ("host-a", "host-b"):
            instance = Instance(name, free_port(), folder / name)
            stack.instances.append(instance)
            _app(stack, instance, workers)
        worker = {**os.environ, **stack.env, "COCOURSE_INSTANCE_PATH": str(folder / "worker")}
        _spawn(stack, [COCOURSE, "worker"], folder / "worker.log", worker)
        for instance in stack.instances:
            _wait_for_port(instance.port, instance.name, instance.log, limit=60)
        _nginx(stack)
        _wait_ready(stack)
    except BaseException:
        stack.stop()
        raise
    return stack


def _wait_ready(stack: Stack, limit: float = 60) -> None:
    """Until nginx answers /readyz from both instances."""
    deadline = time.monotonic() + limit
    ready: set[str] = set()
    while time.monotonic() < deadline and len(ready) < len(stack.instances):
        try:
            answer = requests.get(f"{stack.url}/readyz", verify=stack.certificate, timeout=5)
        except requests.RequestException:
            answer = None
        if answer is not None and answer.status_code == 200:
            ready.add(stack.answered_by(answer.headers["X-Request-Id"]) or "")
            ready.discard("")
        time.sleep(0.1)
    if len(ready) < len(stack.instances):
        logs = "\n".join(i.log.read_text(errors="replace")[-1500:] for i in stack.instances)
        raise RuntimeError(f"the stack did not get ready\n{logs}")


@contextmanager
def running(folder: Path, content: Path, **options: object) -> Iterator[Stack]:
    """`start`, and `stop` when the block ends."""
    stack = start(folder, content, **options)  # type: ignore[arg-type]
    try:
        yield stack
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--folder",
        type=Path,
        help="where the stack keeps its files (default: a new temporary folder)",
    )
    parser.add_argument(
        "--content", type=Path, default=ROOT / "content" / "modules", help="the course to serve"
    )
    options = parser.parse_args()
    folder = options.folder or Path(tempfile.mkdtemp(prefix="cocourse-stack-"))
    with running(folder, options.content.resolve()) as stack:
        print(f"cocourse at {stack.url} (self-signed certificate: {stack.certificate})")
        for instance in stack.instances:
            print(f"  {instance.name}: http://127.0.0.1:{instance.port}, log {instance.log}")
        print(f"  PostgreSQL {stack.database_url}\n  Redis {stack.redis_url}\n  files in {folder}")
        print("Create an admin with:")
        env = " ".join(f"{k}={v!r}" for k, v in stack.env.items() if k in ("DATABASE_URL",))
        print(f"  {env} cocourse create-admin\nCtrl-C stops everything.")
        try:
            while all(p.poll() is None for p in stack.processes):
                time.sleep(1)
            print("A process of the stack ended; stopping the rest.", file=sys.stderr)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
