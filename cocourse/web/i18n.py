"""The interface language: Flask-Babel, the catalogs of every feature, and who sees which.

A feature's catalogs sit beside its templates (`<package>/translations/<lang>/LC_MESSAGES/
messages.po`); plugins can ship their own the same way. The language of a request is the
person's setting, else the one chosen with the footer switcher (kept in the session), else the
best match for the browser's Accept-Language, else DEFAULT_LANGUAGE.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from babel import Locale, support
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, force_locale, get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from cocourse.config import ConfigError
from cocourse.content import languages, words

# The shipped interface languages (those the course can be written in), each named in its
# own language for the switcher: English, Nederlands, Français.
LANGUAGES: dict[str, str] = {
    code: str(Locale.parse(code).get_language_name(code)).capitalize()
    for code in (languages.ORIGINAL, *languages.LANGUAGES)
}
SESSION_KEY = "language"


def known(code: str | None) -> str | None:
    """`code` when it is a shipped language, else None (never trust a form or a cookie)."""
    return code if code in LANGUAGES else None


def select_language() -> str:
    """The language of this request (see the module's docstring); DEFAULT_LANGUAGE outside
    a request (commands, the worker, jobs), so services may translate wherever they run."""
    if not has_request_context():
        return str(current_app.config["DEFAULT_LANGUAGE"])
    chosen = None
    # The 503 page is shown because the database (and so the person's setting) is not there.
    if not g.get("database_unavailable") and current_user.is_authenticated:
        chosen = known(current_user.language)
    return (
        chosen
        or known(session.get(SESSION_KEY))
        or request.accept_languages.best_match(LANGUAGES)
        or current_app.config["DEFAULT_LANGUAGE"]
    )


def current_language() -> str:
    """The language code the current page (or message) is written in; English, the language
    the messages are written in, where no app is running (scripts, tests of pure code)."""
    if (locale := get_locale()) is not None:
        return str(locale)
    return str(current_app.config["DEFAULT_LANGUAGE"]) if has_app_context() else "en"


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Text rendered inside is in `language`, a person's setting, when it is a shipped one;
    else in the current language (the request's, or DEFAULT_LANGUAGE outside a request).
    For what is written to someone: emails, notifications, reminders."""
    code = known(language)
    if code is None:
        yield
        return
    with force_locale(code):
        yield


def language_name(code: str) -> str:
    """A language's name in the current language, for sentences ("Engels" in Dutch)."""
    return str(Locale.parse(code).get_language_name(current_language()) or code)


def own_catalogs() -> list[Path]:
    """The catalog folders of cocourse itself (the command line's), and of every package in
    it, the pure ones' too (lint messages, grading feedback)."""
    cocourse = Path(__file__).parent.parent
    found = [cocourse / "translations", *sorted(cocourse.glob("*/translations"))]
    return [folder for folder in found if folder.is_dir()]


def _locale() -> Locale:
    return Locale.parse(current_language())


def day(value: date | datetime) -> str:
    """A day as people read it in the current language: "Dec 5, 2026", "5 dec 2026"."""
    when = value.date() if isinstance(value, datetime) else value
    return format_date(when, "medium", locale=_locale())


def moment(value: datetime) -> str:
    """A UTC moment to the minute in the current language: "Dec 5, 2026, 14:30" (say UTC
    beside it where it matters)."""
    when = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    locale = _locale()
    time = format_skeleton("Hm", when, tzinfo=UTC, locale=locale)
    return str(locale.datetime_formats["medium"]).format(time, day(when))


def percent(fraction: float, digits: int = 0) -> str:
    """A share (0.834) as a percentage with up to `digits` decimals, in the current language:
    "83%", "83 %" in French; `percent(0.6667, 2)` is "66.67%", `percent(1, 2)` "100%"."""
    locale = _locale()
    pattern = str(locale.percent_formats[None].pattern)  # "#,##0%", "#,##0 %"
    if digits:
        pattern = pattern.replace("0", "0." + "#" * digits, 1)
    return format_percent(fraction, pattern, locale=locale)


def number(value: float, digits: int = 1) -> str:
    """A number with up to `digits` decimals, as the current language writes it: "2.5", "2,5"."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, pattern, locale=_locale())


def translation_folders(app: Flask) -> list[str]:
    """cocourse's own catalogs, then those beside every plugin's templates."""
    folders = own_catalogs()
    folders += [
        Path(f).parent / "translations" for f in app.extensions["cocourse.template_folders"]
    ]
    return [str(folder) for folder in dict.fromkeys(folders) if folder.is_dir()]


def init_commands(app: Flask) -> None:
    """Flask-Babel on the settings-only app of the commands that must run without the web
    app (lint, reload, db, backup, restore, create-admin, GIFT import and export): they print
    in DEFAULT_LANGUAGE, from cocourse's own catalogs, inside that app's context."""
    language = known(app.config["DEFAULT_LANGUAGE"]) or languages.ORIGINAL
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(map(str, own_catalogs()))
    app.config["BABEL_DEFAULT_LOCALE"] = language
    Babel(app, locale_selector=lambda: language)
    words.use(_translations_now)


_TRANSLATIONS = "cocourse.translations_by_locale"


def translations() -> support.NullTranslations:
    """Flask-Babel's translations for the current locale (forced or the request's), in a
    few attribute reads once the locale is known: Flask-Babel's own lookup walks its context
    three times per message, which made every message of a page cost about 13 µs. Kept per
    app and locale, as Flask-Babel keeps them (catalogs do not change while a process runs)."""
    locale = getattr(g.get("_flask_babel"), "babel_locale", None)
    if locale is None:  # the first message of a request: Flask-Babel picks the locale
        return get_translations()
    known: dict[Locale, support.NullTranslations]
    known = current_app.extensions.setdefault(_TRANSLATIONS, {})
    found = known.get(locale)
    if found is None:
        found = known[locale] = get_translations()
    return found


def _said(eval_ctx: EvalContext, text: str, variables: dict[str, Any]) -> str:
    # As Jinja's newstyle gettext: always a format string (a literal % is written %%), its
    # values escaped where the template autoescapes.
    return (Markup(text) if eval_ctx.autoescape else text) % variables  # noqa: S704 - catalog


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    return _said(eval_ctx, translations().ugettext(string), variables)


@pass_eval_context
def _template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any
) -> str:
    variables.setdefault("num", num)
    return _said(eval_ctx, translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def _template_pgettext(eval_ctx: EvalContext, context: str, string: str, **variables: Any) -> str:
    variables.setdefault("context", context)
    return _said(eval_ctx, translations().upgettext(context, string), variables)


@pass_eval_context
def _template_npgettext(
    eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, **variables: Any
) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    found = translations().unpgettext(context, singular, plural, num)
    return _said(eval_ctx, found, variables)


def _translations_now() -> words.Translations | None:
    return translations() if has_app_context() else None


def init_app(app: Flask) -> None:
    """Install Flask-Babel (gettext in templates, locale-aware formatting) and the helpers."""
    if known(app.config["DEFAULT_LANGUAGE"]) is None:
        raise ConfigError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_folders(app))
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LANGUAGE"]
    Babel(app, locale_selector=select_language)
    # Jinja's "newstyle" gettext (what Flask-Babel installs), in one call instead of three
    # nested ones; `_` is gettext itself rather than an alias that looks it up.
    app.jinja_env.globals.update(
        _=_template_gettext,
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )
    words.use(_translations_now)
    # {% trans %} blocks read as one line, however the template wraps them (as extracted).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.add_template_global(current_language)
    app.add_template_global(language_name)
    app.jinja_env.globals["languages"] = LANGUAGES
    app.jinja_env.filters.update(day=day, moment=moment, percent=percent, number=number)
