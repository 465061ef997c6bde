"""Certification programmes declared in `programs.yml`: read, check and build frozen rules.

Pure: the loader passes the file's text and what the course declares (tracks, modules,
quizzes); nothing here reads files, touches a database or knows about requests. Every
problem names the line of the key or item at fault, found through `yaml.compose` nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import yaml
from markdown_it import MarkdownIt

from . import languages as tr
from .draw_rules import expand_minimums
from .markdown import Resolver
from .model import Problem
from .program_reader import FieldMap, NodeReader
from .words import Text, _

if TYPE_CHECKING:
    from .model import Module

PROGRAMS_FILE = "programs.yml"

# Each section's keys: True when required. Anything else is reported as a typo.
PROGRAM_KEYS = {
    "slug": True,
    "title": True,
    "summary": True,
    "track": True,
    "prerequisites": False,
    "required_modules": False,
    "translations": False,
    "exam": False,
    "practicum": True,
    "rubric": True,
    "validity_days": True,
    "expiring_soon_days": True,
    "grace_days": True,
    "renewal": False,
}
EXAM_KEYS = {"quiz": True, "domain_minimums": False}
PRACTICUM_KEYS = {
    "sessions": True,
    "lead": False,
    "co_facilitated": False,
    "lead_beyond_team": False,
    "min_minutes": True,
    "min_participants": True,
    "within_months": False,
    "reflection": True,
    "declaration": False,
}
REFLECTION_KEYS = {"within_days": True, "min_words": True, "max_words": False, "prompts": True}
RENEWAL_KEYS = {
    "window_days": True,
    "sessions": True,
    "lead": False,
    "quiz": False,
    "development_hours": False,
    "reflection": True,
}
RENEWAL_REFLECTION_KEYS = {k: v for k, v in REFLECTION_KEYS.items() if k != "within_days"}
RUBRIC_KEYS = {"levels": True, "criteria": True}
LEVEL_KEYS = {"id": True, "title": True, "passing": True, "description": False}
CRITERION_KEYS = {"id": True, "title": True, "description": True, "levels": False}
PROMPT_KEYS = {"id": True, "text": True}

# The parts of a programme that messages name, after "programme 'slug'" (%(programme)s): its
# sections (practicum:, renewal:, exam:, rubric:, ...) and the items of their lists.
PARTS: dict[str, Callable[[str], Text]] = {
    # Translators: where in programs.yml a problem is, a path read from left to right:
    # %(programme)s is "programme 'slug'", then a section (practicum, renewal, exam, rubric),
    # what is in it (reflection) and an item of its list (prompt, level, criterion).
    # domain_minimums is a YAML key: keep it as it is.
    "practicum": lambda p: _("%(programme)s practicum", programme=p),
    "practicum reflection": lambda p: _("%(programme)s practicum reflection", programme=p),
    "practicum reflection prompt": lambda p: _(
        "%(programme)s practicum reflection prompt", programme=p
    ),
    "renewal": lambda p: _("%(programme)s renewal", programme=p),
    "renewal reflection": lambda p: _("%(programme)s renewal reflection", programme=p),
    "renewal reflection prompt": lambda p: _(
        "%(programme)s renewal reflection prompt", programme=p
    ),
    "exam": lambda p: _("%(programme)s exam", programme=p),
    "exam domain_minimums": lambda p: _("%(programme)s exam domain_minimums", programme=p),
    "rubric": lambda p: _("%(programme)s rubric", programme=p),
    "rubric level": lambda p: _("%(programme)s rubric level", programme=p),
    "rubric criterion": lambda p: _("%(programme)s rubric criterion", programme=p),
    "rubric criterion levels": lambda p: _("%(programme)s rubric criterion levels", programme=p),
}


def _at(what: str, part: str) -> Text:
    """A part of the programme `what`, as messages name it: "programme 'x' practicum"."""
    return PARTS[part](what)


@dataclass(frozen=True)
class RubricLevel:
    """A level an assessor can give a criterion, listed from lowest to highest."""

    id: str
    title: str
    passing: bool
    description_html: str = ""


@dataclass(frozen=True)
class RubricCriterion:
    """One criterion of the rubric; its description is rendered, sanitised Markdown.

    `levels_html` says what an assessor observes at each level for this criterion, by level
    id (empty when the programme gives only the rubric's general level descriptions)."""

    id: str
    title: str
    description_html: str
    levels_html: tuple[tuple[str, str], ...] = ()

    def descriptor(self, level_id: str) -> str:
        """What this criterion looks like at a level (rendered Markdown), or ''."""
        return dict(self.levels_html).get(level_id, "")


@dataclass(frozen=True)
class Rubric:
    """The assessor's rubric: levels (lowest first) and the criteria each gets a level on."""

    levels: tuple[RubricLevel, ...]
    criteria: tuple[RubricCriterion, ...]

    @property
    def passing_levels(self) -> tuple[str, ...]:
        """The ids of the levels that pass a criterion."""
        return tuple(level.id for level in self.levels if level.passing)


@dataclass(frozen=True)
class ExamRule:
    """The final exam: a quiz of the course, and a minimum percentage per question tag."""

    quiz: str
    domain_minimums: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ReflectionPrompt:
    """One guided question of a structured reflection."""

    id: str
    text: str


@dataclass(frozen=True)
class PracticumRule:
    """What the practicum log must show before the portfolio can be submitted."""

    sessions: int  # qualifying sessions needed
    lead: int  # of which as lead facilitator
    co_facilitated: int  # of which as co-facilitator
    lead_beyond_team: int  # lead sessions with stakeholders beyond one team
    min_minutes: int
    min_participants: int
    reflection_within_days: int
    reflection_min_words: int
    reflection_max_words: int | None
    prompts: tuple[ReflectionPrompt, ...]
    within_months: int | None  # all sessions within N months of enrolment
    # What the trainee confirms on submitting the portfolio (rendered Markdown), or "".
    declaration_html: str = ""


@dataclass(frozen=True)
class RenewalRule:
    """What renewing a certificate asks for, and from when it may be submitted."""

    window_days: int  # renewal may be submitted this many days before expiry
    sessions: int
    lead: int  # sessions logged during the validity period
    quiz: str | None  # refresher quiz that must be passed during the window
    reflection_min_words: int
    prompts: tuple[ReflectionPrompt, ...]
    reflection_max_words: int | None = None
    development_hours: int = 0  # continuing development declared during the validity period


@dataclass(frozen=True)
class Program:
    """A certification programme: prerequisites, exam, practicum, rubric, validity, renewal."""

    slug: str
    title: str
    summary: str
    track: str  # track whose learners take it
    prerequisites: tuple[str, ...]  # track slugs to complete before enrolling
    required_modules: tuple[str, ...]  # modules to complete before the portfolio is submitted
    exam: ExamRule | None
    practicum: PracticumRule
    rubric: Rubric
    validity_days: int
    expiring_soon_days: int
    grace_days: int
    renewal: RenewalRule | None
    path: str  # the file, for messages
    line: int = 1  # where the programme starts in the file
    # Per language: the programme's (title, summary), as on certificates in that language.
    translations: Mapping[str, tuple[str, str]] = field(default_factory=dict, compare=False)

    def title_in(self, language: str | None) -> str:
        """The programme's name for readers (and holders) of `language`."""
        return self.translations.get(language or "", (self.title, self.summary))[0]

    def summary_in(self, language: str | None) -> str:
        """The programme's summary for readers of `language`."""
        return self.translations.get(language or "", (self.title, self.summary))[1]


@dataclass(frozen=True)
class CourseFacts:
    """What a programme may refer to: the course's tracks, modules, and each quiz's tags."""

    tracks: frozenset[str]
    modules: frozenset[str]
    quiz_tags: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Per pool quiz, the tags an attempt's draw may leave out entirely.
    may_miss: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, tracks: Iterable[str], modules: Iterable[Module]) -> CourseFacts:
        """The facts of a course being loaded."""
        modules = list(modules)
        quiz_tags, may_miss = {}, {}
        for lesson in (lesson for m in modules for lesson in m.lessons):
            if lesson.quiz is None:
                continue
            tags = frozenset(tag for q in lesson.questions for tag in q.tags)
            quiz_tags[lesson.quiz.id] = tags
            draw = lesson.quiz.draw
            kept = dict(expand_minimums(lesson.quiz.draw_per_tag, tags))  # groups: each tag
            if draw is not None:
                may_miss[lesson.quiz.id] = frozenset(
                    tag
                    for tag in tags
                    if not kept.get(tag)
                    and sum(1 for q in lesson.questions if tag not in q.tags) >= draw
                )
        return cls(frozenset(tracks), frozenset(m.slug for m in modules), quiz_tags, may_miss)


