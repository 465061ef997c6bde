"""The plugin manager: built-in features, then `cocourse` entry points, then `PLUGINS`.

Each feature package (`cocourse/<feature>/plugin.py`) is a built-in plugin registered
under its feature name; `DISABLED_PLUGINS` leaves out built-ins and entry points by name.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pluggy

from cocourse import hookspecs

# The hooks and their arguments; see docs/plugins.md for what may change between versions.
PLUGIN_API_VERSION = "1.2"

# The built-in features in registration order, and the features each one needs.
BUILTIN_FEATURES: dict[str, tuple[str, ...]] = {
    "mail": (),
    "accounts": ("mail",),
    "notifications": ("accounts",),
    "learning": ("accounts",),
    "quiz": ("learning",),
    "cohorts": ("accounts", "learning"),
    "reports": ("cohorts", "quiz"),
    "certification": ("cohorts", "quiz"),
    "opportunities": ("accounts",),
    "workshops": ("accounts", "notifications"),
    "programme": ("accounts",),
    # Off unless PLUGIN_SETTINGS["lrs"] names an endpoint (docs/operations.md).
    "lrs": ("learning",),
    "studio": ("accounts", "learning", "quiz"),
    "lti": ("accounts", "cohorts", "quiz"),
    # Off unless PLUGIN_SETTINGS["sso"] names an issuer (docs/operations.md).
    "sso": ("accounts",),
    # Off unless PLUGIN_SETTINGS["metrics"] sets a scrape token (docs/operations.md).
    "metrics": ("mail",),
}
# The course cannot be served without these.
REQUIRED_FEATURES = frozenset({"mail", "accounts", "notifications", "learning", "quiz"})

log = logging.getLogger("cocourse.plugins")


class PluginError(RuntimeError):
    """A plugin could not be loaded, implements an unknown hook, or is misconfigured."""


def make_plugin_manager(
    extra: Iterable[str | object] = (), disabled: Iterable[str] = ()
) -> pluggy.PluginManager:
    """A new plugin manager with the enabled built-in, installed and configured plugins."""
    off = {name.strip() for name in disabled if name.strip()}
    _check_disabled(off)
    pm = pluggy.PluginManager("cocourse")
    pm.add_hookspecs(hookspecs)
    for feature in BUILTIN_FEATURES:
        if feature not in off:
            pm.register(importlib.import_module(f"cocourse.{feature}.plugin"), name=feature)
    for name in off - set(BUILTIN_FEATURES):
        pm.set_blocked(name)  # an installed plugin's entry-point name
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


def _check_disabled(off: set[str]) -> None:
    """Refuse to switch off a required feature, or one that an enabled feature needs."""
    for name in sorted(off & REQUIRED_FEATURES):
        raise PluginError(f"the {name!r} feature cannot be disabled: the course needs it")
    for feature, needs in BUILTIN_FEATURES.items():
        missing = [need for need in needs if need in off]
        if feature not in off and missing:
            raise PluginError(
                f"the {feature!r} feature needs {', '.join(map(repr, missing))}: "
                f"disable {feature!r} too, or keep {', '.join(map(repr, missing))}"
            )


def _import(name: str) -> Any:
    """Import a plugin module named in the PLUGINS setting."""
    try:
        return importlib.import_module(name.strip())
    except ImportError as exc:
        raise PluginError(f"cannot import plugin {name!r} from PLUGINS: {exc}") from exc


def enabled(pm: pluggy.PluginManager, feature: str) -> bool:
    """Whether a built-in feature is switched on."""
    return pm.get_plugin(feature) is not None


def question_types(pm: pluggy.PluginManager, app: Any = None) -> dict[str, Any]:
    """All registered question types by name; two types with one name are an error."""
    found: dict[str, Any] = {}
    for batch in pm.hook.register_question_types(app=app):
        for qtype in batch or ():
            if qtype.name in found:
                raise PluginError(f"question type {qtype.name!r} is registered twice")
            found[qtype.name] = qtype
    return found


def load_settings(
    pm: pluggy.PluginManager, configured: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each plugin's settings: its declared defaults, overridden by `PLUGIN_SETTINGS`.

    A setting a plugin does not declare is refused (a typo would otherwise be ignored).
    """
    settings: dict[str, dict[str, Any]] = {}
    for declared in pm.hook.register_settings():
        for name, defaults in (declared or {}).items():
            if name in settings:
                raise PluginError(f"plugin settings {name!r} are declared twice")
            settings[name] = dict(defaults)
    for name, values in configured.items():
        if name not in settings:
            if pm.is_blocked(name) or name in BUILTIN_FEATURES:
                continue  # settings of a disabled plugin may stay in the config
            raise PluginError(f"PLUGIN_SETTINGS names {name!r}, which no plugin declares")
        unknown = sorted(set(values) - set(settings[name]))
        if unknown:
            raise PluginError(
                f"PLUGIN_SETTINGS[{name!r}] has unknown settings: {', '.join(unknown)} "
                f"(known: {', '.join(sorted(settings[name])) or 'none'})"
            )
        settings[name].update(values)
    return settings


def plugin_settings(app: Any, name: str) -> dict[str, Any]:
    """One plugin's settings (its defaults, overridden by `PLUGIN_SETTINGS[name]`)."""
    return dict(app.extensions["cocourse.plugin_settings"][name])


@dataclass(frozen=True)
class ScheduledJob:
    """Work the worker runs on a schedule (crontab fields, UTC): `run(session, now)` gets a
    fresh session and the current time, runs in a request context on PUBLIC_URL (so it can
    build links), and returns how many things it did."""

    name: str
    run: Callable[[Any, datetime], int]
    minute: str = "*/15"
    hour: str = "*"


@dataclass(frozen=True)
class Event:
    """A plugin event (a hook name and its arguments) to fire once its change is committed."""

    name: str
    args: Mapping[str, Any]


def fire_events(pm: pluggy.PluginManager, events: Iterable[Event]) -> None:
    """Fire committed events in order (see `fire`)."""
    for event in events:
        fire(pm, event.name, **event.args)


def fire(pm: pluggy.PluginManager, event: str, **kwargs: Any) -> None:
    """Call an event hook after commit; a plugin that raises is logged, never propagated."""
    for impl in reversed(getattr(pm.hook, event).get_hookimpls()):
        try:
            impl.function(*[kwargs[arg] for arg in impl.argnames])
        except Exception:
            log.exception("plugin %r failed in %s", impl.plugin_name, event)
