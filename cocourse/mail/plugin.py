"""Mail as a built-in plugin: the outbox, its templates and the `cocourse worker` command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cocourse.hookspecs import hookimpl


@hookimpl
def register_blueprints(app: Any) -> Any:
    """None: mail has no pages of its own."""
    return []


@hookimpl
def register_template_folders(app: Any) -> Any:
    """mail/*.txt and mail/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_commands(cli: Any) -> None:
    """worker: deliver queued email and run scheduled jobs; run-scheduled: run them once."""
    from cocourse.mail.worker import run_scheduled_command, worker_command

    cli.add_command(worker_command)
    cli.add_command(run_scheduled_command)
