"""YAML front matter: split it from the body and check it against a small schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from .model import Problem

Check = Callable[[Any], str | None]


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
            fm.problems.append(Problem(path, 1, "C101", "front matter missing: start with '---'"))
        return fm
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        fm = FrontMatter({}, {}, "", 1)
        fm.problems.append(Problem(path, 1, "C101", "front matter is not closed by '---'"))
        return fm
    yaml_text = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :])
    try:
        node = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + (mark.line if mark else 0)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        fm = FrontMatter({}, {}, body, end + 2)
        fm.problems.append(
            Problem(path, line, "C101", f"front matter is not valid YAML: {problem}")
        )
        return fm
    if data is None:
        data = {}
    if not isinstance(data, dict):
        fm = FrontMatter({}, {}, body, end + 2)
        fm.problems.append(Problem(path, 2, "C101", "front matter must be a mapping of keys"))
        return fm
    fm = FrontMatter(data, {}, body, end + 2)
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            name, line = str(key.value), key.start_mark.line + 2
            if name in fm.lines:  # YAML would silently keep only the last value
                fm.problems.append(Problem(path, line, "C101", f"key '{name}' appears twice"))
            fm.lines[name] = line
    return fm


def text(value: Any) -> str | None:
    """A non-empty string."""
    return None if isinstance(value, str) and value.strip() else "must be non-empty text"


def positive_int(value: Any) -> str | None:
    """A whole number above zero."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return None if ok else "must be a whole number above zero"


def integer(value: Any) -> str | None:
    """A whole number."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    return None if ok else "must be a whole number"


def boolean(value: Any) -> str | None:
    """true or false."""
    return None if isinstance(value, bool) else "must be true or false"


def text_list(value: Any) -> str | None:
    """A list of strings (an empty list is fine)."""
    ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
    return None if ok else "must be a list of names, for example [a, b]"


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
            problems.append(Problem(path, 1, "C102", f"front matter needs '{key}'"))
    for key, value in fm.data.items():
        check = required.get(key) or optional.get(key)
        if check is None:
            known = ", ".join(sorted([*required, *optional]))
            message = f"unknown front matter key '{key}' (known: {known})"
            problems.append(Problem(path, fm.line(key), "C102", message))
            continue
        error = check(value)
        if error:
            problems.append(Problem(path, fm.line(key), "C102", f"'{key}' {error}"))
    return problems
