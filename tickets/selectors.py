"""Ticket reads, scoped to who asks: customers their own, agents their queues."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from accounts.models import User, full_name
from accounts.rawsql import ModelColumns, aware, fetch_all

from .models import Attachment, Message, Queue, Status, Ticket, TicketEvent, format_reference, parse_reference

OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING, Status.ON_HOLD)

# Table names for the plain-SQL reads below (accounts/rawsql.py says why they are plain SQL).
_T, _Q, _M, _A, _E, _U = (m._meta.db_table for m in (Ticket, Queue, Message, Attachment, TicketEvent, User))
_QUEUE_AGENTS = Queue.agents.through._meta.db_table


def agent_sees_all_queues(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.is_ops))


def queue_list_for_agent(user: User) -> QuerySet[Queue]:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return Queue.objects.none()
    if agent_sees_all_queues(user):
        return Queue.objects.all()
    return Queue.objects.filter(agents=user)


@dataclass(slots=True)
class DeskQueue:
    pk: int
    name: str


_QUEUES_SQL = f"SELECT q.id, q.name FROM {_Q} q {{scope}} ORDER BY q.position, q.name"  # noqa: S608


def queue_choices_for_agent(user: User) -> list[DeskQueue]:
    """``queue_list_for_agent``'s queues (same rule, same order) as id and name, in plain SQL:
    the desk's queue page reads them on every refresh, for its filter and its scope."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return []
    if agent_sees_all_queues(user):
        rows = fetch_all(_QUEUES_SQL.format(scope=""), [])
    else:
        scope = f"JOIN {_QUEUE_AGENTS} qa ON qa.queue_id = q.id WHERE qa.user_id = %s"
        rows = fetch_all(_QUEUES_SQL.format(scope=scope), [user.pk])
    return [DeskQueue(pk, name) for pk, name in rows]


def agent_can_work_on(user: User, ticket: Ticket) -> bool:
    return queue_list_for_agent(user).filter(pk=ticket.queue_id).exists()


def is_agent(user: User) -> bool:
    return bool(user.is_authenticated and user.is_staff and (user.is_agent or agent_sees_all_queues(user)))


def ticket_list_for_agent(
    user: User,
    *,
    view: str = "open",
    q: str = "",
    queue: int | None = None,
    status: str = "",
    priority: str = "",
    agent_queues: Sequence[Queue | DeskQueue] | None = None,
) -> QuerySet[Ticket]:
    """Tickets of the agent's queues. ``view``: open, mine, unassigned, overdue, waiting, all.

    ``agent_queues``: the agent's queues if the caller has already read them
    (``queue_list_for_agent``), which saves reading them again.
    """
    # The agent's few queue ids as a list, not a subquery: both the page and its count are planned
    # faster, and the count becomes an index-only scan of tickets_open_by_queue.
    if agent_queues is None:
        queue_ids = list(queue_list_for_agent(user).values_list("pk", flat=True))
    else:
        queue_ids = [q.pk for q in agent_queues]
    qs = Ticket.objects.filter(queue_id__in=queue_ids).select_related("requester", "assignee", "queue")
    now = timezone.now()
    if view == "mine":
        qs = qs.filter(assignee=user, status__in=OPEN_STATUSES)
    elif view == "unassigned":
        qs = qs.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
    elif view == "overdue":
        qs = qs.filter(status__in=OPEN_STATUSES).filter(
            Q(first_responded_at__isnull=True, first_response_due_at__lt=now, paused_at__isnull=True)
            | Q(resolution_due_at__lt=now, paused_at__isnull=True)
            | Q(first_response_breached_at__isnull=False, first_responded_at__isnull=True)
            | Q(resolution_breached_at__isnull=False)
        )
    elif view == "waiting":
        qs = qs.filter(status=Status.WAITING)
    elif view == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    if queue:
        qs = qs.filter(queue_id=queue)
    if status in Status.values:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    if q:
        ticket_id = parse_reference(q) if q.strip().upper().startswith("TCK") else None
        if ticket_id:
            qs = qs.filter(pk=ticket_id)
        else:
            qs = qs.filter(Q(subject__icontains=q) | Q(requester__email__icontains=q) | Q(requester__name__icontains=q))
    return qs.order_by("resolution_due_at", "pk")


