"""The layout keeps its promises: imports go one way, and only views read requests."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cocourse.plugins import BUILTIN_FEATURES

PACKAGE = Path(__file__).parent.parent / "cocourse"
PURE = ("content", "questions")
# Every built-in feature but those without pages: mail, and metrics (a text endpoint).
FEATURES = tuple(name for name in BUILTIN_FEATURES if name not in ("mail", "metrics"))
# Third-party packages that mean "web" or "database": pure code imports none of them.
IMPURE = ("flask", "flask_login", "flask_wtf", "flask_limiter", "werkzeug", "wtforms", "sqlalchemy")


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every module a file imports, at the top or inside functions, as absolute names."""
    found: set[str] = set()
    own = module_name(path, root)
    package = own.rsplit(".", 1)[0] if path.name != "__init__.py" else own
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def is_blueprint(name: str) -> bool:
    """Blueprint modules: a feature's views.py, or the modules of its views/ package."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[1] in FEATURES and parts[2] == "views":
        return True
    # A feature may keep a second blueprint in a module of its own (accounts.recovery).
    return name in ALL and "Blueprint(" in ALL[name].read_text()


def reads_request(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "flask"
        and any(alias.name == "request" for alias in node.names)
        for node in ast.walk(tree)
    )


ALL = modules()


@pytest.mark.parametrize("name", sorted(n for n in ALL if n.split(".")[1:2] in ([p] for p in PURE)))
def test_pure_packages_import_no_web_or_database_code(name):
    for imported in imports(ALL[name]):
        top = imported.split(".")[0]
        assert top not in IMPURE, f"{name} imports {imported}"
        if top == "cocourse":
            assert imported.split(".")[1] in PURE, f"{name} imports {imported}"


@pytest.mark.parametrize("name", sorted(n for n in ALL if n.count(".") >= 1))
def test_no_blueprint_imports_another_and_no_service_imports_a_blueprint(name):
    own = is_blueprint(name)
    for imported in imports(ALL[name]):
        if imported == name or not imported.startswith("cocourse."):
            continue
        if is_blueprint(imported):
            kind = "blueprint" if own else "service"
            # A feature's plugin.py registers its own blueprints: the one allowed importer.
            assert name.endswith(".plugin") and imported.split(".")[1] == name.split(".")[1], (
                f"{kind} {name} imports blueprint {imported}"
            )


@pytest.mark.parametrize(
    "name", sorted(n for n in ALL if n.split(".")[1:2] in ([f] for f in FEATURES))
)
def test_only_views_read_the_request(name):
    if not is_blueprint(name):
        assert not reads_request(ALL[name]), f"{name} reads flask.request: move that to views"


def test_every_feature_is_a_package_with_a_plugin_and_views():
    for feature in FEATURES:
        folder = PACKAGE / feature
        assert (folder / "plugin.py").is_file(), feature
        assert (folder / "views.py").is_file() or (folder / "views").is_dir(), feature
        assert (folder / "templates" / feature).is_dir(), feature


def test_the_checks_can_fail(tmp_path):
    """The import reader sees relative and function-level imports."""
    source = tmp_path / "cocourse" / "quiz" / "engine.py"
    source.parent.mkdir(parents=True)
    source.write_text("def f():\n    from ..learning import views\n    from . import views\n")
    found = imports(source, root=tmp_path / "cocourse")
    assert {"cocourse.learning.views", "cocourse.quiz.views"} <= found
    assert is_blueprint("cocourse.learning.views")
    assert not is_blueprint("cocourse.learning.progress")
