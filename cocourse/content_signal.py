"""Telling every server process, on every host, that the content changed: a token in the
database (`content_signal`, one row) that a change replaces and each process polls.

The processes of one host also share `instance/content.reload`; the database reaches the
processes of the other hosts, which read the same content folder (shared storage).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from cocourse.models import ContentSignal, utcnow

log = logging.getLogger("cocourse.content")
ROW = 1


class DatabaseBroadcast:
    """The token on an engine; a database that cannot be read gives None (and a warning),
    so a request never fails over it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def latest(self) -> tuple[str, datetime] | None:
        try:
            with self.engine.connect() as connection:
                found = connection.execute(
                    select(ContentSignal.token, ContentSignal.at).where(ContentSignal.id == ROW)
                ).first()
        except SQLAlchemyError as exc:
            log.warning("could not read the content signal: %s", exc)
            return None
        return (str(found.token), found.at) if found else None

    def announce(self) -> str:
        """Replace the token; the new token."""
        token = secrets.token_hex(16)
        for _ in range(2):  # the first announcement ever may race another: then update
            with self.engine.begin() as connection:
                changed = connection.execute(
                    update(ContentSignal)
                    .where(ContentSignal.id == ROW)
                    .values(token=token, at=utcnow())
                )
            if changed.rowcount:
                return token
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        insert(ContentSignal).values(id=ROW, token=token, at=utcnow())
                    )
                return token
            except IntegrityError:
                continue
        return token