@dataclass(slots=True)
class DeskRow:
    """A row of the desk's queue page (``tickets.templatetags.desk.desk_rows``)."""

    pk: int
    subject: str
    priority: str
    status: str
    paused_at: datetime | None
    resolution_due_at: datetime | None
    requester_name: str
    requester_email: str
    assignee_id: int | None
    assignee_name: str | None
    assignee_email: str | None
    queue_name: str

    @property
    def reference(self) -> str:
        return format_reference(self.pk)


def _person(column: str, key: str) -> RawSQL:
    # A scalar subquery, not a join: the rows' four-table join cost PostgreSQL 0.5 ms of planning
    # for 0.1 ms of work. The outer table is the ticket (the ORM's alias for it is its name).
    return RawSQL(f"SELECT p.{column} FROM {_U} p WHERE p.id = {_T}.{key}", [])  # noqa: S608, S611


# What a row shows, in DeskRow's order: not the description, nor the people's password hashes.
# Read as tuples (``values_list``), not models: building the 100 model instances of a page's 25
# rows (ticket, requester, assignee, queue) cost more than PostgreSQL took to find them.
_DESK_ROW_NAMES = {
    "row_requester_name": ("name", "requester_id"),
    "row_requester_email": ("email", "requester_id"),
    "row_assignee_name": ("name", "assignee_id"),
    "row_assignee_email": ("email", "assignee_id"),
}
DESK_ROW_VALUES = (
    "pk", "subject", "priority", "status", "paused_at", "resolution_due_at", "row_requester_name",
    "row_requester_email", "assignee", "row_assignee_name", "row_assignee_email", "queue",
)  # fmt: skip


def desk_rows(tickets: QuerySet[Ticket], queues: Sequence[DeskQueue | Queue]) -> list[DeskRow]:
    """A page of ``ticket_list_for_agent``'s tickets (a slice of it) as ``DeskRow`` rows.
    ``queues``: the agent's queues, where the rows' queue names come from."""
    names = {q.pk: q.name for q in queues}
    rows = tickets.annotate(**{alias: _person(*spec) for alias, spec in _DESK_ROW_NAMES.items()})
    return [DeskRow(*row[:-1], names.get(row[-1], "")) for row in rows.values_list(*DESK_ROW_VALUES)]


def ticket_get_for_agent(user: User, ticket_id: int) -> Ticket:
    try:
        return (
            Ticket.objects.filter(queue_id__in=list(queue_list_for_agent(user).values_list("pk", flat=True)))
            # Not the optional links (merged into, follow-up of, order, product): they are usually
            # empty, and an empty link costs no query when read, where joining all seven tables
            # cost PostgreSQL 6-11 ms of planning on every ticket page.
            .select_related("requester", "assignee", "queue")
            .get(pk=ticket_id)
        )
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404("No such ticket.") from None


# The ticket's own columns that the desk's ticket page shows (not the description and dates).
_TICKET_PAGE_COLUMNS = ModelColumns(
    Ticket,
    "t",
    fields=[f.name for f in Ticket._meta.concrete_fields if f.name not in ("description", "created_at", "updated_at")],
)
# The ticket with its requester's, assignee's and queue's names; ``{scope}`` is empty for agents
# who see every queue, else the access check: the ticket's queue is one of the agent's. The names
# are scalar subqueries, not joins: PostgreSQL planned the five-table join in 0.35 ms, ten times
# longer than it took to run it; each subquery is a primary-key lookup planned on its own.
_TICKET_SQL = f"""
    SELECT {{columns}},
           (SELECT r.name FROM {_U} r WHERE r.id = t.requester_id) AS requester_name,
           (SELECT r.email FROM {_U} r WHERE r.id = t.requester_id) AS requester_email,
           (SELECT a.name FROM {_U} a WHERE a.id = t.assignee_id) AS assignee_name,
           (SELECT a.email FROM {_U} a WHERE a.id = t.assignee_id) AS assignee_email,
           (SELECT q.name FROM {_Q} q WHERE q.id = t.queue_id) AS queue_name
    FROM {_T} t
    WHERE t.id = %s {{scope}}
"""  # noqa: S608 - table and column names from the models, values as parameters


