"""Images and documents uploaded into a module folder: the type is checked by the file's
first bytes as well as its name, SVG is refused (it can carry scripts that would run on the
site), and the name is reduced to lowercase letters, digits and dashes."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

# Extension -> how the file's first bytes must look.
TYPES: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
    "pdf": (b"%PDF-",),
}
MAX_BYTES = 1536 * 1024  # below MAX_CONTENT_LENGTH, with the form around it
FOLDER = "images"


class UploadRefused(ValueError):
    """The file cannot be added; the message says why."""


def accepted() -> str:
    """The accepted extensions, for messages and the file picker."""
    return ", ".join(f".{ext}" for ext in TYPES)


def checked_name(filename: str, data: bytes) -> str:
    """The name the file is stored under, once its size, name and content agree."""
    if not data:
        raise UploadRefused(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise UploadRefused(
            _("The file is larger than %(size)d KB: make it smaller.", size=MAX_BYTES // 1024)
        )
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, _dot, ext = base.rpartition(".")
    ext = ext.lower()
    if ext == "svg":
        raise UploadRefused(_("SVG files can carry scripts, so they are refused: upload a PNG."))
    if ext not in TYPES:
        raise UploadRefused(_("Upload a file of one of these types: %(types)s.", types=accepted()))
    if not any(data.startswith(magic) for magic in TYPES[ext]) or (
        ext == "webp" and data[8:12] != b"WEBP"
    ):
        raise UploadRefused(_("The file's content is not what .%(ext)s promises.", ext=ext))
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")[:80] or "file"
    return f"{slug}.{'jpg' if ext == 'jpeg' else ext}"
