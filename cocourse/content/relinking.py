"""Links between course files follow a renamed file: every relative Markdown link (inline
or a reference definition) whose target resolves to an old path is rewritten to the new one,
anchors kept. Fenced code blocks are left alone. Pure text in, text out."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

INLINE = re.compile(r"(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
REFERENCE = re.compile(r"^(\s{0,3}\[[^\]]+\]:\s*)(\S+)", re.MULTILINE)
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def relinked(text: str, file: str, renames: Mapping[str, str]) -> str:
    """`text` of the file at `file` (a path relative to the content folder) with its links to
    renamed files (old path -> new path, both relative to the content folder) updated."""
    folder = posixpath.dirname(file)

    def target(link: str) -> str:
        path, hash_, anchor = link.partition("#")
        if not path or "://" in path or path.startswith(("/", "mailto:")):
            return link
        resolved = posixpath.normpath(posixpath.join(folder, path))
        if resolved not in renames:
            return link
        return posixpath.relpath(renames[resolved], folder or ".") + hash_ + anchor

    out, fence = [], None
    for line in text.splitlines(keepends=True):
        opened = FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            out.append(line)
            continue
        if opened:
            fence = opened.group(1)
            out.append(line)
            continue
        line = INLINE.sub(lambda m: m.group(1) + target(m.group(2)) + m.group(3), line)
        line = REFERENCE.sub(lambda m: m.group(1) + target(m.group(2)), line)
        out.append(line)
    return "".join(out)