@functools.cache
def _ticket_sql(*, scoped: bool) -> str:
    scope = f"AND t.queue_id IN (SELECT qa.queue_id FROM {_QUEUE_AGENTS} qa WHERE qa.user_id = %s)" if scoped else ""  # noqa: S608
    return _TICKET_SQL.format(columns=_TICKET_PAGE_COLUMNS.sql, scope=scope)


def ticket_detail_for_agent(user: User, ticket_id: int) -> Ticket:
    """The ticket with all messages (notes included), attachments and history, in three queries.

    Only what the desk's ticket page shows is read, in plain SQL (``accounts/rawsql.py``): through
    the ORM the page's queries cost more Python than PostgreSQL took to answer them. The access
    check (the agent's queues) is a subquery of the ticket's query, not a query of its own; the
    thread (``ticket.all_messages``, ``DeskMessage`` rows with their attachments) and the history
    (``ticket.history``, ``DeskEvent`` rows) are read once it has passed. ``ticket.requester``,
    ``.assignee`` and ``.queue`` carry their names only.
    """
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise Http404("No such ticket.")
    try:
        params = [int(ticket_id)]
    except (ValueError, TypeError):
        raise Http404("No such ticket.") from None
    scoped = not agent_sees_all_queues(user)
    if scoped:
        params.append(user.pk)
    found = fetch_all(_ticket_sql(scoped=scoped), params)
    if not found:
        raise Http404("No such ticket.")
    ticket = _TICKET_PAGE_COLUMNS.build(found[0])
    requester_name, requester_email, assignee_name, assignee_email, queue_name = found[0][_TICKET_PAGE_COLUMNS.width :]
    ticket.requester = User(id=ticket.requester_id, name=requester_name, email=requester_email)
    if ticket.assignee_id is not None:
        ticket.assignee = User(id=ticket.assignee_id, name=assignee_name, email=assignee_email)
    ticket.queue = Queue(id=ticket.queue_id, name=queue_name)
    ticket.all_messages = thread_for_desk(ticket.pk)
    ticket.history = history_for_desk(ticket.pk)
    return ticket


@dataclass(slots=True)
class DeskAttachment:
    storage_key: str
    original_name: str
    size: int


@dataclass(slots=True)
class DeskMessage:
    """A message as the desk shows it (``tickets.templatetags.desk.message_thread``)."""

    pk: int
    author_kind: str
    body: str
    is_internal: bool
    channel: str
    created_at: datetime
    author_name: str | None  # None: no author (a bot, the system, or a deleted account)
    author_email: str | None
    attachments: list[DeskAttachment] = field(default_factory=list)


@dataclass(slots=True)
class DeskEvent:
    """A history entry as the desk shows it (``tickets.templatetags.desk.ticket_history``)."""

    kind: str
    old_value: str
    new_value: str
    created_at: datetime
    actor_name: str | None
    actor_email: str | None


@dataclass(slots=True)
class DeskAgent:
    pk: int
    full_name: str
    is_away: bool


