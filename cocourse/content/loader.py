"""Find the content files, check them, render them once, and build the immutable course."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from markdown_it import MarkdownIt

from ..questions import builtin_types
from ..questions.base import Question, QuestionType
from . import frontmatter as fmt
from . import item_quality, lint
from . import languages as tr
from .markdown import (
    SCHEME,
    Rendered,
    is_allowed_url,
    make_markdown,
    render,
    standard_extensions,
)
from .model import Course, Lesson, Module, Problem, Prose, Track
from .program import PROGRAMS_FILE, CourseFacts, Program, parse_programs
from .quiz import parse_quiz_settings
from .words import Text, _
from .workshop_kit import KINDS, KIT_FILE, WorkshopKit, parse_kit

TRACKS_FILE = "tracks.yml"
MODULE_FILE = "module.md"
MAX_FILE_BYTES = 1_000_000
# A file whose rendering takes longer than this is reported (C106): it would make every
# reload slow, and it is almost always a pathological document or a slow plugin.
MAX_RENDER_SECONDS = 2.0
# Packages whose stack frames are the renderer itself, not a plugin's code.
_RENDERER_PACKAGES = ("markdown_it", "mdit_py_plugins", "cocourse.content", "pygments")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ORDER_PREFIX = re.compile(r"^(\d+)[-_]")
RESERVED_LESSON_SLUGS = frozenset({"files"})  # /modules/<slug>/files/... serves module files
ASSET_TYPES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".pdf", ".txt", ".csv", ".mp3", ".mp4"}
)
MODULE_REQUIRED = {
    "title": fmt.text,
    "track": fmt.text,
    "order": fmt.integer,
    "summary": fmt.text,
    "estimated_minutes": fmt.positive_int,
}
MODULE_OPTIONAL = {"prerequisites": fmt.text_list, "audience": fmt.text_list}
# quiz: checked by quiz.py
LESSON_OPTIONAL = {"title": fmt.text, "optional": fmt.boolean, "quiz": fmt.anything}
TRACK_REQUIRED = {"slug": fmt.text, "title": fmt.text, "summary": fmt.text}
# requires_workshop: checked against the workshop kinds by _read_tracks (C151)
TRACK_OPTIONAL = {
    "prerequisites": fmt.text_list,
    "requires_workshop": fmt.anything,
    "translations": fmt.anything,  # checked by languages.texts_of
}


@dataclass(frozen=True)
class LoadResult:
    """The course (None when there are errors) and every problem found."""

    course: Course | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Problems that stop the course from being served."""
        return tuple(p for p in self.problems if p.severity == "error")


@dataclass
class _Source:
    """One Markdown file read from disk, before rendering."""

    slug: str
    file: Path
    shown: str
    fm: fmt.FrontMatter
    digest: str


@dataclass
class _ModuleDraft:
    """A module folder read from disk, before rendering."""

    slug: str
    folder: Path
    header: _Source
    lessons: list[_Source] = field(default_factory=list)
    # Original file name -> language -> the translation's source.
    translations: dict[str, dict[str, _Source]] = field(default_factory=dict)


def lesson_url(module: str, lesson: str) -> str:
    """The site path of a lesson (matches the learn blueprint's routes)."""
    return f"/modules/{module}/{lesson}"


def module_url(module: str) -> str:
    """The site path of a module page."""
    return f"/modules/{module}"


def file_url(module: str, relative: str) -> str:
    """The site path of a file inside a module folder."""
    return f"/modules/{module}/files/{relative}"


def default_markdown() -> MarkdownIt:
    """The parser with the standard extensions, for use without a plugin manager."""
    return make_markdown([standard_extensions])


