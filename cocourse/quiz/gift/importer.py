"""GIFT questions turned into a cocourse quiz lesson (Markdown with ```quiz fences).

Every choice made here is listed in docs/authoring.md, "Moodle GIFT import and export". The
warnings are in the language of the page that shows them (English outside a request).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from markdown_it import MarkdownIt

from cocourse.content.quiz import QUESTION_ID
from cocourse.questions.common import normalize_text

from .reader import BLANK, GiftAnswer, GiftItem, GiftWarning, Text, read_gift
from .text import escape_line_start, escape_markdown, to_markdown

NUMBER = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
IS_NUMBER = re.compile(rf"^{NUMBER}$")
MAX_ID = 48
TOLERANCE = 0.5  # percent points a GIFT weight may differ from cocourse's rule and still fit
CONTEXTS = re.compile(r"^\$[a-z0-9]+\$$")  # $course$, $system$, $module$, $cat1$ ...
_LISTS = MarkdownIt("commonmark")  # only to find lists in Markdown written by authors


def slugify(text: str, limit: int = MAX_ID) -> str:
    """Lowercase ASCII letters and digits joined by single dashes, at most `limit` long."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit]
        slug = slug.rsplit("-", 1)[0] if "-" in slug else slug
    return slug.strip("-")


def category_tag(path: str) -> str | None:
    """The tag for a $CATEGORY path: `category-` and the path's names (no $course$, top)."""
    names = [
        name.strip()
        for name in path.split("/")
        if name.strip() and not CONTEXTS.match(name.strip()) and name.strip() != "top"
    ]
    slug = slugify("-".join(names), limit=60)
    return f"category-{slug}" if slug else None


def yaml_string(text: str, *, flow: bool = False) -> str:
    """A YAML scalar for `text`: plain when that is safe, else double-quoted.

    In `flow` context (inside [...]) a comma would end the scalar, so it needs quotes too.
    """
    allowed = r"[A-Za-z0-9 .()'-]" if flow else r"[A-Za-z0-9 ,.()'-]"
    if re.fullmatch(rf"[A-Za-z0-9]{allowed}*", text) and not text.endswith(" "):
        return text
    return json.dumps(text, ensure_ascii=False)


def gift_to_markdown(
    text: str, *, quiz_id: str, title: str, reserved_ids: Collection[str] = ()
) -> tuple[str, list[GiftWarning]]:
    """A quiz lesson holding the questions of a GIFT text, and warnings for what changed.

    `reserved_ids` are question ids already used elsewhere in the course; the new ids avoid
    them. Nothing raises for bad GIFT: a question that cannot be read is left out with a warning.
    """
    if not QUESTION_ID.match(quiz_id):
        raise ValueError(
            _("invalid quiz id %(id)r: use lowercase letters, digits and dashes", id=quiz_id)
        )
    items, warnings = read_gift(text)
    used = set(reserved_ids)
    parts: list[str] = []
    category = ""
    questions = 0
    for item in items:
        warnings += item.notes
        if item.kind == "category":
            category = item.category
            continue
        if item.kind == "description":
            parts.append(_description(item, warnings))
            continue
        qid = _question_id(item, used, warnings)
        built = _Builder(item, qid, warnings).build(category)
        if built is not None:
            used.add(qid)
            parts.append(built)
            questions += 1
    if not questions:
        warnings.append(GiftWarning(1, _("no question could be imported")))
    front = f"---\ntitle: {yaml_string(title)}\nquiz:\n  id: {quiz_id}\n---\n"
    body = "\n\n".join(part for part in parts if part)
    warnings.sort(key=lambda warning: warning.line)
    return front + ("\n" + body + "\n" if body else ""), warnings


def _question_id(item: GiftItem, used: set[str], warnings: list[GiftWarning]) -> str:
    """The id from Moodle's ID number, else from the name, else from the position."""
    base = slugify(item.idnumber) or slugify(item.title or "") or f"q-{item.number}"
    qid = _unique(base, used)
    if item.idnumber and qid != item.idnumber:
        if base == item.idnumber:
            message = _(
                "the ID number %(number)r is used already: the question's id is %(id)r, "
                "which an export writes as its ID number",
                number=item.idnumber,
                id=qid,
            )
        else:
            message = _(
                "the ID number %(number)r is not a cocourse id: the question's id is %(id)r, "
                "which an export writes as its ID number",
                number=item.idnumber,
                id=qid,
            )
        warnings.append(GiftWarning(item.line, message))
    return qid