def parse_programs(
    text: str,
    path: str,
    md: MarkdownIt,
    facts: CourseFacts,
    resolve: Resolver | None = None,
) -> tuple[tuple[Program, ...], list[Problem]]:
    """Check the text of programs.yml and build its programmes (none if any is broken)."""
    problems: list[Problem] = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or _("invalid YAML")
        message = _("%(file)s is not valid YAML: %(problem)s", file=PROGRAMS_FILE, problem=problem)
        return (), [Problem(path, line, "C180", message)]
    reader = NodeReader(path, problems, md, resolve)
    items = reader.program_list(root)
    programs: list[Program] = []
    seen: dict[str, int] = {}
    for node in items:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            message = _("each programme is a mapping of keys")
            problems.append(Problem(path, line, "C180", message))
            continue
        before = len(problems)
        program = _program(reader, node, line, facts)
        if program.slug and program.slug in seen:
            message = _(
                "%(what)s is already declared on line %(line)d",
                what=_("programme %(slug)s", slug=repr(program.slug)),
                line=seen[program.slug],
            )
            problems.append(Problem(path, line, "C185", message))
        seen.setdefault(program.slug, line)
        if len(problems) == before:
            programs.append(program)
    return tuple(programs), problems


def _program(reader: NodeReader, node: yaml.MappingNode, line: int, facts: CourseFacts) -> Program:
    """One programme, checked against the course; problems go to the reader."""
    named = [v.value for k, v in node.value if k.value == "slug" and isinstance(v, yaml.ScalarNode)]
    # Translators: %(slug)s is the programme's slug, in quotes.
    what = _("programme %(slug)s", slug=repr(named[0])) if named else _("programme")
    found = reader.fields(node, line, what, PROGRAM_KEYS)
    slug = reader.ident(found, "slug", what)
    track = reader.text(found, "track", what)
    prerequisites = reader.names(found, "prerequisites", what)
    required = reader.names(found, "required_modules", what)
    known_tracks = facts.tracks or {track, *(name for name, _line in prerequisites)}
    if track and track not in known_tracks:
        message = _("%(what)s: unknown track %(track)s", what=what, track=repr(track))
        reader.report(found.line_of("track"), "C186", message)
    for name, line in prerequisites:
        if name not in known_tracks:
            message = _(
                "%(what)s: prerequisite %(name)s is not a track", what=what, name=repr(name)
            )
            reader.report(line, "C186", message)
        elif name == track:
            message = _(
                "%(what)s: its own track %(track)s cannot be a prerequisite for enrolling",
                what=what,
                track=repr(track),
            )
            reader.report(line, "C184", message)
    for name, line in required:
        if name not in facts.modules:
            message = _(
                "%(what)s: required module %(name)s does not exist", what=what, name=repr(name)
            )
            reader.report(line, "C187", message)
    validity = reader.number(found, "validity_days", what)
    soon = reader.number(found, "expiring_soon_days", what, low=0)
    if validity is not None and soon is not None and soon >= validity:
        message = _(
            "%(what)s: 'expiring_soon_days' (%(soon)d) must be less than 'validity_days'",
            what=what,
            soon=soon,
        )
        reader.report(found.line_of("expiring_soon_days"), "C184", message)
    exam = _exam(reader, found, what, facts) if "exam" in found.values else None
    renewal = None
    if "renewal" in found.values:
        renewal_map = reader.section(found, "renewal", _at(what, "renewal"), RENEWAL_KEYS)
        renewal = _renewal(reader, renewal_map, what, facts, validity)
    texts = tr.Texts()
    if "translations" in found.values:
        at, texts_node = found.values["translations"]
        texts = tr.texts_of(yaml.safe_load(yaml.serialize(texts_node)), reader.path, at)
        for problem in texts.problems:
            message = _("%(what)s: %(problem)s", what=what, problem=problem.message)
            reader.report(problem.line, problem.code, message)
    practicum = reader.section(found, "practicum", _at(what, "practicum"), PRACTICUM_KEYS)
    rubric = reader.section(found, "rubric", _at(what, "rubric"), RUBRIC_KEYS)
    return Program(
        slug=slug,
        title=reader.text(found, "title", what),
        summary=reader.text(found, "summary", what),
        track=track,
        prerequisites=tuple(name for name, _line in prerequisites),
        required_modules=tuple(name for name, _line in required),
        exam=exam,
        practicum=_practicum(reader, practicum, what),
        rubric=_rubric(reader, rubric, what),
        validity_days=validity or 0,
        expiring_soon_days=soon or 0,
        grace_days=reader.number(found, "grace_days", what, low=0) or 0,
        renewal=renewal,
        path=reader.path,
        line=found.line,
        translations=texts.found,
    )