# The desk's three fixed reads around a ticket, in plain SQL (accounts/rawsql.py says why). Their
# order is the models' own (created_at, id), attachments in theirs within each message.
_THREAD_SQL = f"""
    SELECT m.id, m.author_kind, m.body, m.is_internal, m.channel, m.created_at, u.name, u.email,
           a.storage_key, a.original_name, a.size
    FROM {_M} m
    LEFT JOIN {_U} u ON u.id = m.author_id
    LEFT JOIN {_A} a ON a.message_id = m.id
    WHERE m.ticket_id = %s
    ORDER BY m.created_at, m.id, a.created_at, a.id
"""  # noqa: S608 - table names from the models, values as parameters
_HISTORY_SQL = f"""
    SELECT e.kind, e.old_value, e.new_value, e.created_at, u.name, u.email
    FROM {_E} e
    LEFT JOIN {_U} u ON u.id = e.actor_id
    WHERE e.ticket_id = %s
    ORDER BY e.created_at, e.id
"""  # noqa: S608
_AGENTS_SQL = f"""
    SELECT u.id, u.name, u.email, u.is_away
    FROM {_U} u
    JOIN {_QUEUE_AGENTS} qa ON qa.user_id = u.id
    WHERE qa.queue_id = %s AND u.is_active = %s
    ORDER BY u.name, u.id
"""  # noqa: S608


def thread_for_desk(ticket_id: int) -> list[DeskMessage]:
    """All of a ticket's messages (internal notes included) with their attachments, in one query
    (a LEFT JOIN: a row per attachment, one row for a message without any). Only for a ticket the
    caller has already checked the agent may see (``ticket_detail_for_agent``)."""
    messages: list[DeskMessage] = []
    for pk, kind, body, internal, channel, created, name, email, key, filename, size in fetch_all(
        _THREAD_SQL, [ticket_id]
    ):
        if not messages or messages[-1].pk != pk:
            messages.append(DeskMessage(pk, kind, body, bool(internal), channel, aware(created), name, email))
        if key is not None:
            messages[-1].attachments.append(DeskAttachment(key, filename, size))
    return messages


def history_for_desk(ticket_id: int) -> list[DeskEvent]:
    """A ticket's history, oldest first; the same access rule as ``thread_for_desk``."""
    return [
        DeskEvent(kind, old, new, aware(created), name, email)
        for kind, old, new, created, name, email in fetch_all(_HISTORY_SQL, [ticket_id])
    ]


def agent_list_for_queue(queue_id: int) -> list[DeskAgent]:
    """The active agents of a queue, by name: whom a ticket of it can be assigned to."""
    return [
        DeskAgent(pk, full_name(name, email), bool(away))
        for pk, name, email, away in fetch_all(_AGENTS_SQL, [queue_id, True])
    ]


def ticket_list_for_customer(user: User) -> QuerySet[Ticket]:
    if not user.is_authenticated:
        return Ticket.objects.none()
    # Explicit order: Meta.ordering is not applied to a query that aggregates (GROUP BY).
    return (
        Ticket.objects.filter(requester=user)
        .select_related("queue")
        .annotate(public_messages=Count("messages", filter=Q(messages__is_internal=False)))
        .order_by("-created_at", "-id")
    )


def ticket_get_for_customer(user: User, reference: str) -> Ticket:
    """The customer's own ticket by reference; anything else (not theirs, malformed) is a 404."""
    ticket_id = parse_reference(reference) if isinstance(reference, str) else None
    if ticket_id is None or not user.is_authenticated:
        raise Http404("No such ticket.")
    public = Message.objects.filter(is_internal=False).select_related("author").prefetch_related("attachments")
    try:
        return (
            Ticket.objects.filter(requester=user)
            .select_related("queue", "assignee", "order", "product")
            .prefetch_related(Prefetch("messages", queryset=public, to_attr="public_messages"))
            .get(pk=ticket_id)
        )
    except Ticket.DoesNotExist:
        raise Http404("No such ticket.") from None


def ticket_last_public_reply(ticket: Ticket) -> Message | None:
    return (
        ticket.messages.filter(is_internal=False, author_kind=Message.AuthorKind.AGENT).order_by("-created_at").first()
    )
