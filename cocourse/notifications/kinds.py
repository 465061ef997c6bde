"""The kinds of notification: what each is about, as a person chooses which to get by email."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


@dataclass(frozen=True)
class Kind:
    """One kind of notification."""

    name: str
    label: str | LazyString  # (lazily translated) on the settings page, under "Email me when"
    who: str | LazyString  # (lazily translated) who gets it, said on the settings page
    staff: bool = False  # only assessors and admins get it


PORTFOLIO_SUBMITTED = "portfolio_submitted"
PORTFOLIO_DECIDED = "portfolio_decided"
CERTIFICATE_ISSUED = "certificate_issued"
RENEWAL_OPEN = "renewal_open"
CERTIFICATE_EXPIRING = "certificate_expiring"
CERTIFICATE_EXPIRED = "certificate_expired"
DUE_SOON = "due_soon"
ACTION_DUE = "action_due"

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            PORTFOLIO_SUBMITTED,
            _l("A trainee submits a portfolio for review"),
            _l("assessors of the trainee's cohorts; admins where no assessor is assigned"),
            staff=True,
        ),
        Kind(PORTFOLIO_DECIDED, _l("An assessor decides on my portfolio"), _l("trainees")),
        Kind(CERTIFICATE_ISSUED, _l("I am issued a certificate"), _l("trainees")),
        Kind(
            RENEWAL_OPEN,
            _l("The renewal window of my certificate opens"),
            _l("certificate holders"),
        ),
        Kind(
            CERTIFICATE_EXPIRING, _l("My certificate expires in 30 days"), _l("certificate holders")
        ),
        Kind(CERTIFICATE_EXPIRED, _l("My certificate has expired"), _l("certificate holders")),
        Kind(
            DUE_SOON,
            _l("A cohort due date is 7 days or 1 day away and I have not finished"),
            _l("cohort members"),
        ),
        Kind(
            ACTION_DUE,
            _l("An action I own from a workshop is due in 2 days"),
            _l("owners of workshop actions"),
        ),
    )
}


def for_person(can_review: bool) -> list[Kind]:
    """The kinds a person can get: all for assessors and admins, the rest for learners."""
    return [kind for kind in KINDS.values() if can_review or not kind.staff]