def _exam(reader: NodeReader, parent: FieldMap, what: str, facts: CourseFacts) -> ExamRule:
    """The exam quiz must exist, and each domain minimum must name a tag its questions use."""
    where = _at(what, "exam")
    found = reader.section(parent, "exam", where, EXAM_KEYS)
    quiz = reader.text(found, "quiz", where)
    tags = facts.quiz_tags.get(quiz)
    if quiz and tags is None:
        message = _("%(what)s: quiz %(quiz)s does not exist", what=where, quiz=repr(quiz))
        reader.report(found.line_of("quiz"), "C188", message)
    minimums: list[tuple[str, int]] = []
    if "domain_minimums" not in found.values:
        return ExamRule(quiz=quiz, domain_minimums=())
    line, node = found.values["domain_minimums"]
    if not isinstance(node, yaml.MappingNode):
        message = _("%(what)s: 'domain_minimums' must be a mapping of tag: percent", what=where)
        reader.report(line, "C183", message)
        return ExamRule(quiz=quiz, domain_minimums=())
    where = _at(what, "exam domain_minimums")
    for key_node, value_node in node.value:
        tag, line = str(key_node.value), key_node.start_mark.line + 1
        if any(tag == name for name, _percent in minimums):
            message = _("%(what)s: tag %(tag)s appears twice", what=where, tag=repr(tag))
            reader.report(line, "C185", message)
            continue
        percent = reader.number(FieldMap(line, {tag: (line, value_node)}), tag, where, high=100)
        if tags is not None and tag not in tags:
            message = _(
                "%(what)s: no question of quiz %(quiz)s is tagged %(tag)s",
                what=where,
                quiz=repr(quiz),
                tag=repr(tag),
            )
            reader.report(line, "C189", message)
        elif tag in facts.may_miss.get(quiz, frozenset()):
            message = _(
                "%(what)s: an attempt at quiz %(quiz)s may draw no question tagged %(tag)s; "
                "give the tag a count in the quiz's draw_per_tag",
                what=where,
                quiz=repr(quiz),
                tag=repr(tag),
            )
            reader.report(line, "W203", message, "warning")
        minimums.append((tag, percent or 0))
    return ExamRule(quiz=quiz, domain_minimums=tuple(minimums))