def load_course(
    root: str | os.PathLike[str],
    md: MarkdownIt | None = None,
    question_types: Mapping[str, QuestionType] | None = None,
) -> LoadResult:
    """Read, check and render every file under `root` into a Course."""
    base = Path(root)
    md = md or default_markdown()
    types = builtin_types() if question_types is None else question_types
    problems: list[Problem] = []
    if not base.is_dir():
        message = _("content folder not found")
        return LoadResult(None, (Problem(str(base), 1, "C100", message),))
    _check_files(base, problems)
    tracks = _read_tracks(base, problems)
    drafts = _read_modules(base, problems)
    lint.check_graph(tracks, drafts, problems)
    links = _LinkIndex(drafts)
    notes = item_quality.Allowances()
    watched = notes.watch(types)  # the types as they are, noting each question's `allow:`
    modules = [_render_module(d, links, md, watched, problems) for d in drafts.values()]
    lint.check_quizzes(modules, problems)
    _check_items(drafts, tracks, modules, types, notes, problems)
    programs = _read_programs(base, md, [t["slug"] for t in tracks], modules, links, problems)
    kit = _read_kit(base, md, modules, problems)
    problems.sort(key=lambda p: (p.path, p.line, p.code))
    if any(p.severity == "error" for p in problems):
        return LoadResult(None, tuple(problems))
    course = Course(
        tracks=tuple(
            Track(
                slug=t["slug"],
                title=t["title"],
                summary=t["summary"],
                prerequisites=tuple(t.get("prerequisites", [])),
                modules=tuple(
                    sorted((m for m in modules if m.track == t["slug"]), key=lambda m: m.order)
                ),
                requires_workshop=t.get("requires_workshop"),
                translations=t["translations"],
            )
            for t in tracks
        ),
        root=str(base),
        warnings=tuple(p for p in problems if p.severity == "warning"),
        programs=programs,
        kit=kit,
    )
    return LoadResult(course, tuple(problems))


def _check_items(
    drafts: Mapping[str, _ModuleDraft],
    tracks: list[dict[str, Any]],
    modules: list[Module],
    types: Mapping[str, QuestionType],
    notes: item_quality.Allowances,
    problems: list[Problem],
) -> None:
    """Item-quality warnings (W210-W215) that no question's or quiz's `allow:` silences."""
    for source in (source for draft in drafts.values() for source in draft.lessons):
        settings = source.fm.data.get("quiz")
        if isinstance(settings, dict):
            notes.note_quiz(source.shown, source.fm.line("quiz"), settings)
    rank = {track["slug"]: i for i, track in enumerate(tracks)}
    in_order = sorted(modules, key=lambda m: (rank.get(m.track, len(rank)), m.order, m.slug))
    problems.extend(item_quality.check_course(in_order, types, notes))


