"""Settings: defaults, then instance/config.py, then the environment, then test_config."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Defaults:
    """Default settings; every name can be overridden by a COCOURSE_<NAME> variable."""

    PRODUCTION = False
    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None  # None: SQLite file in the instance folder
    CONTENT_DIR = str(PROJECT_ROOT / "content" / "modules")
    CONTENT_WATCH = False  # re-check content files on requests (development)
    CONTENT_WATCH_INTERVAL = 1.0  # seconds between checks of the reload stamp/content files
    # "The content changed", for the other hosts: a Redis URL (redis://host:6379/2) keeps the
    # token in a Redis key that each process polls instead of the database; the database still
    # gets every announcement and answers while Redis does not. None: the database alone.
    CONTENT_SIGNAL_REDIS_URL: str | None = None
    # Learners' and visitors' pages are sent again without rendering while nothing they show
    # changed (docs/operations.md), and for at most this many seconds; 0: no page cache.
    PAGE_CACHE_SECONDS = 60.0
    PAGE_CACHE_MB = 32.0  # the cache's size in each server process
    # Redis (redis://host:6379/3) shares cached pages between processes and hosts; None: each
    # process keeps its own. Either way the database says whether a page is current.
    PAGE_CACHE_REDIS_URL: str | None = None
    PLUGINS: list[str] = []
    DISABLED_PLUGINS: list[str] = []  # built-in features or installed plugins, by name
    PLUGIN_SETTINGS: dict[str, dict[str, Any]] = {}  # {plugin: {setting: value}}
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    LOG_FORMAT = "text"  # "json": one JSON object per line, with a line per request
    PROXY_HOPS = 0  # reverse proxies in front that set X-Forwarded-For/-Proto; 0: none trusted
    HSTS_MAX_AGE = 365 * 24 * 3600  # seconds; sent in production mode only; 0: none
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = 6 * 3600
    SESSION_HOURS = 12  # a login (browser session) ends this long after it started
    REMEMBER_DAYS = 30  # "keep me logged in" ends this long after the password was typed
    LOGIN_BACKOFF_AFTER = 5  # failed logins for one account before new addresses must wait
    LOGIN_BACKOFF_SECONDS = 2.0  # the first wait; it doubles with every further failure
    LOGIN_BACKOFF_MAX_SECONDS = 900.0  # the longest wait; there is never a permanent lock
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    JOIN_RATE_LIMIT = "10 per minute;50 per hour"  # join codes tried, per client address
    RATELIMIT_STORAGE_URI = "memory://"
    # Shared storage (Redis) unreachable: count in each process's memory until it is back,
    # so limits still hold per process instead of failing requests or switching off.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    SQLITE_BUSY_TIMEOUT_MS = 15000
    VERIFY_RATE_LIMIT = "30 per minute;300 per hour"  # certificate verification, per address
    QUIZ_GRACE_SECONDS = 30  # answers of a timed quiz still taken this long after its deadline
    PRACTICUM_ATTACHMENT_MAX_BYTES = 1536 * 1024  # below MAX_CONTENT_LENGTH, with the form
    ATTACHMENT_STORAGE = "files"  # "database": every host can serve them (several hosts)
    ISSUER_NAME = "cocourse"  # the organization named on certificates and badges
    ISSUER_EMAIL: str | None = None  # contact address in the Open Badges issuer profile
    # The PEM file of the key that signs baked badges; None: instance/badge-signing-key.pem,
    # created on first use. Every host of an installation needs the same file.
    BADGE_SIGNING_KEY_FILE: str | None = None
    PUBLIC_URL: str | None = None  # e.g. https://learn.example.org; None: the request's host
    CERTIFICATE_FONT_DIRS: list[str] = []  # searched before the system fonts for PDFs
    MAIL_FROM: str | None = None  # e.g. "Acme Learning <learning@acme.example>"
    MAIL_SMTP_HOST: str | None = None  # None: write .eml files to instance/outbox/
    MAIL_SMTP_PORT = 587
    MAIL_SMTP_SECURITY = "starttls"  # starttls, tls (implicit, port 465) or none
    MAIL_SMTP_USER: str | None = None
    MAIL_SMTP_PASSWORD: str | None = None
    MAIL_SMTP_TIMEOUT = 20.0  # seconds for one SMTP conversation step
    MAIL_BACKOFF_SECONDS = 30.0  # wait after the first failed delivery; doubles each time
    MAIL_BACKOFF_MAX_SECONDS = 3600.0  # the longest wait between two attempts
    MAIL_MAX_ATTEMPTS = 10  # then the message is marked failed
    HUEY_REDIS_URL: str | None = None  # e.g. redis://127.0.0.1:6379/0; None: SQLite queue
    INVITATION_DAYS = 7  # an invitation link works this long
    RESET_HOURS = 2  # a password reset link works this long
    EMAIL_CHANGE_HOURS = 24  # an email change confirmation link works this long
    RESET_RATE_LIMIT = "5 per minute;20 per hour"  # password reset requests, per address
    # The interface language when neither the person's setting nor the browser names one of
    # the shipped languages (en, nl, fr); see docs/translating.md.
    DEFAULT_LANGUAGE = "en"


class ConfigError(RuntimeError):
    """The settings do not allow the app to start."""


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config in the documented order and validate it."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("COCOURSE")
    if os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.update(test_config)
    for name in ("PLUGINS", "DISABLED_PLUGINS", "CERTIFICATE_FONT_DIRS"):
        if isinstance(app.config[name], str):
            app.config[name] = [p.strip() for p in app.config[name].split(",") if p.strip()]
    if not app.config["DATABASE_URL"]:
        path = Path(app.instance_path) / "cocourse.sqlite3"
        app.config["DATABASE_URL"] = f"sqlite:///{path}"
    if not app.config["BADGE_SIGNING_KEY_FILE"]:
        app.config["BADGE_SIGNING_KEY_FILE"] = str(
            Path(app.instance_path) / "badge-signing-key.pem"
        )
    if app.config["ATTACHMENT_STORAGE"] not in ("files", "database"):
        raise ConfigError(
            "ATTACHMENT_STORAGE must be 'files' (the instance folder) or 'database', "
            f"not {app.config['ATTACHMENT_STORAGE']!r}."
        )
    if app.config["PRODUCTION"]:
        _require_production_settings(app)
    elif not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))


def _require_production_settings(app: Flask) -> None:
    """Refuse weak production settings and turn on secure cookies."""
    key = app.config.get("SECRET_KEY") or ""
    if len(key) < 32:
        raise ConfigError(
            "Production mode needs a real secret key: set COCOURSE_SECRET_KEY to at least "
            "32 random characters (for example: python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')."
        )
    public = str(app.config.get("PUBLIC_URL") or "")
    if not public.startswith(("https://", "http://")):
        raise ConfigError(
            "Production mode needs PUBLIC_URL, the address people use (for example "
            "COCOURSE_PUBLIC_URL=https://learn.example.org): certificates, badges and xAPI "
            "statements are named by it, whatever address a request comes in on."
        )
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = True


def _instance_secret_key(instance: Path) -> str:
    """Read the instance's secret key, creating it (mode 0600) on first start."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # Write a complete file first, then link it into place: concurrent first
        # starts (several workers) agree on one key and never read a half-written file.
        tmp = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="ascii").strip()
