"""The paths certification's notifications link to, built with `url_for` (so they follow
the blueprints' routes); for the views and the scheduled job, which run in a request."""

from __future__ import annotations

from flask import url_for

from cocourse.certification.notices import Links


def site_links() -> Links:
    """Links to this site's review, programme and verification pages."""
    return Links(
        review=lambda portfolio_id: url_for("reviews.review", portfolio_id=portfolio_id),
        program=lambda slug: url_for("certification.program_page", slug=slug),
        verify=lambda code: url_for("certificates.verify", code=code),
    )
