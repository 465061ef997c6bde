"""Reading `programs.yml` node by node: values with the line they stand on (pure).

`NodeReader` turns `yaml.compose` nodes into checked values and reports every problem
with its line, so `content.program` can build the rules without tracking positions.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from markdown_it import MarkdownIt

from .markdown import Resolver, render
from .model import Problem, Severity
from .words import _

ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # the loader's slug rule


@dataclass
class FieldMap:
    """A checked YAML mapping: each key's line and value node, and where the mapping is."""

    line: int
    values: dict[str, tuple[int, yaml.Node]]

    def line_of(self, key: str) -> int:
        """The line of a key, or of the mapping when the key is absent."""
        return self.values[key][0] if key in self.values else self.line


class NodeReader:
    """Reads values out of YAML nodes, reporting each problem with its line."""

    def __init__(
        self, path: str, problems: list[Problem], md: MarkdownIt, resolve: Resolver | None
    ) -> None:
        self.path = path
        self.problems = problems
        self.md = md
        self.resolve = resolve
        self._constructor = yaml.SafeLoader("")

    def report(self, line: int, code: str, message: str, severity: Severity = "error") -> None:
        """Add one problem (an error unless said otherwise)."""
        self.problems.append(Problem(self.path, line, code, message, severity))

    def program_list(self, root: yaml.Node | None) -> list[yaml.Node]:
        """The items of the top-level `programs:` list."""
        if not isinstance(root, yaml.MappingNode):
            message = _("%(file)s needs a top-level 'programs:' list", file="programs.yml")
            self.report(1, "C180", message)
            return []
        top = self.fields(root, 1, "programs.yml", {"programs": True})
        node = top.values.get("programs", (1, None))[1]
        if not isinstance(node, yaml.SequenceNode):
            if "programs" in top.values:
                self.report(top.line_of("programs"), "C180", _("'programs' must be a list"))
            return []
        return list(node.value)

    def fields(self, node: yaml.Node, line: int, what: str, keys: Mapping[str, bool]) -> FieldMap:
        """The keys of a mapping node; reports keys named twice, unknown and missing keys."""
        found = FieldMap(line, {})
        if not isinstance(node, yaml.MappingNode):
            self.report(line, "C183", _("%(what)s must be a mapping of keys", what=what))
            return found
        for key_node, value in node.value:
            name, key_line = str(key_node.value), key_node.start_mark.line + 1
            if name in found.values:
                message = _("%(what)s: key %(key)s appears twice", what=what, key=repr(name))
                self.report(key_line, "C185", message)
            elif name not in keys:
                hint = difflib.get_close_matches(name, list(keys), n=1)
                if hint:
                    message = _(
                        "%(what)s: unknown key %(key)s (did you mean %(hint)s?)",
                        what=what,
                        key=repr(name),
                        hint=repr(hint[0]),
                    )
                else:
                    message = _(
                        "%(what)s: unknown key %(key)s (known: %(known)s)",
                        what=what,
                        key=repr(name),
                        known=", ".join(keys),
                    )
                self.report(key_line, "C181", message)
                continue
            found.values[name] = (key_line, value)
        for key, required in keys.items():
            if required and key not in found.values:
                self.report(line, "C182", _("%(what)s needs %(key)s", what=what, key=repr(key)))
        return found

    def value(self, node: yaml.Node) -> Any:
        """The Python value of a node (a node the safe loader refuses gives None)."""
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError:
            return None

    def section(self, parent: FieldMap, key: str, what: str, keys: Mapping[str, bool]) -> FieldMap:
        """A nested mapping under `key` (empty when absent: its absence is reported already)."""
        if key not in parent.values:
            return FieldMap(parent.line, {})
        line, node = parent.values[key]
        return self.fields(node, line, what, keys)

    def text(self, found: FieldMap, key: str, what: str) -> str:
        """A non-empty string."""
        if key not in found.values:
            return ""
        value = self.value(found.values[key][1])
        if not isinstance(value, str) or not value.strip():
            message = _("%(what)s: %(key)s must be non-empty text", what=what, key=repr(key))
            self.report(found.line_of(key), "C183", message)
            return ""
        return value.strip()

    def ident(self, found: FieldMap, key: str, what: str) -> str:
        """An id: lowercase letters, digits and single dashes."""
        value = self.text(found, key, what)
        if value and not ID.match(value):
            message = _(
                "%(what)s: %(value)s is not a valid id (lowercase letters, digits, dashes)",
                what=what,
                value=repr(value),
            )
            self.report(found.line_of(key), "C185", message)
        return value

    def number(
        self, found: FieldMap, key: str, what: str, *, low: int = 1, high: int | None = None
    ) -> int | None:
        """A whole number from `low` to `high`, or None when the key is absent or wrong."""
        if key not in found.values:
            return None
        value = self.value(found.values[key][1])
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
        if not ok or (high is not None and value > high):
            if high is not None:
                message = _(
                    "%(what)s: %(key)s must be a whole number from %(low)d to %(high)d",
                    what=what,
                    key=repr(key),
                    low=low,
                    high=high,
                )
            else:
                message = _(
                    "%(what)s: %(key)s must be a whole number of %(low)d or more",
                    what=what,
                    key=repr(key),
                    low=low,
                )
            self.report(found.line_of(key), "C183", message)
            return None
        return int(value)

    def flag(self, found: FieldMap, key: str, what: str) -> bool:
        """true or false."""
        if key not in found.values:
            return False
        value = self.value(found.values[key][1])
        if not isinstance(value, bool):
            message = _("%(what)s: %(key)s must be true or false", what=what, key=repr(key))
            self.report(found.line_of(key), "C183", message)
            return False
        return value

    def names(self, found: FieldMap, key: str, what: str) -> tuple[tuple[str, int], ...]:
        """A list of names, each with its line."""
        if key not in found.values:
            return ()
        node = found.values[key][1]
        items = node.value if isinstance(node, yaml.SequenceNode) else None
        values = [self.value(item) for item in items or ()]
        if items is None or not all(isinstance(v, str) and v.strip() for v in values):
            message = _(
                "%(what)s: %(key)s must be a list of names, for example [a, b]",
                what=what,
                key=repr(key),
            )
            self.report(found.line_of(key), "C183", message)
            return ()
        return tuple(
            (str(v), item.start_mark.line + 1) for v, item in zip(values, items, strict=True)
        )

    def items(self, found: FieldMap, key: str, what: str) -> list[tuple[int, yaml.Node]]:
        """The nodes of a non-empty list, each with its line."""
        if key not in found.values:
            return []
        node = found.values[key][1]
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            message = _("%(what)s: %(key)s must be a non-empty list", what=what, key=repr(key))
            self.report(found.line_of(key), "C183", message)
            return []
        return [(item.start_mark.line + 1, item) for item in node.value]

    def markdown(self, found: FieldMap, key: str, what: str) -> str:
        """Text rendered as Markdown with the course's parser; link problems are reported."""
        text = self.text(found, key, what)
        if not text:
            return ""
        node = found.values[key][1]
        block = isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
        first_line = node.start_mark.line + 1 + int(block)
        out = render(self.md, text, path=self.path, first_line=first_line, resolve=self.resolve)
        self.problems.extend(out.problems)
        return out.html
