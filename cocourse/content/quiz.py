"""Quizzes in lessons: ```quiz <type> <id> fences become questions; `quiz:` front matter
holds the quiz settings. Generic parsing lives here; each question type checks its own rules.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..questions.base import DraftItem, Question, QuestionDraft, QuestionType
from . import frontmatter as fmt
from . import item_quality
from .draw_rules import GROUP_MARK
from .model import Problem
from .words import Text, _, ngettext

QUESTION_ID = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
MATCH_ARROW = re.compile(r"\s+(?:->|→)\s+")
REVIEW_POLICIES = ("immediately", "after-passing", "after-last-attempt", "never")
# `late`: what an attempt whose time ran out is graded on.
LATE_SAVED, LATE_ZERO = "grade-saved", "zero"
# `completes`: what passing the quiz completes.
COMPLETES_LESSON, COMPLETES_MODULE = "lesson", "module"
# The settings every question type accepts, each with what it is for (as question types
# describe their own settings).
COMMON_SETTINGS = {
    "points": _("how many points the question is worth (default 1)"),
    "tags": _("labels such as a competency domain, for reports and exam rules"),
    "allow": _("item-quality warnings silenced for this question, each with a reason"),
    "name": _("the question's name in another question bank, such as Moodle's (never shown)"),
    "category": _("the question's category in another question bank, such as Moodle's"),
}


@dataclass(frozen=True)
class QuizSettings:
    """The `quiz:` front matter of a quiz lesson.

    `allow` (item-quality warnings silenced for the quiz) is checked here but not kept: only
    `cocourse lint` needs it, and its reasons must not reach a learner's page.
    """

    id: str
    pass_mark: int = 80  # percent of the available points
    attempts: int | None = None  # None: unlimited
    shuffle_questions: bool = False
    shuffle_options: bool = False
    draw: int | None = None  # pool: draw this many questions per attempt (None: all)
    review: str = "immediately"
    time_limit: int | None = None  # minutes, enforced on the server
    # Hours to wait after the 1st, 2nd, ... failed attempt; the last applies to later ones.
    retake_wait_hours: tuple[int, ...] = ()
    # With `draw`: at least this many drawn questions carry each tag, e.g. per domain, as
    # written: a key ending in GROUP_MARK is a group (see draw_rules.expand_minimums).
    draw_per_tag: tuple[tuple[str, int], ...] = ()
    late: str = LATE_SAVED  # a timed attempt past its deadline: graded on saved answers, or 0
    completes: str = COMPLETES_LESSON  # passing completes the quiz's lesson or its module


def is_quiz_fence(token: Token) -> bool:
    """Whether a token is a ```quiz fence."""
    return token.type == "fence" and token.info.split()[:1] == ["quiz"]


def parse_quiz_settings(
    value: Any, path: str, line: int
) -> tuple[QuizSettings | None, list[Problem]]:
    """Check and build the quiz settings from front matter."""

    def bad(message: Text) -> tuple[None, list[Problem]]:
        return None, [Problem(path, line, "C165", message)]

    if not isinstance(value, dict):
        return bad(_("quiz settings: 'quiz:' must be a mapping with at least 'id'"))
    known = {
        "id",
        "pass_mark",
        "attempts",
        "shuffle",
        "draw",
        "review",
        "time_limit",
        "retake_wait_hours",
        "draw_per_tag",
        "late",
        "completes",
        "allow",
    }
    unknown = sorted(set(value) - known)
    if unknown:
        # Translators: the English keeps "key(s)" in both forms; write yours as usual.
        return bad(
            ngettext(
                "quiz settings: unknown key(s) %(keys)s (known: %(known)s)",
                "quiz settings: unknown key(s) %(keys)s (known: %(known)s)",
                len(unknown),
                keys=", ".join(unknown),
                known=", ".join(sorted(known)),
            )
        )
    qid = value.get("id")
    if not isinstance(qid, str) or not QUESTION_ID.match(qid):
        return bad(_("quiz settings: 'id' must be a lowercase id such as first-taste-check"))
    pass_mark = value.get("pass_mark", 80)
    if fmt.integer(pass_mark) or not 0 <= pass_mark <= 100:
        return bad(_("quiz settings: 'pass_mark' must be a whole percentage from 0 to 100"))
    attempts = value.get("attempts", "unlimited")
    if attempts != "unlimited" and fmt.positive_int(attempts):
        return bad(_("quiz settings: 'attempts' must be a whole number above zero or 'unlimited'"))
    shuffle = value.get("shuffle", [])
    if not isinstance(shuffle, list) or not set(shuffle) <= {"questions", "options"}:
        return bad(_("quiz settings: 'shuffle' must be a list of: questions, options"))
    draw = value.get("draw")
    if draw is not None and fmt.positive_int(draw):
        return bad(_("quiz settings: 'draw' must be a whole number above zero"))
    review = value.get("review", "immediately")
    if review not in REVIEW_POLICIES:
        return bad(
            _(
                "quiz settings: 'review' must be one of: %(policies)s",
                policies=", ".join(REVIEW_POLICIES),
            )
        )
    limit = value.get("time_limit")
    if limit is not None and fmt.positive_int(limit):
        return bad(_("quiz settings: 'time_limit' must be a whole number of minutes above zero"))
    waits = value.get("retake_wait_hours", [])
    well_formed = isinstance(waits, list) and all(not fmt.integer(w) and w >= 0 for w in waits)
    if not well_formed or ("retake_wait_hours" in value and not waits):
        return bad(
            _(
                "quiz settings: 'retake_wait_hours' must be a list of whole numbers of hours, "
                "like [48, 336]"
            )
        )
    late = value.get("late", LATE_SAVED)
    if late not in (LATE_SAVED, LATE_ZERO):
        return bad(
            _(
                "quiz settings: 'late' must be %(default)s (the default) or %(other)s",
                default=LATE_SAVED,
                other=LATE_ZERO,
            )
        )
    completes = value.get("completes", COMPLETES_LESSON)
    if completes not in (COMPLETES_LESSON, COMPLETES_MODULE):
        return bad(
            _(
                "quiz settings: 'completes' must be %(default)s (the default) or %(other)s",
                default=COMPLETES_LESSON,
                other=COMPLETES_MODULE,
            )
        )
    per_tag = value.get("draw_per_tag", {})
    message = _per_tag_problem(per_tag, draw)
    if message:
        return bad(message)
    allow = item_quality.allow_problems(value.get("allow", {}), quiz_level=True)
    if allow:
        return bad(_("quiz settings: 'allow': %(problem)s", problem=allow[0]))
    settings = QuizSettings(
        id=qid,
        pass_mark=pass_mark,
        attempts=None if attempts == "unlimited" else attempts,
        shuffle_questions="questions" in shuffle,
        shuffle_options="options" in shuffle,
        draw=draw,
        review=review,
        time_limit=limit,
        retake_wait_hours=tuple(waits),
        late=late,
        completes=completes,
        draw_per_tag=tuple(per_tag.items()),
    )
    return settings, []


def _per_tag_problem(per_tag: Any, draw: int | None) -> Text | None:
    """What is wrong with a `draw_per_tag` value on its own, if anything.

    The minimums may add up to more than `draw`: one question can count for several tags.
    Whether the questions allow a draw meeting them all is checked with the questions (C166).
    """
    if not isinstance(per_tag, dict) or any(
        not isinstance(tag, str) or fmt.positive_int(count) for tag, count in per_tag.items()
    ):
        return _("quiz settings: 'draw_per_tag' must map question tags to whole numbers above zero")
    for key in per_tag:
        if not key.strip() or GROUP_MARK in key.rstrip(GROUP_MARK) or key.count(GROUP_MARK) > 1:
            return _(
                "quiz settings: 'draw_per_tag' key %(key)r must be a tag, or a group such as "
                "'domain:*' (a tag's beginning followed by one '*')",
                key=key,
            )
        if key == GROUP_MARK:
            return _(
                "quiz settings: 'draw_per_tag' group '*' needs the beginning of its tags, "
                "as in 'domain:*'"
            )
    if per_tag and draw is None:
        return _("quiz settings: 'draw_per_tag' needs 'draw': it shapes how a pool is drawn")
    largest = max(per_tag.items(), key=lambda item: item[1], default=None)
    if largest is not None and draw is not None and largest[1] > draw:
        key, count = largest
        return _(
            "quiz settings: 'draw_per_tag' asks for %(count)d questions for %(key)r "
            "but 'draw' is %(draw)d",
            count=count,
            key=key,
            draw=draw,
        )
    return None


def build_question(
    md: MarkdownIt,
    token: Token,
    env: MutableMapping[str, Any],
    types: Mapping[str, QuestionType],
) -> tuple[Question | None, list[Problem]]:
    """Turn one ```quiz fence token into a checked question (or the problems found)."""
    path = env["path"]
    line = env["first_line"] + (token.map[0] if token.map else 0)
    info = token.info.split()
    if len(info) != 3 or not QUESTION_ID.match(info[2]):
        message = _(
            "a question fence starts with ```quiz <type> <id> (id: lowercase, digits, dashes)"
        )
        return None, [Problem(path, line, "C160", message)]
    _fence, type_name, qid = info
    qtype = types.get(type_name)
    if qtype is None:
        message = _(
            "unknown question type %(type)r (known: %(known)s)",
            type=type_name,
            known=", ".join(sorted(types)),
        )
        return None, [Problem(path, line, "C161", message)]
    draft, problems = _draft(md, token, env, qid, type_name, line)
    if draft is None:
        return None, problems
    problems += _check_settings(draft, qtype)
    if problems:
        return None, problems
    question, found = qtype.parse(draft)
    return (question if not found else None), found


def _draft(
    md: MarkdownIt, token: Token, env: MutableMapping[str, Any], qid: str, type_name: str, line: int
) -> tuple[QuestionDraft | None, list[Problem]]:
    """The generic structure of a fence body: settings, prompt, answer list, feedback."""
    path = env["path"]
    body = token.content
    lines = body.split("\n")
    settings: dict[str, Any] = {}
    settings_lines: dict[str, int] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is None:
            message = _("question settings are not closed by '---'")
            return None, [Problem(path, line + 1, "C168", message)]
        fm = fmt.split("\n".join(lines[: end + 1]) + "\n", path, required=True)
        if fm.problems:
            return None, [Problem(path, line + p.line, "C168", p.message) for p in fm.problems]
        settings, settings_lines = fm.data, {k: line + v for k, v in fm.lines.items()}
        start = end + 1
    rest = "\n".join(lines[start:])
    # Link problems inside the question go to the lesson's list; no questions within questions.
    sub_env = {**env, "first_line": line + 1 + start, "question_types": None}
    tokens = md.parse(rest, sub_env)
    draft = _split(md, tokens, rest.split("\n"), sub_env)
    digest = hashlib.sha256(f"{token.info}\n{body}".encode()).hexdigest()
    return (
        QuestionDraft(
            id=qid,
            type=type_name,
            settings=settings,
            settings_lines=settings_lines,
            path=path,
            line=line,
            source_hash=digest,
            **draft,
        ),
        [],  # link problems inside the question went to the lesson's list through env
    )


def _file_line(env: MutableMapping[str, Any], token: Token) -> int:
    """The file line where a token of a question body starts."""
    span = token.map
    return int(env["first_line"]) + (span[0] if span else 0)


def _block_end(tokens: Sequence[Token], start: int) -> int:
    """The index of the token closing the block opened at `start`."""
    level = tokens[start].level
    closing = tokens[start].type.replace("_open", "_close")
    return next(
        i
        for i in range(start + 1, len(tokens))
        if tokens[i].type == closing and tokens[i].level == level
    )


def _source(lines: Sequence[str], token: Token, quote: bool = False) -> str:
    """The source lines of a block, without the "> " markers when it is a quote."""
    first, last = token.map or (0, 0)
    chunk = [line.strip() for line in lines[first:last]]
    if quote:
        chunk = [re.sub(r"^>\s?", "", line) for line in chunk]
    return "\n".join(chunk).strip()


def _split(
    md: MarkdownIt, tokens: list[Token], lines: list[str], env: MutableMapping[str, Any]
) -> dict[str, Any]:
    """Prompt (before the last top-level list), the list's items, and trailing quoted feedback.

    Without a list (reflections), the quotes at the very end are the feedback.
    """
    tops = [i for i, t in enumerate(tokens) if t.level == 0 and t.nesting == 1]
    lists = [i for i in tops if tokens[i].type in ("bullet_list_open", "ordered_list_open")]
    if lists:
        prompt_end = lists[-1]
        after = _block_end(tokens, prompt_end)
        quotes = [i for i in tops if i > after and tokens[i].type == "blockquote_open"]
        stray = [i for i in tops if i > after and tokens[i].type != "blockquote_open"]
        for i in stray[:1]:
            line = _file_line(env, tokens[i])
            message = _(
                "text after the answer list would not be shown: move it above the list, "
                "or into a '>' quote to make it feedback"
            )
            env["problems"].append(Problem(env["path"], line, "C169", message))
    else:
        quotes = []
        for i in reversed(tops):
            if tokens[i].type != "blockquote_open":
                break
            quotes.insert(0, i)
        prompt_end = quotes[0] if quotes else len(tokens)
    prompt_tokens = tokens[:prompt_end]
    spans = [t.map for t in prompt_tokens if t.map]
    prompt = (
        "\n".join(lines[spans[0][0] : max(end for _start, end in spans)]).strip() if spans else ""
    )
    feedback_tokens = [t for i in quotes for t in tokens[i + 1 : _block_end(tokens, i)]]
    return {
        "prompt": prompt,
        "prompt_html": md.renderer.render(prompt_tokens, md.options, env),
        "items": _items(md, tokens, lists[-1], lines, env) if lists else (),
        "ordered": bool(lists) and tokens[lists[-1]].type == "ordered_list_open",
        "feedback": "\n\n".join(_source(lines, tokens[i], quote=True) for i in quotes),
        "feedback_html": md.renderer.render(feedback_tokens, md.options, env),
    }


def _items(
    md: MarkdownIt, tokens: list[Token], start: int, lines: list[str], env: MutableMapping[str, Any]
) -> tuple[DraftItem, ...]:
    """Each item of the answer list: its text, [x]/[ ] mark, "->" pair and quoted feedback."""
    items = []
    end = _block_end(tokens, start)
    level = tokens[start].level + 1
    for i in range(start + 1, end):
        item = tokens[i]
        if item.type != "list_item_open" or item.level != level:
            continue
        close = _block_end(tokens, i)
        inline = next((t for t in tokens[i + 1 : close] if t.type == "inline"), None)
        text = inline.content.strip() if inline else ""
        quote = next((j for j in range(i + 1, close) if tokens[j].type == "blockquote_open"), None)
        feedback = feedback_html = ""
        if quote is not None:
            feedback = _source(lines, tokens[quote], quote=True)
            inner = tokens[quote + 1 : _block_end(tokens, quote)]
            feedback_html = md.renderer.render(inner, md.options, env)
        pair = None
        if MATCH_ARROW.search(text):
            left, right = (s.strip() for s in MATCH_ARROW.split(text, maxsplit=1))
            pair = (left, md.renderInline(left, env), right, md.renderInline(right, env))
        items.append(
            DraftItem(
                text=text,
                html=md.renderInline(text, env),
                checked=item.meta.get("checked"),
                feedback=feedback,
                feedback_html=feedback_html,
                pair=pair,
                line=_file_line(env, item),
            )
        )
    return tuple(items)


def _check_settings(draft: QuestionDraft, qtype: QuestionType) -> list[Problem]:
    """Common settings (points, tags) and the type's own; anything else is a typo."""
    problems = []
    allowed = {**COMMON_SETTINGS, **qtype.settings}
    for key, value in draft.settings.items():
        line = draft.settings_lines.get(key, draft.line)
        if key not in allowed:
            message = _(
                "unknown setting %(key)r (known: %(known)s)",
                key=key,
                known=", ".join(sorted(allowed)),
            )
            problems.append(draft.problem("C168", message, line))
        elif key == "points" and (
            isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
        ):
            message = _("'points' must be a number above zero")
            problems.append(draft.problem("C168", message, line))
        elif key in ("name", "category") and (not isinstance(value, str) or not value.strip()):
            problems.append(draft.problem("C168", _("%(key)r must be a text", key=key), line))
        elif key == "tags" and fmt.text_list(value):
            message = _("'tags' must be a list of names")
            problems.append(draft.problem("C168", message, line))
        elif key == "allow":
            problems.extend(
                draft.problem("C168", _("'allow': %(problem)s", problem=problem), line)
                for problem in item_quality.allow_problems(value, quiz_level=False)
            )
    return problems
