"""Finding fonts for certificate PDFs: a text font, emoji, and a face for any other character.

DejaVu Sans (Debian's ``fonts-dejavu-core``) draws the text, Noto Color Emoji
(``fonts-noto-color-emoji``) the emoji, and for any other character whatever installed font
fontconfig (``fc-match``) finds. Folders given as ``font_dirs`` are searched first. A
character that no font has raises :class:`CertificateFontError`.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]


class CertificateFontError(RuntimeError):
    """No installed font can draw some of the certificate's text."""


@dataclass(frozen=True)
class Face:
    """A font file, and which face in it when the file is a collection (.ttc)."""

    path: Path
    index: int = 0


@dataclass(frozen=True)
class _NamedFont:
    """A font looked up by file name in ``font_dirs``, else by family through fontconfig."""

    file_name: str
    family: str
    bold: bool
    package: str


TEXT_REGULAR = _NamedFont("DejaVuSans.ttf", "DejaVu Sans", False, "fonts-dejavu-core")
TEXT_BOLD = _NamedFont("DejaVuSans-Bold.ttf", "DejaVu Sans", True, "fonts-dejavu-core")
EMOJI = _NamedFont("NotoColorEmoji.ttf", "Noto Color Emoji", False, "fonts-noto-color-emoji")
# Where fonts live when fontconfig is not installed (the usual Linux places).
_SYSTEM_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
_FC_BOLD = 180  # fontconfig's weight scale: demibold 180, bold 200


@dataclass(frozen=True)
class FontSet:
    """The faces a certificate is drawn with: its text font and fallbacks, in order."""

    regular: Face
    bold: Face
    fallbacks: tuple[Face, ...]


def _fc_match(pattern: str) -> tuple[Face, str, float | None] | None:
    """fontconfig's best face for a pattern: the face, its family names, its weight."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    fmt = "%{file}\\n%{index}\\n%{family}\\n%{weight}\\n"
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, the pattern is one argument
            [fc_match, "--format", fmt, pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.split("\n")
    if done.returncode != 0 or len(lines) < 4 or not lines[0]:
        return None
    try:
        index = int(lines[1] or 0)
        weight: float | None = float(lines[3])
    except ValueError:
        index, weight = 0, None
    return Face(Path(lines[0]), index), lines[2], weight


def _find_file(folders: Iterable[Path], file_name: str) -> Path | None:
    """The first file called ``file_name`` in the folders or below them."""
    for folder in folders:
        if folder.is_dir():
            for found in sorted(folder.rglob(file_name)):
                if found.is_file():
                    return found
    return None


@lru_cache(maxsize=32)
def named_face(font: _NamedFont, font_dirs: tuple[Path, ...]) -> Face | None:
    """Where a named font is installed, or None."""
    found = _find_file(font_dirs, font.file_name)
    if found is not None:
        return Face(found)
    style = "Bold" if font.bold else "Regular"
    matched = _fc_match(f"{font.family}:style={style}")
    if matched is not None:
        face, families, weight = matched
        names = {name.strip().casefold() for name in families.split(",")}
        bold_enough = not font.bold or weight is None or weight >= _FC_BOLD
        if font.family.casefold() in names and bold_enough and face.path.is_file():
            return face
    found = _find_file(_SYSTEM_FONT_DIRS, font.file_name)
    return Face(found) if found is not None else None


@lru_cache(maxsize=64)
def _coverage(face: Face) -> frozenset[int]:
    """The code points a face has glyphs for (empty if the file cannot be read as a font)."""
    try:
        with TTFont(str(face.path), fontNumber=face.index, lazy=True) as font:
            return frozenset(font.getBestCmap() or ())
    except Exception:  # fontTools raises many kinds of error on a broken file
        return frozenset()


@lru_cache(maxsize=1024)
def _face_for(codepoint: int, font_dirs: tuple[Path, ...]) -> Face | None:
    """An installed face with a glyph for the code point: from ``font_dirs``, then fontconfig."""
    for folder in font_dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in _FONT_SUFFIXES and codepoint in _coverage(Face(path)):
                return Face(path)
    matched = _fc_match(f"sans-serif:charset={codepoint:x}")
    if matched is not None and codepoint in _coverage(matched[0]):
        return matched[0]
    return None


def _needs_glyph(ch: str) -> bool:
    """Whether a character is drawn; controls, format characters, spaces and selectors are not."""
    if unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
        return False
    codepoint = ord(ch)
    return not (0xFE00 <= codepoint <= 0xFE0F or 0xE0100 <= codepoint <= 0xE01EF)


def font_set(text: str, font_dirs: tuple[Path, ...]) -> FontSet:
    """The faces that together draw every character of ``text``; raises if some cannot be."""
    regular = named_face(TEXT_REGULAR, font_dirs)
    bold = named_face(TEXT_BOLD, font_dirs)
    missing = [f for f, face in ((TEXT_REGULAR, regular), (TEXT_BOLD, bold)) if face is None]
    if regular is None or bold is None:
        names = ", ".join(f"{f.family} ({f.file_name})" for f in missing)
        raise CertificateFontError(
            f"certificate font not found: {names}; install the Debian package "
            f"{TEXT_REGULAR.package} or put the files in a folder of CERTIFICATE_FONT_DIRS"
        )
    both = _coverage(regular) & _coverage(bold)  # any text may be drawn in either
    uncovered = sorted({ord(ch) for ch in text if _needs_glyph(ch)} - both)
    fallbacks: list[Face] = []
    emoji = named_face(EMOJI, font_dirs) if uncovered else None
    for codepoint in uncovered:
        if any(codepoint in _coverage(face) for face in fallbacks):
            continue
        if emoji is not None and codepoint in _coverage(emoji):
            face: Face | None = emoji
        else:
            face = _face_for(codepoint, font_dirs)
        if face is None:
            raise CertificateFontError(_no_glyph_message(codepoint))
        fallbacks.append(face)
    return FontSet(regular, bold, tuple(fallbacks))


def _no_glyph_message(codepoint: int) -> str:
    """Says which character no installed font has, and what to install."""
    name = unicodedata.name(chr(codepoint), "unnamed character")
    hint = (
        EMOJI.package
        if unicodedata.category(chr(codepoint)) == "So"
        else "a font for that script, for example fonts-noto-core or fonts-noto-cjk"
    )
    return (
        f"no installed font has U+{codepoint:04X} ({name}); install {hint}, "
        f"or put such a font in a folder of CERTIFICATE_FONT_DIRS"
    )
