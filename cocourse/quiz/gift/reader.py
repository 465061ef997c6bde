"""Read Moodle GIFT text into neutral question records, following Moodle's own reading rules.

Questions are separated by blank lines; a line starting with `//` is a comment. A question is
`::name::`, then the text, then the answers between `{` and `}`. Inside the answers `~` and
`=` start an answer, `%50%` gives it a weight, `#` starts its feedback and `####` the general
feedback. `\\~ \\= \\# \\{ \\} \\:` write those characters literally, `\\n` is a line break and
`\\\\` a backslash. No database. Problems become warnings, never exceptions; their messages
are in the language of the page that shows them (English outside a request: the commands).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

# The GIFT escapes: the character after the backslash, and what it stands for.
ESCAPES = {"\\": "\\", ":": ":", "#": "#", "=": "=", "{": "{", "}": "}", "~": "~", "n": "\n"}
ESCAPE = re.compile(r"\\([\\:#={}~n])")  # left to right: GIFT \\# is a backslash, then #
FORMAT_PREFIX = re.compile(r"\[(moodle|html|plain|markdown)\]")
WEIGHT = re.compile(r"%\s*(-?[0-9]+(?:\.[0-9]*)?|-?\.[0-9]+)\s*%")
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
# Moodle's question ID number and tags, written in a comment as `[id:...]` and `[tag:...]`;
# `\]` stands for a `]` inside them.
ID_NUMBER = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f])+)\]")
TAG = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f])+)\]")
BLANK = "\ue000"  # where the answers stood in a missing-word question; becomes _____


@dataclass(frozen=True, order=True)
class GiftWarning:
    """Something in a GIFT file (or a question being exported) that could not be kept as is."""

    line: int  # the GIFT line (import) or the Markdown line of the question (export)
    message: str
    path: str = ""  # export: the lesson file of the question

    def __str__(self) -> str:
        if self.path:
            return f"{self.path}:{self.line}: {self.message}"
        return _("line %(line)s: %(message)s", line=self.line, message=self.message)


@dataclass(frozen=True)
class Text:
    """A piece of GIFT text with its escapes resolved, and the format it is written in."""

    value: str
    format: str = "moodle"


@dataclass(frozen=True)
class GiftAnswer:
    """One answer as written: its marker, weight, text, feedback and line."""

    mark: str  # "=", "~" or "" (no marker)
    weight: float | None  # the %weight% in percent, None when not given
    text: Text
    feedback: Text | None
    line: int
    match: str = ""  # matching: the right-hand side (plain text)


@dataclass
class GiftItem:
    """A question, a description or a $CATEGORY line read from the file."""

    kind: str  # category, description, essay, multichoice, match, truefalse, shortanswer, numerical
    line: int
    number: int = 0  # the question's position in the file (1, 2, ...); 0 for a category
    title: str | None = None
    prompt: Text | None = None
    answers: list[GiftAnswer] = field(default_factory=list)
    feedback: Text | None = None  # general feedback (####)
    category: str = ""
    correct: bool = True  # true/false: the right answer
    wrong_feedback: Text | None = None  # true/false: shown for the wrong answer
    right_feedback: Text | None = None  # true/false: shown for the right answer
    catch_all: GiftAnswer | None = None  # numeric "~#feedback": for any other response
    idnumber: str = ""  # from a "// [id:...]" comment (Moodle's ID number)
    tags: list[str] = field(default_factory=list)  # "// [tag:...]" or "// tags: a, b" comments
    points: float | None = None  # from a "// points: 2" comment
    notes: list[GiftWarning] = field(default_factory=list)


class Skip(Exception):
    """A question that cannot be read; it becomes a warning and the question is left out."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.title: str | None = None


def unescape(text: str) -> str:
    """GIFT escapes resolved; a backslash before any other character stays a backslash."""
    return ESCAPE.sub(lambda found: ESCAPES[found.group(1)], text)


def _mask(text: str) -> str:
    """The text with every escape pair blanked out (same length), to search for structure."""
    return ESCAPE.sub("\0\0", text)


