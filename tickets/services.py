"""Every change to a ticket goes through here: one transaction, history written, mail on commit."""

from __future__ import annotations

import logging
import mimetypes
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import notify_template

from . import webhook_events
from .models import (
    Attachment,
    Channel,
    JobLock,
    Message,
    Priority,
    Queue,
    SLAPolicy,
    Status,
    Ticket,
    TicketEvent,
    TicketRating,
)

logger = logging.getLogger(__name__)

# The explicit status workflow. Anything not listed is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.WAITING, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.WAITING, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}),
    Status.WAITING: frozenset({Status.OPEN, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING, Status.ON_HOLD)

REPLY_SALT = "tickets.reply-token"
CSAT_SALT = "tickets.csat"


class TicketError(ValidationError):
    """A use case refused: the message is for the person who asked."""


# --- helpers ----------------------------------------------------------------------


def _event(ticket: Ticket, *, kind: str, actor: User | None, field: str = "", old="", new="") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        kind=kind,
        field=field,
        old_value=str(old or "")[:255],
        new_value=str(new or "")[:255],
    )


def _locked(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock (PostgreSQL); SQLite's IMMEDIATE transaction serialises writers."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the assignee.
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester", "assignee", "queue")
        .get(pk=ticket.pk)
    )


def _sla_targets(priority: str) -> SLAPolicy | None:
    return SLAPolicy.objects.filter(priority=priority).first()


def _set_due_times(ticket: Ticket) -> None:
    policy = _sla_targets(ticket.priority)
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    paused = timedelta(seconds=ticket.paused_seconds)
    ticket.first_response_due_at = ticket.created_at + timedelta(minutes=policy.first_response_minutes) + paused
    ticket.resolution_due_at = ticket.created_at + timedelta(minutes=policy.resolution_minutes) + paused


def reply_token(ticket: Ticket) -> str:
    """A signed token that lets an email reply thread onto this ticket (``TCK-00042.<sig>``)."""
    return signing.Signer(salt=REPLY_SALT).sign(ticket.reference).replace(":", ".", 1)


def ticket_id_from_reply_token(token: str) -> int | None:
    from .models import parse_reference

    try:
        reference = signing.Signer(salt=REPLY_SALT).unsign(token.replace(".", ":", 1))
    except signing.BadSignature:
        return None
    return parse_reference(reference)


def csat_token(ticket: Ticket) -> str:
    return signing.TimestampSigner(salt=CSAT_SALT).sign(str(ticket.pk))


def ticket_id_from_csat_token(token: str) -> int | None:
    try:
        value = signing.TimestampSigner(salt=CSAT_SALT).unsign(
            token, max_age=timedelta(days=settings.TICKET_CSAT_LINK_DAYS)
        )
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def _ticket_context(ticket: Ticket) -> dict:
    return {
        "ticket": ticket,
        "reference": ticket.reference,
        "customer_name": ticket.requester.get_short_name(),
        "reply_token": reply_token(ticket),
        "ticket_url": settings.SITE_URL + reverse("tickets:detail", args=[ticket.reference]),
        "desk_url": settings.SITE_URL + reverse("tickets:desk_ticket", args=[ticket.pk]),
    }


def _notify_customer(ticket: Ticket, *, template: str, key: str, sms: bool = False, **extra) -> None:
    context = {**_ticket_context(ticket), **extra}
    notify_template(
        channel="email",
        recipient=ticket.requester.email,
        template=template,
        context=context,
        idempotency_key=f"{key}:email",
        related=ticket,
    )
    if sms and ticket.requester.sms_opt_in and ticket.requester.phone:
        notify_template(
            channel="sms",
            recipient=ticket.requester.phone,
            template=template,
            context=context,
            idempotency_key=f"{key}:sms",
            related=ticket,
        )


def _notify_agent(agent: User, ticket: Ticket, *, template: str, key: str, **extra) -> None:
    notify_template(
        channel="email",
        recipient=agent.email,
        template=template,
        context={**_ticket_context(ticket), "agent": agent, **extra},
        idempotency_key=f"{key}:agent:{agent.pk}",
        related=ticket,
    )


# --- attachments ------------------------------------------------------------------

