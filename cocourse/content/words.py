"""Messages written by the pure packages (content, questions) in their reader's language.

Pure code cannot ask Flask-Babel which language a page is in, so it marks its messages with
`_` and `ngettext` from here (the same names the catalog tools extract). They return `Text`: the
English sentence, a `str`, so logs, tests and `cocourse lint` in English read it as before, that
also keeps its message id and values. Whoever shows it translates it late:

- a template, by just writing it: Jinja asks `Text.__html__`, which translates it;
- code, with `say(text)`: JSON answers, the command line, and grading, which writes feedback
  into an attempt when it is submitted (in the attempt's language, chosen around the call).

Which translations `say` uses is set once by the web layer with `use(...)` (Flask-Babel's, for
the current page or the language forced around a call); without it, English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from gettext import NullTranslations
from typing import Any, Protocol

from markupsafe import Markup, escape


class Translations(Protocol):
    def gettext(self, message: str, /) -> str: ...
    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


_ENGLISH = NullTranslations()
_current: Callable[[], Translations | None] = lambda: None  # noqa: E731


def use(current: Callable[[], Translations | None]) -> None:
    """Install where `say` finds the translations of the moment (None: English)."""
    global _current
    _current = current


class Text(str):
    """An English message that can still be said in another language (see the module)."""

    msgid: str
    plural: str | None
    num: int | None
    params: Mapping[str, Any]

    def __new__(
        cls,
        msgid: str,
        plural: str | None = None,
        num: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Text:
        values = dict(params or {})
        text = super().__new__(cls, _fill(_pick(_ENGLISH, msgid, plural, num), values))
        text.msgid, text.plural, text.num, text.params = msgid, plural, num, values
        return text

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self.msgid, self.plural, self.num, self.params)

    def in_(self, translations: Translations) -> str:
        """The message in `translations`' language; its values said there too."""
        values = {k: in_(v, translations) for k, v in self.params.items()}
        return _fill(_pick(translations, self.msgid, self.plural, self.num), values)

    def __html__(self) -> Markup:
        return escape(say(self))


def _pick(translations: Translations, msgid: str, plural: str | None, num: int | None) -> str:
    if plural is None:
        return translations.gettext(msgid)
    return translations.ngettext(msgid, plural, 1 if num is None else num)


def _fill(pattern: str, values: Mapping[str, Any]) -> str:
    # As Flask-Babel does: `%` only when there are values, so a lone "%" needs no doubling.
    return pattern % values if values else pattern


def in_(value: Any, translations: Translations) -> Any:
    return value.in_(translations) if isinstance(value, Text) else value


def say(value: str) -> str:
    """`value` in the language of the moment (see `use`); any other string as it is."""
    return in_(value, _current() or _ENGLISH)  # type: ignore[no-any-return]


def _(msgid: str, **params: Any) -> Text:
    """Mark a message: `_("the quiz draws %(draw)d questions", draw=5)`."""
    return Text(msgid, params=params)


def ngettext(singular: str, plural: str, num: int, **params: Any) -> Text:
    """Mark a message with plural forms; `%(num)d` in it is `num`."""
    return Text(singular, plural, num, {"num": num, **params})