def _prompts(
    reader: NodeReader, parent: FieldMap, what: str, section: str
) -> tuple[ReflectionPrompt, ...]:
    """The guided prompts of a `section`'s reflection, with unique ids."""
    where, item = _at(what, f"{section} reflection"), _at(what, f"{section} reflection prompt")
    prompts: list[ReflectionPrompt] = []
    for line, node in reader.items(parent, "prompts", where):
        found = reader.fields(node, line, item, PROMPT_KEYS)
        prompt = ReflectionPrompt(
            id=reader.ident(found, "id", item),
            text=reader.text(found, "text", item),
        )
        if prompt.id and any(p.id == prompt.id for p in prompts):
            message = _("%(what)s: prompt id %(id)s is used twice", what=where, id=repr(prompt.id))
            reader.report(line, "C185", message)
        prompts.append(prompt)
    return tuple(prompts)


def _words(reader: NodeReader, found: FieldMap, where: str) -> tuple[int, int | None]:
    """The minimum and optional maximum length of a reflection, in words."""
    low = reader.number(found, "min_words", where)
    high = reader.number(found, "max_words", where)
    if low is not None and high is not None and low > high:
        message = _(
            "%(what)s: 'min_words' (%(low)d) is more than 'max_words' (%(high)d)",
            what=where,
            low=low,
            high=high,
        )
        reader.report(found.line_of("min_words"), "C184", message)
    return low or 0, high