ALLOWED_UPLOADS = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".log": "text/plain",
}
# Extensions that a browser could execute or render as a page; refused anywhere in the name.
DANGEROUS_PARTS = {
    ".html",
    ".htm",
    ".svg",
    ".svgz",
    ".xhtml",
    ".xml",
    ".js",
    ".mjs",
    ".exe",
    ".bat",
    ".cmd",
    ".sh",
    ".php",
    ".jar",
    ".msi",
    ".com",
    ".scr",
    ".vbs",
    ".ps1",
    ".hta",
    ".dll",
}


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes


def attachment_validate(*, name: str, size: int) -> str:
    """Return the safe extension for an upload or raise ``TicketError`` saying why not."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    if not base or base.startswith(".") or "\x00" in base:
        raise TicketError(f"“{name}” is not a usable file name.")
    lower = base.lower()
    parts = lower.split(".")[1:]
    ext = f".{parts[-1]}" if parts else ""
    if any(f".{part}" in DANGEROUS_PARTS for part in parts):
        raise TicketError(f"“{base}”: this kind of file is not accepted (HTML, SVG, scripts and programs).")
    if ext not in ALLOWED_UPLOADS:
        allowed = ", ".join(sorted(ALLOWED_UPLOADS))
        raise TicketError(f"“{base}”: only these file types are accepted: {allowed}.")
    if size <= 0:
        raise TicketError(f"“{base}” is empty.")
    if size > settings.TICKET_ATTACHMENT_MAX_BYTES:
        limit = settings.TICKET_ATTACHMENT_MAX_BYTES // (1024 * 1024)
        raise TicketError(f"“{base}” is larger than {limit} MB.")
    return ext


def _as_uploads(files: Iterable[UploadedFile | Upload]) -> list[Upload]:
    uploads = []
    for item in files:
        if isinstance(item, Upload):
            uploads.append(item)
        else:
            uploads.append(Upload(name=item.name, content=item.read()))
    return uploads


def _store_attachments(ticket: Ticket, message: Message | None, uploads: Sequence[Upload], actor: User | None) -> None:
    from django.core.files.base import ContentFile

    if len(uploads) > settings.TICKET_ATTACHMENTS_PER_MESSAGE:
        raise TicketError(f"At most {settings.TICKET_ATTACHMENTS_PER_MESSAGE} files per message.")
    checked = [(upload, attachment_validate(name=upload.name, size=len(upload.content))) for upload in uploads]
    for upload, ext in checked:
        key = uuid.uuid4().hex
        attachment = Attachment(
            ticket=ticket,
            message=message,
            storage_key=key,
            extension=ext,
            original_name=os.path.basename(upload.name.replace("\\", "/"))[:255],
            content_type=ALLOWED_UPLOADS[ext] or mimetypes.guess_type(upload.name)[0] or "application/octet-stream",
            size=len(upload.content),
            uploaded_by=actor,
        )
        attachment.file.save(f"{key}{ext}", ContentFile(upload.content), save=False)
        attachment.save()


# --- use cases --------------------------------------------------------------------


def agent_pick_for_queue(queue: Queue) -> User | None:
    """The least-loaded available agent of the queue (fewest open tickets; ties by id)."""
    return (
        queue.agents.filter(is_active=True, is_away=False)
        .annotate(load=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=OPEN_STATUSES)))
        .order_by("load", "pk")
        .first()
    )


@transaction.atomic
def ticket_create(
    *,
    requester: User,
    queue: Queue,
    subject: str,
    description: str,
    channel: str = Channel.WEB,
    priority: str = Priority.NORMAL,
    attachments: Iterable[UploadedFile | Upload] = (),
    follow_up_of: Ticket | None = None,
    email_message_id: str = "",
    order=None,
    product=None,
) -> Ticket:
    """Open a ticket: SLA due times set, auto-assigned, customer and assignee told after commit."""
    subject = " ".join(subject.split())[:200]
    if not subject or not description.strip():
        raise TicketError("A ticket needs a subject and a description.")
    if not queue.is_active:
        raise TicketError("That queue does not take new tickets.")
    uploads = _as_uploads(attachments)
    ticket = Ticket.objects.create(
        requester=requester,
        queue=queue,
        subject=subject,
        description=description.strip(),
        channel=channel,
        priority=priority,
        follow_up_of=follow_up_of,
        **_link_fields(requester=requester, order=order, product=product),
    )
    _set_due_times(ticket)
    ticket.save(update_fields=["first_response_due_at", "resolution_due_at"])
    message = Message.objects.create(
        ticket=ticket,
        author=requester,
        author_kind=Message.AuthorKind.CUSTOMER,
        body=ticket.description,
        channel=channel,
        email_message_id=email_message_id,
    )
    _store_attachments(ticket, message, uploads, requester)
    _event(ticket, kind=TicketEvent.Kind.CREATED, actor=requester, new=ticket.reference)
    if follow_up_of is not None:
        _event(follow_up_of, kind=TicketEvent.Kind.FOLLOW_UP, actor=requester, new=ticket.reference)
    _notify_customer(ticket, template="ticket_created", key=f"ticket-created:{ticket.pk}")
    agent = agent_pick_for_queue(queue)
    if agent is not None:
        _assign(ticket, agent, actor=None)
    webhook_events.ticket_created(ticket)
    return ticket


def _link_fields(*, requester: User, order, product) -> dict:
    """Optional links. The order must be the requester's own, and the product one they ordered:
    a guessed id from another customer is refused like a missing one."""
    from inventory.models import OrderLine

    fields = {}
    if order is not None:
        if order.customer_id != requester.pk:
            raise TicketError("That order is not one of yours.")
        fields["order"] = order
    if product is not None:
        if not OrderLine.objects.filter(order__customer=requester, product=product).exists():
            raise TicketError("That product is not in any of your orders.")
        fields["product"] = product
    return fields


def _assign(ticket: Ticket, assignee: User | None, *, actor: User | None) -> None:
    old = ticket.assignee
    if old == assignee:
        return
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    event = _event(
        ticket,
        kind=TicketEvent.Kind.ASSIGNEE,
        actor=actor,
        field="assignee",
        old=old.email if old else "",
        new=assignee.email if assignee else "",
    )
    if assignee is not None and assignee != actor:
        _notify_agent(assignee, ticket, template="ticket_assigned", key=f"ticket-assigned:{event.pk}")


def _require_agent_of(ticket: Ticket, agent: User) -> None:
    from .selectors import agent_can_work_on

    if not agent_can_work_on(agent, ticket):
        raise TicketError("You are not an agent of this ticket's queue.")


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee: User | None, actor: User) -> Ticket:
    """Assign (or with ``assignee=None`` unassign). The assignee must work the ticket's queue."""
    ticket = _locked(ticket)
    _require_agent_of(ticket, actor)
    if assignee is not None and not ticket.queue.agents.filter(pk=assignee.pk, is_active=True).exists():
        raise TicketError(f"{assignee.get_full_name()} is not an agent of the {ticket.queue.name} queue.")
    _assign(ticket, assignee, actor=actor)
    return ticket


