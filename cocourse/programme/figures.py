"""The programme's four steps in figures, month by month. Takes a Session; reads only.

The window is the last 12 calendar months in UTC, the current month included. Each figure
has a value per month and a total:

1. Opportunities *raised* (by `created_at`) and *acted on*: those now planned, in a
   workshop or done, counted in the month of `updated_at`, the last status change (there
   is no history of changes).
2. Tasting workshops *held* (scheduled, not cancelled, ended by now; by start) and *people
   reached*: distinct people (accounts, and guests by email) with a seat marked attended,
   or, at a workshop where no attendance was recorded at all, a confirmed seat. How many
   held workshops had no attendance recorded is a figure of its own.
3. Facilitators *in training* at each month's end (for the current month: now), and now
   for the total: people with a first-certification portfolio (renewals are certified
   people, not trainees) that was enrolled by then and not yet approved. A portfolio's
   status history is not kept, but `enrolled_at` and the approval's `decided_at` bound it.
   *Certified*: first certificates issued (renewals left out); the total beside it counts
   certificates valid now (not superseded, revoked or expired).
4. Workshops *run* by internal facilitators: solution workshops and learning-and-exchange
   venues held (tasting workshops are step 2 and are usually run by consultants); of those,
   the ones run *without a consultant*: neither the facilitator nor a co-host has an
   email in the consultants setting. *Actions agreed* (`created_at`) and *done* (`done_at`)
   from every workshop's harvest.

Totals of counts are over the 12 months; distinct people are counted once in a total even
when reached in several months.

`members` restricts the people-based figures to a cohort: opportunities by proposer,
tasting workshops and people reached by attendee (a workshop counts when one of the
cohort's members was reached at it), trainees, certificate holders, workshops by
facilitator or co-host, actions by owner.

Queries: every figure that counts events is bucketed by month in the database (a dialect's
month expression: `strftime` on SQLite, `to_char` of the UTC time on PostgreSQL) and they
all run as one UNION ALL; the trainees need the state at each month's end, so their
portfolios (the open ones and those approved within the window) are read in one query and
bucketed in Python. Two queries in all, whatever the number of months or people.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Interval,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from cocourse.models import (
    Certificate,
    Opportunity,
    Portfolio,
    User,
    UTCDateTime,
    Workshop,
    WorkshopAction,
    WorkshopHost,
    WorkshopSeat,
)

if TYPE_CHECKING:
    from typing import TypeAlias

    from sqlalchemy import Select

    Query: TypeAlias = Select[*tuple[Any, ...]]

MONTHS = 12
ACTED_ON = ("planned", "workshop", "done")
IN_TRAINING = ("draft", "submitted", "changes-requested")
RUN_BY_FACILITATORS = ("solution", "exchange")
TOTAL = "total"

# The figures, in the order of the page and the CSV columns, with what each counts.
RAISED = "opportunities_raised"
ACTED = "opportunities_acted_on"
TASTINGS = "tasting_workshops_held"
TASTINGS_UNRECORDED = "tasting_workshops_without_attendance"
REACHED = "people_reached"
TRAINING = "facilitators_in_training"
CERTIFIED = "certificates_issued"
VALID = "certificates_valid"
RUN = "workshops_run"
WITHOUT_CONSULTANT = "workshops_without_consultant"
AGREED = "actions_agreed"
DONE = "actions_done"
FIGURES = (
    RAISED,
    ACTED,
    TASTINGS,
    TASTINGS_UNRECORDED,
    REACHED,
    TRAINING,
    CERTIFIED,
    VALID,
    RUN,
    WITHOUT_CONSULTANT,
    AGREED,
    DONE,
)
# Figures that are a state now rather than a count over the window: their total is "now".
NOW = frozenset({TRAINING, VALID})
# Figures that have a total only (no value per month).
TOTAL_ONLY = frozenset({VALID})


@dataclass(frozen=True)
class Series:
    """One figure: a value per month, oldest first (None for a total-only figure), and its
    total (over the window, or now for the figures in NOW)."""

    name: str
    months: tuple[int | None, ...]
    total: int


@dataclass(frozen=True)
class Programme:
    """Every figure over the window; `months` are "YYYY-MM" keys, oldest first."""

    months: tuple[str, ...]
    series: dict[str, Series]
    now: datetime

    def __getitem__(self, name: str) -> Series:
        return self.series[name]

    def share_without_consultant(self) -> float | None:
        """Workshops run without a consultant as a share of those run (None: none run)."""
        run = self.series[RUN].total
        return self.series[WITHOUT_CONSULTANT].total / run if run else None


def month_starts(now: datetime, count: int = MONTHS) -> list[datetime]:
    """The first instants (UTC) of the last `count` calendar months, oldest first."""
    now = now.astimezone(UTC)
    year, month = now.year, now.month
    starts = []
    for _ in range(count):
        starts.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def month_key(moment: datetime) -> str:
    """A moment's month as "YYYY-MM" (UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def figures(
    session: Session,
    now: datetime,
    members: Query | None = None,
    consultants: Collection[str] = (),
) -> Programme:
    """Every figure of the four steps for the 12 months up to `now`.

    `members`: a query of user ids (a cohort's members) to restrict the people-based
    figures to; None counts everyone. `consultants`: email addresses of external
    consultants (compared without case).
    """
    starts = month_starts(now)
    keys = tuple(month_key(start) for start in starts)
    window = _Window(session.get_bind().dialect.name, starts[0], now, members)
    emails = sorted({email.strip().lower() for email in consultants if email.strip()})
    found: dict[tuple[str, str], int] = {
        (name, month): int(count)
        for name, month, count in session.execute(union_all(*window.parts(emails)))
    }
    series = {
        name: Series(
            name,
            tuple(None if name in TOTAL_ONLY else found.get((name, key), 0) for key in keys),
            found.get((name, TOTAL), 0),
        )
        for name in FIGURES
        if name != TRAINING
    }
    series[TRAINING] = _in_training(session, starts, now, members)
    return Programme(keys, {name: series[name] for name in FIGURES}, now)


