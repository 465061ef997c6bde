"""iCalendar (RFC 5545) objects for workshop invitations, updates and cancellations.

One event per workshop, with a UID that never changes and a SEQUENCE that grows with each
change, so calendar programs replace the event they have instead of adding another.
Times are written in UTC; calendar programs show them in the reader's own zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

from cocourse.models import Workshop

REQUEST, CANCEL = "REQUEST", "CANCEL"


def uid(workshop: Workshop, domain: str) -> str:
    """The event's identifier: the same for every message about this workshop."""
    return f"workshop-{workshop.id}@{domain}"


def invitation(
    workshop: Workshop,
    *,
    domain: str,
    organizer: tuple[str, str],
    attendee: tuple[str, str],
    link: str,
    method: str = REQUEST,
    now: datetime,
) -> str:
    """The iCalendar text for one attendee: an invitation (or update) or a cancellation.

    `organizer` and `attendee` are (name, email); `link` is the workshop's page for them.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//cocourse//workshops//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid(workshop, domain))
    event.add("sequence", workshop.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", workshop.starts_at)
    event.add("dtend", workshop.starts_at + timedelta(minutes=workshop.duration_minutes))
    event.add("summary", workshop.title)
    description = "\n\n".join(part for part in (workshop.purpose, link) if part)
    event.add("description", description)
    location = workshop.place or workshop.video_url
    if location:
        event.add("location", location)
    if workshop.video_url:
        event.add("url", workshop.video_url)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("organizer", _address(*organizer))
    guest = _address(*attendee)
    guest.params["ROLE"] = vText("REQ-PARTICIPANT")
    guest.params["PARTSTAT"] = vText("ACCEPTED")
    event.add("attendee", guest)
    calendar.add_component(event)
    text: bytes = calendar.to_ical()
    return text.decode("utf-8")


def _address(name: str, email: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    return address
