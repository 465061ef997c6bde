"""The certification checklist: each requirement of a programme, met or not, and why.

The trainee's checklist page, the submit button and the approval that issues a
certificate all ask this module, so the server re-checks exactly what the trainee sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pluggy
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocourse.certification import certificates, practicum_rules
from cocourse.content.model import Course
from cocourse.content.program import ExamRule, Program
from cocourse.learning import progress
from cocourse.models import Certificate, LessonCompletion, Portfolio, PracticumSession, QuizAttempt
from cocourse.web.i18n import day, percent

CERTIFICATION = "certification"
RENEWAL = "renewal"


@dataclass(frozen=True)
class Requirement:
    """One line of the checklist."""

    label: str | LazyString
    met: bool
    detail: str = ""


@dataclass(frozen=True)
class LoggedSession:
    """A practicum session with the reasons it does not qualify (none: it qualifies)."""

    row: PracticumSession
    entry: practicum_rules.Entry
    reasons: tuple[str, ...]

    @property
    def qualifies(self) -> bool:
        """Whether the session counts towards the programme."""
        return not self.reasons


@dataclass(frozen=True)
class Checklist:
    """Every requirement for a portfolio, and the log as the rules read it."""

    requirements: tuple[Requirement, ...]
    sessions: tuple[LoggedSession, ...]
    window: tuple[date, date] | None

    @property
    def complete(self) -> bool:
        """Every requirement is met: the portfolio may be submitted and approved."""
        return all(item.met for item in self.requirements)


@dataclass(frozen=True)
class ExamStanding:
    """The best attempt at the final exam under the programme's rules."""

    attempt: QuizAttempt | None
    passed: bool
    domains: dict[str, float]  # percent per domain with a minimum, for `attempt`
    short: tuple[str, ...]  # domains below their minimum in `attempt`


def domain_percents(attempt: QuizAttempt, tags: Sequence[str]) -> dict[str, float]:
    """Percent earned per tag over the attempt's scored questions carrying that tag."""
    scores = {result["id"]: result.get("score") or 0.0 for result in attempt.results or []}
    earned = dict.fromkeys(tags, 0.0)
    available = dict.fromkeys(tags, 0.0)
    for question in attempt.questions:
        if not question.get("scored", True):
            continue
        points = float(question.get("points", 1))
        for tag in question.get("tags", ()):
            if tag in available:
                available[tag] += points
                earned[tag] += scores.get(question["id"], 0.0) * points
    return {tag: round(100 * earned[tag] / available[tag], 2) for tag in tags if available[tag] > 0}


@dataclass(frozen=True)
class DomainResult:
    """One competency domain of an exam attempt against a programme's minimum."""

    tag: str
    percent: float | None  # None: the attempt drew no scored question of this domain
    minimum: int
    title: str  # the rubric criterion of the same id, else the tag

    @property
    def met(self) -> bool:
        """Whether the attempt reached the minimum (a domain the draw left out cannot fail)."""
        return self.percent is None or self.percent >= self.minimum


def domain_results(course: Course, attempt: QuizAttempt) -> list[DomainResult]:
    """Per-domain results of an attempt at a programme's final exam (empty for other quizzes)."""
    for program in course.programs:
        if program.exam is not None and program.exam.quiz == attempt.quiz_id:
            minimums = dict(program.exam.domain_minimums)
            found = domain_percents(attempt, list(minimums))
            titles = {c.id: c.title for c in program.rubric.criteria}
            return [
                DomainResult(tag, found.get(tag), low, titles.get(tag, tag))
                for tag, low in minimums.items()
            ]
    return []


def exam_standing(
    session: Session, user_id: int, rule: ExamRule, since: datetime | None = None
) -> ExamStanding:
    """Whether any graded attempt (after `since`) passed overall and in every domain."""
    query = select(QuizAttempt).where(
        QuizAttempt.user_id == user_id,
        QuizAttempt.quiz_id == rule.quiz,
        QuizAttempt.submitted_at.is_not(None),
    )
    if since is not None:
        query = query.where(QuizAttempt.submitted_at >= since)
    minimums = dict(rule.domain_minimums)
    best: ExamStanding | None = None
    for attempt in session.scalars(query.order_by(QuizAttempt.number)):
        domains = domain_percents(attempt, list(minimums))
        # A domain the draw left out is not assessed in this attempt, so it cannot fail it.
        short = tuple(tag for tag, low in minimums.items() if domains.get(tag, low) < low)
        standing = ExamStanding(attempt, bool(attempt.passed) and not short, domains, short)
        if standing.passed or best is None or not best.passed:
            best = standing
    return best or ExamStanding(None, False, {}, ())