class _Window:
    """Builds the per-month counting queries for one window and one scope."""

    def __init__(self, dialect: str, start: datetime, now: datetime, members: Any) -> None:
        self.dialect, self.start, self.now, self.members = dialect, start, now, members

    def month(self, column: Any) -> ColumnElement[str]:
        """A timestamp's UTC month as "YYYY-MM"; the expression differs by dialect."""
        if self.dialect == "postgresql":
            # Constants inline: GROUP BY must repeat the SELECT's expression exactly, and
            # PostgreSQL tells two bound parameters apart even when their values agree.
            utc = func.timezone(literal_column("'UTC'"), column)
            return func.to_char(utc, literal_column("'YYYY-MM'"), type_=String)
        # SQLite stores UTC timestamps as ISO text ("2025-03-04 10:00:00.000000").
        return func.strftime(literal_column("'%Y-%m'"), column, type_=String)

    def counted(
        self, name: str, at: Any, count: ColumnElement[Any], *where: Any, inside: bool = True
    ) -> list[Query]:
        """(name, month, count) per month of `at` in the window, and (name, "total", count)."""
        label = literal_column(f"'{name}'", String).label("figure")  # a constant, never input
        if inside:
            where = (at >= self.start, at <= self.now, *where)
        month = self.month(at)
        by_month = select(label, month.label("month"), count).where(*where).group_by(month)
        total = select(label, literal_column(f"'{TOTAL}'", String), count).where(*where)
        return [by_month, total]

    def among(self, column: Any) -> ColumnElement[bool]:
        """The column's user is one of the chosen people (always true without a cohort)."""
        if self.members is None:
            return true()
        chosen: ColumnElement[bool] = column.in_(self.members)
        return chosen

    def ended(self) -> ColumnElement[bool]:
        """A workshop ended by now (date arithmetic differs by dialect)."""
        now = literal(self.now, UTCDateTime())
        if self.dialect == "postgresql":
            minutes = func.make_interval(0, 0, 0, 0, 0, Workshop.duration_minutes, type_=Interval)
            ended: ColumnElement[bool] = Workshop.starts_at + minutes <= now
            return ended
        elapsed = (func.julianday(now) - func.julianday(Workshop.starts_at)) * 1440.0
        return elapsed >= Workshop.duration_minutes

    def parts(self, consultants: list[str]) -> list[Query]:
        """Every event-counting figure's queries."""
        return [
            *self.opportunities(),
            *self.tastings(),
            *self.certificates(),
            *self.facilitated(consultants),
            *self.actions(),
        ]

    def opportunities(self) -> list[Query]:
        proposed = self.among(Opportunity.proposer_id)
        return [
            *self.counted(RAISED, Opportunity.created_at, func.count(), proposed),
            *self.counted(
                ACTED,
                Opportunity.updated_at,
                func.count(),
                Opportunity.status.in_(ACTED_ON),
                proposed,
            ),
        ]

    def held(self, kinds: Iterable[str]) -> tuple[ColumnElement[bool], ...]:
        """Workshops of these kinds that took place (not cancelled) and ended by now."""
        return (Workshop.kind.in_(list(kinds)), Workshop.status == "scheduled", self.ended())

    def tastings(self) -> list[Query]:
        seat = aliased(WorkshopSeat)
        recorded = (
            exists()
            .where(seat.workshop_id == Workshop.id, seat.attended_at.is_not(None))
            .correlate(Workshop)  # also when nested in another EXISTS, as with a cohort
        )
        # Attended, or confirmed at a workshop where nobody's attendance was recorded.
        present = or_(
            WorkshopSeat.attended_at.is_not(None),
            and_(WorkshopSeat.status == "confirmed", ~recorded),
        )
        reached = and_(present, self.among(WorkshopSeat.user_id))
        held = (*self.held(["tasting"]), Workshop.starts_at >= self.start)
        if self.members is not None:  # a workshop counts when a chosen person was reached
            held = (
                *held,
                exists().where(WorkshopSeat.workshop_id == Workshop.id, reached),
            )
        person = case(
            (WorkshopSeat.user_id.is_not(None), "u" + cast(WorkshopSeat.user_id, String)),
            else_="g" + func.lower(WorkshopSeat.guest_email, type_=String),
        )
        people = (
            select(Workshop.starts_at.label("at"), person.label("person"))
            .join(WorkshopSeat, WorkshopSeat.workshop_id == Workshop.id)
            .where(*self.held(["tasting"]), Workshop.starts_at >= self.start, reached)
            .subquery("reached")
        )
        return [
            *self.counted(TASTINGS, Workshop.starts_at, func.count(), *held, inside=False),
            *self.counted(
                TASTINGS_UNRECORDED,
                Workshop.starts_at,
                func.count(),
                *held,
                ~recorded,
                inside=False,
            ),
            *self.counted(
                REACHED, people.c.at, func.count(people.c.person.distinct()), inside=False
            ),
        ]

    def certificates(self) -> list[Query]:
        today = self.now.astimezone(UTC).date()
        holder = self.among(Certificate.user_id)
        valid = select(
            literal_column(f"'{VALID}'", String),
            literal_column(f"'{TOTAL}'", String),
            func.count(),
        ).where(
            Certificate.superseded_at.is_(None),
            Certificate.revoked_at.is_(None),
            Certificate.valid_from <= today,
            Certificate.expires_on >= today,
            holder,
        )
        first = Certificate.previous_id.is_(None)
        return [*self.counted(CERTIFIED, Certificate.issued_at, func.count(), first, holder), valid]

    def facilitated(self, consultants: list[str]) -> list[Query]:
        held = (*self.held(RUN_BY_FACILITATORS), Workshop.starts_at >= self.start)
        if self.members is not None:
            hosted = exists().where(
                WorkshopHost.workshop_id == Workshop.id, WorkshopHost.user_id.in_(self.members)
            )
            held = (*held, or_(Workshop.facilitator_id.in_(self.members), hosted))
        if consultants:
            person = aliased(User)
            by_consultant = or_(
                exists().where(
                    person.id == Workshop.facilitator_id,
                    func.lower(person.email).in_(consultants),
                ),
                exists()
                .where(WorkshopHost.workshop_id == Workshop.id)
                .where(person.id == WorkshopHost.user_id)
                .where(func.lower(person.email).in_(consultants)),
            )
            without: ColumnElement[int] = cast(case((by_consultant, 0), else_=1), Integer)
        else:
            without = literal(1, Integer)
        return [
            *self.counted(RUN, Workshop.starts_at, func.count(), *held, inside=False),
            *self.counted(
                WITHOUT_CONSULTANT,
                Workshop.starts_at,
                func.coalesce(func.sum(without), 0),
                *held,
                inside=False,
            ),
        ]

    def actions(self) -> list[Query]:
        owned = self.among(WorkshopAction.owner_id)
        return [
            *self.counted(AGREED, WorkshopAction.created_at, func.count(), owned),
            *self.counted(DONE, WorkshopAction.done_at, func.count(), owned),
        ]


def _in_training(session: Session, starts: list[datetime], now: datetime, members: Any) -> Series:
    """People in training at each month's end (the current month: now), and now."""
    query = select(
        Portfolio.user_id, Portfolio.enrolled_at, Portfolio.status, Portfolio.decided_at
    ).where(
        Portfolio.kind == "certification",
        Portfolio.enrolled_at <= now,
        or_(
            Portfolio.status != "approved",
            and_(Portfolio.decided_at.is_not(None), Portfolio.decided_at > starts[0]),
        ),
    )
    if members is not None:
        query = query.where(Portfolio.user_id.in_(members))
    rows = session.execute(query).all()
    ends = [*starts[1:], now]  # a month ends where the next begins

    def training_at(moment: datetime) -> int:
        return len(
            {
                user_id
                for user_id, enrolled_at, status, decided_at in rows
                if enrolled_at < moment
                and (status != "approved" or decided_at is None or decided_at >= moment)
            }
        )

    current = {user_id for user_id, _, status, _ in rows if status in IN_TRAINING}
    return Series(TRAINING, tuple(training_at(end) for end in ends), len(current))
