"""The plugin manager: built-ins first, then `cocourse` entry points, then configured plugins."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

import pluggy

from . import builtin, hookspecs


class PluginError(RuntimeError):
    """A configured plugin could not be loaded or implements an unknown hook."""


def make_plugin_manager(extra: Iterable[str | object] = ()) -> pluggy.PluginManager:
    """A new plugin manager with the built-in, installed and configured plugins registered."""
    pm = pluggy.PluginManager("cocourse")
    pm.add_hookspecs(hookspecs)
    pm.register(builtin, name="cocourse.builtin")
    pm.load_setuptools_entrypoints("cocourse")
    for plugin in extra:
        module = _import(plugin) if isinstance(plugin, str) else plugin
        if not pm.is_registered(module):
            pm.register(module)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin implements an unknown hook: {exc}") from exc
    return pm


def _import(name: str) -> Any:
    """Import a plugin module named in the PLUGINS setting."""
    try:
        return importlib.import_module(name.strip())
    except ImportError as exc:
        raise PluginError(f"cannot import plugin {name!r} from PLUGINS: {exc}") from exc


def question_types(pm: pluggy.PluginManager) -> dict[str, Any]:
    """All registered question types by name; two types with one name are an error."""
    found: dict[str, Any] = {}
    for batch in pm.hook.register_question_types():
        for qtype in batch or ():
            if qtype.name in found:
                raise PluginError(f"question type {qtype.name!r} is registered twice")
            found[qtype.name] = qtype
    return found