def ticket_claim(*, ticket: Ticket, agent: User) -> Ticket:
    return ticket_assign(ticket=ticket, assignee=agent, actor=agent)


def _pause(ticket: Ticket, now: datetime) -> None:
    if ticket.paused_at is None:
        ticket.paused_at = now


def _resume(ticket: Ticket, now: datetime) -> None:
    if ticket.paused_at is not None:
        paused = now - ticket.paused_at
        ticket.paused_seconds += int(paused.total_seconds())
        ticket.paused_at = None
        if ticket.first_response_due_at and ticket.first_responded_at is None:
            ticket.first_response_due_at += paused
        if ticket.resolution_due_at:
            ticket.resolution_due_at += paused


def _apply_status(ticket: Ticket, new_status: str, *, actor: User | None, now: datetime) -> TicketEvent:
    old = ticket.status
    if new_status not in TRANSITIONS[old]:
        raise TicketError(
            f"A ticket that is {Status(old).label.lower()} cannot become {Status(new_status).label.lower()}."
        )
    if new_status == Status.WAITING:
        _pause(ticket, now)
    elif old == Status.WAITING:
        _resume(ticket, now)
    if new_status == Status.RESOLVED:
        ticket.resolved_at = now
    elif new_status == Status.CLOSED:
        ticket.closed_at = now
    elif old == Status.RESOLVED:  # reopened: the rating was of a resolution that no longer holds
        if ticket.csat_score is not None:
            _event(ticket, kind=TicketEvent.Kind.CSAT, actor=actor, field="csat", old=ticket.csat_score, new="")
        ticket.resolved_at = None
        ticket.csat_score, ticket.csat_comment, ticket.csat_at = None, "", None
    ticket.status = new_status
    ticket.save()
    event = _event(ticket, kind=TicketEvent.Kind.STATUS, actor=actor, field="status", old=old, new=new_status)
    if new_status == Status.RESOLVED:
        webhook_events.ticket_resolved(ticket, event)
    return event


