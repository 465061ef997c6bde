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
from typing import Any, BinaryIO

from flask import Response, send_file


def _checked(root: str | os.PathLike[str], relative: str) -> tuple[Path, os.stat_result] | None:
    """The real path of `relative` under `root` and its lstat, if it may be served."""
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
    if not _plain(info):
        return None
    return real, info


def _plain(info: os.stat_result) -> bool:
    return stat.S_ISREG(info.st_mode) and info.st_nlink == 1


def safe_file(root: str | os.PathLike[str], relative: str) -> Path | None:
    """The real path of `relative` under `root` if it may be served, else None.

    Refused: empty, absolute or `..` paths, any dot-file or dot-folder on the way, any
    symbolic link on the way (inside the root), a real path outside the real root, anything
    that is not a regular file, and files with more than one hard link.
    """
    checked = _checked(root, relative)
    return checked[0] if checked else None


def open_safe_file(
    root: str | os.PathLike[str], relative: str
) -> tuple[BinaryIO, os.stat_result] | None:
    """`safe_file`, then the file opened and checked to be the very file that was checked.

    Sending the open file closes the gap between checking a path and opening it: a link or
    FIFO swapped in at the last moment is refused (no-follow, non-blocking open, same inode).
    """
    checked = _checked(root, relative)
    if checked is None:
        return None
    real, seen = checked
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(real, flags)
    except OSError:
        return None
    info = os.fstat(fd)
    if not _plain(info) or (info.st_dev, info.st_ino) != (seen.st_dev, seen.st_ino):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb"), info


def send_safe_file(root: str | os.PathLike[str], relative: str, **options: Any) -> Response | None:
    """A response sending `relative` from under `root` (see `open_safe_file`), or None.

    `options` go to Flask's `send_file`; the download name defaults to the file's name."""
    opened = open_safe_file(root, relative)
    if opened is None:
        return None
    file, info = opened
    options.setdefault("download_name", PurePosixPath(relative).name)
    response = send_file(
        file,
        last_modified=info.st_mtime,
        etag=f"{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}",
        **options,
    )
    if response.status_code == 200:
        response.content_length = info.st_size
    return response
