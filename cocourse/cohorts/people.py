"""Adding people from a CSV file (name, email, cohort, role), with a report for every row.

The file is read and checked first; then every row is applied in one write transaction, so an
unexpected failure leaves nothing half-written, while a row that is rejected does not stop the
valid ones. New accounts get an unusable password; with `invite`, each new person is also
sent an invitation link (queued in the same transaction) to choose their own.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal
from email_validator import EmailNotValidError, validate_email
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse.accounts import tokens
from cocourse.accounts.services import normalize_email
from cocourse.cohorts import services as cohorts
from cocourse.db import write
from cocourse.models import Cohort, Role, User, utcnow

MAX_ROWS = 5000
MAX_BYTES = 1024 * 1024  # well under MAX_CONTENT_LENGTH, and far more than 5,000 rows need
MAX_NAME = 120
MAX_EMAIL = 254
COLUMNS = ("name", "email", "cohort", "role")
# What spreadsheets write between cells: commas, semicolons where the comma is the decimal
# separator (Excel in Belgian, Dutch, French and German settings), or tabs.
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
REQUIRED_COLUMNS = ("name", "email")
CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, REJECTED)
# Werkzeug's check_password_hash() is False for any value without "$" (the method, salt and
# hash separator), so no password matches this.
UNUSABLE_PREFIX = "!"


class PeopleFileError(ValueError):
    """The file as a whole cannot be imported (encoding, header, size); nothing was changed."""


@dataclass(frozen=True)
class Row:
    """One data row of the file as written, with its row number (the header is row 1)."""

    line: int
    name: str
    email: str
    cohort: str
    role: str
    extra: bool = False  # text in cells beyond the header's columns


@dataclass(frozen=True)
class RowReport:
    """What happened to one row."""

    line: int
    email: str
    outcome: str  # one of OUTCOMES
    detail: str = ""  # what changed, or why the row was rejected


@dataclass(frozen=True)
class ImportReport:
    """What happened to every row, in file order, and the cohorts the import created."""

    rows: tuple[RowReport, ...]
    new_cohorts: tuple[str, ...]
    separator: str = ","  # between the cells of the file (see SEPARATORS)

    @property
    def separator_name(self) -> str:
        """The separator in words: comma, semicolon or tab."""
        return SEPARATORS.get(self.separator, repr(self.separator))

    @property
    def counts(self) -> dict[str, int]:
        """How many rows had each outcome (every outcome present, zero or not)."""
        found = Counter(row.outcome for row in self.rows)
        return {outcome: found[outcome] for outcome in OUTCOMES}


def _role_name(role: str) -> str:
    """A role as shown on the report."""
    return str(cohorts.ROLE_NAMES.get(role, role))


def unusable_password() -> str:
    """A password hash that no password matches, different for everyone."""
    return UNUSABLE_PREFIX + secrets.token_urlsafe(32)


def decode(data: bytes) -> str:
    """The file's text: UTF-8 with or without a byte order mark (as spreadsheets save it)."""
    if len(data) > MAX_BYTES:
        raise PeopleFileError(
            _(
                "The file is larger than %(kb)s KB. Split it into smaller files.",
                kb=MAX_BYTES // 1024,
            )
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PeopleFileError(
            _(
                "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” "
                "and upload it again."
            )
        ) from None


def _header(cells: Sequence[str]) -> list[str]:
    """The column names, checked: name and email needed, cohort and role optional."""
    columns = [cell.strip().lower() for cell in cells]
    while columns and not columns[-1]:  # spreadsheets add empty columns at the end
        columns.pop()
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise PeopleFileError(
            _(
                "The first line has an unknown column “%(column)s”. "
                "Use the columns name, email, cohort and role.",
                column=unknown[0],
            )
        )
    repeated = [c for c, n in Counter(columns).items() if n > 1]
    if repeated:
        raise PeopleFileError(
            _("The column “%(column)s” appears twice in the first line.", column=repeated[0])
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise PeopleFileError(
            _(
                "The first line has no “%(column)s” column. "
                "It should be: name,email,cohort,role (cohort and role may be left out).",
                column=missing[0],
            )
        )
    return columns


def separator_of(text: str) -> str:
    """The cell separator of a CSV text, from its header line: the one of SEPARATORS it
    holds most often (the header's names hold none of them); a comma when it holds none."""
    header = text.split("\n", 1)[0]
    found = max(SEPARATORS, key=header.count)
    return found if header.count(found) else ","


def read_rows(text: str, separator: str = ",") -> list[Row]:
    """The data rows of a CSV text with a header line; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows: list[Row] = []
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise PeopleFileError(
                _("The file is empty. The first line should be: name,email,cohort,role")
            )
        columns = _header(header)
        # Rows are numbered as a spreadsheet shows them: the header is row 1, blank rows count.
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise PeopleFileError(
                    _(
                        "The file has more than %(rows)s rows. Split it into smaller files.",
                        rows=format_decimal(MAX_ROWS, locale=str(get_locale() or "en")),
                    )
                )
            values = dict(zip(columns, cells, strict=False))
            rows.append(
                Row(
                    line=number,
                    name=values.get("name", ""),
                    email=values.get("email", ""),
                    cohort=values.get("cohort", ""),
                    role=values.get("role", ""),
                    extra=any(cell.strip() for cell in cells[len(columns) :]),
                )
            )
    except csv.Error as exc:
        raise PeopleFileError(
            _("Line %(line)s is not valid CSV: %(error)s.", line=reader.line_num, error=exc)
        ) from None
    if not rows:
        raise PeopleFileError(_("The file has a header line but no people in it."))
    return rows


@dataclass(frozen=True)
class _Valid:
    """A row that passed the checks, normalized."""

    line: int
    name: str
    email: str
    cohort: str  # "" for none
    role: Role | None  # None: learner for new people, unchanged for existing ones


def _check(row: Row) -> _Valid | RowReport:
    """The row normalized, or its rejection."""
    email = normalize_email(row.email)

    def reject(reason: str) -> RowReport:
        return RowReport(row.line, email, REJECTED, reason)

    if row.extra:
        return reject(_("more cells than the header has columns"))
    name = " ".join(row.name.split())
    if not name:
        return reject(_("missing name"))
    if len(name) > MAX_NAME:
        return reject(_("name longer than %(max)s characters", max=MAX_NAME))
    if not email:
        return reject(_("missing email"))
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return reject(_("bad email address"))
    if len(email) > MAX_EMAIL:
        return reject(_("bad email address"))
    role_text = row.role.strip().lower()
    if role_text and role_text not in {r.value for r in Role}:
        return reject(
            _(
                "unknown role “%(role)s” (use learner, assessor or admin)",
                role=row.role.strip(),
            )
        )
    cohort = " ".join(row.cohort.split())
    if len(cohort) > cohorts.MAX_NAME:
        return reject(_("cohort name longer than %(max)s characters", max=cohorts.MAX_NAME))
    return _Valid(row.line, name, email, cohort, Role(role_text) if role_text else None)


def _checked(rows: Sequence[Row]) -> Iterator[_Valid | RowReport]:
    """Every row checked; a row repeating an earlier row's email and cohort is a duplicate."""
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        checked = _check(row)
        if isinstance(checked, _Valid):
            key = (checked.email, checked.cohort.lower())
            if key in seen:
                checked = RowReport(
                    row.line,
                    checked.email,
                    REJECTED,
                    _("duplicate of row %(row)s", row=seen[key]),
                )
            else:
                seen[key] = row.line
        yield checked


class _Import:
    """The state of one import inside its write transaction."""

    def __init__(self, session: Session, valid: Sequence[_Valid]) -> None:
        self.session = session
        emails = sorted({row.email for row in valid})
        self.users: dict[str, User] = {}
        for start in range(0, len(emails), 1000):
            chunk = emails[start : start + 1000]
            for user in session.scalars(select(User).where(User.email.in_(chunk))):
                self.users[user.email] = user
        names = sorted({row.cohort.lower() for row in valid if row.cohort})
        self.cohorts: dict[str, Cohort] = {}
        for start in range(0, len(names), 1000):
            query = select(Cohort).where(func.lower(Cohort.name).in_(names[start : start + 1000]))
            for cohort in session.scalars(query):
                self.cohorts[cohort.name.lower()] = cohort
        # Locked, as on the People page, so the last active admin cannot be demoted.
        self.admins = set(
            session.scalars(
                select(User.id)
                .where(User.role == Role.ADMIN.value, User.deactivated_at.is_(None))
                .with_for_update()
            )
        )
        self.new_cohorts: list[str] = []

    def cohort(self, name: str) -> tuple[Cohort, bool]:
        """The cohort of this name, created if missing; whether it was created now."""
        found = self.cohorts.get(name.lower())
        if found is not None:
            return found, False
        cohort = Cohort(name=name, description="", join_code=cohorts.new_join_code())
        cohort.created_at = utcnow()
        self.session.add(cohort)
        self.session.flush()
        self.cohorts[name.lower()] = cohort
        self.new_cohorts.append(name)
        return cohort, True

    def apply(self, row: _Valid) -> RowReport:
        """Create or update the person of one row."""
        user = self.users.get(row.email)
        changes: list[str] = []
        if user is None:
            role = row.role or Role.LEARNER
            user = User(
                email=row.email,
                name=row.name,
                password_hash=unusable_password(),
                role=role.value,
                created_at=utcnow(),
            )
            self.session.add(user)
            self.session.flush()
            self.users[row.email] = user
            if role == Role.ADMIN:
                self.admins.add(user.id)
            changes.append(_role_name(role.value))
            outcome = CREATED
        else:
            outcome = UNCHANGED
            if row.name != user.name:
                changes.append(_("name kept as %(name)s", name=user.name))
            if row.role is not None and row.role.value == user.role:
                changes.append(_("already %(role)s", role=_role_name(user.role)))
            elif row.role is not None:
                if user.id in self.admins and len(self.admins) == 1:
                    return RowReport(
                        row.line,
                        row.email,
                        REJECTED,
                        _("the only admin cannot get another role"),
                    )
                changes.append(
                    _(
                        "role %(old)s → %(new)s",
                        old=_role_name(user.role),
                        new=_role_name(row.role.value),
                    )
                )
                user.role = row.role.value
                if row.role == Role.ADMIN:
                    self.admins.add(user.id)
                else:
                    self.admins.discard(user.id)
                outcome = UPDATED
        if row.cohort:
            cohort, new = self.cohort(row.cohort)
            if cohorts.insert_member(self.session, cohort.id, user.id):
                if new:
                    changes.append(_("added to %(cohort)s (new cohort)", cohort=cohort.name))
                else:
                    changes.append(_("added to %(cohort)s", cohort=cohort.name))
                if outcome == UNCHANGED:
                    outcome = UPDATED
            else:
                changes.append(_("already in %(cohort)s", cohort=cohort.name))
        if not changes:
            changes.append(_("has an account already; nothing to change"))
        return RowReport(row.line, row.email, outcome, "; ".join(changes))


def import_rows(
    session: Session,
    rows: Sequence[Row],
    separator: str = ",",
    invite: tokens.LinkMaker | None = None,
    inviter: str = "",
) -> ImportReport:
    """Check every row, then apply the valid ones in one write transaction; with `invite`
    (the link for a token), email every new person an invitation in that transaction."""
    checked = list(_checked(rows))
    valid = [row for row in checked if isinstance(row, _Valid)]
    reports: dict[int, RowReport] = {r.line: r for r in checked if isinstance(r, RowReport)}
    new_cohorts: list[str] = []
    if valid:
        try:
            with write(session):
                state = _Import(session, valid)
                for row in valid:
                    reports[row.line] = state.apply(row)
                new_cohorts = state.new_cohorts
                if invite is not None:
                    for row in valid:
                        if reports[row.line].outcome == CREATED:
                            user = state.users[row.email]
                            tokens.invite_within(session, user, invite, inviter)
        except IntegrityError:  # an account or cohort was created elsewhere meanwhile
            raise PeopleFileError(
                _(
                    "Someone added an account or a cohort from this file at the same moment, "
                    "so nothing was saved. Upload the file again."
                )
            ) from None
    return ImportReport(
        rows=tuple(reports[row.line] for row in rows),
        new_cohorts=tuple(new_cohorts),
        separator=separator,
    )


def import_csv(
    session: Session, data: bytes, invite: tokens.LinkMaker | None = None, inviter: str = ""
) -> ImportReport:
    """Read a CSV file's bytes (comma, semicolon or tab separated, as detected) and import
    its rows, inviting new people with `invite`; raises PeopleFileError for the file."""
    text = decode(data)
    separator = separator_of(text)
    return import_rows(session, read_rows(text, separator), separator, invite, inviter)
