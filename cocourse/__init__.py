"""cocourse: a course engine for co-creation programmes, built on Flask."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from . import config, db, errors, security
from .content.markdown import make_markdown
from .course_state import CourseState
from .extensions import csrf, limiter, login_manager
from .plugins import make_plugin_manager, question_types

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, database, login, plugins, content, blueprints."""
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("COCOURSE_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance, instance_relative_config=True)
    config.load_config(app, test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    pm = make_plugin_manager(app.config["PLUGINS"])
    app.extensions["cocourse.plugins"] = pm
    app.extensions["cocourse.question_types"] = question_types(pm)
    md = make_markdown([lambda md: pm.hook.configure_markdown(md=md)])
    state = CourseState(
        root=app.config["CONTENT_DIR"],
        md=md,
        stamp=Path(app.instance_path) / "content.reload",
        on_loaded=lambda course: pm.hook.course_loaded(course=course),
        question_types=app.extensions["cocourse.question_types"],
        watch=app.config["CONTENT_WATCH"],
        interval=app.config["CONTENT_WATCH_INTERVAL"],
    )
    app.extensions["cocourse.course"] = state
    app.before_request(state.check)
    for blueprints in pm.hook.register_blueprints():
        for blueprint in blueprints or ():
            app.register_blueprint(blueprint)
    security.init_app(app)
    errors.init_app(app)
    return app
