"""The sponsor's programme page: every figure from seeded rows, the cohort filter, the
consultants setting, who may see it, the CSV, and a bounded number of queries."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from cocourse.accounts.services import create_user
from cocourse.models import (
    Certificate,
    Cohort,
    CohortMember,
    Opportunity,
    Portfolio,
    Role,
    User,
    Workshop,
    WorkshopAction,
    WorkshopHost,
    WorkshopSeat,
)
from cocourse.programme import charts
from cocourse.programme import figures as programme

from .conftest import PASSWORD, AuthActions, make_app

# A fixed "now": the window is June 2030 to May 2031; April is index 10, May index 11.
NOW = datetime(2031, 5, 15, 12, 0, tzinfo=UTC)
MONTHS = tuple(f"2030-{m:02d}" for m in range(6, 13)) + tuple(f"2031-{m:02d}" for m in range(1, 6))
CONSULTANT = "Con.Sultant@Consult.example"
DEC, JAN, FEB, MAR, APR, MAY = 6, 7, 8, 9, 10, 11


def at(day: str, hour: int = 10) -> datetime:
    """A moment on a day ("2031-04-08") in UTC."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def months(**values: int) -> tuple[int, ...]:
    """Twelve zeros with the given months (by index name, e.g. apr=2) set."""
    named = {"dec": DEC, "jan": JAN, "feb": FEB, "mar": MAR, "apr": APR, "may": MAY}
    found = [0] * 12
    for name, value in values.items():
        found[named[name]] = value
    return tuple(found)


