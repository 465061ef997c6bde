"""Certification as a built-in plugin: portfolios, reviews, certificates and their pages."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from cocourse.hookspecs import hookimpl

REMINDERS_JOB = "cocourse.certification.certificate-reminders"


@hookimpl
def register_blueprints(app: Any) -> Any:
    """Trainee pages, the review queue, certificates and verification, their administration."""
    from cocourse.certification.views import admin, certificates, reviews, trainee

    return [trainee.bp, reviews.bp, certificates.bp, admin.bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """certification/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """Certification for everyone logged in, Reviews for assessors, Certificates for admins."""
    if not user.is_authenticated:
        return []
    links = [{"label": _("Certification"), "href": url_for("certification.programs"), "weight": 20}]
    if user.can_bypass_locks:
        links.append({"label": _("Reviews"), "href": url_for("reviews.queue"), "weight": 31})
    if user.is_admin:
        links.append(
            {
                "label": _("Certificates"),
                "href": url_for("certificate_admin.certificate_list"),
                "weight": 42,
            }
        )
    return links


@hookimpl
def page_panels(slot: str, user: Any, context: Any) -> Any:
    """The trainee's programmes on the dashboard; domain results on an exam's result page;
    a person's portfolios and certificates on their People page."""
    from cocourse.certification import portfolios, requirements
    from cocourse.db import get_session
    from cocourse.models import utcnow

    course = context["course"]
    if slot == "dashboard" and user.is_authenticated:
        standings = portfolios.standings(get_session(), user.id, course.programs, utcnow().date())
        if standings:
            # Rendered by Jinja with autoescaping: safe to pass on as HTML.
            return Markup(  # noqa: S704
                render_template(
                    "certification/_dashboard_panel.html",
                    standings=standings,
                    labels=portfolios.LABELS,
                )
            )
    if slot == "person" and user.is_authenticated and user.is_admin:
        return _person_panel(context["person"], course)
    if slot == "quiz_result" and not context["attempt"].expired:
        domains = requirements.domain_results(course, context["attempt"])
        if domains:
            html = render_template("certification/_domains_panel.html", domains=domains)
            return Markup(html)  # noqa: S704 (autoescaped template output)
    return None


def _person_panel(person: Any, course: Any) -> Markup:
    """Every portfolio and certificate of a person, newest first."""
    from sqlalchemy import select

    from cocourse.certification import certificates, portfolios
    from cocourse.db import get_session
    from cocourse.models import Portfolio, utcnow

    db, today = get_session(), utcnow().date()
    held = [
        (cert, certificates.status(cert, course.program(cert.program), today))
        for cert in certificates.history(db, person.id)
    ]
    kept = db.scalars(
        select(Portfolio).where(Portfolio.user_id == person.id).order_by(Portfolio.id.desc())
    )
    html = render_template(
        "certification/_person_panel.html",
        person=person,
        portfolios=list(kept),
        certificates=held,
        labels=portfolios.LABELS,
        titles={program.slug: program.title for program in course.programs},
    )
    return Markup(html)  # noqa: S704 (autoescaped template output)


@hookimpl
def register_scheduled_jobs(app: Any) -> Any:
    """Certificate reminders: renewal open, expiring in 30 days, expired (each sent once)."""
    from cocourse.plugins import ScheduledJob

    # Reminders go by the date: once an hour is soon enough.
    return [ScheduledJob(REMINDERS_JOB, _certificate_reminders, minute="7", hour="*")]


def _certificate_reminders(session: Any, now: datetime) -> int:
    """The job: reminders due on today's date (UTC), for the course being served."""
    from cocourse.certification import notices
    from cocourse.certification.links import site_links
    from cocourse.web.course import course

    return notices.send_reminders(session, course(), now.date(), site_links())