def _exam_requirement(
    standing: ExamStanding, rule: ExamRule, label: str | LazyString
) -> Requirement:
    if standing.passed:
        best = percent((standing.attempt.percent or 0.0) / 100, 2)  # type: ignore[union-attr]
        return Requirement(label, True, _("passed with %(percent)s", percent=best))
    attempt = standing.attempt
    if attempt is None:
        return Requirement(label, False, _("not taken yet"))
    if not attempt.passed:
        return Requirement(
            label,
            False,
            _(
                "best result %(percent)s, pass mark %(pass_mark)s",
                percent=percent((attempt.percent or 0.0) / 100, 2),
                pass_mark=percent(attempt.pass_mark / 100),
            ),
        )
    minimums = dict(rule.domain_minimums)
    low = ", ".join(
        _(
            "%(domain)s %(percent)s (needs %(needed)s)",
            domain=tag,
            percent=percent(standing.domains.get(tag, 0.0) / 100, 2),
            needed=percent(minimums[tag] / 100),
        )
        for tag in standing.short
    )
    return Requirement(
        label, False, _("passed overall but below the minimum in %(domains)s", domains=low)
    )


def _logged(
    rows: Sequence[PracticumSession],
    program: Program,
    window: tuple[date, date] | None,
    reflection: bool,
) -> tuple[LoggedSession, ...]:
    found = []
    for row in rows:
        entry = practicum_rules.Entry(
            held_on=row.held_on,
            minutes=row.minutes,
            participants=row.participants,
            role=row.role,
            beyond_team=row.beyond_team,
            purpose=row.purpose,
            harvest=row.harvest,
            reflection=row.reflection or {},
            reflected_at=row.reflected_at,
        )
        why = practicum_rules.reasons(
            entry, program.practicum, window=window, reflection=reflection
        )
        found.append(LoggedSession(row, entry, why))
    return tuple(found)


def _tally(logged: Sequence[LoggedSession]) -> practicum_rules.Tally:
    return practicum_rules.tally((s.entry, s.reasons) for s in logged)


def session_rows(session: Session, portfolio_id: int) -> list[PracticumSession]:
    """A portfolio's logged sessions, oldest first."""
    return list(
        session.scalars(
            select(PracticumSession)
            .where(PracticumSession.portfolio_id == portfolio_id)
            .order_by(PracticumSession.held_on, PracticumSession.id)
        )
    )


def enrolment_blockers(
    session: Session,
    course: Course,
    program: Program,
    user_id: int,
    pm: pluggy.PluginManager | None = None,
) -> list[str]:
    """Tracks still to complete before a person may enrol (empty: they may); a track whose
    required workshop is all that is missing says so: "Tasting (attend a tasting workshop)".
    Workshop requirements count while the workshops feature is on in `pm` (default: the
    current app's plugins)."""
    standing = progress.Standing(
        course,
        progress.completed(session, user_id),
        attendance=progress.attendance(session, user_id, pm),
    )
    missing = []
    for slug in program.prerequisites:
        track = course.track(slug)
        blocker = standing.track_blocker(track) if track is not None else None
        if blocker is not None:
            missing.append(blocker)
    return missing


def checklist(
    session: Session, course: Course, program: Program, portfolio: Portfolio, today: date
) -> Checklist:
    """Every requirement of the portfolio's kind, checked against the database now."""
    if portfolio.kind == RENEWAL:
        return _renewal(session, course, program, portfolio, today)
    return _certification(session, course, program, portfolio)