class Seeded:
    """The people and the cohort of the seeded programme."""

    def __init__(self, session: Session) -> None:
        self.session = session

        def person(email: str, role: Role = Role.LEARNER) -> User:
            user = User(email=email, name=email.split("@")[0].title(), password_hash="-")
            user.role = role.value
            session.add(user)
            return user

        self.ann, self.ben = person("ann@example.org"), person("ben@example.org")
        self.cat, self.dan = person("cat@example.org"), person("dan@example.org")
        self.eve, self.fay = person("eve@example.org"), person("fay@example.org")
        self.con = person(CONSULTANT.lower())
        self.north = Cohort(name="North", join_code="NORTH-CODE")
        self.south = Cohort(name="South", join_code="SOUTH-CODE")
        session.add_all([self.north, self.south])
        session.flush()
        session.add_all(
            [
                CohortMember(cohort_id=self.north.id, user_id=self.ann.id),
                CohortMember(cohort_id=self.north.id, user_id=self.ben.id),
                CohortMember(cohort_id=self.south.id, user_id=self.cat.id),
            ]
        )
        self.opportunities()
        self.tastings()
        self.training()
        self.workshops()
        session.commit()

    def opportunity(self, proposer: User, created: str, status: str, updated: str) -> None:
        self.session.add(
            Opportunity(
                title=f"Opportunity {created}",
                proposer_id=proposer.id,
                status=status,
                created_at=at(created),
                updated_at=at(updated),
            )
        )

    def opportunities(self) -> None:
        self.opportunity(self.ann, "2031-04-03", "open", "2031-04-03")
        self.opportunity(self.cat, "2031-04-10", "planned", "2031-05-02")
        self.opportunity(self.ben, "2030-01-01", "done", "2031-04-20")  # raised before
        self.opportunity(self.ann, "2031-05-01", "parked", "2031-05-03")  # not acted on
        self.opportunity(self.dan, "2031-05-02", "workshop", "2031-05-04")

    def workshop(
        self,
        kind: str,
        starts: datetime,
        minutes: int = 60,
        status: str = "scheduled",
        facilitator: User | None = None,
        hosts: tuple[User, ...] = (),
    ) -> Workshop:
        found = Workshop(
            kind=kind,
            title=f"{kind} {starts:%Y-%m-%d}",
            starts_at=starts,
            duration_minutes=minutes,
            timezone="UTC",
            capacity=20,
            status=status,
            facilitator_id=facilitator.id if facilitator else None,
        )
        self.session.add(found)
        self.session.flush()
        self.session.add_all(WorkshopHost(workshop_id=found.id, user_id=h.id) for h in hosts)
        return found

    def seat(
        self,
        workshop: Workshop,
        who: User | str,
        status: str = "confirmed",
        attended: bool = False,
    ) -> None:
        user = who if isinstance(who, User) else None
        self.session.add(
            WorkshopSeat(
                workshop_id=workshop.id,
                user_id=user.id if user else None,
                guest_email=None if user else who,
                name=user.name if user else "Guest",
                status=status,
                attended_at=workshop.starts_at if attended else None,
            )
        )

    def tastings(self) -> None:
        t1 = self.workshop("tasting", at("2031-04-08"))
        self.seat(t1, self.ann, attended=True)
        self.seat(t1, self.ben)  # confirmed, not marked present: not reached
        self.seat(t1, self.cat, attended=True)
        self.seat(t1, "Guest@Example.org", attended=True)
        self.seat(t1, self.dan, status="cancelled")
        # No attendance recorded at all: the confirmed seats count.
        t2 = self.workshop("tasting", at("2031-04-20"))
        self.seat(t2, self.ann)
        self.seat(t2, self.cat)
        self.seat(t2, self.dan, status="waiting")
        self.seat(t2, "guest@example.org", status="cancelled")
        t3 = self.workshop("tasting", NOW - timedelta(minutes=30), minutes=120)  # still on
        self.seat(t3, self.dan, attended=True)
        t4 = self.workshop("tasting", at("2031-05-02"), status="cancelled")
        self.seat(t4, self.dan)
        t5 = self.workshop("tasting", at("2031-05-05"))
        self.seat(t5, self.ben, attended=True)
        self.seat(t5, self.cat)  # confirmed, not marked where others were
        t6 = self.workshop("tasting", at("2030-03-01"))  # before the window
        self.seat(t6, self.dan, attended=True)
        t7 = self.workshop("tasting", at("2031-03-10"))
        self.seat(t7, self.cat, attended=True)

    def portfolio(
        self, user: User, enrolled: str, status: str, decided: str | None, kind: str = ""
    ) -> Portfolio:
        found = Portfolio(
            user_id=user.id,
            program="facilitator",
            kind=kind or "certification",
            status=status,
            enrolled_at=at(enrolled),
            decided_at=at(decided) if decided else None,
        )
        self.session.add(found)
        self.session.flush()
        return found

    def certificate(
        self,
        user: User,
        issued: str,
        expires: str,
        previous: Certificate | None = None,
        superseded: str | None = None,
        revoked: str | None = None,
    ) -> Certificate:
        found = Certificate(
            user_id=user.id,
            program="facilitator" if not revoked else "other",
            code=f"code-{user.id}-{issued}",
            previous_id=previous.id if previous else None,
            holder_name=user.name,
            issued_at=at(issued),
            valid_from=date.fromisoformat(issued),
            expires_on=date.fromisoformat(expires),
            superseded_at=at(superseded) if superseded else None,
            revoked_at=at(revoked) if revoked else None,
            badge_salt="salt",
        )
        self.session.add(found)
        self.session.flush()
        return found

    def training(self) -> None:
        self.portfolio(self.ann, "2031-02-10", "draft", None)
        self.portfolio(self.ben, "2031-01-05", "approved", "2031-04-10")
        self.portfolio(self.cat, "2031-04-01", "changes-requested", "2031-04-25")
        self.portfolio(self.dan, "2031-03-01", "draft", None, kind="renewal")  # certified
        self.portfolio(self.fay, "2029-01-01", "approved", "2030-01-10")  # before the window
        self.certificate(self.ben, "2031-04-10", "2034-04-10")
        first = self.certificate(self.eve, "2030-12-01", "2031-12-01", superseded="2031-05-03")
        self.certificate(self.eve, "2031-05-03", "2034-05-03", previous=first)  # a renewal
        self.certificate(self.fay, "2028-01-01", "2031-01-01")  # expired
        self.certificate(self.cat, "2031-03-05", "2034-03-05", revoked="2031-03-20")

    def workshops(self) -> None:
        s1 = self.workshop("solution", at("2031-04-12"), facilitator=self.ann)
        self.workshop("exchange", at("2031-04-22"), facilitator=self.con, hosts=(self.ben,))
        s3 = self.workshop("solution", at("2031-05-06"), facilitator=self.cat, hosts=(self.con,))
        s4 = self.workshop("solution", at("2031-05-07"), facilitator=self.ben, hosts=(self.cat,))
        self.workshop("solution", at("2031-05-20"), facilitator=self.ann)  # not yet
        self.workshop("solution", at("2031-05-01"), status="cancelled", facilitator=self.ann)
        self.workshop("exchange", at("2030-02-01"), facilitator=self.ann)  # before the window
        actions = [
            (s1, self.ann, "2031-04-12", "2031-05-02"),
            (s1, self.cat, "2031-04-12", None),
            (s4, self.ben, "2031-05-07", "2031-05-09"),
            (s4, None, "2031-05-08", None),
            (s3, self.cat, "2030-01-05", "2031-04-01"),
        ]
        for workshop, owner, created, done in actions:
            self.session.add(
                WorkshopAction(
                    workshop_id=workshop.id,
                    kind="action",
                    text="Do it",
                    owner_id=owner.id if owner else None,
                    owner_name=owner.name if owner else "The team",
                    created_at=at(created),
                    done_at=at(done) if done else None,
                )
            )


