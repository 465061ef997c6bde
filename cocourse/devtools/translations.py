"""The interface catalogs: extract, update, compile and check them (docs/translating.md).

Every package that translates its pages keeps `translations/<lang>/LC_MESSAGES/messages.po`
beside its code; the compiled `.mo` files are built by `make translations` and never committed.

    python -m cocourse.devtools.translations update [cocourse/<package> ...]
    python -m cocourse.devtools.translations compile
    python -m cocourse.devtools.translations check
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from cocourse.content.languages import LANGUAGES

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE.parent
# The shipped languages besides English, the language the messages are written in: the
# same as the course's.
TRANSLATED = LANGUAGES
METHODS = [
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),
]
OPTIONS = {"**/templates/**": {"trimmed": "true"}}
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "_l": None,
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}


# The modules at the top of the cocourse package (the command line) keep a catalog of their
# own, `cocourse/translations`, without the feature packages below them.
TOP_METHODS = [("*.py", "python")]


def packages() -> list[Path]:
    """The packages that have catalogs (cocourse itself, for its top-level modules, first)."""
    found = [p.parent for p in [PACKAGE / "translations", *PACKAGE.glob("*/translations")]]
    return sorted(p for p in found if (p / "translations").is_dir())


def catalog_path(package: Path, language: str) -> Path:
    return package / "translations" / language / "LC_MESSAGES" / "messages.po"


def extract(package: Path) -> Catalog:
    """Every marked message of `package`, as a template catalog."""
    template = Catalog(project="cocourse", fuzzy=False)
    found = extract_from_dir(
        package,
        TOP_METHODS if package == PACKAGE else METHODS,
        OPTIONS,
        KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        where = (str((package / filename).relative_to(ROOT)), lineno)
        template.add(message, None, [where], auto_comments=comments, context=context)
    return template


def read(path: Path, language: str) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=language)


def write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, ignore_obsolete=True)
    path.write_bytes(buffer.getvalue())


def update(package: Path) -> None:
    """Bring `package`'s catalogs up to its marked messages; new ones start empty, changed
    ones come back fuzzy (with the old translation to start from)."""
    template = extract(package)
    for language in TRANSLATED:
        path = catalog_path(package, language)
        if path.exists():
            catalog = read(path, language)
        else:
            catalog = Catalog(
                locale=language,
                project="cocourse",
                copyright_holder="the cocourse authors",
                msgid_bugs_address="",
                header_comment=f"# The cocourse interface in {language}: see docs/translating.md.",
                fuzzy=False,
            )
        catalog.update(template, update_creation_date=False)
        write(path, catalog)


def compile_all() -> int:
    """Write every catalog's .mo beside it when the .po is newer; how many were written."""
    written = 0
    for package in packages():
        for language in TRANSLATED:
            po = catalog_path(package, language)
            mo = po.with_suffix(".mo")
            if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
                buffer = io.BytesIO()
                write_mo(buffer, read(po, language))
                mo.write_bytes(buffer.getvalue())
                written += 1
    return written


def problems(package: Path) -> Iterator[str]:
    """What keeps `package`'s catalogs from being complete and current."""
    marked = {m.id for m in extract(package) if m.id}
    for language in TRANSLATED:
        path = catalog_path(package, language)
        name = path.relative_to(ROOT)
        if not path.exists():
            yield f"{name}: missing (make translations-update)"
            continue
        catalog = read(path, language)
        kept = {m.id for m in catalog if m.id}
        for missing in sorted(map(str, marked - kept)):
            yield f"{name}: not in the catalog (make translations-update): {missing!r}"
        for gone in sorted(map(str, kept - marked)):
            yield f"{name}: no longer marked in the code: {gone!r}"
        for message in catalog:
            if not message.id:
                continue
            line = f"{name}:{message.lineno}"
            if message.fuzzy:
                yield f"{line}: fuzzy, check and clear the flag: {message.id!r}"
            elif not message.string or (
                isinstance(message.string, tuple) and not all(message.string)
            ):
                yield f"{line}: not translated: {message.id!r}"
            for error in message.check(catalog):
                yield f"{line}: {error}: {message.id!r}"
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < path.stat().st_mtime:
            yield f"{mo.relative_to(ROOT)}: older than its catalog (make translations)"


def conflicts() -> Iterator[str]:
    """Messages that two packages translate differently: Flask-Babel merges every catalog
    into one, so only one of them would be shown (pgettext tells different meanings apart)."""
    for language in TRANSLATED:
        seen: dict[object, tuple[object, Path]] = {}
        for package in packages():
            path = catalog_path(package, language)
            if not path.exists():
                continue
            for message in read(path, language):
                if not message.id or not message.string:
                    continue
                key = (message.context, message.id)
                if key in seen and seen[key][0] != message.string:
                    other, where = seen[key]
                    yield (
                        f"{path.relative_to(ROOT)}: {message.id!r} is {message.string!r} here "
                        f"but {other!r} in {where.relative_to(ROOT)}"
                    )
                seen.setdefault(key, (message.string, path))


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command, named = (args[0] if args else "check"), args[1:]
    chosen = [Path(name).resolve() for name in named] or packages()
    if command == "update":
        for package in chosen:
            (package / "translations").mkdir(exist_ok=True)
            update(package)
        return 0
    if command == "compile":
        print(f"{compile_all()} catalogs compiled")
        return 0
    if command == "check":
        found = [problem for package in chosen for problem in problems(package)]
        found += list(conflicts())
        print("\n".join(found) or "every catalog is complete and compiled")
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