def _certification(
    session: Session, course: Course, program: Program, portfolio: Portfolio
) -> Checklist:
    items = []
    standing = progress.Standing(course, progress.completed(session, portfolio.user_id))
    for slug in program.required_modules:
        module = course.module(slug)
        if module is None:
            continue
        done, total = standing.count(module)
        items.append(
            Requirement(
                _l("Module: %(title)s", title=module.title),
                standing.finished(module),
                _("%(done)s/%(total)s lessons", done=done, total=total),
            )
        )
    if program.exam is not None:
        found = exam_standing(session, portfolio.user_id, program.exam)
        items.append(_exam_requirement(found, program.exam, _l("Final exam")))
    rule = program.practicum
    start = practicum_start(session, course, program, portfolio)
    window = (
        (start, practicum_rules.add_months(start, rule.within_months))
        if rule.within_months
        else None
    )
    logged = _logged(session_rows(session, portfolio.id), program, window, reflection=True)
    missing = practicum_rules.shortfalls(
        _tally(logged),
        sessions=rule.sessions,
        lead=rule.lead,
        co=rule.co_facilitated,
        beyond=rule.lead_beyond_team,
    )
    items.append(_practicum_requirement(missing))
    return Checklist(tuple(items), logged, window)


def practicum_start(
    session: Session, course: Course, program: Program, portfolio: Portfolio
) -> date:
    """When the practicum period began: the first lesson completed in the programme's track
    (the trainee started the track), or the enrolment if that came first."""
    track = course.track(program.track)
    slugs = [module.slug for module in track.modules] if track else []
    first = session.scalar(
        select(func.min(LessonCompletion.completed_at)).where(
            LessonCompletion.user_id == portfolio.user_id,
            LessonCompletion.module_slug.in_(slugs),
        )
    )
    enrolled = portfolio.enrolled_at.date()
    return min(enrolled, first.date()) if first is not None else enrolled


def _practicum_requirement(missing: list[str]) -> Requirement:
    if missing:
        return Requirement(
            _l("Practicum log"), False, _("so far: %(missing)s", missing="; ".join(missing))
        )
    return Requirement(_l("Practicum log"), True, _("enough qualifying sessions"))


def renewal_opens(certificate: Certificate, program: Program) -> date:
    """The first day a renewal may be started."""
    assert program.renewal is not None
    return certificate.expires_on - timedelta(days=program.renewal.window_days)


def _renewal(
    session: Session, course: Course, program: Program, portfolio: Portfolio, today: date
) -> Checklist:
    rule = program.renewal
    held = certificates.current(session, portfolio.user_id, program.slug)
    if rule is None or held is None:
        return Checklist((Requirement(_l("A certificate to renew"), False),), (), None)
    items = []
    state = certificates.status(held, program, today)
    items.append(
        Requirement(
            _l("Certificate still renewable"),
            state in (certificates.VALID, certificates.EXPIRING, certificates.GRACE)
            and today >= renewal_opens(held, program),
            _(
                "%(status)s; expires %(date)s",
                status=str(certificates.LABELS[state]).lower(),
                date=day(held.expires_on),
            ),
        )
    )
    window = (held.valid_from, today)
    logged = _logged(session_rows(session, portfolio.id), program, window, reflection=False)
    missing = practicum_rules.shortfalls(
        _tally(logged), sessions=rule.sessions, lead=rule.lead, co=0, beyond=0
    )
    items.append(_practicum_requirement(missing))
    if rule.quiz is not None:
        opens = datetime.combine(
            renewal_opens(held, program), datetime.min.time(), tzinfo=held.issued_at.tzinfo
        )
        refresher = ExamRule(quiz=rule.quiz, domain_minimums=())
        found = exam_standing(session, portfolio.user_id, refresher, since=opens)
        items.append(_exam_requirement(found, refresher, _l("Refresher quiz")))
    if rule.development_hours:
        hours = portfolio.development_hours or 0
        items.append(
            Requirement(
                _l("Continuing development"),
                hours >= rule.development_hours,
                _(
                    "%(hours)s of at least %(needed)s hours declared",
                    hours=hours,
                    needed=rule.development_hours,
                ),
            )
        )
    count = practicum_rules.reflection_words(portfolio.statement or {}, rule.prompts)
    items.append(
        Requirement(
            _l("Renewal reflection"),
            count >= rule.reflection_min_words,
            _(
                "%(count)s of at least %(needed)s words",
                count=count,
                needed=rule.reflection_min_words,
            ),
        )
    )
    return Checklist(tuple(items), logged, window)


def summary(checklist: Checklist) -> dict[str, Any]:
    """The checklist as plain data, kept in the audit trail with each decision."""
    # In English whatever the reviewer's language: the trail is read by admins of any language.
    with force_locale("en"):
        return {str(item.label): item.met for item in checklist.requirements}
