"""Translations of modules and lessons: `NAME.<lang>.md` beside `NAME.md` (pure code).

A translation keeps everything a learner's record depends on: the quiz settings, the question
ids and types, the number of answers and which ones are right, the links and images, and the
front matter except its text. Attempts, item analysis, regrades and certificates then span
languages. `translation_of:` in a translation's front matter holds the start of the SHA-256 of
the original it was written from, so that a changed original shows as a stale translation.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from babel import Locale

from .model import Lesson, Problem
from .words import _, ngettext

# The language the course's original files are written in, and those they may be translated
# into (the interface ships the same three).
ORIGINAL = "en"
LANGUAGES = ("nl", "fr")
TRANSLATION_FILE = re.compile(
    r"^(?P<original>[^.]+)\.(?P<language>[A-Za-z]{2,3}(?:[-_][A-Za-z]{2,4})?)\.md$"
)
DIGEST_KEY = "translation_of"
DIGEST_LENGTH = 12
# Front matter a translation may word differently; every other key must equal the original's.
TEXT_KEYS = frozenset({"title", "summary", DIGEST_KEY})
# An answer that is a number, a range or a number with its tolerance: the same in every language.
NUMBER = re.compile(r"^\s*[-+]?\d[\d.,]*(?:\s*(?:\.\.|±|\+-|:)\s*[-+]?\d[\d.,]*)?\s*$")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)")
# The names of the languages, said in the reader's language (others: their English name).
# Translators: a language's name inside a sentence, as in "no Dutch translation".
NAMES = {"nl": _("Dutch"), "fr": _("French")}


def digest(text: str) -> str:
    """What `translation_of:` holds for an original with this text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def split_name(name: str) -> tuple[str, str] | None:
    """(original file name, language code) for a translation's file name, else None."""
    found = TRANSLATION_FILE.match(name)
    if found is None:
        return None
    return f"{found['original']}.md", found["language"]


def unknown_language(shown: str, code: str, line: int = 1, named_by: str = "file name") -> Problem:
    """C195: a translation into a language the course cannot be translated into."""
    if named_by == "translations key":
        message = _(
            "the translations key gives the language %(code)r, which the course cannot be "
            "translated into (use one of: %(languages)s)",
            code=code,
            languages=", ".join(LANGUAGES),
        )
    else:
        message = _(
            "the file name gives the language %(code)r, which the course cannot be translated "
            "into (use one of: %(languages)s)",
            code=code,
            languages=", ".join(LANGUAGES),
        )
    return Problem(shown, line, "C195", message)


def compare_front_matter(
    original: dict[str, Any], translated: dict[str, Any], shown: str, line_of: Any
) -> list[Problem]:
    """Everything but the text keys must be as in the original."""
    problems = []
    for key in sorted(set(original) | set(translated)):
        if key in TEXT_KEYS:
            continue
        if original.get(key) != translated.get(key):
            where = line_of(key) if key in translated else 1
            message = _(
                "front matter %(key)r differs from the original (%(there)r there): "
                "a translation changes only title and summary",
                key=key,
                there=original.get(key),
            )
            problems.append(Problem(shown, where, "C196", message))
    return problems


def compare_lesson(original: Lesson, translated: Lesson, shown: str) -> list[Problem]:
    """The questions must keep ids, types, answer counts and keys; C197 for each mismatch."""
    problems = []
    mine = {q.id: q for q in translated.questions}
    for question in original.questions:
        other = mine.pop(question.id, None)
        if other is None:
            message = _("question %(id)r of the original is missing", id=question.id)
            problems.append(Problem(shown, 1, "C197", message))
            continue
        line = other.line or 1
        if other.type != question.type:
            message = _(
                "question %(id)r is a %(type)s, the original a %(original)s",
                id=question.id,
                type=other.type,
                original=question.type,
            )
            problems.append(Problem(shown, line, "C197", message))
        elif len(other.answers) != len(question.answers):
            message = ngettext(
                "question %(id)r has %(num)d answer, the original %(original)d: "
                "keep every option, item or pair, in the same order",
                "question %(id)r has %(num)d answers, the original %(original)d: "
                "keep every option, item or pair, in the same order",
                len(other.answers),
                id=question.id,
                original=len(question.answers),
            )
            problems.append(Problem(shown, line, "C197", message))
        elif [a.correct for a in other.answers] != [a.correct for a in question.answers]:
            message = _(
                "question %(id)r marks other answers right than the original", id=question.id
            )
            problems.append(Problem(shown, line, "C197", message))
        elif [a.text for a in other.answers if NUMBER.match(a.text)] != [
            a.text for a in question.answers if NUMBER.match(a.text)
        ]:
            message = _("question %(id)r has other numbers than the original", id=question.id)
            problems.append(Problem(shown, line, "C197", message))
        elif other.points != question.points or other.tags != question.tags:
            message = _(
                "question %(id)r has other points or tags than the original", id=question.id
            )
            problems.append(Problem(shown, line, "C197", message))
    for extra in mine.values():
        message = _("question %(id)r is not in the original", id=extra.id)
        problems.append(Problem(shown, extra.line or 1, "C197", message))
    if [q.id for q in translated.questions if q.id in {o.id for o in original.questions}] != [
        q.id for q in original.questions if q.id in {t.id for t in translated.questions}
    ]:
        problems.append(Problem(shown, 1, "C197", _("the questions are in another order")))
    return problems