def _unique(base: str, used: set[str]) -> str:
    if base not in used:
        return base
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"


def _description(item: GiftItem, warnings: list[GiftWarning]) -> str:
    """Text without answers: kept as prose between the questions."""
    assert item.prompt is not None
    prose, notes = to_markdown(item.prompt)
    if item.title:
        message = _(
            "description %(name)r has no answers: kept as text in the lesson, not a question "
            "(its name is not kept)",
            name=item.title,
        )
    else:
        message = _("description has no answers: kept as text in the lesson, not a question")
    warnings.append(GiftWarning(item.line, message))
    for note in notes:
        if item.title:
            message = _("description %(name)r: %(note)s", name=item.title, note=note)
        else:
            message = _("description: %(note)s", note=note)
        warnings.append(GiftWarning(item.line, message))
    return prose


@dataclass
class _Option:
    """One line of the answer list being built."""

    text: str
    checked: bool | None  # [x], [ ], or a plain item
    feedback: str = ""
    line: int = 0


@dataclass
class _Builder:
    """Turns one GIFT question into one ```quiz fence."""

    item: GiftItem
    qid: str
    warnings: list[GiftWarning]
    options: list[_Option] = field(default_factory=list)
    extra_feedback: list[str] = field(default_factory=list)
    prompt: str = ""

    def warn(self, line: int, message: str) -> None:
        message = _("question %(id)r: %(message)s", id=self.qid, message=message)
        self.warnings.append(GiftWarning(line, message))

    def skip(self, line: int, message: str) -> None:
        self.warn(line, _("skipped: %(reason)s", reason=message))

    def markdown(self, text: Text | None, line: int, inline: bool = False) -> str:
        if text is None:
            return ""
        converted, notes = to_markdown(text, inline=inline)
        for note in notes:
            self.warn(line, note)
        return converted

    def build(self, category: str) -> str | None:
        item = self.item
        self.prompt = self.markdown(item.prompt, item.line)
        if not self.prompt.strip():
            self.skip(item.line, _("the question has no text"))
            return None
        kind = _TYPES[item.kind](self)
        if kind is None:
            return None
        prompt = self.prompt
        settings = []
        if item.title:
            settings.append(f"name: {yaml_string(' '.join(item.title.split()))}")
        if category:
            settings.append(f"category: {yaml_string(category)}")
        if item.points is not None and item.points != 1:
            settings.append(f"points: {item.points:g}")
        tag = category_tag(category)
        tags = [*item.tags, *([tag] if tag else [])]
        if tags:
            settings.append(
                f"tags: [{', '.join(yaml_string(t, flow=True) for t in dict.fromkeys(tags))}]"
            )
        feedback = [self.markdown(item.feedback, item.line), *self.extra_feedback]
        return _fence(kind, self.qid, settings, prompt, self.options, _join(feedback))

    # One method per Moodle question type; each returns the cocourse type or None (skipped).

    def essay(self) -> str:
        message = _(
            "an essay becomes a reflection, which is not scored; learners must write the "
            "default minimum number of words (set min_words to change it)"
        )
        self.warn(self.item.line, message)
        flat = _without_lists(self.prompt)
        if flat != self.prompt:
            message = _(
                "a reflection's text cannot hold a list in cocourse (it would be read as an "
                "answer list): each item is kept as a paragraph of its own"
            )
            self.warn(self.item.line, message)
            self.prompt = flat
        return "reflection"

    def truefalse(self) -> str:
        item = self.item
        right = self.markdown(item.right_feedback, item.line)
        wrong = self.markdown(item.wrong_feedback, item.line)
        for value in (True, False):
            chosen_right = value == item.correct
            self.options.append(
                _Option(str(value), chosen_right, right if chosen_right else wrong, item.line)
            )
        return "true-false"

    def multichoice(self) -> str | None:
        answers = [answer for answer in self.item.answers if self._has_text(answer)]
        for answer in answers:
            if not answer.mark:
                message = _(
                    "%(answer)r has no ~ or = in front: read as a wrong option, as Moodle does",
                    answer=answer.text.value,
                )
                self.warn(answer.line, message)
        weights = [_choice_weight(answer) for answer in answers]
        for answer, weight in zip(answers, weights, strict=True):
            if weight > 100 or weight < -100:
                message = _("weight %(weight)g%% is outside -100%%..100%%", weight=weight)
                self.warn(answer.line, message)
        if not any(weight > 0 for weight in weights):
            self.skip(self.item.line, _("no option is right (give one = or a positive %weight%)"))
            return None
        if any(answer.mark == "=" for answer in answers):
            kind = self._single(answers, weights)
        else:
            kind = self._multiple(answers, weights)
        if kind is None:
            return None
        for answer, weight in zip(answers, weights, strict=True):
            text = self.markdown(answer.text, answer.line, inline=True)
            if not text:
                message = _("%(answer)r shows no text: left out", answer=answer.text.value)
                self.warn(answer.line, message)
                continue
            self.options.append(
                _Option(
                    text,
                    weight >= 100 if kind == "single-choice" else weight > 0,
                    self.markdown(answer.feedback, answer.line),
                    answer.line,
                )
            )
        if not self._unique_options(lambda option: normalize_text(option.text)):
            return None
        if len(self.options) < 2:
            self.skip(self.item.line, _("a choice question needs at least two options"))
            return None
        return kind

    def _single(self, answers: list[GiftAnswer], weights: list[float]) -> str | None:
        full = [answer for answer, weight in zip(answers, weights, strict=True) if weight >= 100]
        if not full:
            self.skip(self.item.line, _("no option gives full marks (100%)"))
            return None
        if len(full) > 1:
            message = _(
                "%(count)s options are right: in Moodle choosing any one of them earns full "
                "marks; as a cocourse multiple-choice question learners must choose all of them",
                count=len(full),
            )
            self.warn(full[1].line, message)
            return self._multiple(answers, weights)
        for answer, weight in zip(answers, weights, strict=True):
            if 0 < weight < 100:
                message = _(
                    "partial credit (%(weight)g%%) for %(answer)r is not possible in "
                    "a single-choice question: the option counts as wrong",
                    weight=weight,
                    answer=answer.text.value,
                )
                self.warn(answer.line, message)
            elif weight < 0:
                message = _(
                    "the penalty (%(weight)g%%) for %(answer)r is not possible in a "
                    "single-choice question: a wrong option scores 0",
                    weight=weight,
                    answer=answer.text.value,
                )
                self.warn(answer.line, message)
        return "single-choice"

    def _multiple(self, answers: list[GiftAnswer], weights: list[float]) -> str:
        right = [weight for weight in weights if weight > 0]
        share = 100 / len(right)
        differ = [
            (answer, weight, share if weight > 0 else -share)
            for answer, weight in zip(answers, weights, strict=True)
            if abs(weight - (share if weight > 0 else -share)) > TOLERANCE
        ]
        if differ:
            listed = "; ".join(
                _(
                    "%(answer)r %(weight)g%% (cocourse: %(rule)s)",
                    answer=answer.text.value,
                    weight=weight,
                    rule=_percent(rule),
                )
                for answer, weight, rule in differ
            )
            message = _(
                "weights differ from the cocourse rule (each of the %(count)s right options "
                "earns %(share)s, each wrong option costs %(share)s, "
                "at least 0 in total): %(listed)s",
                count=len(right),
                share=_percent(share),
                listed=listed,
            )
            self.warn(differ[0][0].line, message)
        return "multiple-choice"

    def shortanswer(self) -> str | None:
        for answer in self.item.answers:
            if not self._has_text(answer):
                continue
            raw = " ".join(answer.text.value.split())
            feedback = self.markdown(answer.feedback, answer.line)
            if raw == "*":
                self._catch_all(answer, feedback)
                continue
            if "*" in raw:
                message = _(
                    "%(answer)r: Moodle reads * as 'any characters'; cocourse compares the text "
                    "as written (use the pattern setting for such answers)",
                    answer=raw,
                )
                self.warn(answer.line, message)
            safe = escape_line_start(raw, item=True)
            if safe != raw:
                message = _(
                    "%(answer)r would start a Markdown list, heading or quote, so it is written "
                    "%(written)r; cocourse compares typed answers with the text as written, so "
                    "check this answer",
                    answer=raw,
                    written=safe,
                )
                self.warn(answer.line, message)
            self.options.append(_Option(safe, self._accepted(answer), feedback, answer.line))
        return self._accepted_list(
            "short-text", _("no right answer: add an accepted answer (=text)")
        )

    def numerical(self) -> str | None:
        for answer in self.item.answers:
            value = " ".join(answer.text.value.split())
            feedback = self.markdown(answer.feedback, answer.line)
            if value == "*":
                self._catch_all(answer, feedback)
                continue
            shown = _numeric_value(value)
            if shown is None:
                message = _("%(value)r is not a number, number:margin or min..max", value=value)
                self.skip(answer.line, message)
                return None
            self.options.append(_Option(shown, self._accepted(answer), feedback, answer.line))
        if self.item.catch_all is not None:
            answer = self.item.catch_all
            self._catch_all(answer, self.markdown(answer.feedback, answer.line))
        return self._accepted_list("numeric", _("no right answer: add a right number (=number)"))

    def match(self) -> str | None:
        for answer in self.item.answers:
            left = self.markdown(answer.text, answer.line, inline=True)
            if not left and answer.text.value.strip():
                message = _("%(answer)r shows no text: pair left out", answer=answer.text.value)
                self.warn(answer.line, message)
                continue
            if not left:
                message = _(
                    "the extra answer %(answer)r (a pair with nothing on the left) is "
                    "not possible in cocourse matching: left out",
                    answer=answer.match,
                )
                self.warn(answer.line, message)
                continue
            right = _arrow_safe(escape_markdown(" ".join(answer.match.split())))
            if not right:
                message = _("the pair %(left)r has nothing on the right: left out", left=left)
                self.warn(answer.line, message)
                continue
            feedback = self.markdown(answer.feedback, answer.line)
            if answer.feedback is not None:
                message = _(
                    "Moodle has no feedback on matching pairs (it shows '#...' as part of the "
                    "answer): kept as feedback on the pair"
                )
                self.warn(answer.line, message)
            text = f"{_arrow_safe(left)} -> {right}"
            self.options.append(_Option(text, None, feedback, answer.line))
        if not self._unique_options(lambda option: normalize_text(option.text.split(" -> ")[0])):
            return None
        if len(self.options) < 2:
            self.skip(self.item.line, _("a matching question needs at least two pairs"))
            return None
        return "matching"

    # Helpers.

    def _has_text(self, answer: GiftAnswer) -> bool:
        if answer.text.value.strip():
            return True
        self.warn(answer.line, _("an answer without text was left out"))
        return False

    def _accepted(self, answer: GiftAnswer) -> bool:
        """Whether a short or numeric answer is accepted; partial credit is full credit."""
        weight = 100.0 if answer.weight is None else answer.weight
        if 0 < weight < 100:
            message = _(
                "partial credit (%(weight)g%%) for %(answer)r is not possible: "
                "cocourse accepts it with full credit",
                weight=weight,
                answer=answer.text.value,
            )
            self.warn(answer.line, message)
        elif weight < 0:
            message = _(
                "the penalty (%(weight)g%%) for %(answer)r is not possible: it is a "
                "wrong answer scoring 0",
                weight=weight,
                answer=answer.text.value,
            )
            self.warn(answer.line, message)
        return weight > 0

    def _catch_all(self, answer: GiftAnswer, feedback: str) -> None:
        """Feedback for 'any other answer': cocourse has none, so it joins the general one."""
        if not feedback:
            self.warn(answer.line, _("an answer matching anything ('*' or '~') was left out"))
            return
        message = _(
            "feedback for any other answer is not possible in cocourse: added to the general "
            "feedback, which every learner sees"
        )
        self.warn(answer.line, message)
        self.extra_feedback.append(feedback)

    def _accepted_list(self, kind: str, missing: str) -> str | None:
        """`kind`, or None (skipped) with the `missing` message when no answer is right."""
        if not self._unique_options(lambda option: normalize_text(option.text)):
            return None
        if not any(option.checked for option in self.options):
            self.skip(self.item.line, missing)
            return None
        return kind

    def _unique_options(self, key: Callable[[_Option], str]) -> bool:
        seen: dict[str, _Option] = {}
        kept = []
        for option in self.options:
            first = seen.get(key(option))
            if first is None:
                seen[key(option)] = option
                kept.append(option)
            elif first.checked == option.checked:
                message = _(
                    "%(answer)r is listed twice: the repeat is left out", answer=option.text
                )
                self.warn(option.line, message)
            else:
                message = _("%(answer)r is listed as both right and wrong", answer=option.text)
                self.skip(option.line, message)
                return False
        self.options = kept
        return True


