"""Practicum attachments: type-checked by content, stored under random names.

Two stores keep them (`ATTACHMENT_STORAGE`): a folder in the instance folder (`files`, the
default) and the database (`database`, for installations on several hosts, which all read
the same database but not the same disk). The original file name is only ever shown, never
used as a path; files are written to a temporary name and renamed, so a crash leaves either
the whole file or none.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from flask_babel import gettext as _
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from cocourse.db import write
from cocourse.models import StoredFile
from cocourse.web.files import open_safe_file

# Extension -> (media type, how the file's first bytes must look; None: UTF-8 text).
TYPES: dict[str, tuple[str, bytes | None]] = {
    "pdf": ("application/pdf", b"%PDF-"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "txt": ("text/plain", None),
    "csv": ("text/csv", None),
}
MAX_NAME = 200


class AttachmentError(ValueError):
    """An upload that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class Checked:
    """An upload that passed the checks: its display name and media type."""

    name: str
    media_type: str


class Stored(NamedTuple):
    """A checked file in a store: what to show, its key, what it is, how big."""

    name: str
    key: str
    media_type: str
    size: int


def allowed() -> str:
    """The accepted extensions, for messages and the file picker."""
    return ", ".join(sorted({f".{ext}" for ext in TYPES}))


def check(filename: str, data: bytes, max_bytes: int) -> Checked:
    """Accept a file only if its size, extension and actual content agree."""
    if not data:
        raise AttachmentError(_("The file is empty."))
    if len(data) > max_bytes:
        raise AttachmentError(_("The file is larger than %(size)s KB.", size=max_bytes // 1024))
    name = _display_name(filename)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in TYPES:
        raise AttachmentError(_("Attach a file of one of these types: %(types)s.", types=allowed()))
    media_type, magic = TYPES[ext]
    if magic is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise AttachmentError(_("The file is not UTF-8 text.")) from None
    elif not data.startswith(magic):
        raise AttachmentError(_("The file's content is not what .%(ext)s promises.", ext=ext))
    return Checked(name, media_type)


def _display_name(filename: str) -> str:
    """The last path segment, without control characters, shortened from the left."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return cleaned[-MAX_NAME:] or "attachment"


class Store(Protocol):
    """Where attachments are kept, by key."""

    def put(self, data: bytes) -> str:
        """Keep `data` under a new random key and return the key."""

    def read(self, key: str) -> bytes | None:
        """The file kept under `key`; None when there is none."""

    def discard(self, key: str | None) -> None:
        """Forget the file under `key`, if there is one."""


class FolderStore:
    """Files in a folder on this host's disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, data: bytes) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(16)
        partial = self.folder / f".{key}.partial"
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self.folder / key)
        return key

    def read(self, key: str) -> bytes | None:
        if not _is_key(key):
            return None
        opened = open_safe_file(self.folder, key)  # no link, hard link, FIFO or swap
        if opened is None:
            return None
        with opened[0] as file:
            return file.read()

    def discard(self, key: str | None) -> None:
        if key and _is_key(key):
            (self.folder / key).unlink(missing_ok=True)


def _is_key(key: str) -> bool:
    """Keys are hex, so they cannot leave the folder."""
    return bool(key) and all(c in "0123456789abcdef" for c in key)


class DatabaseStore:
    """Files in the database: every host that reads the database can serve them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, data: bytes) -> str:
        key = secrets.token_hex(16)
        with Session(self.engine) as session, write(session):
            session.add(StoredFile(key=key, data=data, size=len(data)))
        return key

    def read(self, key: str) -> bytes | None:
        with Session(self.engine) as session:
            return session.scalar(select(StoredFile.data).where(StoredFile.key == key))

    def discard(self, key: str | None) -> None:
        if key:
            with Session(self.engine) as session, write(session):
                session.execute(delete(StoredFile).where(StoredFile.key == key))