def _check_files(base: Path, problems: list[Problem]) -> None:
    """Report links, hard links and special files anywhere under the content folder (C104).

    Such a file could make the course show or serve something from outside the folder
    (a link to the server's secret key), so the course is refused until they are gone.
    Nothing is followed: a linked folder is reported, not entered.
    """
    for folder, dirs, files in os.walk(base, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in [*dirs, *sorted(files)]:
            entry = Path(folder) / name
            try:
                info = entry.lstat()
            except OSError:
                continue
            message = _unsafe_kind(info)
            if message is not None:
                problems.append(Problem(str(entry), 1, "C104", message))


def _unsafe_kind(info: os.stat_result) -> Text | None:
    """What is wrong with a file (a symbolic link, hard link, FIFO, ...) and what to do about
    it, if anything."""
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        return _(
            "a symbolic link is not allowed in the content folder: "
            "copy the file it points to into the folder instead"
        )
    if stat.S_ISDIR(mode):
        return None
    if stat.S_ISREG(mode):
        if info.st_nlink > 1:
            return _(
                "a hard-linked file is not allowed in the content folder: "
                "replace it with a copy of the file (cp, not ln)"
            )
        return None
    if stat.S_ISFIFO(mode):
        return _("a FIFO (named pipe) is not allowed in the content folder: remove it")
    if stat.S_ISSOCK(mode):
        return _("a socket is not allowed in the content folder: remove it")
    return _("a device file is not allowed in the content folder: remove it")


def _plain_file(file: Path) -> bool:
    """A regular file that is not a symbolic link (links are never followed)."""
    try:
        return stat.S_ISREG(file.lstat().st_mode)
    except OSError:
        return False


def _read_text(file: Path, shown: str, problems: list[Problem]) -> str | None:
    """Read a UTF-8 file, reporting size and encoding problems with the offending line."""
    if not _plain_file(file):  # a link or special file: C104 is reported for it
        return None
    with open(file, "rb", opener=_open_no_follow) as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        message = _("file is larger than %(size)d bytes", size=MAX_FILE_BYTES)
        problems.append(Problem(shown, 1, "C103", message))
        return None
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = _("file is not UTF-8 text; save it as UTF-8")
        problems.append(Problem(shown, line, "C100", message))
        return None


def _read_tracks(base: Path, problems: list[Problem]) -> list[dict[str, Any]]:
    """Read tracks.yml: the tracks, in order, with titles, summaries, prerequisites and the
    workshop each one may require."""
    file = base / TRACKS_FILE
    shown = str(file)
    if not file.is_file() and not file.is_symlink():
        problems.append(Problem(shown, 1, "C150", _("tracks.yml is missing: declare the tracks")))
        return []
    text = _read_text(file, shown, problems)
    if text is None:
        return []
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problems.append(
            Problem(shown, line, "C150", _("not valid YAML: %(error)s", error=str(exc)))
        )
        return []
    items = data.get("tracks") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        problems.append(Problem(shown, 1, "C150", _("needs a non-empty 'tracks:' list")))
        return []
    assert isinstance(node, yaml.MappingNode)  # data is a dict, so the node is a mapping
    item_nodes = next(v.value for k, v in node.value if k.value == "tracks")
    tracks, seen = [], set()
    for item, item_node in zip(items, item_nodes, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            problems.append(Problem(shown, line, "C150", _("each track is a mapping of keys")))
            continue
        lines = {str(k.value): k.start_mark.line + 1 for k, _value in item_node.value}
        fm = fmt.FrontMatter(item, lines, "", line)
        found = fmt.validate(fm, shown, TRACK_REQUIRED, TRACK_OPTIONAL)
        problems.extend(
            Problem(p.path, p.line if p.line > 1 else line, p.code, p.message) for p in found
        )
        if found:
            continue
        if "requires_workshop" in item and item["requires_workshop"] not in KINDS:
            message = _(
                "'requires_workshop' must be one of %(kinds)s, not %(value)r",
                kinds=", ".join(KINDS),
                value=item["requires_workshop"],
            )
            problems.append(Problem(shown, fm.line("requires_workshop"), "C151", message))
        texts = tr.texts_of(item.get("translations"), shown, fm.line("translations"))
        problems.extend(texts.problems)
        item["translations"] = texts.found
        if not SLUG.match(item["slug"]):
            message = _("invalid track slug %(slug)r", slug=item["slug"])
            problems.append(Problem(shown, line, "C111", message))
        elif item["slug"] in seen:
            message = _("duplicate track %(slug)r", slug=item["slug"])
            problems.append(Problem(shown, line, "C110", message))
        else:
            seen.add(item["slug"])
            tracks.append({**item, "path": shown, "line": line})
    return tracks


def _read_programs(
    base: Path,
    md: MarkdownIt,
    tracks: list[str],
    modules: list[Module],
    links: _LinkIndex,
    problems: list[Problem],
) -> tuple[Program, ...]:
    """Read programs.yml, if there is one: the certification programmes and their rules."""
    file = base / PROGRAMS_FILE
    if not _plain_file(file):
        return ()
    shown = str(file)
    text = _read_text(file, shown, problems)
    if text is None:
        return ()
    _check_schemes(text, shown, problems)
    facts = CourseFacts.of(tracks, modules)
    try:
        programs, found = parse_programs(text, shown, md, facts, links.resolver_at(file))
    except Exception as exc:  # a Markdown plugin failed on a description
        problems.append(_plugin_failed(shown, exc))
        return ()
    problems.extend(found)
    return programs


def _read_kit(
    base: Path, md: MarkdownIt, modules: list[Module], problems: list[Problem]
) -> WorkshopKit:
    """Read workshops.yml, if there is one: session templates and the feedback form."""
    file = base / KIT_FILE
    if not _plain_file(file):
        return WorkshopKit()
    shown = str(file)
    text = _read_text(file, shown, problems)
    if text is None:
        return WorkshopKit()
    kit, found = parse_kit(text, shown, md, [module.slug for module in modules])
    problems.extend(found)
    return kit


def _read_source(
    file: Path, slug: str, problems: list[Problem], *, header: bool, translation: bool = False
) -> _Source | None:
    """Read one Markdown file and check its front matter."""
    shown = str(file)
    text = _read_text(file, shown, problems)
    if text is None:
        return None
    fm = fmt.split(text, shown, required=header)
    problems.extend(fm.problems)
    if not fm.problems:  # broken YAML: schema messages would only repeat that
        required, optional = (MODULE_REQUIRED, MODULE_OPTIONAL) if header else ({}, LESSON_OPTIONAL)
        if translation:
            optional = {**optional, tr.DIGEST_KEY: fmt.text}
        problems.extend(fmt.validate(fm, shown, required, optional))
    _check_schemes(text, shown, problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _Source(slug, file, shown, fm, digest)


def _check_schemes(text: str, shown: str, problems: list[Problem]) -> None:
    """Links with schemes other than http, https and mailto are not rendered: say so."""
    for number, line in enumerate(text.split("\n"), start=1):
        for target in re.findall(r"\]\(\s*<?([^)\s>]+)", line):
            scheme = SCHEME.match(target)
            if scheme and not is_allowed_url(target):
                message = _(
                    "link scheme %(scheme)r is not allowed (use http, https or mailto)",
                    scheme=scheme.group(1),
                )
                problems.append(Problem(shown, number, "C133", message))


def _read_modules(base: Path, problems: list[Problem]) -> dict[str, _ModuleDraft]:
    """Read every module folder: module.md and its lesson files, in file-name order."""
    drafts: dict[str, _ModuleDraft] = {}
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink()):
        if folder.name.startswith((".", "_")):
            continue
        slug = folder.name
        if not SLUG.match(slug):
            message = _(
                "module folder %(slug)r is not a valid slug (lowercase, digits, dashes)", slug=slug
            )
            problems.append(Problem(str(folder), 1, "C111", message))
            continue
        if not _plain_file(folder / MODULE_FILE):
            if (folder / MODULE_FILE).is_symlink():
                continue  # C104
            message = _("module.md is missing")
            problems.append(Problem(str(folder / MODULE_FILE), 1, "C101", message))
            continue
        header = _read_source(folder / MODULE_FILE, slug, problems, header=True)
        if header is None:
            continue
        draft = _ModuleDraft(slug, folder, header)
        for file in sorted(folder.glob("*.md")):
            if file.name == MODULE_FILE or not _plain_file(file):
                continue  # a link or special file: C104
            if (named := tr.split_name(file.name)) is not None:
                _read_translation(draft, file, *named, problems)
                continue
            lesson_slug = ORDER_PREFIX.sub("", file.stem)
            if not SLUG.match(lesson_slug) or lesson_slug in RESERVED_LESSON_SLUGS:
                message = _(
                    "lesson file name gives the invalid or reserved slug %(slug)r", slug=lesson_slug
                )
                problems.append(Problem(str(file), 1, "C111", message))
                continue
            if any(s.slug == lesson_slug for s in draft.lessons):
                message = _(
                    "duplicate lesson slug %(slug)r in module %(module)r",
                    slug=lesson_slug,
                    module=slug,
                )
                problems.append(Problem(str(file), 1, "C110", message))
                continue
            source = _read_source(file, lesson_slug, problems, header=False)
            if source is not None:
                draft.lessons.append(source)
        if not draft.lessons:
            problems.append(Problem(header.shown, 1, "C141", _("module has no lessons")))
        drafts[slug] = draft
    return drafts


def _read_translation(
    draft: _ModuleDraft, file: Path, original: str, language: str, problems: list[Problem]
) -> None:
    """Keep `file`, a translation of `original` into `language`, with its module."""
    if language not in tr.LANGUAGES:
        problems.append(tr.unknown_language(str(file), language))
        return
    if not _plain_file(draft.folder / original):
        message = _("a translation of %(file)s, which is not in the module", file=original)
        problems.append(Problem(str(file), 1, "C196", message))
        return
    header = original == MODULE_FILE
    source = _read_source(file, draft.slug, problems, header=header, translation=True)
    if source is not None:
        draft.translations.setdefault(original, {})[language] = source


def _open_no_follow(path: str, flags: int) -> int:
    """Open without following a link that replaced the file since it was checked."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


class _LinkIndex:
    """Every linkable file of the course, built once per load."""

    def __init__(self, drafts: dict[str, _ModuleDraft]) -> None:
        self.pages: dict[Path, str] = {}
        self.folders: dict[Path, str] = {}
        for draft in drafts.values():
            folder = draft.folder.resolve()
            self.folders[folder] = draft.slug
            self.pages[folder / MODULE_FILE] = module_url(draft.slug)
            for lesson in draft.lessons:
                self.pages[folder / lesson.file.name] = lesson_url(draft.slug, lesson.slug)

    def resolver(self, source: _Source) -> Any:
        """A function mapping relative targets in `source` to site paths (None: broken)."""
        return self.resolver_at(source.file)

    def resolver_at(self, file: Path) -> Any:
        """A function mapping targets relative to `file` to site paths (None: broken)."""
        here = file.resolve().parent

        def resolve(url: str, attr: str, _line: int) -> str | None:
            parts = urlsplit(url)
            if not parts.path:
                return url
            target = Path(os.path.normpath(here / unquote(parts.path)))
            suffix = f"#{parts.fragment}" if parts.fragment else ""
            if attr == "href" and target in self.pages:
                return self.pages[target] + suffix
            return self._file(target, suffix)

        return resolve

    def _file(self, target: Path, suffix: str) -> str | None:
        """The URL of an asset inside some module folder, if it exists and may be served."""
        folder = next((f for f in target.parents if f in self.folders), None)
        if folder is None or target.suffix.lower() not in ASSET_TYPES or not target.is_file():
            return None
        return file_url(self.folders[folder], target.relative_to(folder).as_posix()) + suffix


def _render_source(
    md: MarkdownIt, source: _Source, links: _LinkIndex, problems: list[Problem], **options: Any
) -> Rendered:
    """Render one file's body, collecting its problems.

    A plugin that raises is reported (C105) instead of breaking the load, and a file that
    takes longer than MAX_RENDER_SECONDS to render is reported (C106).
    """
    started = time.perf_counter()
    try:
        out = render(
            md,
            source.fm.body,
            path=source.shown,
            first_line=source.fm.body_line,
            resolve=links.resolver(source),
            **options,
        )
    except Exception as exc:
        problems.append(_plugin_failed(source.shown, exc))
        return Rendered("", None, (), 0)
    took = time.perf_counter() - started
    if took > MAX_RENDER_SECONDS:
        message = _(
            "rendering took %(took).1f s (the budget is %(budget)g s per file): "
            "split the file, or check the Markdown plugins",
            took=took,
            budget=MAX_RENDER_SECONDS,
        )
        problems.append(Problem(source.shown, 1, "C106", message))
    problems.extend(out.problems)
    return out


def _plugin_failed(shown: str, exc: Exception) -> Problem:
    """A C105 problem naming the file and the code (plugin) that raised while rendering it."""
    frames = traceback.extract_tb(exc.__traceback__)
    culprit = next((f for f in frames if not _renderer_frame(f.filename)), None)
    error, detail = type(exc).__name__, str(exc)
    if culprit is None:
        message = _(
            "rendering failed in the Markdown renderer: %(error)s: %(detail)s",
            error=error,
            detail=detail,
        )
    else:
        plugin = f"{_module_of(culprit.filename)}.{culprit.name}"
        where = f"{culprit.filename}:{culprit.lineno}"
        message = _(
            "rendering failed in Markdown plugin %(plugin)s (%(where)s): %(error)s: %(detail)s",
            plugin=plugin,
            where=where,
            error=error,
            detail=detail,
        )
    return Problem(shown, 1, "C105", message)


def _module_of(filename: str) -> str:
    """The dotted name of the module loaded from `filename` (or the file's stem)."""
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == filename:
            return name
    return Path(filename).stem


def _renderer_frame(filename: str) -> bool:
    """Whether a stack frame belongs to the renderer (loader, markdown-it, ...)."""
    module = _module_of(filename)
    return module.startswith(_RENDERER_PACKAGES)


def _render_lesson(
    md: MarkdownIt,
    source: _Source,
    links: _LinkIndex,
    types: Mapping[str, QuestionType],
    problems: list[Problem],
) -> Lesson:
    """Render a lesson file; its title comes from front matter or its leading heading."""
    take_title = "title" not in source.fm.data
    out = _render_source(md, source, links, problems, take_title=take_title, question_types=types)
    quiz = None
    if "quiz" in source.fm.data:
        quiz, found = parse_quiz_settings(
            source.fm.data["quiz"], source.shown, source.fm.line("quiz")
        )
        problems.extend(found)
    elif out.questions:
        message = _(
            "questions need a quiz: add 'quiz:' settings (at least an id) to the front matter"
        )
        problems.append(Problem(source.shown, 1, "C164", message))
    title = source.fm.data.get("title") or out.title
    # When rendering failed (C105), "no title" or "empty" would only repeat that.
    failed = any(p.code == "C105" and p.path == source.shown for p in problems)
    if not title and not failed:
        message = _("lesson has no title: add 'title:' front matter or start with '# Title'")
        problems.append(Problem(source.shown, 1, "C142", message))
    if not out.html.strip() and not failed:
        problems.append(Problem(source.shown, 1, "C140", _("lesson is empty")))
    return Lesson(
        slug=source.slug,
        title=str(title or source.slug),
        path=source.shown,
        parts=out.parts,
        headings=out.headings,
        words=out.words,
        content_hash=source.digest,
        quiz=quiz,
        optional=source.fm.data.get("optional") is True,
    )


def _render_module(
    draft: _ModuleDraft,
    links: _LinkIndex,
    md: MarkdownIt,
    types: Mapping[str, QuestionType],
    problems: list[Problem],
) -> Module:
    """Render module.md's body and every lesson into frozen objects."""
    header = draft.header
    intro = _render_source(md, header, links, problems)
    lessons = [
        _with_translations(
            _render_lesson(md, source, links, types, problems),
            source,
            draft,
            md,
            links,
            types,
            problems,
        )
        for source in draft.lessons
    ]
    data = header.fm.data
    digest = hashlib.sha256("".join([header.digest, *(s.digest for s in draft.lessons)]).encode())
    module = Module(
        slug=draft.slug,
        title=str(data.get("title", draft.slug)),
        track=str(data.get("track", "")),
        order=int(data.get("order", 0)) if isinstance(data.get("order"), int) else 0,
        summary=str(data.get("summary", "")),
        estimated_minutes=data.get("estimated_minutes") or 1,
        prerequisites=tuple(data.get("prerequisites") or ()),
        audience=tuple(data.get("audience") or ()),
        intro_html=intro.html,
        lessons=tuple(lessons),
        path=header.shown,
        content_hash=digest.hexdigest(),
    )
    return _translated_module(module, draft, md, links, problems)


def _check_translation(original: _Source, translation: _Source, problems: list[Problem]) -> None:
    """Front matter, links and currency of one translation against its original."""
    shown, data = translation.shown, translation.fm.data
    problems.extend(tr.compare_front_matter(original.fm.data, data, shown, translation.fm.line))
    body, first = translation.fm.body, translation.fm.body_line
    problems.extend(tr.compare_links(original.fm.body, body, shown, first))
    line = translation.fm.line(tr.DIGEST_KEY) if tr.DIGEST_KEY in data else 1
    recorded = data.get(tr.DIGEST_KEY)
    problems.extend(tr.check_current(original.file.name, original.digest, recorded, shown, line))


def _with_translations(
    lesson: Lesson,
    source: _Source,
    draft: _ModuleDraft,
    md: MarkdownIt,
    links: _LinkIndex,
    types: Mapping[str, QuestionType],
    problems: list[Problem],
) -> Lesson:
    """`lesson` with its translations rendered and checked against it."""
    found = {}
    versions = {question.id: question.source_hash for question in lesson.questions}
    for language, translation in sorted(draft.translations.get(source.file.name, {}).items()):
        rendered = _render_lesson(md, translation, links, types, problems)
        problems.extend(tr.compare_lesson(lesson, rendered, translation.shown))
        _check_translation(source, translation, problems)
        found[language] = replace(
            rendered,
            slug=lesson.slug,
            language=language,
            path=translation.shown,
            # The same lesson and question versions as the original: records of attempts
            # in every language count together (item analysis, regrades, completion).
            content_hash=lesson.content_hash,
            parts=tuple(_same_version(part, versions) for part in rendered.parts),
        )
    return replace(lesson, translations=found) if found else lesson


def _same_version(part: Prose | Question, versions: Mapping[str, str]) -> Prose | Question:
    """A translated question carrying its original's version (`versions`: id -> source hash)."""
    if part.kind != "question":
        return part
    question: Question = part  # type: ignore[assignment]
    return replace(question, source_hash=versions.get(question.id, question.source_hash))


def _translated_module(
    module: Module, draft: _ModuleDraft, md: MarkdownIt, links: _LinkIndex, problems: list[Problem]
) -> Module:
    """`module` with, per language, its translated text and lessons; W220 for what is missing."""
    present = {name: set(found) for name, found in draft.translations.items()}
    files = [(MODULE_FILE, draft.header.shown)] + [(s.file.name, s.shown) for s in draft.lessons]
    problems.extend(tr.missing(files, present))
    per_language = {}
    for language in sorted({lang for found in present.values() for lang in found}):
        header = draft.translations.get(MODULE_FILE, {}).get(language)
        lessons = tuple(lesson.in_language(language) for lesson in module.lessons)
        if header is None:
            per_language[language] = replace(module, lessons=lessons)
            continue
        _check_translation(draft.header, header, problems)
        intro = _render_source(md, header, links, problems)
        per_language[language] = replace(
            module,
            title=str(header.fm.data.get("title", module.title)),
            summary=str(header.fm.data.get("summary", module.summary)),
            intro_html=intro.html,
            lessons=lessons,
            language=language,
        )
    return replace(module, translations=per_language) if per_language else module