def _practicum(reader: NodeReader, found: FieldMap, what: str) -> PracticumRule:
    """The practicum: session counts that must add up, and the reflection on each session."""
    where = _at(what, "practicum")
    sessions = reader.number(found, "sessions", where)
    lead = reader.number(found, "lead", where, low=0) or 0
    co_facilitated = reader.number(found, "co_facilitated", where, low=0) or 0
    beyond = reader.number(found, "lead_beyond_team", where, low=0) or 0
    if sessions is not None and lead + co_facilitated > sessions:
        message = _(
            "%(what)s: 'lead' + 'co_facilitated' (%(both)d) is more than 'sessions' (%(sessions)d)",
            what=where,
            both=lead + co_facilitated,
            sessions=sessions,
        )
        reader.report(found.line_of("lead"), "C184", message)
    if beyond > lead:
        message = _(
            "%(what)s: 'lead_beyond_team' (%(beyond)d) is more than 'lead' (%(lead)d)",
            what=where,
            beyond=beyond,
            lead=lead,
        )
        reader.report(found.line_of("lead_beyond_team"), "C184", message)
    in_reflection = _at(what, "practicum reflection")
    reflection = reader.section(found, "reflection", in_reflection, REFLECTION_KEYS)
    low, high = _words(reader, reflection, in_reflection)
    return PracticumRule(
        sessions=sessions or 0,
        lead=lead,
        co_facilitated=co_facilitated,
        lead_beyond_team=beyond,
        min_minutes=reader.number(found, "min_minutes", where) or 0,
        min_participants=reader.number(found, "min_participants", where) or 0,
        reflection_within_days=reader.number(reflection, "within_days", in_reflection) or 0,
        reflection_min_words=low,
        reflection_max_words=high,
        prompts=_prompts(reader, reflection, what, "practicum"),
        within_months=reader.number(found, "within_months", where),
        declaration_html=reader.markdown(found, "declaration", where),
    )