@transaction.atomic
def ticket_change_status(*, ticket: Ticket, status: str, actor: User) -> Ticket:
    """Move along the workflow (``TRANSITIONS``); the customer hears of every change."""
    if status not in Status.values:
        raise TicketError(f"Unknown status “{status}”.")
    ticket = _locked(ticket)
    if actor.pk == ticket.requester_id and not actor.is_staff:
        if status != Status.CLOSED:
            raise TicketError("You can only close your own ticket.")
    else:
        _require_agent_of(ticket, actor)
    event = _apply_status(ticket, status, actor=actor, now=timezone.now())
    if actor.pk != ticket.requester_id:
        _notify_status_change(ticket, event)
    return ticket


def _csat_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("tickets:rate", args=[csat_token(ticket)])


def _notify_status_change(ticket: Ticket, event: TicketEvent) -> None:
    """Tell the customer; a resolution also carries the one-click rating link (and an SMS)."""
    resolved = ticket.status == Status.RESOLVED
    csat_url = _csat_url(ticket) if resolved else ""
    _notify_customer(
        ticket,
        template="ticket_resolved" if resolved else "ticket_status",
        key=f"ticket-status:{event.pk}",
        sms=resolved,
        csat_url=csat_url,
    )


@transaction.atomic
def ticket_change_priority(*, ticket: Ticket, priority: str, actor: User) -> Ticket:
    if priority not in Priority.values:
        raise TicketError(f"Unknown priority “{priority}”.")
    ticket = _locked(ticket)
    _require_agent_of(ticket, actor)
    if ticket.priority == priority:
        return ticket
    old = ticket.priority
    ticket.priority = priority
    _set_due_times(ticket)
    ticket.save()
    _event(ticket, kind=TicketEvent.Kind.PRIORITY, actor=actor, field="priority", old=old, new=priority)
    return ticket


@transaction.atomic
def ticket_reply_agent(
    *, ticket: Ticket, agent: User, body: str, internal: bool = False, attachments: Iterable = (), set_status: str = ""
) -> Message:
    """An agent's public reply (told to the customer by email, and SMS if they opted in) or internal note."""
    body = body.strip()
    if not body:
        raise TicketError("Write a reply first.")
    ticket = _locked(ticket)
    _require_agent_of(ticket, agent)
    if ticket.status == Status.CLOSED:
        raise TicketError("This ticket is closed.")
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket, author=agent, author_kind=Message.AuthorKind.AGENT, body=body, is_internal=internal
    )
    _store_attachments(ticket, message, _as_uploads(attachments), agent)
    if internal:
        _event(ticket, kind=TicketEvent.Kind.NOTE, actor=agent)
        return message
    _event(ticket, kind=TicketEvent.Kind.REPLY, actor=agent)
    webhook_events.ticket_replied(ticket, message)
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        ticket.save(update_fields=["first_responded_at", "updated_at"])
    if ticket.assignee_id is None:
        _assign(ticket, agent, actor=agent)
    if set_status and set_status not in Status.values:
        raise TicketError(f"Unknown status “{set_status}”.")
    target = set_status or (Status.OPEN if ticket.status == Status.NEW else "")
    event = None
    if target and target != ticket.status:
        event = _apply_status(ticket, target, actor=agent, now=now)
    # One email for the reply and the status it set: an explicit status choice is news to the
    # customer (new → open on a first reply is not), a resolution brings the rating link.
    status_changed = event is not None and bool(set_status)
    resolved = status_changed and ticket.status == Status.RESOLVED
    _notify_customer(
        ticket,
        template="ticket_reply",
        key=f"ticket-reply:{message.pk}",
        sms=True,
        message=message,
        status_changed=status_changed,
        csat_url=_csat_url(ticket) if resolved else "",
    )
    return message


@dataclass(frozen=True)
class CustomerReplyResult:
    ticket: Ticket
    message: Message
    follow_up: bool