@pytest.fixture
def seeded(session):
    return Seeded(session)


def members(cohort: Cohort):
    return select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)


# -- the figures -------------------------------------------------------------------------


def test_the_window_is_the_last_twelve_calendar_months_in_utc():
    starts = programme.month_starts(NOW)
    assert tuple(programme.month_key(s) for s in starts) == MONTHS
    assert starts[0] == datetime(2030, 6, 1, tzinfo=UTC)
    # Late on 31 December in New York is already January in UTC.
    new_york = datetime(2031, 1, 1, 2, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    assert programme.month_starts(new_york)[-1] == datetime(2031, 1, 1, tzinfo=UTC)


def test_step_one_opportunities_raised_and_acted_on(session, seeded):
    found = programme.figures(session, NOW)
    assert found.months == MONTHS
    assert found[programme.RAISED].months == months(apr=2, may=2)
    assert found[programme.RAISED].total == 4
    # Acted on: planned, workshop or done, in the month of the last change.
    assert found[programme.ACTED].months == months(apr=1, may=2)
    assert found[programme.ACTED].total == 3


def test_step_two_tasting_workshops_and_people_reached(session, seeded):
    found = programme.figures(session, NOW)
    # Cancelled, still running and earlier workshops are not held in the window.
    assert found[programme.TASTINGS].months == months(mar=1, apr=2, may=1)
    assert found[programme.TASTINGS].total == 4
    assert found[programme.TASTINGS_UNRECORDED].months == months(apr=1)
    assert found[programme.TASTINGS_UNRECORDED].total == 1
    # April: Ann (at both), Cat, the guest (by email, any case); Ben was confirmed at a
    # workshop where attendance was recorded and he was not marked. May: Ben only.
    assert found[programme.REACHED].months == months(mar=1, apr=3, may=1)
    # Each person once in the total: Ann, Ben, Cat and the guest.
    assert found[programme.REACHED].total == 4


def test_step_three_trainees_and_certificates(session, seeded):
    found = programme.figures(session, NOW)
    # Ben from January until his approval in April; Ann from February; Cat from April.
    # Dan's renewal is not training; Fay was approved before the window.
    assert found[programme.TRAINING].months == months(jan=1, feb=2, mar=2, apr=2, may=2)
    assert found[programme.TRAINING].total == 2  # now: Ann and Cat
    # First certificates only: Eve's renewal in May is not counted; Cat's revoked one is.
    assert found[programme.CERTIFIED].months == months(dec=1, mar=1, apr=1)
    assert found[programme.CERTIFIED].total == 3
    # Valid now: Ben's and Eve's renewed one (not Eve's superseded, Fay's expired, Cat's revoked).
    assert found[programme.VALID].total == 2
    assert found[programme.VALID].months == (None,) * 12


def test_step_four_workshops_without_consultants_and_actions(session, seeded):
    found = programme.figures(session, NOW, consultants=[CONSULTANT, " "])
    assert found[programme.RUN].months == months(apr=2, may=2)
    assert found[programme.RUN].total == 4
    # The consultant facilitated one and co-hosted another (emails compared without case).
    assert found[programme.WITHOUT_CONSULTANT].months == months(apr=1, may=1)
    assert found.share_without_consultant() == 0.5
    assert found[programme.AGREED].months == months(apr=2, may=2)
    assert found[programme.AGREED].total == 4
    assert found[programme.DONE].months == months(apr=1, may=2)
    assert found[programme.DONE].total == 3


def test_without_consultants_configured_every_workshop_is_without_one(session, seeded):
    found = programme.figures(session, NOW)
    assert found[programme.WITHOUT_CONSULTANT].months == found[programme.RUN].months
    assert found.share_without_consultant() == 1.0


def test_a_cohort_restricts_the_people_based_figures(session, seeded):
    found = programme.figures(session, NOW, members(seeded.north), [CONSULTANT])
    north = {name: (found[name].months, found[name].total) for name in programme.FIGURES}
    assert north[programme.RAISED] == (months(apr=1, may=1), 2)  # Ann's
    assert north[programme.ACTED] == (months(apr=1), 1)  # Ben's
    # Workshops where Ann or Ben was reached; Cat's March workshop is not theirs.
    assert north[programme.TASTINGS] == (months(apr=2, may=1), 3)
    assert north[programme.TASTINGS_UNRECORDED] == (months(apr=1), 1)
    assert north[programme.REACHED] == (months(apr=1, may=1), 2)
    assert north[programme.TRAINING] == (months(jan=1, feb=2, mar=2, apr=1, may=1), 1)
    assert north[programme.CERTIFIED] == (months(apr=1), 1)
    assert north[programme.VALID][1] == 1
    # Facilitated or co-hosted by Ann or Ben: the consultant's with Ben as co-host too.
    assert north[programme.RUN] == (months(apr=2, may=1), 3)
    assert north[programme.WITHOUT_CONSULTANT] == (months(apr=1, may=1), 2)
    assert north[programme.AGREED] == (months(apr=1, may=1), 2)
    assert north[programme.DONE] == (months(may=2), 2)


def test_an_empty_database_gives_zeros(session):
    found = programme.figures(session, NOW)
    for name in programme.FIGURES:
        assert found[name].total == 0
    assert found.share_without_consultant() is None


def test_the_figures_take_two_queries_however_many_rows(engine, session, seeded):
    def queries() -> int:
        seen: list[str] = []

        def listener(*args):
            seen.append(args[2])

        event.listen(engine, "before_cursor_execute", listener)
        with Session(engine) as fresh:
            programme.figures(fresh, NOW, members(seeded.north), [CONSULTANT])
        event.remove(engine, "before_cursor_execute", listener)
        return len([q for q in seen if q.lstrip().upper().startswith("SELECT")])

    assert queries() == 2
    Seeded.tastings(seeded)  # every month's rows again, and more people
    seeded.session.add_all(
        User(email=f"p{i}@example.org", name=f"P{i}", password_hash="-") for i in range(30)
    )
    seeded.session.commit()
    assert queries() == 2


def test_chart_geometry_scales_to_a_round_top():
    assert [charts.nice_top(n) for n in (0, 3, 5, 11, 21, 26, 99, 101)] == [
        4,
        4,
        5,
        20,
        25,
        50,
        100,
        200,
    ]
    chart = charts.bar_chart("c", "T", MONTHS, [("A", months(apr=5)), ("B", months(apr=10))])
    assert len(chart.bars) == 24
    a, b = chart.bars[2 * APR], chart.bars[2 * APR + 1]
    assert b.height == 2 * a.height and b.y + b.height == chart.base
    assert [tick.value for tick in chart.ticks] == [0, 5, 10]  # no 2.5 or 7.5 on the scale
    assert chart.months[0].year == "2030" and chart.months[JAN].year == "2031"
    assert chart.months[APR].name == "Apr" and chart.months[APR].year == ""


# -- the pages ---------------------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr("cocourse.programme.views.utcnow", lambda: NOW)


def login(app, session, email: str, role: Role) -> tuple[object, User]:
    client = app.test_client()
    user = create_user(session, email, email.split("@")[0].title(), PASSWORD, role)
    AuthActions(client, session).login(email)
    return client, user


def table(html: str, table_id: str) -> list[list[str]]:
    """A table's rows as cell texts (tags stripped)."""
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert found, table_id
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(0), re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


def test_a_sponsor_sees_every_step_with_charts_and_tables(app, session, seeded, frozen):
    client, _ = login(app, session, "spo@example.org", Role.SPONSOR)
    page = client.get("/programme")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/programme">Programme</a>' in html  # the menu link
    for step in ("1. Opportunities", "2. Tasting workshops", "3. Internal facilitators"):
        assert step in html
    assert html.count('role="img"') == 5 and html.count("<title id=") == 5
    assert "June 2030 to May 2031" in html
    assert "month of their last status change" in html
    rows = table(html, "table-opportunities")
    assert rows[0] == ["Month", "Raised", "Acted on"]
    assert rows[APR + 1] == ["Apr 2031", "2", "1"]
    assert rows[-1] == ["Last 12 months", "4", "3"]
    training = table(html, "table-training")
    assert training[-1] == ["Last 12 months", "2 (now)", "3"]
    tastings = table(html, "table-tastings")
    assert tastings[APR + 1] == ["Apr 2031", "2", "1", "3"]
    assert "every workshop counts as run without one" in html
    assert html.count('class="table-scroll" role="region" tabindex="0"') == 4


def test_the_cohort_filter_and_an_unknown_cohort(app, session, seeded, frozen):
    client, _ = login(app, session, "ada@example.org", Role.ADMIN)
    html = client.get(f"/programme?cohort={seeded.north.id}").get_data(as_text=True)
    assert f'<option value="{seeded.north.id}" selected>North</option>' in html
    assert "Counting the members of North" in html
    assert table(html, "table-opportunities")[-1] == ["Last 12 months", "2", "1"]
    assert table(html, "table-workshops")[-1] == ["Last 12 months", "3", "3", "2", "2"]
    for wrong in ("999999", "abc", "9" * 40, "-1"):
        assert client.get(f"/programme?cohort={wrong}").status_code == 404


def test_the_consultants_setting(engine, database_url, tmp_path, session, seeded, frozen):
    app = make_app(
        database_url, tmp_path, PLUGIN_SETTINGS={"programme": {"consultants": [CONSULTANT]}}
    )
    client, _ = login(app, session, "spo@example.org", Role.SPONSOR)
    html = client.get("/programme").get_data(as_text=True)
    words = " ".join(html.split())
    assert "2 of 4, where neither the facilitator nor a co-host is one of the 1 consultant" in words
    assert "<dd>50%</dd>" in html
    assert table(html, "table-workshops")[-1] == ["Last 12 months", "4", "2", "4", "3"]


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR])
def test_learners_and_assessors_get_403_and_no_link(app, session, role):
    client, _ = login(app, session, "someone@example.org", role)
    assert client.get("/programme").status_code == 403
    assert client.get("/programme.csv").status_code == 403
    assert 'href="/programme"' not in client.get("/").get_data(as_text=True)