def _renewal(
    reader: NodeReader, found: FieldMap, what: str, facts: CourseFacts, validity: int | None
) -> RenewalRule:
    """Renewal: a window inside the validity period, sessions, a refresher quiz, a reflection."""
    where = _at(what, "renewal")
    window = reader.number(found, "window_days", where)
    if window is not None and validity is not None and window > validity:
        message = _(
            "%(what)s: 'window_days' (%(window)d) is longer than 'validity_days' (%(validity)d)",
            what=where,
            window=window,
            validity=validity,
        )
        reader.report(found.line_of("window_days"), "C184", message)
    sessions = reader.number(found, "sessions", where, low=0)
    lead = reader.number(found, "lead", where, low=0) or 0
    if sessions is not None and lead > sessions:
        message = _(
            "%(what)s: 'lead' (%(lead)d) is more than 'sessions' (%(sessions)d)",
            what=where,
            lead=lead,
            sessions=sessions,
        )
        reader.report(found.line_of("lead"), "C184", message)
    quiz = reader.text(found, "quiz", where) or None
    if quiz is not None and quiz not in facts.quiz_tags:
        message = _("%(what)s: quiz %(quiz)s does not exist", what=where, quiz=repr(quiz))
        reader.report(found.line_of("quiz"), "C188", message)
    in_reflection = _at(what, "renewal reflection")
    reflection = reader.section(found, "reflection", in_reflection, RENEWAL_REFLECTION_KEYS)
    low, high = _words(reader, reflection, in_reflection)
    return RenewalRule(
        window_days=window or 0,
        sessions=sessions or 0,
        lead=lead,
        quiz=quiz,
        reflection_min_words=low,
        prompts=_prompts(reader, reflection, what, "renewal"),
        reflection_max_words=high,
        development_hours=reader.number(found, "development_hours", where, low=0) or 0,
    )


def _rubric(reader: NodeReader, found: FieldMap, what: str) -> Rubric:
    """Levels from lowest to highest, with the passing ones last, and the criteria."""
    where, at_level = _at(what, "rubric"), _at(what, "rubric level")
    levels: list[RubricLevel] = []
    before = len(reader.problems)
    for line, node in reader.items(found, "levels", where):
        item = reader.fields(node, line, at_level, LEVEL_KEYS)
        level = RubricLevel(
            id=reader.ident(item, "id", at_level),
            title=reader.text(item, "title", at_level),
            passing=reader.flag(item, "passing", at_level),
            description_html=reader.markdown(item, "description", at_level),
        )
        if level.id and any(other.id == level.id for other in levels):
            message = _("%(what)s: level id %(id)s is used twice", what=where, id=repr(level.id))
            reader.report(line, "C185", message)
        # A level with a problem would only make the passing checks below guess.
        if len(reader.problems) == before and levels and levels[-1].passing and not level.passing:
            message = _(
                "%(what)s: level %(level)s does not pass but follows a passing level"
                " (list levels from lowest to highest)",
                what=where,
                level=repr(level.id),
            )
            reader.report(line, "C190", message)
        levels.append(level)
    if len(reader.problems) == before and levels and not any(lv.passing for lv in levels):
        message = _(
            "%(what)s: no level passes; mark at least one level 'passing: true'", what=where
        )
        reader.report(found.line_of("levels"), "C190", message)
    at_criterion = _at(what, "rubric criterion")
    criteria: list[RubricCriterion] = []
    for line, node in reader.items(found, "criteria", where):
        item = reader.fields(node, line, at_criterion, CRITERION_KEYS)
        criterion = RubricCriterion(
            id=reader.ident(item, "id", at_criterion),
            title=reader.text(item, "title", at_criterion),
            description_html=reader.markdown(item, "description", at_criterion),
            levels_html=_descriptors(reader, item, _at(what, "rubric criterion levels"), levels),
        )
        if criterion.id and any(other.id == criterion.id for other in criteria):
            message = _(
                "%(what)s: criterion id %(id)s is used twice", what=where, id=repr(criterion.id)
            )
            reader.report(line, "C185", message)
        criteria.append(criterion)
    return Rubric(levels=tuple(levels), criteria=tuple(criteria))


def _descriptors(
    reader: NodeReader, item: FieldMap, where: str, levels: list[RubricLevel]
) -> tuple[tuple[str, str], ...]:
    """A criterion's `levels` (`where` names them): what each level of the rubric looks like
    for it. When given, every level needs one (an assessor choosing a level without a
    descriptor would guess)."""
    if "levels" not in item.values:
        return ()
    line, node = item.values["levels"]
    ids = {level.id: True for level in levels if level.id}
    found = reader.fields(node, line, where, ids)
    return tuple(
        (level_id, reader.markdown(found, level_id, where))
        for level_id in ids
        if level_id in found.values
    )
