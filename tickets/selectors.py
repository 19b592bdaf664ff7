"""Ticket reads, scoped to who asks: customers their own, agents their queues."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User

from .models import Message, Queue, Status, Ticket, TicketEvent, parse_reference

OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING, Status.ON_HOLD)


def agent_sees_all_queues(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.is_ops))


def queue_list_for_agent(user: User) -> QuerySet[Queue]:
    """The queues an agent works: all of them for ops and superusers, else the ones they are in.

    The one access rule of the desk: every ticket read for an agent (the queue page, the ticket
    page, its actions, the API) goes through ``ticket_scope_for_agent``, which is built on it.
    """
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return Queue.objects.none()
    if agent_sees_all_queues(user):
        return Queue.objects.all()
    return Queue.objects.filter(agents=user)


def ticket_scope_for_agent(user: User) -> QuerySet[Ticket]:
    """Every ticket the agent may see: those of ``queue_list_for_agent``'s queues."""
    return Ticket.objects.filter(queue__in=queue_list_for_agent(user))


def agent_can_work_on(user: User, ticket: Ticket) -> bool:
    return ticket_scope_for_agent(user).filter(pk=ticket.pk).exists()


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
) -> QuerySet[Ticket]:
    """Tickets of the agent's queues. ``view``: open, mine, unassigned, overdue, waiting, all."""
    qs = ticket_scope_for_agent(user).select_related("requester", "assignee", "queue")
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


def ticket_get_for_agent(user: User, ticket_id: int) -> Ticket:
    """One of the agent's tickets (``ticket_list_for_agent``'s rule); anything else is a 404."""
    try:
        return ticket_scope_for_agent(user).select_related("requester", "assignee", "queue").get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404("No such ticket.") from None


def ticket_detail_for_agent(user: User, ticket_id: int) -> Ticket:
    """The ticket as the desk's page shows it: its links, every message (internal notes included)
    with author and attachments, and its history with the actors; a fixed number of queries."""
    thread = Message.objects.select_related("author").prefetch_related("attachments")
    try:
        return (
            ticket_scope_for_agent(user)
            .select_related("requester", "assignee", "queue")
            # The optional links are prefetched, not joined: a prefetch of a link that is not set
            # costs no query, and each extra join multiplies PostgreSQL's planning work (seven
            # joins took 2-7 ms to plan against 0.5 ms for three; bench/load_bench.py ticket page).
            .prefetch_related(
                "order",
                "product",
                "merged_into",
                "follow_up_of",
                Prefetch("messages", queryset=thread, to_attr="all_messages"),
                Prefetch("events", queryset=TicketEvent.objects.select_related("actor"), to_attr="history"),
            )
            .get(pk=ticket_id)
        )
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404("No such ticket.") from None


def agent_list_for_queue(queue_id: int) -> QuerySet[User]:
    """The active agents of a queue, by name: whom a ticket of it can be assigned to."""
    return User.objects.filter(ticket_queues=queue_id, is_active=True).order_by("name", "pk")


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
