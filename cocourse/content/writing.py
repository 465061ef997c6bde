"""Writing into the content folder without ever leaving half a file behind.

A file is written under a temporary name in the same folder, flushed to disk, then linked
into place in one step: a crash leaves either no file or the whole file, never part of one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_new(path: str | os.PathLike[str], text: str) -> Path:
    """Create `path` with `text` (UTF-8) in one step; FileExistsError if it exists already."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(partial, target)  # fails if the name is taken: an existing file stays as it is
    finally:
        partial.unlink(missing_ok=True)
    _sync_folder(target.parent)
    return target


def _sync_folder(folder: Path) -> None:
    """Make the new name itself durable (where the platform can)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - folders cannot be opened on some platforms
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
