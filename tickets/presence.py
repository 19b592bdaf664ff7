"""Collision detection on the desk: who else has a ticket open, and what was said since I looked.

The ticket page sends a heartbeat every ``HEARTBEAT_SECONDS`` (static/js/desk_presence.js) with
the agent's state, viewing or typing; a heartbeat older than ``PRESENCE_TTL`` counts as gone.
Every read here is for a ticket the caller already fetched through
``selectors.ticket_scope_for_agent``: these functions never look a ticket up by id themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User

from .models import Message, Ticket, TicketPresence

HEARTBEAT_SECONDS = 12
# Three missed heartbeats (a slow network, a busy tab) before an agent is shown as gone.
PRESENCE_TTL = timedelta(seconds=HEARTBEAT_SECONDS * 3)


class PresenceError(ValueError):
    pass


@dataclass(frozen=True)
class Presence:
    agent_id: int
    name: str
    state: str
    seen_at: datetime


def presence_heartbeat(*, ticket: Ticket, agent: User, state: str, now: datetime | None = None) -> None:
    """Record that ``agent`` is on ``ticket`` now, viewing or typing. One upsert (race-safe: the
    unique constraint decides), and expired rows are dropped so the table stays small.
    Safe to call any number of times."""
    if state not in TicketPresence.State.values:
        raise PresenceError(f"state must be one of: {', '.join(TicketPresence.State.values)}.")
    now = now or timezone.now()
    TicketPresence.objects.bulk_create(
        [TicketPresence(ticket=ticket, agent=agent, state=state, seen_at=now)],
        update_conflicts=True,
        unique_fields=["ticket", "agent"],
        update_fields=["state", "seen_at"],
    )
    # Expired rows of this ticket and of this agent (a tab closed without its "gone"): the table
    # holds at most one row per agent and ticket still being worked, not a history.
    TicketPresence.objects.filter(Q(ticket=ticket) | Q(agent=agent), seen_at__lt=now - PRESENCE_TTL).delete()


def presence_leave(*, ticket: Ticket, agent: User) -> None:
    """The agent closed the page: they stop showing at once instead of after ``PRESENCE_TTL``."""
    TicketPresence.objects.filter(ticket=ticket, agent=agent).delete()


def presence_list_for_ticket(*, ticket: Ticket, viewer: User, now: datetime | None = None) -> list[Presence]:
    """The other agents on the ticket now (the viewer excluded), typing ones first. One query."""
    now = now or timezone.now()
    rows = (
        TicketPresence.objects.filter(ticket=ticket, seen_at__gte=now - PRESENCE_TTL)
        .exclude(agent=viewer)
        .select_related("agent")
        .only("state", "seen_at", "agent__name", "agent__email")
        .order_by("state", "agent__name", "agent_id")  # "typing" < "viewing": typing first
    )
    return [
        Presence(agent_id=row.agent_id, name=row.agent.get_full_name(), state=row.state, seen_at=row.seen_at)
        for row in rows
    ]


def messages_public_since(*, ticket: Ticket, after_id: int | None, viewer: User) -> QuerySet[Message]:
    """Public messages on the ticket newer than ``after_id`` (the last one the viewer's page
    showed) written by anyone but the viewer: what a reply sent now would talk over.
    ``after_id`` None (an old form without the field) is treated as having seen everything."""
    if after_id is None:
        return Message.objects.none()
    return (
        ticket.messages.filter(is_internal=False, pk__gt=after_id)
        .exclude(author=viewer)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def last_message_id(ticket: Ticket) -> int:
    """The newest message id on the ticket (0 if none): what the reply form says it has seen."""
    newest = ticket.messages.order_by("-pk").values_list("pk", flat=True).first()
    return newest or 0