_TYPES: dict[str, Callable[[_Builder], str | None]] = {
    "essay": _Builder.essay,
    "truefalse": _Builder.truefalse,
    "multichoice": _Builder.multichoice,
    "shortanswer": _Builder.shortanswer,
    "numerical": _Builder.numerical,
    "match": _Builder.match,
}


def _choice_weight(answer: GiftAnswer) -> float:
    if answer.weight is not None:
        return answer.weight
    return 100.0 if answer.mark == "=" else 0.0


def _percent(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".") + "%"


def _numeric_value(value: str) -> str | None:
    """A GIFT number, number:margin or min..max as a cocourse value (None: not a number)."""
    if ".." in value[1:]:
        low, high = (_plain_number(part) for part in value.split("..", 1))
        if low is None or high is None or Decimal(low) > Decimal(high):
            return None
        return f"{low}..{high}"
    if ":" in value[1:]:
        number, margin = (_plain_number(part) for part in value.split(":", 1))
        if number is None or margin is None or Decimal(margin) < 0:
            return None
        return number if Decimal(margin) == 0 else f"{number} ± {margin}"
    return _plain_number(value)


def _plain_number(text: str) -> str | None:
    """A number written the way cocourse reads it: digits, one '.', no exponent, no '+'."""
    text = text.strip()
    if not IS_NUMBER.match(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None
    if not number.is_finite() or abs(number.adjusted()) > 30:
        return None
    shown = format(number, "f")
    return shown[:-1] if shown.endswith(".") else shown


def _without_lists(text: str) -> str:
    """Markdown whose top-level list items are escaped into paragraphs of their own."""
    lines = text.split("\n")
    for _round in range(10):  # escaping an item can turn a nested list into a top-level one
        starts = [
            token.map[0]
            for token in _LISTS.parse("\n".join(lines))
            if token.type == "list_item_open" and token.level == 1 and token.map
        ]
        if not starts:
            break
        for number in reversed(starts):
            marker = re.match(r"^(\s*)(?:([-+*])|(\d{1,9})([.)]))", lines[number])
            if marker is None:  # pragma: no cover - every list item starts with a marker
                continue
            indent, bullet, digits, delimiter = marker.groups()
            escaped = f"\\{bullet}" if bullet else f"{digits}\\{delimiter}"
            lines[number] = f"{indent}{escaped}{lines[number][marker.end() :]}"
            if number and lines[number - 1].strip():
                lines.insert(number, "")
    return "\n".join(lines)


def _ends_with_dash_list(text: str) -> bool:
    """Whether Markdown ends with a `-` list, which an answer list right after would join."""
    tops = [token for token in _LISTS.parse(text) if token.level == 0 and token.nesting == 1]
    return bool(tops) and tops[-1].type == "bullet_list_open" and tops[-1].markup == "-"


def _arrow_safe(text: str) -> str:
    """Text that cannot be mistaken for the `->` between the sides of a matching pair."""
    return text.replace("->", "-\\>").replace("→", "&rarr;")


def _join(parts: list[str]) -> str:
    return "\n\n".join(part for part in parts if part)


def _quote(text: str, indent: str = "") -> list[str]:
    return [f"{indent}> {line}".rstrip() for line in text.split("\n")]


def _fence(
    kind: str, qid: str, settings: list[str], prompt: str, options: list[_Option], feedback: str
) -> str:
    """The ```quiz fence: settings, prompt, answer list, general feedback."""
    body: list[str] = []
    if settings or prompt.startswith("---"):
        body += ["---", *settings, "---"]
    body.append(prompt)
    if options:
        bullet = "*" if _ends_with_dash_list(prompt) else "-"
        body.append("")
        for option in options:
            mark = {True: "[x] ", False: "[ ] ", None: ""}[option.checked]
            body.append(f"{bullet} {mark}{option.text}")
            if option.feedback:
                body += _quote(option.feedback, "  ")
    if feedback:
        body += ["", *_quote(feedback)]
    content = "\n".join(body)
    runs = [len(run) for run in re.findall(r"(?m)^\s*(`{3,})", content)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}quiz {kind} {qid}\n{content}\n{fence}"


__all__ = ["BLANK", "gift_to_markdown", "slugify", "category_tag"]