class _Block:
    """The lines of one question, with positions mapped back to file lines."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.mask = _mask(text)
        self.first_line = first_line

    def line(self, pos: int) -> int:
        return self.first_line + self.text.count("\n", 0, max(0, pos))

    def find(self, needle: str, start: int, end: int | None = None) -> int:
        return self.mask.find(needle, start, len(self.text) if end is None else end)

    def skip_space(self, start: int, end: int) -> int:
        while start < end and self.text[start].isspace():
            start += 1
        return start

    def plain(self, start: int, end: int) -> str:
        """The unescaped, stripped text between two positions."""
        return unescape(self.text[start:end]).strip()

    def formatted(self, start: int, end: int, default: str) -> Text:
        """Text that may start with a [format] prefix; without one, it takes `default`."""
        value = self.plain(start, end)
        prefix = FORMAT_PREFIX.match(value)
        if prefix:
            return Text(value[prefix.end() :].strip(), prefix.group(1))
        return Text(value, default)

    def split(self, start: int, end: int, marks: str) -> list[tuple[str, int, int]]:
        """Pieces between unescaped marks: (mark, start, end); the first has mark ''.

        The text before the first mark is dropped when it is blank.
        """
        pieces = []
        mark, begin = "", start
        for i in range(start, end):
            if self.mask[i] in marks:
                pieces.append((mark, begin, i))
                mark, begin = self.mask[i], i + 1
        pieces.append((mark, begin, end))
        if not pieces[0][0] and not self.text[pieces[0][1] : pieces[0][2]].strip():
            pieces.pop(0)
        return pieces


def read_gift(source: str) -> tuple[list[GiftItem], list[GiftWarning]]:
    """Every question, description and category in a GIFT text, and what could not be read."""
    warnings: list[GiftWarning] = []
    items: list[GiftItem] = []
    number = 0
    for first_line, lines, leading in _blocks(source):
        head = lines[0]
        if head.startswith("$CATEGORY:"):
            items.append(GiftItem("category", first_line, category=unescape(head[10:]).strip()))
            rest = lines[1:]
            if not any(line and not line.startswith("//") for line in rest):
                continue
            message = _(
                "a question follows $CATEGORY without a blank line; Moodle would read it as "
                "part of the category name: read here as a question (add a blank line)"
            )
            warnings.append(GiftWarning(first_line, message))
            first_line, lines = first_line + 1, rest
        number += 1
        comments = [line[2:].strip() for line in [*leading, *lines] if line.startswith("//")]
        block = _Block(
            "\n".join("" if line.startswith("//") else line for line in lines), first_line
        )
        try:
            item = _question(block, number)
        except Skip as skip:
            if skip.title:
                message = _(
                    "question %(number)s %(name)r skipped: %(reason)s",
                    number=number,
                    name=skip.title,
                    reason=skip.message,
                )
            else:
                message = _(
                    "question %(number)s skipped: %(reason)s", number=number, reason=skip.message
                )
            warnings.append(GiftWarning(skip.line, message))
            continue
        _read_comments(item, comments)
        items.append(item)
    return items, warnings


def _read_comments(item: GiftItem, comments: list[str]) -> None:
    """Moodle's `// [id:...] [tag:...]` and cocourse's older `// tags: a, b`, `// points: 2`."""
    for comment in comments:
        for found in ID_NUMBER.finditer(comment):
            value = found.group(1).replace("\\]", "]").strip()
            if not item.idnumber:
                item.idnumber = value
            elif value != item.idnumber:
                message = _(
                    "a second ID number %(second)r is left out: Moodle keeps the first, %(first)r",
                    second=value,
                    first=item.idnumber,
                )
                item.notes.append(GiftWarning(item.line, message))
        item.tags += [found.group(1).replace("\\]", "]").strip() for found in TAG.finditer(comment)]
        key, _colon, value = comment.partition(":")
        if key.strip() == "tags":
            item.tags += [tag.strip() for tag in value.split(",") if tag.strip()]
        elif key.strip() == "points" and re.fullmatch(r"\s*[0-9]+(?:\.[0-9]+)?\s*", value):
            item.points = float(value) or None
    item.tags = [tag for tag in dict.fromkeys(item.tags) if tag]


def _blocks(source: str) -> list[tuple[int, list[str], list[str]]]:
    """Groups of stripped lines separated by blank lines: (first line, lines, leading comments).

    A comment line does not end a question (as in Moodle); a group of comments only is dropped.
    """
    text = source.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[tuple[int, list[str], list[str]]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate([*text.split("\n"), ""], start=1):
        line = raw.strip()
        if line and not current:
            start = number
        if line:
            current.append(line)
            continue
        leading = []
        while current and current[0].startswith("//"):
            leading.append(current.pop(0))
            start += 1
        if current:
            blocks.append((start, current, leading))
        current = []
    return blocks


def _question(block: _Block, number: int) -> GiftItem:
    """One question block, read the way Moodle reads it."""
    item = GiftItem("", block.first_line, number)
    end = len(block.text)
    pos = block.skip_space(0, end)
    if block.mask.startswith("::", pos):
        close = block.find("::", pos + 2)
        if close < 0:
            message = _("the name starts with '::' but has no closing '::': read as question text")
            item.notes.append(GiftWarning(block.line(pos), message))
            pos += 2
        else:
            item.title = block.plain(pos + 2, close) or None
            pos = close + 2
    try:
        return _answers_part(block, item, pos)
    except Skip as skip:
        skip.title = item.title
        raise


def _answers_part(block: _Block, item: GiftItem, pos: int) -> GiftItem:
    """Everything after the name: the text, and the answers between braces."""
    end = len(block.text)
    opening, closing = block.find("{", pos), block.find("}", pos)
    if opening < 0 and closing < 0:
        item.kind = "description"
        item.prompt = block.formatted(pos, end, "moodle")
        return item
    if opening < 0:
        raise Skip(block.line(closing), _("'}' without '{' (write \\} for a literal brace)"))
    if closing < 0:
        raise Skip(block.line(opening), _("'{' is never closed by '}' (write \\{ for a brace)"))
    if closing < opening:
        raise Skip(block.line(closing), _("'}' comes before '{' (write \\} for a literal brace)"))
    nested = block.find("{", opening + 1, closing)
    if nested >= 0:
        raise Skip(block.line(nested), _("a second '{' inside the answers (write \\{)"))
    extra = min(
        (p for p in (block.find("{", closing), block.find("}", closing + 1)) if p >= 0), default=-1
    )
    if extra >= 0:
        raise Skip(block.line(extra), _("more than one answer block in one question"))
    _read_prompt(block, item, pos, opening, closing)
    fmt = item.prompt.format if item.prompt else "moodle"
    start, stop = opening + 1, closing
    general = block.mask.rfind("####", start, stop)
    if general >= 0:
        item.feedback = block.formatted(general + 4, stop, fmt)
        stop = general
    start = block.skip_space(start, stop)
    while stop > start and block.text[stop - 1].isspace():
        stop -= 1
    item.kind = _kind(block, start, stop, item)
    reader = _READERS.get(item.kind)
    if reader is not None:
        reader(block, start, stop, item, fmt)
    return item


def _read_prompt(block: _Block, item: GiftItem, pos: int, opening: int, closing: int) -> None:
    """The question text; text after the answers makes it a missing-word question."""
    after = block.text[closing + 1 :]
    blank = BLANK + after if after.strip() else ""
    text = Text(unescape(block.text[pos:opening] + blank).strip())
    prefix = FORMAT_PREFIX.match(text.value)
    if prefix:
        text = Text(text.value[prefix.end() :].strip(), prefix.group(1))
    item.prompt = text


def _kind(block: _Block, start: int, stop: int, item: GiftItem) -> str:
    """The Moodle question type the answers describe."""
    answers = block.mask[start:stop]
    if not answers:
        return "essay"
    if answers.startswith("#"):
        return "numerical"
    if "~" in answers:
        return "multichoice"
    if "=" in answers and "->" in answers:
        return "match"
    hash_at = answers.find("#")
    check = (answers[:hash_at] if hash_at > 0 else answers).strip()
    if check in TRUE_FALSE:
        return "truefalse"
    if check.upper() in TRUE_FALSE:
        message = _(
            "{%(written)s} is read as a short answer %(answer)r, as Moodle does: write "
            "{%(capitals)s} in capitals for a true/false question",
            written=check,
            answer=check,
            capitals=check.upper(),
        )
        item.notes.append(GiftWarning(block.line(start), message))
    return "shortanswer"


def _answer(block: _Block, mark: str, start: int, end: int, fmt: str) -> GiftAnswer:
    """One answer: optional %weight%, text, optional #feedback."""
    start = block.skip_space(start, end)
    weight = None
    found = WEIGHT.match(block.mask, start, end)
    if found:
        weight = float(found.group(1))
        start = found.end()
    hash_at = block.find("#", start, end)
    text = block.formatted(start, hash_at if hash_at >= 0 else end, fmt)
    feedback = block.formatted(hash_at + 1, end, fmt) if hash_at >= 0 else None
    return GiftAnswer(mark, weight, text, feedback, block.line(start))


