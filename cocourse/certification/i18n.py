"""Messages that certification's services write, in the language of the page that shows them.

The services run inside a request (a page shows their errors, checklist and statuses) and
outside one (the reminders job, commands, tests of the services). Flask-Babel picks the
language from the request, so outside one the messages stay in English, as written. Import
`translate` as `_`, `translate_plural` as `ngettext` and `lazy` as `_l` so that
`make translations-update` finds the messages (docs/translating.md).
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import gettext, ngettext
from flask_babel.speaklater import LazyString


def translate(message: str, **params: Any) -> str:
    """`message` with its named placeholders filled, in the request's language (English
    outside a request)."""
    if has_request_context():
        return str(gettext(message, **params))
    return message % params if params else message


def translate_plural(singular: str, plural: str, num: int, **params: Any) -> str:
    """The form of a message for `num` (also given to it as `%(num)d`), in the request's
    language (English outside a request)."""
    if has_request_context():
        return str(ngettext(singular, plural, num, **params))
    return (singular if num == 1 else plural) % {"num": num, **params}


def lazy(message: str, **params: Any) -> LazyString:
    """`translate`, when the text is used: for labels defined at import time."""
    return LazyString(translate, message, **params)
