"""Which practicum sessions qualify, and whether a log meets a programme's rules (pure).

Takes plain values, not database rows, so the rules can be tested and explained on their
own: every rule that fails comes back as a sentence the trainee can act on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cocourse.content.program import PracticumRule, ReflectionPrompt
from cocourse.web.i18n import day

_WORD = re.compile(r"\w+(?:['’-]\w+)*")
LEAD = "lead"
CO = "co"
ROLES = {LEAD: _l("Lead facilitator"), CO: _l("Co-facilitator")}


def words(text: str) -> int:
    """Words in a text, counting hyphenated and apostrophe words once."""
    return len(_WORD.findall(text))


def reflection_words(reflection: Mapping[str, str], prompts: Iterable[ReflectionPrompt]) -> int:
    """Words written in answer to the programme's prompts (other keys are ignored)."""
    return sum(words(reflection.get(prompt.id, "")) for prompt in prompts)


@dataclass(frozen=True)
class Entry:
    """What the rules need to know about one logged session."""

    held_on: date
    minutes: int
    participants: int
    role: str
    beyond_team: bool
    purpose: str
    harvest: str
    reflection: Mapping[str, str]
    reflected_at: datetime | None


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the last day of the month when that day does not exist)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has at least 28 days")


def reasons(
    entry: Entry, rule: PracticumRule, *, window: tuple[date, date] | None, reflection: bool
) -> tuple[str, ...]:
    """Why a session does not qualify; empty when it does.

    `window` is the period sessions must fall in (None: any date); `reflection` says
    whether a reflection is required for each session (renewals ask for one overall).
    """
    found = []
    if window is not None and not window[0] <= entry.held_on <= window[1]:
        found.append(
            _(
                "held outside the practicum period (%(start)s to %(end)s)",
                start=day(window[0]),
                end=day(window[1]),
            )
        )
    if entry.minutes < rule.min_minutes:
        found.append(_("shorter than %(minutes)s minutes", minutes=rule.min_minutes))
    if entry.participants < rule.min_participants:
        found.append(_("fewer than %(count)s participants", count=rule.min_participants))
    if not entry.purpose.strip():
        found.append(_("no purpose stated"))
    if not entry.harvest.strip():
        found.append(_("no harvest documented"))
    if reflection:
        found.extend(_reflection_reasons(entry, rule))
    return tuple(found)


def _reflection_reasons(entry: Entry, rule: PracticumRule) -> list[str]:
    count = reflection_words(entry.reflection, rule.prompts)
    if count < rule.reflection_min_words:
        return [
            _(
                "reflection has %(count)s words; at least %(minimum)s needed",
                count=count,
                minimum=rule.reflection_min_words,
            )
        ]
    found = []
    if rule.reflection_max_words is not None and count > rule.reflection_max_words:
        found.append(
            _(
                "reflection has %(count)s words; at most %(maximum)s",
                count=count,
                maximum=rule.reflection_max_words,
            )
        )
    deadline = entry.held_on + timedelta(days=rule.reflection_within_days)
    if entry.reflected_at is None or entry.reflected_at.date() > deadline:
        found.append(
            _("reflection not written within %(days)s days", days=rule.reflection_within_days)
        )
    return found


@dataclass(frozen=True)
class Tally:
    """Qualifying sessions counted the way a programme's rules count them."""

    qualifying: int
    lead: int
    co: int
    lead_beyond_team: int


def tally(entries: Iterable[tuple[Entry, tuple[str, ...]]]) -> Tally:
    """Count the qualifying sessions among (entry, reasons) pairs."""
    good = [entry for entry, why in entries if not why]
    leads = [entry for entry in good if entry.role == LEAD]
    return Tally(
        qualifying=len(good),
        lead=len(leads),
        co=sum(1 for entry in good if entry.role == CO),
        lead_beyond_team=sum(1 for entry in leads if entry.beyond_team),
    )


def shortfalls(found: Tally, *, sessions: int, lead: int, co: int, beyond: int) -> list[str]:
    """What a log still lacks, as sentences; empty when the counts are met."""
    missing = []
    if found.qualifying < sessions:
        missing.append(
            _(
                "%(count)s of %(needed)s qualifying sessions",
                count=found.qualifying,
                needed=sessions,
            )
        )
    if found.lead < lead:
        missing.append(
            _("%(count)s of %(needed)s sessions as lead facilitator", count=found.lead, needed=lead)
        )
    if found.co < co:
        missing.append(
            _("%(count)s of %(needed)s sessions as co-facilitator", count=found.co, needed=co)
        )
    if found.lead_beyond_team < beyond:
        missing.append(
            _(
                "%(count)s of %(needed)s lead sessions with stakeholders beyond one team",
                count=found.lead_beyond_team,
                needed=beyond,
            )
        )
    return missing