def _targets(body: str) -> Counter[str]:
    """Link and image targets, without #fragments (headings are worded per language)."""
    return Counter(target.split("#", 1)[0] for target in LINK.findall(body) if target[0] != "#")


def compare_links(
    original_body: str, translated_body: str, shown: str, first_line: int = 1
) -> list[Problem]:
    """The same links and images as the original (C198); `first_line`: the translation's
    line where its body starts."""
    theirs, mine = _targets(original_body), _targets(translated_body)
    problems = []
    for target in sorted((theirs - mine).keys()):
        message = _("the link or image %(target)r of the original is missing", target=target)
        problems.append(Problem(shown, 1, "C198", message))
    for target in sorted((mine - theirs).keys()):
        lines = enumerate(translated_body.split("\n"), first_line)
        line = next((n for n, text in lines if target in text), first_line)
        message = _("the link or image %(target)r is not in the original", target=target)
        problems.append(Problem(shown, line, "C198", message))
    return problems


def check_current(
    original_name: str, original_digest: str, recorded: Any, shown: str, line: int
) -> list[Problem]:
    """W221 when `translation_of:` is missing or names an older original (`original_digest`:
    the SHA-256 of the original's text, in hex)."""
    now = original_digest[:DIGEST_LENGTH]
    if recorded is None:
        message = _(
            "no %(key)s: whether it matches the current %(original)s cannot be told; "
            "if it does, add '%(key)s: %(now)s' to its front matter",
            key=DIGEST_KEY,
            original=original_name,
            now=now,
        )
        return [Problem(shown, 1, "W221", message, "warning")]
    if str(recorded) != now:
        message = _(
            "stale: %(original)s changed since this translation was written "
            "(%(key)s %(recorded)s, the original is now %(now)s); bring the translation "
            "up to date, then set '%(key)s: %(now)s'",
            original=original_name,
            key=DIGEST_KEY,
            recorded=recorded,
            now=now,
        )
        return [Problem(shown, line, "W221", message, "warning")]
    return []


def missing(files: list[tuple[str, str]], present: dict[str, set[str]]) -> list[Problem]:
    """W220 for each file (name, shown path) without a translation, in every language the
    module has any translation in. `present` maps file names to their translations' languages."""
    languages = sorted({language for found in present.values() for language in found})
    problems = []
    for language in languages:
        said = NAMES.get(language) or Locale.parse(language).get_language_name("en") or language
        for name, shown in files:
            if language not in present.get(name, set()):
                message = _(
                    "no %(language)s translation (%(code)s): those readers see this file in "
                    "its original language, with a note",
                    language=said,
                    code=language,
                )
                problems.append(Problem(shown, 1, "W220", message, "warning"))
    return problems


@dataclass
class Texts:
    """Translated (title, summary) per language of a track or programme, and what was wrong."""

    found: dict[str, tuple[str, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def texts_of(value: Any, shown: str, line: int) -> Texts:
    """Read `translations:` of a track or programme: {nl: {title: ..., summary: ...}, ...}."""
    texts = Texts()
    if value is None:
        return texts
    if not isinstance(value, dict):
        message = _("'translations' maps languages to a title and a summary")
        texts.problems.append(Problem(shown, line, "C102", message))
        return texts
    for language, entry in value.items():
        if language not in LANGUAGES:
            texts.problems.append(unknown_language(shown, str(language), line, "translations key"))
        elif (
            not isinstance(entry, dict)
            or set(entry) != {"title", "summary"}
            or not all(isinstance(v, str) and v.strip() for v in entry.values())
        ):
            message = _(
                "the %(language)r translation needs a 'title' and a 'summary', as text",
                language=language,
            )
            texts.problems.append(Problem(shown, line, "C102", message))
        else:
            texts.found[language] = (entry["title"].strip(), entry["summary"].strip())
    return texts
