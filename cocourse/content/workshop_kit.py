"""The workshop kit in `workshops.yml`: session templates and the feedback form (pure).

A session template is an agenda of timed blocks that facilitators start a workshop from;
its blocks must add up to its length, and each may carry the hosts' script. Handouts are
the printable rest of the kit (an invitation, cards). The feedback form is what
participants answer after a workshop: questions on a scale or in words. Problems name
their line, as in `programs.yml`, and reuse its general codes (C181 to C185); C191 to C194
are this file's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import yaml
from markdown_it import MarkdownIt

from .model import Problem
from .program_reader import FieldMap, NodeReader
from .words import Text, _, ngettext

KIT_FILE = "workshops.yml"
KINDS = ("tasting", "solution", "exchange")
KIND_LABELS = {
    "tasting": _("Tasting workshop"),
    "solution": _("Solution workshop"),
    "exchange": _("Learning-and-exchange venue"),
}
MAX_MINUTES = 8 * 60
TEMPLATE_KEYS = {
    "id": True,
    "title": True,
    "kind": True,
    "minutes": True,
    "blocks": True,
    "taught_in": False,
    "default": False,
    "materials": False,
}
BLOCK_KEYS = {"title": True, "minutes": True, "notes": False, "script": False}
HANDOUT_KEYS = {"id": True, "title": True, "body": True, "template": False}
QUESTION_KEYS = {"id": True, "ask": True, "scale": False, "required": False}


@dataclass(frozen=True)
class Block:
    """One timed part of an agenda."""

    title: str
    minutes: int
    notes: str = ""
    script_html: str = ""  # what the hosts say and do, as rendered Markdown


@dataclass(frozen=True)
class SessionTemplate:
    """An agenda to start a workshop from."""

    id: str
    title: str
    kind: str
    minutes: int
    blocks: tuple[Block, ...]
    taught_in: str = ""  # the module that teaches it
    default: bool = False
    materials: tuple[str, ...] = ()  # what to bring


@dataclass(frozen=True)
class Handout:
    """A printable part of the kit, such as an invitation or a set of cards."""

    id: str
    title: str
    body_html: str
    template: str = ""  # the template it goes with, if one


@dataclass(frozen=True)
class FeedbackQuestion:
    """A question of the feedback form: on a scale from 1 to `scale`, or in words (0)."""

    id: str
    ask: str
    scale: int = 0
    required: bool = False


@dataclass(frozen=True)
class WorkshopKit:
    """What the course gives facilitators: templates and the feedback form."""

    templates: tuple[SessionTemplate, ...] = ()
    feedback: tuple[FeedbackQuestion, ...] = ()
    handouts: tuple[Handout, ...] = ()

    def template(self, template_id: str) -> SessionTemplate | None:
        """A template by id."""
        return next((t for t in self.templates if t.id == template_id), None)

    def default_for(self, kind: str) -> SessionTemplate | None:
        """The template a workshop of this kind starts from: the one marked `default`, else
        the first of its kind."""
        mine = [t for t in self.templates if t.kind == kind]
        return next((t for t in mine if t.default), mine[0] if mine else None)


def parse_kit(
    text: str, path: str, md: MarkdownIt, modules: Iterable[str]
) -> tuple[WorkshopKit, list[Problem]]:
    """Check the text of workshops.yml and build the kit (empty if anything is wrong)."""
    problems: list[Problem] = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or _("invalid YAML")
        message = _("%(file)s is not valid YAML: %(problem)s", file=KIT_FILE, problem=problem)
        return WorkshopKit(), [Problem(path, line, "C191", message)]
    if not isinstance(root, yaml.MappingNode):
        message = _("%(file)s needs 'templates:' and 'feedback:'", file=KIT_FILE)
        return WorkshopKit(), [Problem(path, 1, "C191", message)]
    reader = NodeReader(path, problems, md, None)
    top = reader.fields(root, 1, KIT_FILE, {"templates": True, "feedback": True, "handouts": False})
    known = set(modules)
    templates, feedback, handouts = [], [], []
    seen: dict[str, int] = {}
    for line, node in reader.items(top, "templates", KIT_FILE):
        templates.append(_template(reader, node, line, known))
        _once(reader, seen, templates[-1].id, line, _template_named)
    seen = {}
    for line, node in reader.items(top, "feedback", KIT_FILE):
        feedback.append(_question(reader, node, line))
        _once(reader, seen, feedback[-1].id, line, _question_named)
    seen = {}
    for line, node in reader.items(top, "handouts", KIT_FILE):
        handouts.append(_handout(reader, node, line, {t.id for t in templates}))
        _once(reader, seen, handouts[-1].id, line, _handout_named)
    for kind in KINDS:
        defaults = [t.id for t in templates if t.kind == kind and t.default]
        if len(defaults) > 1:
            message = _(
                "more than one default template for %(kind)s: %(templates)s",
                kind=repr(kind),
                templates=", ".join(defaults),
            )
            reader.report(top.line_of("templates"), "C194", message)
    if problems:
        return WorkshopKit(), problems
    return WorkshopKit(tuple(templates), tuple(feedback), tuple(handouts)), problems


def _once(
    reader: NodeReader,
    seen: dict[str, int],
    ident: str,
    line: int,
    named: Callable[[str], Text],
) -> None:
    """Report an id declared before (`named` names the item by its id)."""
    if ident and ident in seen:
        message = _(
            "%(what)s is already declared on line %(line)d", what=named(ident), line=seen[ident]
        )
        reader.report(line, "C185", message)
    seen.setdefault(ident, line)


def _template_named(ident: str) -> Text:
    # Translators: %(id)s is the id of a session template in workshops.yml, in quotes.
    return _("template %(id)s", id=repr(ident)) if ident else _("template")


def _handout_named(ident: str) -> Text:
    # Translators: %(id)s is the id of a handout in workshops.yml, in quotes.
    return _("handout %(id)s", id=repr(ident)) if ident else _("handout")


def _question_named(ident: str) -> Text:
    # Translators: %(id)s is the id of a question of the feedback form, in quotes.
    return _("feedback question %(id)s", id=repr(ident)) if ident else _("feedback question")


def _template(reader: NodeReader, node: yaml.Node, line: int, modules: set[str]) -> SessionTemplate:
    found = reader.fields(node, line, _template_named(""), TEMPLATE_KEYS)
    ident = reader.ident(found, "id", _template_named(""))
    what = _template_named(ident)
    kind = reader.text(found, "kind", what)
    if kind and kind not in KINDS:
        message = _(
            "%(what)s: kind %(kind)s is not one of %(kinds)s",
            what=what,
            kind=repr(kind),
            kinds=", ".join(KINDS),
        )
        reader.report(found.line_of("kind"), "C192", message)
    minutes = reader.number(found, "minutes", what, low=15, high=MAX_MINUTES) or 0
    taught_in = reader.text(found, "taught_in", what) if "taught_in" in found.values else ""
    if taught_in and taught_in not in modules:
        message = _("%(what)s: no module %(module)s", what=what, module=repr(taught_in))
        reader.report(found.line_of("taught_in"), "C193", message)
    blocks = []
    in_block = _("%(template)s block", template=what)
    for block_line, block_node in reader.items(found, "blocks", what):
        block = reader.fields(block_node, block_line, in_block, BLOCK_KEYS)
        title = reader.text(block, "title", in_block)
        length = reader.number(block, "minutes", in_block, low=1, high=MAX_MINUTES) or 0
        notes = reader.text(block, "notes", in_block) if "notes" in block.values else ""
        script = reader.markdown(block, "script", in_block)
        blocks.append(Block(title, length, notes, script))
    total = sum(block.minutes for block in blocks)
    if minutes and blocks and all(b.minutes for b in blocks) and total != minutes:
        message = ngettext(
            "%(what)s: the blocks add up to %(num)d minute, not the %(minutes)d the template lasts",
            "%(what)s: the blocks add up to %(num)d minutes, not the %(minutes)d the template"
            " lasts",
            total,
            what=what,
            minutes=minutes,
        )
        reader.report(found.line_of("blocks"), "C191", message)
    return SessionTemplate(
        id=ident,
        title=reader.text(found, "title", what),
        kind=kind,
        minutes=minutes,
        blocks=tuple(blocks),
        taught_in=taught_in,
        default=reader.flag(found, "default", what),
        materials=_materials(reader, found, what),
    )


def _materials(reader: NodeReader, found: FieldMap, what: str) -> tuple[str, ...]:
    """A template's list of things to bring: each a line of text."""
    items = []
    for item_line, node in reader.items(found, "materials", what):
        value = reader.value(node)
        if not isinstance(value, str) or not value.strip():
            message = _("%(what)s: each of 'materials' must be non-empty text", what=what)
            reader.report(item_line, "C183", message)
        else:
            items.append(" ".join(value.split()))
    return tuple(items)


def _handout(reader: NodeReader, node: yaml.Node, line: int, templates: set[str]) -> Handout:
    found = reader.fields(node, line, _handout_named(""), HANDOUT_KEYS)
    ident = reader.ident(found, "id", _handout_named(""))
    what = _handout_named(ident)
    template = reader.text(found, "template", what) if "template" in found.values else ""
    if template and template not in templates:
        message = _("%(what)s: no template %(template)s", what=what, template=repr(template))
        reader.report(found.line_of("template"), "C193", message)
    return Handout(
        id=ident,
        title=reader.text(found, "title", what),
        body_html=reader.markdown(found, "body", what),
        template=template,
    )


def _question(reader: NodeReader, node: yaml.Node, line: int) -> FeedbackQuestion:
    found = reader.fields(node, line, _question_named(""), QUESTION_KEYS)
    ident = reader.ident(found, "id", _question_named(""))
    what = _question_named(ident)
    scale = reader.number(found, "scale", what, low=2, high=10) or 0
    return FeedbackQuestion(
        id=ident,
        ask=reader.text(found, "ask", what),
        scale=scale,
        required=reader.flag(found, "required", what),
    )
