"""Text in GIFT's four formats turned into cocourse Markdown, and the escaping both need.

- `[markdown]` is kept as written.
- `[plain]` is literal text: Markdown characters are escaped, line breaks kept.
- `[moodle]` (the default) is text that may hold HTML, with line breaks kept.
- `[html]` is HTML: line breaks are spaces.

cocourse shows raw HTML as text, so the simple tags (b, strong, i, em, code, p, div, br) become
Markdown and any other tag is kept as text with a warning.
"""

from __future__ import annotations

import html
import re

from flask_babel import gettext as _

from .reader import BLANK, Text

GIFT_SPECIAL = frozenset("\\~=#{}:")
TAG = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][A-Za-z0-9]*)\b(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>", re.S)
ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
EMPHASIS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
BLOCKS = frozenset({"p", "div"})
BREAK = "\ue001"  # a line break while converting
PARAGRAPH = "\ue002"  # a paragraph break while converting
MD_ALWAYS = frozenset("\\`*[]|~")
# Breaks move out of emphasis: (this node, next node) pairs that swap places.
SWAPS = frozenset(
    {("open", "break"), ("open", "paragraph"), ("break", "close"), ("paragraph", "close")}
)


def gift_escape(text: str) -> str:
    """Text written for GIFT: its special characters escaped, line breaks as \\n."""
    out = []
    for char in text.replace("\r", ""):
        if char in GIFT_SPECIAL:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        else:
            out.append(char)
    return "".join(out)


def escape_markdown(text: str) -> str:
    """Literal text (no line breaks) written so that Markdown shows it exactly."""
    out = []
    for i, char in enumerate(text):
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if char in MD_ALWAYS:
            out.append("\\" + char)
        elif char == "_" and not (before.isalnum() and after.isalnum()):
            out.append("\\_")
        elif char == "<" and (after.isalpha() or after in "/!?"):
            out.append("\\<")
        elif char == "&" and ENTITY.match(text, i):
            out.append("\\&")
        else:
            out.append(char)
    return "".join(out)


_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_BLOCK_START = re.compile(
    r"^(?:#{1,6}(?:\s|$)|>|[-+*](?:\s|$)|`{3,}|~{3,}|(?:[-*_]\s*){3,}$|=+\s*$|-+\s*$)"
)


def escape_line_start(line: str, *, item: bool = False) -> str:
    """A line that cannot start a heading, quote, list, rule or code block by accident.

    An `item` is the text of a list item on its own line, where a row of = is plain text.
    """
    line = line.strip()
    ordered = _ORDERED.match(line)
    if ordered:
        return ordered.group(1) + "\\" + line[ordered.end(1) :]
    if _BLOCK_START.match(line) and not (item and re.fullmatch(r"=+", line)):
        return "\\" + line
    return line


def unescape_markdown(text: str) -> str:
    """Markdown source with its backslash escapes removed (for GIFT's plain-text places)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def to_markdown(text: Text, *, inline: bool = False) -> tuple[str, list[str]]:
    """Markdown meaning the same as a GIFT text, and notes on what could not be kept.

    `inline` text is one answer: it must stay on one line, so line breaks become spaces.
    """
    notes: list[str] = []
    if text.format == "markdown":
        value = text.value
        tags = sorted({m.group(2) or "!--" for m in TAG.finditer(value) if _unescaped(value, m)})
        if tags:
            notes.append(_tags_note(tags))
        if inline and "\n" in value:
            notes.append(_("a line break in an answer was replaced by a space"))
            value = " ".join(part.strip() for part in value.split("\n"))
        return value.replace(BLANK, "\\_" * 5), notes
    nodes = _nodes(text, notes)
    _move_spaces(nodes)
    flat = "".join(_render(kind, value) for kind, value in nodes)
    if inline:
        if BREAK in flat or PARAGRAPH in flat:
            notes.append(_("a line break in an answer was replaced by a space"))
        flat = re.sub(f"[ \t{BREAK}{PARAGRAPH}]+", " ", flat)
        return escape_line_start(flat).replace(BLANK, "_____"), notes
    paragraphs = []
    for chunk in re.split(f"(?:[ \t]*[{BREAK}{PARAGRAPH}][ \t]*){{2,}}|{PARAGRAPH}", flat):
        lines = [escape_line_start(line) for line in chunk.strip(f" \t{BREAK}").split(BREAK)]
        lines = [re.sub(" {2,}", " ", line) for line in lines if line]
        if lines:
            paragraphs.append("\\\n".join(lines))
    return "\n\n".join(paragraphs).replace(BLANK, "_____"), notes


def _unescaped(value: str, match: re.Match[str]) -> bool:
    """Whether a tag found in Markdown is real (not written as \\<tag>)."""
    start = match.start()
    slashes = len(value[:start]) - len(value[:start].rstrip("\\"))
    return slashes % 2 == 0


def _tags_note(names: list[str], comments_removed: bool = False) -> str:
    shown = ", ".join(f"<{name}>" if name != "!--" else "<!-- -->" for name in names)
    if comments_removed:
        return _(
            "HTML %(tags)s is not converted: cocourse shows it as text; HTML comments were removed",
            tags=shown,
        )
    return _("HTML %(tags)s is not converted: cocourse shows it as text", tags=shown)


def _nodes(text: Text, notes: list[str]) -> list[tuple[str, str]]:
    """The text as (kind, value) nodes: text, open, close, code, break, paragraph."""
    value = text.value
    if text.format == "plain":
        return _text_nodes(value, keep_breaks=True, decode=False)
    keep_breaks = text.format == "moodle"
    nodes: list[tuple[str, str]] = []
    unknown: set[str] = set()
    comments = False
    open_marks: list[str] = []
    pos = 0
    code: list[str] | None = None
    for tag in TAG.finditer(value):
        chunk = value[pos : tag.start()]
        pos = tag.end()
        if code is not None:
            code.append(chunk)
        else:
            nodes += _text_nodes(chunk, keep_breaks, decode=True)
        closing, name = tag.group(1), (tag.group(2) or "").lower()
        if code is not None:
            if name == "code" and closing:
                nodes.append(("code", html.unescape("".join(code))))
                code = None
            else:
                code.append(tag.group(0))
        elif not name:
            comments = True
        elif name in EMPHASIS:
            _emphasis(nodes, open_marks, EMPHASIS[name], closing=bool(closing))
        elif name in BLOCKS:
            nodes.append(("paragraph", ""))
        elif name == "br":
            nodes.append(("break", ""))
        elif name == "code" and not closing:
            code = []
        else:
            unknown.add(name)
            nodes += _text_nodes(tag.group(0), keep_breaks=False, decode=False)
    if code is not None:
        nodes.append(("code", html.unescape("".join(code))))
    nodes += _text_nodes(value[pos:], keep_breaks, decode=True)
    for mark in reversed(open_marks):
        nodes.append(("close", mark))
    if unknown or comments:
        names = sorted(unknown) + (["!--"] if comments else [])
        notes.append(_tags_note(names, comments_removed=bool(comments)))
    return nodes


def _text_nodes(value: str, keep_breaks: bool, decode: bool) -> list[tuple[str, str]]:
    """Literal text; with `keep_breaks` each line break is a break node, else a space."""
    if decode:
        value = html.unescape(value)
    if not keep_breaks:
        return [("text", re.sub(r"\s+", " ", value))] if value else []
    nodes: list[tuple[str, str]] = []
    for i, line in enumerate(value.split("\n")):
        if i:
            nodes.append(("break", ""))
        if line:
            nodes.append(("text", line))
    return nodes


def _emphasis(
    nodes: list[tuple[str, str]], open_marks: list[str], mark: str, closing: bool
) -> None:
    """Open or close ** or *, closing and reopening inner marks when tags overlap."""
    if not closing:
        open_marks.append(mark)
        nodes.append(("open", mark))
        return
    if mark not in open_marks:
        return
    reopen = []
    while open_marks:
        inner = open_marks.pop()
        nodes.append(("close", inner))
        if inner == mark:
            break
        reopen.append(inner)
    for inner in reversed(reopen):
        open_marks.append(inner)
        nodes.append(("open", inner))


def _move_spaces(nodes: list[tuple[str, str]]) -> None:
    """Spaces and breaks just inside ** or * move outside (Markdown needs them there); marks
    with nothing between them go."""
    changed = True
    while changed:
        changed = False
        nodes[:] = [node for node in nodes if node != ("text", "")]
        for i in range(len(nodes) - 1):
            (kind, value), (next_kind, next_value) = nodes[i], nodes[i + 1]
            if kind == "open" and next_kind == "close" and value == next_value:
                del nodes[i : i + 2]
            elif (kind, next_kind) in SWAPS:
                nodes[i : i + 2] = [nodes[i + 1], nodes[i]]
            elif kind == "open" and next_kind == "text" and next_value[:1].isspace():
                rest = next_value.lstrip()
                nodes[i : i + 2] = [("text", next_value[: len(next_value) - len(rest)]), nodes[i]]
                nodes.insert(i + 2, ("text", rest))
            elif kind == "text" and next_kind == "close" and value[-1:].isspace():
                kept = value.rstrip()
                nodes[i : i + 2] = [("text", kept), nodes[i + 1], ("text", value[len(kept) :])]
            else:
                continue
            changed = True
            break


def _render(kind: str, value: str) -> str:
    if kind == "text":
        return escape_markdown(value)
    if kind in ("open", "close"):
        return value
    if kind == "code":
        value = re.sub(r"\s+", " ", value)
        if not value.strip():
            return escape_markdown(value)
        fence = "`" * (max((len(run) for run in re.findall("`+", value)), default=0) + 1)
        pad = " " if value.startswith("`") or value.endswith("`") else ""
        return f"{fence}{pad}{value}{pad}{fence}"
    return BREAK if kind == "break" else PARAGRAPH
