"""YAML front matter: split it from the body and check it against a small schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from .model import Problem
from .words import Text, _

# A check of one front matter value: what is wrong with the value of `key` (a sentence that
# names the key), or None when it is fine.
Check = Callable[[Any, str], Text | None]


@dataclass
class FrontMatter:
    """Parsed front matter, the line of each key, and where the body starts."""

    data: dict[str, Any]
    lines: dict[str, int]
    body: str
    body_line: int
    problems: list[Problem] = field(default_factory=list)

    def line(self, key: str) -> int:
        """The file line of a key, or 1 when the key is absent."""
        return self.lines.get(key, 1)


def split(text: str, path: str, *, required: bool) -> FrontMatter:
    """Split `---` delimited YAML from the Markdown body, parsing it safely."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        fm = FrontMatter({}, {}, text, 1)
        if required:
            message = _("front matter missing: start with '---'")
            fm.problems.append(Problem(path, 1, "C101", message))
        return fm
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        fm = FrontMatter({}, {}, "", 1)
        fm.problems.append(Problem(path, 1, "C101", _("front matter is not closed by '---'")))
        return fm
    yaml_text = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :])
    try:
        node = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + (mark.line if mark else 0)
        problem = getattr(exc, "problem", None) or _("invalid YAML")
        fm = FrontMatter({}, {}, body, end + 2)
        message = _("front matter is not valid YAML: %(problem)s", problem=problem)
        fm.problems.append(Problem(path, line, "C101", message))
        return fm
    if data is None:
        data = {}
    if not isinstance(data, dict):
        fm = FrontMatter({}, {}, body, end + 2)
        message = _("front matter must be a mapping of keys")
        fm.problems.append(Problem(path, 2, "C101", message))
        return fm
    fm = FrontMatter(data, {}, body, end + 2)
    if isinstance(node, yaml.MappingNode):
        for key, _value in node.value:
            name, line = str(key.value), key.start_mark.line + 2
            if name in fm.lines:  # YAML would silently keep only the last value
                message = _("key '%(key)s' appears twice", key=name)
                fm.problems.append(Problem(path, line, "C101", message))
            fm.lines[name] = line
    return fm


def text(value: Any, key: str = "") -> Text | None:
    """A non-empty string."""
    if isinstance(value, str) and value.strip():
        return None
    return _("'%(key)s' must be non-empty text", key=key)


def positive_int(value: Any, key: str = "") -> Text | None:
    """A whole number above zero."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return None if ok else _("'%(key)s' must be a whole number above zero", key=key)


def integer(value: Any, key: str = "") -> Text | None:
    """A whole number."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    return None if ok else _("'%(key)s' must be a whole number", key=key)


def boolean(value: Any, key: str = "") -> Text | None:
    """true or false."""
    return None if isinstance(value, bool) else _("'%(key)s' must be true or false", key=key)


def text_list(value: Any, key: str = "") -> Text | None:
    """A list of strings (an empty list is fine)."""
    ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
    return None if ok else _("'%(key)s' must be a list of names, for example [a, b]", key=key)


def anything(value: Any, key: str = "") -> None:
    """Any value (one checked elsewhere)."""
    return None


def validate(
    fm: FrontMatter,
    path: str,
    required: Mapping[str, Check],
    optional: Mapping[str, Check],
) -> list[Problem]:
    """Check required and optional keys; unknown keys are errors (they are usually typos)."""
    problems = []
    for key in required:
        if key not in fm.data:
            problems.append(Problem(path, 1, "C102", _("front matter needs '%(key)s'", key=key)))
    for key, value in fm.data.items():
        check = required.get(key) or optional.get(key)
        if check is None:
            known = ", ".join(sorted([*required, *optional]))
            message = _(
                "unknown front matter key '%(key)s' (known: %(known)s)", key=key, known=known
            )
            problems.append(Problem(path, fm.line(key), "C102", message))
            continue
        error = check(value, key)
        if error:
            problems.append(Problem(path, fm.line(key), "C102", error))
    return problems
