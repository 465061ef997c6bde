"""Serving files from a folder without ever leaving it.

`safe_file` is the one check every route that sends a file from disk goes through. It
follows symbolic links to the real file and refuses anything that is not a plain file
really inside the folder: a link pointing at `instance/secret_key`, a hard link (another
name for a file that may live anywhere on the same disk), a FIFO or device, a dot-file.
Symbolic links are refused even when they point inside the folder: content is served as it
is stored, and a link is almost always a mistake or an attack (lint reports them, C104).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath


def safe_file(root: str | os.PathLike[str], relative: str) -> Path | None:
    """The real path of `relative` under `root` if it may be served, else None.

    Refused: empty, absolute or `..` paths, any dot-file or dot-folder on the way, any
    symbolic link on the way (inside the root), a real path outside the real root, anything
    that is not a regular file, and files with more than one hard link.
    """
    parts = PurePosixPath(relative.replace("\\", "/")).parts
    if not parts or relative.startswith(("/", "\\")) or "\x00" in relative:
        return None
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    try:
        real_root = Path(root).resolve(strict=True)
        candidate = real_root.joinpath(*parts)
        # No link anywhere below the root, even one that stays inside it.
        step = real_root
        for part in parts:
            step = step / part
            if step.is_symlink():
                return None
        real = candidate.resolve(strict=True)
        info = os.lstat(real)
    except (OSError, RuntimeError, ValueError):  # missing, a loop, a bad name
        return None
    if real != candidate or not real.is_relative_to(real_root):
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        return None
    return real
