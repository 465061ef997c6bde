"""cocourse: a course engine for co-creation programmes, built on Flask."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from cocourse import config, db, web
from cocourse.content.markdown import make_markdown
from cocourse.content_signal import make_broadcast
from cocourse.course_state import CourseState
from cocourse.extensions import csrf, limiter, login_manager
from cocourse.plugins import (
    PLUGIN_API_VERSION,
    load_settings,
    make_plugin_manager,
    question_types,
)
from cocourse.web import extend, ids

__all__ = ["PLUGIN_API_VERSION", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, database, login, plugins, content, blueprints."""
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("COCOURSE_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=instance,
        instance_relative_config=True,
        template_folder="web/templates",
        static_folder="web/static",
    )
    config.load_config(app, test_config)
    ids.init_app(app)  # before any route is added
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    pm = make_plugin_manager(app.config["PLUGINS"], app.config["DISABLED_PLUGINS"])
    app.extensions["cocourse.plugins"] = pm
    app.extensions["cocourse.plugin_settings"] = load_settings(pm, app.config["PLUGIN_SETTINGS"])
    app.extensions["cocourse.question_types"] = question_types(pm, app)
    md = make_markdown([lambda md: pm.hook.configure_markdown(md=md)])
    state = CourseState(
        root=app.config["CONTENT_DIR"],
        md=md,
        stamp=Path(app.instance_path) / "content.reload",
        on_loaded=lambda course: pm.hook.course_loaded(course=course),
        question_types=app.extensions["cocourse.question_types"],
        watch=app.config["CONTENT_WATCH"],
        interval=app.config["CONTENT_WATCH_INTERVAL"],
        # Learners never wait for a reload; tests see a reload on the next request.
        background=not app.testing,
        broadcast=make_broadcast(
            app.extensions["cocourse.engine"], app.config["CONTENT_SIGNAL_REDIS_URL"]
        ),
    )
    app.extensions["cocourse.course"] = state
    app.before_request(state.check)
    for blueprints in reversed(pm.hook.register_blueprints(app=app)):
        for blueprint in blueprints or ():
            app.register_blueprint(blueprint)
    extend.init_app(app, pm)
    web.init_app(app)
    if hops := int(app.config["PROXY_HOPS"]):
        # Only the proxies we run may say who the client is; a client's own header is ignored.
        # Outermost, so that the page cache sees the client as the app does.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app
