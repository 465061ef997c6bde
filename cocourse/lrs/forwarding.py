"""Send the activity log's statements to a learning record store, in batches, from a
position kept in the database.

Each run sends the events after the stored position, oldest first, `batch_size` at a
time, as the stored statements (`activity.stored_statements`): a statement sent again is
byte for byte the one the store has, which an xAPI store accepts as a duplicate. The
position moves only after the store accepted a batch, and only from where this run found
it, so nothing is skipped and two runs at once do not both move it. A store that is down or
answers an error leaves the position where it is: the next run (a minute later) sends the
same batch again. A store that answers 409 (it holds a *different* statement with one of
the ids) gets the batch one statement at a time; the refused ones are counted and logged,
and the rest go through. No Flask: the scheduled job passes the session and the settings.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import requests
from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from cocourse.content.model import Course
from cocourse.db import write
from cocourse.learning import activity
from cocourse.models import LrsForwarding, utcnow

log = logging.getLogger("cocourse.lrs")

XAPI_VERSION = "1.0.3"
ACCEPTED = (200, 204)
CONFLICT = 409
MAX_BATCHES = 20  # per run, so that one run ends; the next run goes on


@dataclass(frozen=True)
class Store:
    """Where statements go: the xAPI endpoint (ending in `/`) and its credentials."""

    endpoint: str
    username: str = ""
    password: str = ""
    timeout: float = 20.0

    @property
    def statements_url(self) -> str:
        return self.endpoint.rstrip("/") + "/statements"


class StoreDown(Exception):
    """The store could not be reached, or answered something other than yes or 409."""


def post(store: Store, texts: list[str]) -> int:
    """POST statements (JSON texts) as one array; the HTTP status (200, 204 or 409)."""
    body = ("[" + ",".join(texts) + "]").encode("utf-8")
    try:
        response = requests.post(
            store.statements_url,
            data=body,
            headers={"Content-Type": "application/json", "X-Experience-API-Version": XAPI_VERSION},
            auth=(store.username, store.password) if store.username else None,
            timeout=store.timeout,
        )
    except requests.RequestException as exc:
        raise StoreDown(f"the store could not be reached: {exc}") from exc
    if response.status_code in ACCEPTED or response.status_code == CONFLICT:
        return response.status_code
    raise StoreDown(f"the store answered HTTP {response.status_code}: {response.text[:300]}")


def state(session: Session, endpoint: str) -> LrsForwarding:
    """The forwarding state of an endpoint, created (at the start of the log) if new."""
    found = session.scalar(select(LrsForwarding).where(LrsForwarding.endpoint == endpoint))
    if found is None:
        with write(session):
            session.add(LrsForwarding(endpoint=endpoint, last_event_id=0, sent=0, conflicts=0))
        found = session.scalar(select(LrsForwarding).where(LrsForwarding.endpoint == endpoint))
        assert found is not None
    return found


def pending_count(session: Session, last_event_id: int) -> int:
    """How many events wait to be sent."""
    table = activity.TABLE
    found = session.scalar(select(func.count()).where(table.c.id > last_event_id))
    return int(found or 0)


def forward(
    session: Session,
    course: Course,
    base_url: str,
    store: Store,
    batch_size: int,
    now: datetime | None = None,
) -> int:
    """Send what is pending; how many statements the store accepted in this run."""
    sent = 0
    position = state(session, store.endpoint).last_event_id
    session.commit()
    for _ in range(MAX_BATCHES):
        rows = activity.events_after(session, position, batch_size)
        if not rows:
            break
        texts = activity.stored_statements(session, rows, course, base_url)
        try:
            accepted, refused = _send(store, texts)
        except StoreDown as exc:
            _record_error(session, store.endpoint, str(exc), now)
            log.warning("xAPI forwarding to %s stopped: %s", store.endpoint, exc)
            break
        if not _advance(session, store.endpoint, position, rows[-1].id, accepted, refused, now):
            break  # another run moved the position first: it goes on from there
        position = rows[-1].id
        sent += accepted
        if refused:
            message = (
                f"{len(refused)} statement(s) refused as differing from what the store holds "
                f"(409): {', '.join(refused[:5])}"
            )
            _record_error(session, store.endpoint, message, now)
            log.warning("xAPI forwarding to %s: %s", store.endpoint, message)
    return sent


def _send(store: Store, texts: list[str]) -> tuple[int, list[str]]:
    """(accepted, ids refused with 409): the batch at once, else one statement at a time."""
    if post(store, texts) in ACCEPTED:
        return len(texts), []
    accepted, refused = 0, []
    for text in texts:
        if post(store, [text]) in ACCEPTED:
            accepted += 1
        else:
            refused.append(_statement_id(text))
    return accepted, refused


def _statement_id(text: str) -> str:
    found: Any = json.loads(text).get("id", "?")
    return str(found)


def _advance(
    session: Session,
    endpoint: str,
    old: int,
    new: int,
    accepted: int,
    refused: list[str],
    now: datetime | None,
) -> bool:
    """Move the position from `old` to `new`; False if it is no longer at `old`."""
    table = cast(Table, LrsForwarding.__table__)
    with write(session):
        moved = session.execute(
            update(table)
            .where(table.c.endpoint == endpoint, table.c.last_event_id == old)
            .values(
                last_event_id=new,
                sent=table.c.sent + accepted,
                conflicts=table.c.conflicts + len(refused),
                last_sent_at=now or utcnow(),
            )
            .returning(table.c.id)
        ).first()
    return moved is not None


def _record_error(session: Session, endpoint: str, message: str, now: datetime | None) -> None:
    table = cast(Table, LrsForwarding.__table__)
    with write(session):
        session.execute(
            update(table)
            .where(table.c.endpoint == endpoint)
            .values(last_error=message, last_error_at=now or utcnow())
        )