def test_anonymous_people_log_in_first(client):
    page = client.get("/programme")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_the_csv_has_a_row_per_month_and_a_total(app, session, seeded, frozen):
    client, _ = login(app, session, "spo@example.org", Role.SPONSOR)
    response = client.get(f"/programme.csv?cohort={seeded.north.id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"programme-cohort-{seeded.north.id}.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["month", *programme.FIGURES]
    assert [row["month"] for row in rows] == [*MONTHS, "total"]
    april, total = rows[APR], rows[-1]
    assert april["opportunities_raised"] == "1"
    assert april["people_reached"] == "1"
    assert april["workshops_run"] == "2"
    assert april["certificates_valid"] == ""
    assert total["facilitators_in_training"] == "1"
    assert total["certificates_valid"] == "1"
    assert total["actions_done"] == "2"
    everyone = client.get("/programme.csv")
    assert 'filename="programme.csv"' in everyone.headers["Content-Disposition"]


def test_the_page_takes_a_bounded_number_of_queries(app, session, seeded, frozen):
    client, _ = login(app, session, "spo@example.org", Role.SPONSOR)
    engine = app.extensions["cocourse.engine"]

    def queries(url: str) -> list[str]:
        seen: list[str] = []

        def listener(*args):
            # Not the content check, which each process runs once a second, not per page.
            if "content_signal" not in args[2]:
                seen.append(args[2])

        event.listen(engine, "before_cursor_execute", listener)
        assert client.get(url).status_code == 200
        event.remove(engine, "before_cursor_execute", listener)
        return seen

    small = queries(f"/programme?cohort={seeded.north.id}")
    Seeded.tastings(seeded)
    Seeded.workshops(seeded)
    for i in range(20):
        user = User(email=f"m{i}@example.org", name=f"M{i}", password_hash="-")
        session.add(user)
        session.flush()
        session.add(CohortMember(cohort_id=seeded.north.id, user_id=user.id))
    session.commit()
    big = queries(f"/programme?cohort={seeded.north.id}")
    # The login session and user, the menu's counts, the cohorts, the figures (two).
    assert len(small) == len(big) <= 8, big


def test_the_feature_can_be_switched_off(engine, database_url, tmp_path, session):
    app = make_app(database_url, tmp_path, DISABLED_PLUGINS=["programme"])
    client, _ = login(app, session, "ada@example.org", Role.ADMIN)
    assert client.get("/programme").status_code == 404
    assert 'href="/programme"' not in client.get("/").get_data(as_text=True)