@transaction.atomic
def ticket_reply_customer(
    *,
    ticket: Ticket,
    customer: User,
    body: str,
    attachments: Iterable = (),
    channel: str = Channel.WEB,
    email_message_id: str = "",
) -> CustomerReplyResult:
    """The requester writes again. Waiting/on-hold tickets reopen; a resolved ticket reopens within
    ``TICKET_REOPEN_DAYS``; later (or once closed) the reply opens a new ticket linked to the old one."""
    body = body.strip()
    if not body:
        raise TicketError("Write a message first.")
    ticket = _locked(ticket)
    if ticket.requester_id != customer.pk:
        raise TicketError("This is not your ticket.")
    now = timezone.now()
    if ticket.merged_into_id:
        ticket = _locked(ticket.merged_into)
    reopen_until = (ticket.resolved_at or now) + timedelta(days=settings.TICKET_REOPEN_DAYS)
    if ticket.status == Status.CLOSED or (ticket.status == Status.RESOLVED and now > reopen_until):
        follow_up = ticket_create(
            requester=customer,
            queue=ticket.queue,
            subject=f"Follow-up: {ticket.subject}"[:200],
            description=body,
            channel=channel,
            attachments=attachments,
            follow_up_of=ticket,
            email_message_id=email_message_id,
        )
        return CustomerReplyResult(ticket=follow_up, message=follow_up.messages.get(), follow_up=True)
    message = Message.objects.create(
        ticket=ticket,
        author=customer,
        author_kind=Message.AuthorKind.CUSTOMER,
        body=body,
        channel=channel,
        email_message_id=email_message_id,
    )
    _store_attachments(ticket, message, _as_uploads(attachments), customer)
    if ticket.status == Status.RESOLVED:
        _event(ticket, kind=TicketEvent.Kind.REOPENED, actor=customer)
    if ticket.status in (Status.WAITING, Status.ON_HOLD, Status.RESOLVED):
        _apply_status(ticket, Status.OPEN, actor=customer, now=now)
    if ticket.assignee is not None:
        _notify_agent(
            ticket.assignee,
            ticket,
            template="ticket_customer_reply",
            key=f"ticket-customer-reply:{message.pk}",
            message=message,
        )
    return CustomerReplyResult(ticket=ticket, message=message, follow_up=False)


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: User) -> Ticket:
    """Merge a duplicate into another ticket of the same requester: messages move, the duplicate closes."""
    if source.pk == target.pk:
        raise TicketError("A ticket cannot be merged into itself.")
    first, second = sorted([source.pk, target.pk])  # lock in a fixed order: no deadlock between two merges
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
    source, target = locked[source.pk], locked[target.pk]
    _require_agent_of(source, actor)
    _require_agent_of(target, actor)
    if source.requester_id != target.requester_id:
        raise TicketError("Only tickets of the same customer can be merged.")
    if target.status == Status.CLOSED or source.status == Status.CLOSED:
        raise TicketError("Closed tickets cannot be merged.")
    moved = Message.objects.filter(ticket=source).update(ticket=target)
    Attachment.objects.filter(ticket=source).update(ticket=target)
    Message.objects.create(
        ticket=target,
        author=actor,
        author_kind=Message.AuthorKind.SYSTEM,
        is_internal=True,
        body=f"{source.reference} “{source.subject}” was merged into this ticket ({moved} message(s) moved).",
    )
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    _apply_status(source, Status.CLOSED, actor=actor, now=timezone.now())
    _event(source, kind=TicketEvent.Kind.MERGED, actor=actor, field="merged_into", new=target.reference)
    _event(target, kind=TicketEvent.Kind.MERGED, actor=actor, field="merged_from", old=source.reference)
    return target


@transaction.atomic
def ticket_rate(*, ticket: Ticket, score: int, comment: str = "") -> Ticket:
    """Record the customer's satisfaction once per resolution. A second rating is refused.

    The rating is the ticket's current one (``csat_*``) and a ``TicketRating`` row, which stays
    when a reopened ticket's current rating is cleared.
    """
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise TicketError("Choose a score from 1 to 5.")
    now = timezone.now()
    updated = Ticket.objects.filter(
        pk=ticket.pk, csat_score__isnull=True, status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__isnull=False
    ).update(csat_score=score, csat_comment=comment.strip()[:2000], csat_at=now, updated_at=now)
    if not updated:
        ticket.refresh_from_db()
        if ticket.csat_score is not None:
            raise TicketError("This ticket was rated already. Thank you!")
        raise TicketError("A ticket can be rated once it is resolved.")
    ticket.refresh_from_db()
    TicketRating.objects.create(ticket=ticket, score=score, comment=ticket.csat_comment, resolved_at=ticket.resolved_at)
    _event(ticket, kind=TicketEvent.Kind.CSAT, actor=ticket.requester, field="csat", new=score)
    return ticket