def _read_choices(block: _Block, start: int, stop: int, item: GiftItem, fmt: str) -> None:
    for mark, begin, end in block.split(start, stop, "~="):
        item.answers.append(_answer(block, mark, begin, end, fmt))


def _read_short(block: _Block, start: int, stop: int, item: GiftItem, fmt: str) -> None:
    for mark, begin, end in block.split(start, stop, "="):
        item.answers.append(_answer(block, mark, begin, end, fmt))


def _read_numeric(block: _Block, start: int, stop: int, item: GiftItem, fmt: str) -> None:
    start += 1  # the leading "#"
    tilde = block.find("~", start, stop)
    if tilde >= 0:
        item.catch_all = _answer(block, "~", tilde + 1, stop, fmt)
        stop = tilde
    for mark, begin, end in block.split(start, stop, "="):
        item.answers.append(_answer(block, mark, begin, end, fmt))
    if not item.answers:
        raise Skip(block.line(start), _("a numeric question without a number"))


def _read_match(block: _Block, start: int, stop: int, item: GiftItem, fmt: str) -> None:
    for mark, begin, end in block.split(start, stop, "="):
        begin = block.skip_space(begin, end)
        line = block.line(begin)
        found = WEIGHT.match(block.mask, begin, end)
        if found:
            message = _("matching pairs take no %weight%: the weight is ignored")
            item.notes.append(GiftWarning(line, message))
            begin = found.end()
        arrow = block.find("->", begin, end)
        if arrow < 0:
            raise Skip(
                line, _("the matching pair %(pair)r has no '->'", pair=block.plain(begin, end))
            )
        hash_at = block.find("#", arrow, end)
        feedback = None
        if hash_at >= 0:
            feedback = block.formatted(hash_at + 1, end, fmt)
            end = hash_at
        left = block.formatted(begin, arrow, fmt)
        right = block.plain(arrow + 2, end)
        item.answers.append(GiftAnswer(mark, None, left, feedback, line, match=right))


def _read_true_false(block: _Block, start: int, stop: int, item: GiftItem, fmt: str) -> None:
    first = block.find("#", start, stop)
    value = block.plain(start, first if first >= 0 else stop)
    item.correct = TRUE_FALSE[value]
    if first < 0:
        return
    second = block.find("#", first + 1, stop)
    item.wrong_feedback = block.formatted(first + 1, second if second >= 0 else stop, fmt)
    if second >= 0:
        item.right_feedback = block.formatted(second + 1, stop, fmt)


_READERS = {
    "multichoice": _read_choices,
    "shortanswer": _read_short,
    "numerical": _read_numeric,
    "match": _read_match,
    "truefalse": _read_true_false,
}
