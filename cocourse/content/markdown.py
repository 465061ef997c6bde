"""The safe MarkdownIt instance and the rendering of one file into HTML and headings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from ..questions.base import Question, QuestionType
from .anchors import anchors_plugin
from .model import Heading, Problem, Prose
from .quiz import build_question, is_quiz_fence
from .words import _

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
# Where a question goes in a lesson's HTML. Raw HTML is escaped, so content cannot forge it.
QUESTION_MARK = '<cocourse-question index="{}"></cocourse-question>\n'
QUESTION_SPLIT = re.compile(r'<cocourse-question index="(\d+)"></cocourse-question>\n')
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_FORMATTER = HtmlFormatter(nowrap=True)

Configure = Callable[[MarkdownIt], None]
Resolver = Callable[[str, str, int], str | None]


def is_allowed_url(url: str) -> bool:
    """Allow http, https and mailto links and scheme-less (relative) ones; refuse the rest."""
    match = SCHEME.match(url.strip())
    return match is None or match.group(1).lower() in ALLOWED_SCHEMES


def make_markdown(configure: Iterable[Configure] = ()) -> MarkdownIt:
    """A CommonMark parser with raw HTML escaped, no linkify or typographer, safe links."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = is_allowed_url  # type: ignore[method-assign]
    for step in configure:
        step(md)
    md.core.ruler.push("cocourse_links", _rewrite_links)
    md.core.ruler.push("cocourse_questions", _collect_questions)
    fence: Any = md.renderer.rules.get("fence")  # type: ignore[attr-defined]

    def question_or_fence(_self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        index = tokens[idx].meta.get("question_index")
        if index is not None:
            return QUESTION_MARK.format(index)
        return str(fence(tokens, idx, options, env))

    md.add_render_rule("fence", question_or_fence)
    return md


def standard_extensions(md: MarkdownIt) -> None:
    """Tables, strikethrough, GitHub-style callouts, footnotes, heading anchors, Pygments."""
    md.enable(["table", "strikethrough"])
    md.options["alerts"] = True
    md.options["tasklists"] = True
    md.options["highlight"] = highlight_code
    md.use(footnote_plugin, inline=False)
    md.use(anchors_plugin, min_level=2, max_level=3)


def highlight_code(code: str, lang: str, _attrs: str) -> str:
    """Highlight a fenced block with Pygments; unknown languages fall back to plain code."""
    try:
        lexer = get_lexer_by_name(lang.split()[0]) if lang else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""
    body = highlight(code, lexer, _FORMATTER)
    return f'<pre class="highlight"><code>{body}</code></pre>'


def pygments_css() -> str:
    """The stylesheet for highlighted code."""
    formatter: Any = HtmlFormatter(style="friendly")
    return str(formatter.get_style_defs(".highlight"))


@dataclass
class Rendered:
    """The result of rendering one Markdown body."""

    html: str
    title: str | None
    headings: tuple[Heading, ...]
    words: int
    problems: list[Problem] = field(default_factory=list)
    questions: list[Question | None] = field(default_factory=list)

    @property
    def parts(self) -> tuple[Prose | Question, ...]:
        """The HTML split into prose chunks and the questions between them."""
        pieces = QUESTION_SPLIT.split(self.html)
        parts: list[Prose | Question] = []
        for i, piece in enumerate(pieces):
            if i % 2:
                question = self.questions[int(piece)]
                if question is not None:
                    parts.append(question)
            elif piece.strip():
                parts.append(Prose(piece))
        return tuple(parts)


def render(
    md: MarkdownIt,
    text: str,
    *,
    path: str,
    first_line: int = 1,
    resolve: Resolver | None = None,
    take_title: bool = False,
    question_types: Mapping[str, QuestionType] | None = None,
) -> Rendered:
    """Render a Markdown body; relative links go through `resolve`, problems are collected.

    `first_line` is the file line of the body's first line, so problems name file lines.
    With `take_title`, a leading level-1 heading is removed and returned as the title.
    ```quiz fences become questions when `question_types` is given.
    """
    problems: list[Problem] = []
    questions: list[Question | None] = []
    env: dict[str, Any] = {
        "path": path,
        "first_line": first_line,
        "resolve": resolve,
        "problems": problems,
        "question_types": question_types,
        "questions": questions,
    }
    tokens = md.parse(text, env)
    title = _take_title(tokens) if take_title else None
    html = md.renderer.render(tokens, md.options, env)
    words = len(re.findall(r"\w+", text))
    return Rendered(html, title, _headings(tokens), words, problems, questions)


def _take_title(tokens: list[Token]) -> str | None:
    """Remove a leading `# Title` from the token stream and return its text."""
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        title = tokens[1].content.strip()
        del tokens[0:3]
        return title
    return None


def _headings(tokens: list[Token]) -> tuple[Heading, ...]:
    """Level-2 and level-3 headings with their anchors."""
    found = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in ("h2", "h3") and token.attrGet("id"):
            found.append(
                Heading(int(token.tag[1]), str(token.attrGet("id")), tokens[i + 1].content)
            )
    return tuple(found)


def _rewrite_links(state: StateCore) -> None:
    """Resolve relative link and image targets, and report broken ones and missing alt text."""
    env = state.env
    if "problems" not in env:  # rendered outside render(): nothing to resolve or report
        return
    resolve: Resolver | None = env.get("resolve")
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        line = env["first_line"] + (block.map[0] if block.map else 0)
        for token in block.children:
            if token.type == "image":
                _check_image(token, env, line)
                _resolve_attr(token, "src", resolve, env, line)
            elif token.type == "link_open":
                _resolve_attr(token, "href", resolve, env, line)


def _collect_questions(state: StateCore) -> None:
    """Build a question from every ```quiz fence and remember where it goes."""
    env = state.env
    types = env.get("question_types")
    if types is None or "questions" not in env:
        return
    for token in state.tokens:
        if is_quiz_fence(token):
            question, problems = build_question(state.md, token, env, types)
            token.meta["question_index"] = len(env["questions"])
            env["questions"].append(question)
            env["problems"].extend(problems)


def _check_image(token: Token, env: MutableMapping[str, Any], line: int) -> None:
    """Images need alt text for screen readers."""
    if not token.content.strip():
        message = _("image has no alt text: write ![what it shows](...)")
        env["problems"].append(Problem(env["path"], line, "C132", message))


def _resolve_attr(
    token: Token, attr: str, resolve: Resolver | None, env: MutableMapping[str, Any], line: int
) -> None:
    """Rewrite one relative URL through the resolver; report targets it cannot find."""
    url = str(token.attrGet(attr) or "")
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("/", "#")) or resolve is None:
        if attr == "src" and (parts.scheme or parts.netloc):
            message = _(
                "remote image %(url)r will not load: put images in the module folder", url=url
            )
            env["problems"].append(Problem(env["path"], line, "C134", message))
        return
    resolved = resolve(url, attr, line)
    if resolved is None:
        if attr == "src":
            problem = Problem(
                env["path"], line, "C131", _("broken image: %(url)r does not exist", url=url)
            )
        else:
            problem = Problem(
                env["path"], line, "C130", _("broken link: %(url)r does not exist", url=url)
            )
        env["problems"].append(problem)
        return
    token.attrSet(attr, resolved)