def canned_response_render(*, body: str, ticket: Ticket) -> str:
    """Fill the placeholders of a canned response. Unknown placeholders stay as typed."""
    order_number = ""
    order = getattr(ticket, "order", None)
    if order is not None:
        order_number = getattr(order, "number", "") or str(order.pk)
    values = {
        "customer_name": ticket.requester.get_short_name(),
        "ticket_reference": ticket.reference,
        "order_number": order_number,
    }

    class _Keep(dict):
        def __missing__(self, key):
            return "{" + key + "}"

    try:
        return body.format_map(_Keep(values))
    except (ValueError, IndexError):
        return body


# --- periodic work ----------------------------------------------------------------


def tickets_mark_sla_breaches(*, now: datetime | None = None) -> int:
    """Mark new breaches, raise the priority a step and tell the assignee (or the queue's agents).

    Each breach is marked by a conditional UPDATE on its ``*_breached_at`` column, so a breach is
    notified exactly once however often (or concurrently) this runs. Paused tickets never breach.
    """
    now = now or timezone.now()
    count = 0
    running = Ticket.objects.filter(status__in=OPEN_STATUSES, paused_at__isnull=True)
    checks = (
        (
            "first_response",
            running.filter(
                first_responded_at__isnull=True, first_response_due_at__lt=now, first_response_breached_at__isnull=True
            ),
        ),
        ("resolution", running.filter(resolution_due_at__lt=now, resolution_breached_at__isnull=True)),
    )
    for kind, candidates in checks:
        for ticket_id in list(candidates.values_list("pk", flat=True)[:1000]):
            count += _ticket_breach(ticket_id=ticket_id, kind=kind, now=now)
    return count


@transaction.atomic
def _ticket_breach(*, ticket_id: int, kind: str, now: datetime) -> int:
    column = f"{kind}_breached_at"
    won = Ticket.objects.filter(pk=ticket_id, **{f"{column}__isnull": True}).update(**{column: now})
    if not won:
        return 0
    ticket = _locked(Ticket(pk=ticket_id))
    old_priority = ticket.priority
    ticket.priority = Priority.raised(ticket.priority)
    ticket.save(update_fields=["priority", "updated_at"])
    label = "first response" if kind == "first_response" else "resolution"
    _event(ticket, kind=TicketEvent.Kind.SLA_BREACH, actor=None, field=kind, new=label)
    if ticket.priority != old_priority:
        _event(
            ticket, kind=TicketEvent.Kind.PRIORITY, actor=None, field="priority", old=old_priority, new=ticket.priority
        )
    recipients = [ticket.assignee] if ticket.assignee else list(ticket.queue.agents.filter(is_active=True))
    for agent in recipients:
        _notify_agent(agent, ticket, template="ticket_sla_breach", key=f"sla-breach:{ticket.pk}:{kind}", breach=label)
    return 1


def tickets_autoclose_resolved(*, now: datetime | None = None) -> int:
    """Close tickets resolved more than ``TICKET_AUTOCLOSE_DAYS`` ago. Safe to run any time."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.TICKET_AUTOCLOSE_DAYS)
    closed = 0
    for ticket_id in Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff).values_list("pk", flat=True)[
        :1000
    ]:
        with transaction.atomic():
            ticket = _locked(Ticket(pk=ticket_id))
            if ticket.status == Status.RESOLVED and ticket.resolved_at < cutoff:
                _apply_status(ticket, Status.CLOSED, actor=None, now=now)
                closed += 1
    return closed


# --- job lock ---------------------------------------------------------------------


def job_lock_acquire(*, name: str, holder: str, ttl_seconds: int) -> bool:
    """Take a named lock unless someone else holds an unexpired one. Atomic on both databases."""
    now = timezone.now()
    expires = now + timedelta(seconds=ttl_seconds)
    with transaction.atomic():
        JobLock.objects.filter(name=name, expires_at__lt=now).delete()
        _, created = JobLock.objects.get_or_create(name=name, defaults={"holder": holder, "expires_at": expires})
    return created


def job_lock_release(*, name: str, holder: str) -> None:
    JobLock.objects.filter(name=name, holder=holder).delete()
